/**
 * The dev loop with the docker runtime on the real engine: each save rebuilds the image (cached layers)
 * and rolls out a container revision while a client keeps sending requests; a failing build keeps the
 * last good revision serving until the next save fixes it. Loops are bounded in count and time.
 */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import Docker from 'dockerode'
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest'
import { loadConfig } from '../../src/core/config/index.js'
import { DevLoop, type DevLoopEvent } from '../../src/core/devloop/devloop.js'
import { Emulator, type EmulatorEvent } from '../../src/core/emulator/emulator.js'
import { buildServices } from '../../src/core/image/build.js'
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js'
import { LABEL, newSession } from '../../src/runtime/docker/labels.js'
import { useTempDir } from '../helpers/temp.js'
import { waitFor } from '../helpers/wait.js'

/** Saves in the rollout stress test: each one a new revision under constant traffic, none may fail a request. */
const SAVES = 10
const docker = new Docker()
const run = Date.now().toString(36)
const IMAGE = `sls-run-test/devloop-${run}`
const tempDir = useTempDir('sls-run-devloop-docker-')
const cleanups: Array<() => Promise<void>> = []
const built = new Set<string>()
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const DOCKERFILE = `FROM ${inject('standins').node}\nWORKDIR /app\nCOPY server.mjs .\nCMD ["node", "server.mjs"]\n` // this run's stand-in: the dev loop builds on it (with a warning)
const app = (version: string) => `import http from 'node:http'
http.createServer((req, res) => { req.resume(); res.end(${JSON.stringify(version)}) }).listen(Number(process.env.PORT), '0.0.0.0')
process.on('SIGTERM', () => process.exit(0))
`

describe.skipIf(!inject('engine'))('dev loop (docker runtime)', () => {
  const session = newSession(`/tmp/sls-run-devloop-${run}/sls-run.yaml`)
  afterAll(async () => {
    expect(await docker.listContainers({ all: true, filters: { label: [`${LABEL.session}=${session.id}`] } })).toEqual([])
    const ids = new Set([...built, ...(await docker.listImages({ filters: { reference: [IMAGE] } })).map((i) => i.Id)])
    for (const id of ids)
      await docker
        .getImage(id)
        .remove({ force: true })
        .catch(() => undefined) // rebuilds leave untagged images
  })

  async function start() {
    const dir = tempDir()
    writeFileSync(path.join(dir, 'Dockerfile'), DOCKERFILE)
    writeFileSync(path.join(dir, 'server.mjs'), app('v0'))
    const yaml = path.join(dir, 'sls-run.yaml')
    writeFileSync(yaml, `name: t\nservices:\n  web:\n    build: { context: . }\n    image: ${IMAGE}\n    scaling: { concurrency: 10 }\n    dev: { runtime: docker }\n`)
    const { config } = await loadConfig({ file: yaml })
    const [first] = await buildServices(docker, config, { services: ['web'], tags: [], noCache: false, pull: false, buildArgs: {}, builder: 'classic', strict: false }, () => undefined)
    built.add(first!.id) // untagged once a rebuild takes the tag: removed in afterAll
    const events: Array<EmulatorEvent | DevLoopEvent> = []
    const runtime = await DockerRuntime.create(docker, session)
    const record = (e: EmulatorEvent | DevLoopEvent) => {
      events.push(e)
      if (e.type === 'rebuild' && e.state === 'done' && e.image) built.add(e.image)
    }
    const emulator = new Emulator({ config, port: 0, adminPort: 0, runtime, graceMs: 2000, onEvent: record })
    cleanups.push(() => emulator.stop())
    const { gateways } = await emulator.start()
    const loop = new DevLoop({ emulator, configFile: yaml, runtimeOf: () => 'docker', docker, builder: 'classic', onEvent: record })
    cleanups.push(() => loop.stop())
    await loop.start()
    return { dir, url: gateways.web!, events }
  }

  it('ten saves under constant traffic: rebuilt, rolled out, no error and no dropped request', async () => {
    const { dir, url, events } = await start()
    const failures: string[] = []
    const seen: string[] = []
    let [sent, stop] = [0, false]
    const deadline = Date.now() + 100_000
    const client = async () => {
      while (!stop && sent < 20_000 && Date.now() < deadline) {
        sent++
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(20_000) })
          const body = await res.text()
          if (res.status !== 200) failures.push(`${res.status} ${body}`)
          else if (seen.at(-1) !== body) seen.push(body)
        } catch (error) {
          failures.push(String(error))
        }
      }
    }
    const clients = [client(), client()]
    await waitFor(() => seen.includes('v0'), 20_000)
    const reloadMs: number[] = []
    for (let v = 1; v <= SAVES; v++) {
      const saved = Date.now()
      writeFileSync(path.join(dir, 'server.mjs'), app(`v${v}`))
      await waitFor(() => seen.at(-1) === `v${v}` || undefined, 30_000, 10)
      reloadMs.push(Date.now() - saved)
    }
    stop = true
    await Promise.all(clients)
    expect(failures).toEqual([])
    expect(seen).toEqual(Array.from({ length: SAVES + 1 }, (_, v) => `v${v}`))
    expect(events.filter((e) => e.type === 'rebuild' && e.state === 'done')).toHaveLength(SAVES)
    process.stderr.write(`dev loop (docker): ${sent} requests, save → new version served in ${reloadMs.join(', ')} ms\n`)
  })

  it('a failing build keeps the last good revision serving and says why; the fix rolls out', async () => {
    const { dir, url, events } = await start()
    expect(await (await fetch(url)).text()).toBe('v0')
    writeFileSync(path.join(dir, 'Dockerfile'), `${DOCKERFILE}RUN echo "the build breaks here" && exit 3\n`)
    await waitFor(() => events.some((e) => e.type === 'rebuild' && e.state === 'failed'), 30_000)
    const failed = events.find((e) => e.type === 'rebuild' && e.state === 'failed') as Extract<DevLoopEvent, { type: 'rebuild'; state: 'failed' }>
    expect(failed.code).toBe('BUILD_FAILED')
    expect(await (await fetch(url)).text()).toBe('v0')
    writeFileSync(path.join(dir, 'Dockerfile'), DOCKERFILE)
    writeFileSync(path.join(dir, 'server.mjs'), app('fixed'))
    await waitFor(async () => (await (await fetch(url)).text()) === 'fixed' || undefined, 30_000, 50)
  })
})
