/**
 * `sls-run dev --runtime docker` on a service with a `build:` section (built CLI, real engine): a missing
 * image is built at start with its steps shown, as `docker compose up --build` does; an image built FROM an
 * offline stand-in runs with a notice; an unchanged image is not rebuilt; a source newer than the image is.
 */
import { utimesSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import Docker from 'dockerode'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { ndjsonEvents, useCliProcesses } from '../helpers/cli.js'
import { useTempDir } from '../helpers/temp.js'
import { waitFor } from '../helpers/wait.js'

const docker = new Docker()
const run = Date.now().toString(36)
const IMAGE = `sls-run-test/at-start-${run}`
const tempDir = useTempDir('sls-run-at-start-')
const startCli = useCliProcesses()

describe.skipIf(!inject('engine'))('dev builds a missing or stale image at start (docker runtime)', () => {
  afterAll(async () => {
    for (const image of await docker.listImages({ filters: { reference: [IMAGE] } }))
      await docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => undefined)
  })

  async function session(dir: string) {
    const child = startCli(['dev', '--json', '--runtime', 'docker', '--port', '0', '--admin-port', '0', '--no-watch'], { cwd: dir, env: { DOCKER_HOST: process.env.DOCKER_HOST } })
    let stdout = ''
    child.stdout!.on('data', (chunk) => (stdout += chunk))
    const events = () => ndjsonEvents(stdout)
    const listening = await waitFor(() => events().find((e) => e.type === 'listening'), 90_000)
    expect(await (await fetch(listening.url)).text()).toBe('hi')
    child.kill('SIGINT')
    await new Promise((resolve) => child.once('exit', resolve))
    return events()
  }

  it('builds when missing (steps shown, stand-in notice), not when current, again when a source is newer', async () => {
    const dir = tempDir()
    writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${inject('standins').node}\nWORKDIR /app\nCOPY server.mjs .\nCMD ["node", "server.mjs"]\n`)
    writeFileSync(
      path.join(dir, 'server.mjs'),
      `import http from 'node:http'\nhttp.createServer((q, s) => s.end('hi')).listen(Number(process.env.PORT), '0.0.0.0')\nprocess.on('SIGTERM', () => process.exit(0))\n`,
    )
    writeFileSync(path.join(dir, 'sls-run.yaml'), `name: t\nservices:\n  web:\n    build: { context: . }\n    image: ${IMAGE}\n    dev: { runtime: docker }\n`)

    const first = await session(dir)
    expect(first.find((e) => e.type === 'image-build' && e.state === 'started')).toMatchObject({ service: 'web', reason: 'not built yet' })
    expect(first.filter((e) => e.type === 'image-build' && e.state === 'step').map((e) => e.step)).toEqual(expect.arrayContaining([expect.stringMatching(/COPY server\.mjs/)]))
    expect(first.find((e) => e.type === 'image-build' && e.state === 'done')).toMatchObject({ service: 'web', image: `${IMAGE}:latest` })
    expect(first.find((e) => e.type === 'standin-image')).toMatchObject({ service: 'web', message: expect.stringMatching(/offline stand-in/) })

    const second = await session(dir)
    expect(second.filter((e) => e.type === 'image-build')).toEqual([])

    const later = new Date(Date.now() + 60_000)
    utimesSync(path.join(dir, 'server.mjs'), later, later)
    const third = await session(dir)
    expect(third.find((e) => e.type === 'image-build' && e.state === 'started')).toMatchObject({ reason: 'older than server.mjs' })
  })
})
