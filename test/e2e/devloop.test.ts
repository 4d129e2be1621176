/**
 * The dev loop with real processes and real files: saves roll out new revisions while a client keeps
 * sending requests (zero errors, nothing dropped); a broken save keeps the last good revision; an
 * invalid sls-run.yaml keeps serving and reports the diagnostics. Loops are bounded in count and time.
 */
import { readFileSync, utimesSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/core/config/index.js'
import { DevLoop, type DevLoopEvent } from '../../src/core/devloop/devloop.js'
import { Emulator, type EmulatorEvent } from '../../src/core/emulator/emulator.js'
import { ProcessRuntime } from '../../src/runtime/process/process-runtime.js'
import { useTempDir } from '../helpers/temp.js'
import { waitFor } from '../helpers/wait.js'

/** Saves in the rollout stress test: each one a new revision under constant traffic, none may fail a request. */
const SAVES = 10
const tempDir = useTempDir('sls-run-devloop-')
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const app = (version: string) => `import http from 'node:http'
const VERSION = ${JSON.stringify(version)}
http.createServer((req, res) => { req.resume(); res.end(VERSION) }).listen(Number(process.env.PORT), '127.0.0.1')
process.on('SIGTERM', () => process.exit(0))
`

async function session(yamlExtra = '', options: { source?: string; watch?: string } = {}) {
  const dir = tempDir()
  writeFileSync(path.join(dir, 'server.mjs'), options.source ?? app('v0'))
  const yaml = path.join(dir, 'sls-run.yaml')
  const watch = options.watch ?? ', watch: ["*.mjs"]'
  writeFileSync(yaml, `name: t\nservices:\n  web:\n    scaling: { concurrency: 10 }\n    dev: { command: [${JSON.stringify(process.execPath)}, server.mjs]${watch} }\n${yamlExtra}`)
  const { config } = await loadConfig({ file: yaml })
  const events: Array<EmulatorEvent | DevLoopEvent> = []
  const emulator = new Emulator({ config, port: 0, adminPort: 0, runtime: new ProcessRuntime(), graceMs: 2000, onEvent: (e) => events.push(e) })
  cleanups.push(() => emulator.stop())
  const { gateways } = await emulator.start()
  const loop = new DevLoop({ emulator, configFile: yaml, runtimeOf: () => 'process', onEvent: (e) => events.push(e) })
  cleanups.push(() => loop.stop())
  await loop.start()
  return { dir, yaml, url: gateways.web!, events, emulator }
}

describe('dev loop (process runtime)', () => {
  it('ten saves under constant traffic: no error, no dropped request, each new version served within the reload time', async () => {
    const { dir, url } = await session()
    const failures: string[] = []
    const seen: string[] = []
    let sent = 0
    let stop = false
    const deadline = Date.now() + 45_000
    const client = async () => {
      while (!stop && sent < 20_000 && Date.now() < deadline) {
        sent++
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(10_000) })
          const body = await res.text()
          if (res.status !== 200) failures.push(`${res.status} ${body}`)
          else if (seen.at(-1) !== body) seen.push(body)
        } catch (error) {
          failures.push(String(error))
        }
      }
    }
    const clients = [client(), client(), client()]
    await waitFor(() => seen.includes('v0'), 10_000)
    const reloadMs: number[] = []
    for (let v = 1; v <= SAVES; v++) {
      const saved = Date.now()
      writeFileSync(path.join(dir, 'server.mjs'), app(`v${v}`))
      await waitFor(() => seen.at(-1) === `v${v}` || undefined, 10_000, 5)
      reloadMs.push(Date.now() - saved)
    }
    stop = true
    await Promise.all(clients)
    expect(failures).toEqual([])
    expect(seen).toEqual(Array.from({ length: SAVES + 1 }, (_, v) => `v${v}`)) // never back to an old version once a new one served
    expect(sent).toBeGreaterThan(50)
    expect(Math.max(...reloadMs)).toBeLessThan(5000)
    process.stderr.write(`dev loop: ${sent} requests, save → new version served in ${reloadMs.join(', ')} ms\n`)
  })

  it('a broken save keeps the last good revision serving; the fix brings the new one', async () => {
    const { dir, url, events } = await session()
    expect(await (await fetch(url)).text()).toBe('v0')
    writeFileSync(path.join(dir, 'server.mjs'), 'this is not javascript (\n')
    await waitFor(() => events.some((e) => e.type === 'revision' && e.state === 'failed'), 10_000)
    const failed = events.find((e) => e.type === 'revision' && e.state === 'failed') as Extract<DevLoopEvent | EmulatorEvent, { type: 'revision'; state: 'failed' }>
    expect(failed.revision).toBe('web-00002')
    expect(failed.lastLines.join('\n')).toMatch(/SyntaxError/)
    expect(await (await fetch(url)).text()).toBe('v0')
    writeFileSync(path.join(dir, 'server.mjs'), app('fixed'))
    await waitFor(async () => (await (await fetch(url)).text()) === 'fixed' || undefined, 10_000)
  })

  it('an invalid sls-run.yaml keeps serving and reports the diagnostics; a valid edit rolls out the changed service', async () => {
    const { yaml, url, events } = await session()
    expect((await fetch(url)).status).toBe(200)
    writeFileSync(yaml, `name: t\nservices:\n  web:\n    scaling: { concurrency: lots }\n    dev: { command: [${JSON.stringify(process.execPath)}, server.mjs] }\n`)
    await waitFor(() => events.some((e) => e.type === 'config' && e.state === 'invalid'), 10_000)
    const invalid = events.find((e) => e.type === 'config' && e.state === 'invalid') as Extract<DevLoopEvent, { type: 'config'; state: 'invalid' }>
    expect(invalid.diagnostics.map((d) => d.path)).toContain('services.web.scaling.concurrency')
    expect((await fetch(url)).status).toBe(200)
    writeFileSync(yaml, `name: t\nservices:\n  web:\n    env: { GREETING: hi }\n    dev: { command: [${JSON.stringify(process.execPath)}, server.mjs] }\n`)
    await waitFor(() => events.some((e) => e.type === 'revision' && e.state === 'serving' && e.revision === 'web-00002'), 10_000)
    expect(events).toContainEqual(expect.objectContaining({ type: 'config', state: 'reloaded', changed: ['web'] }))
  })

  it('a save of the same bytes (touch, an editor rewriting the buffer) rolls out nothing; an edit exactly one revision', async () => {
    const { dir, url, events } = await session('', { watch: '' })
    const file = path.join(dir, 'server.mjs')
    expect(await (await fetch(url)).text()).toBe('v0')
    const later = new Date(Date.now() + 5000)
    utimesSync(file, later, later)
    writeFileSync(file, readFileSync(file))
    await waitFor(() => events.some((e) => e.type === 'change' && e.outcome === 'unchanged'), 10_000)
    expect(events.filter((e) => e.type === 'reload' || (e.type === 'change' && e.outcome === 'reload'))).toEqual([])
    writeFileSync(file, app('v1'))
    await waitFor(() => events.some((e) => e.type === 'reload'), 10_000)
    expect(await (await fetch(url)).text()).toBe('v1')
    const reloads = events.filter((e) => e.type === 'reload') as Array<Extract<DevLoopEvent, { type: 'reload' }>>
    expect(reloads).toHaveLength(1)
    expect(reloads[0]).toMatchObject({ service: 'web', revision: 'web-00002', reason: 'files changed', files: ['server.mjs'], fileCount: 1 })
    expect(reloads[0]!.savedToServingMs).toBeGreaterThan(0)
    expect(events.filter((e) => e.type === 'revision' && e.state === 'starting')).toHaveLength(1)
  })

  it('the loop breaker: an app that keeps rewriting a file it ships trips it once, with DEV_RELOAD_LOOP and the dev.ignore line', async () => {
    // Every instance rewrites gen.txt (not ignored by any rule) every 100 ms: each save is a reload.
    const source = app('loop')
      .replace("process.on('SIGTERM'", "let n = 0\nsetInterval(() => fs.writeFileSync('gen.txt', `${process.pid}-${n++}`), 100)\nprocess.on('SIGTERM'")
      .replace("import http from 'node:http'", "import fs from 'node:fs'\nimport http from 'node:http'")
    const { dir, url, events } = await session('', { source, watch: '' })
    expect((await fetch(url)).status).toBe(200) // the first instance starts; from then on no request comes
    await waitFor(() => events.some((e) => e.type === 'reload-paused'), 20_000)
    // Held: the file keeps changing, and nothing rolls out.
    const pausedAt = events.findIndex((e) => e.type === 'reload-paused')
    await waitFor(() => events.slice(pausedAt).filter((e) => e.type === 'change' && e.outcome === 'paused').length >= 3, 10_000)
    const paused = events.filter((e) => e.type === 'reload-paused') as Array<Extract<DevLoopEvent, { type: 'reload-paused' }>>
    expect(paused).toHaveLength(1)
    expect(paused[0]).toMatchObject({ code: 'DEV_RELOAD_LOOP', service: 'web', files: ['gen.txt'] })
    expect(paused[0]!.hint).toContain('services.web.dev.ignore: ["gen.txt"]')
    expect(events.filter((e) => e.type === 'change' && e.outcome === 'reload')).toHaveLength(5)
    expect(events.slice(pausedAt).filter((e) => e.type === 'revision' && e.state === 'starting')).toEqual([])
    // Another file saved: reloads resume.
    writeFileSync(path.join(dir, 'server.mjs'), source.replace('"loop"', '"next"'))
    await waitFor(() => events.some((e) => e.type === 'reload-resumed'), 10_000)
    expect(events.find((e) => e.type === 'reload-resumed')).toMatchObject({ service: 'web', files: expect.arrayContaining(['server.mjs']) })
  })
})
