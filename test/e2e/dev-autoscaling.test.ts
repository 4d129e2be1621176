/**
 * The autoscaling models live: real processes (the probe app), real sockets, the system clock, with
 * windows compressed in the config (KPA stable 6 s, panic 0.6 s). The step-load shapes match the
 * fake-clock tests (test/unit/pool-models.test.ts); here they run on the real path, end to end.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { configSchema } from '../../src/core/config/schema.js'
import { Emulator, type EmulatorEvent } from '../../src/core/emulator/emulator.js'
import type { ScaleEvent } from '../../src/core/emulator/pool-types.js'
import { traceLine } from '../../src/core/trace/format.js'
import { freePort } from '../../src/runtime/free-port.js'
import { ProcessRuntime } from '../../src/runtime/process/process-runtime.js'
import { ndjsonEvents, runCli, useCliProcesses } from '../helpers/cli.js'
import { useTempDir } from '../helpers/temp.js'
import { waitFor } from '../helpers/wait.js'

const APP = fileURLToPath(new URL('../fixtures/apps/platform-probe.mjs', import.meta.url))
const running: Emulator[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()))
})
const tempDir = useTempDir()
const spawnCli = useCliProcesses()

async function emulate(scaling: Record<string, unknown>) {
  const config = configSchema.parse({ name: 't', services: { probe: { scaling, dev: { command: [process.execPath, APP], cwd: '/' } } } })
  const events: Array<{ at: number; event: EmulatorEvent }> = []
  const emulator = new Emulator({ config, port: 0, adminPort: 0, runtime: new ProcessRuntime(), graceMs: 2000, onEvent: (event) => events.push({ at: Date.now(), event }) })
  running.push(emulator)
  const { gateways, admin } = await emulator.start()
  const scales = () => events.filter((e): e is { at: number; event: ScaleEvent } => e.event.type === 'scale')
  const live = () => emulator.status().services[0]!.instances.filter((i) => i.state === 'starting' || i.state === 'ready').length
  return { url: gateways.probe!, admin, emulator, events, scales, live }
}

describe('autoscaling models, live (process runtime)', () => {
  it('knative: a step load panics the desired count up, holds it, and decays to zero no earlier than stable window + grace', async () => {
    const { url, emulator, scales, live } = await emulate({
      model: 'knative',
      concurrency: 1,
      maxInstances: 6,
      knative: { stableWindow: '6s', panicWindowPercentage: 10, tick: '200ms', scaleToZeroGracePeriod: '1s' },
    })
    await waitFor(() => live() === 1 || undefined) // initialScale 1
    // Step: 4 concurrent requests of 1.5 s each on concurrency 1 (TV = 0.7 per instance).
    const responses = await Promise.all(Array.from({ length: 4 }, () => fetch(`${url}/?ms=1500`, { signal: AbortSignal.timeout(30_000) })))
    const stoppedAt = Date.now()
    const bodies = await Promise.all(responses.map((r) => r.json()))
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200])
    expect(Math.max(...bodies.map((b) => b.peak))).toBe(1) // the hard limit, as the app saw it
    const up = scales().find((s) => s.event.desired > 1)!
    expect(up.event).toMatchObject({ model: 'knative', mode: 'panic' })
    expect(up.event.observed.panicAverage).toBeGreaterThan(0)
    expect(emulator.status().services[0]).toMatchObject({ model: 'knative', mode: 'panic' })
    await waitFor(() => (live() === 0 ? true : undefined), 30_000, 100)
    const zero = scales().find((s) => s.event.desired === 0)!
    expect(zero.event.reason).toContain('scale to zero')
    expect(zero.at - stoppedAt).toBeGreaterThanOrEqual(6_000 + 1_000 - 250) // the last requests ended a few ms before the clients saw it
    const decreases = scales().filter((s) => s.event.desired < s.event.previous)
    expect(decreases.every((s) => s.event.mode === 'stable')).toBe(true)
  })

  it('cloud-run: requests at the hard limit scale out at once; status and metrics show the model, desired count and window average', async () => {
    const { url, admin, scales } = await emulate({ model: 'cloud-run', concurrency: 2, maxInstances: 4, cloudRun: { window: '2s', evaluateEvery: '200ms', idleRetention: '1s' } })
    const responses = await Promise.all(Array.from({ length: 6 }, () => fetch(`${url}/?ms=400`, { signal: AbortSignal.timeout(30_000) })))
    expect(responses.map((r) => r.status)).toEqual(Array(6).fill(200))
    expect(Math.max(...(await Promise.all(responses.map((r) => r.json()))).map((b) => b.peak))).toBeLessThanOrEqual(2)
    expect(scales()[0]!.event).toMatchObject({ model: 'cloud-run', reason: 'requests waiting at the hard limit: scale out at once' })
    const status = await (await fetch(`${admin}/api/status`)).json()
    expect(status.services[0]).toMatchObject({
      model: 'cloud-run',
      mode: '-',
      desiredInstances: expect.any(Number),
      reason: expect.any(String),
      observed: expect.objectContaining({ targetPerInstance: 1.2 }),
    })
    const metrics = await (await fetch(`${admin}/metrics`)).text()
    expect(metrics).toMatch(/^slsrun_desired_instances\{service="probe",revision="probe-00001",model="cloud-run"\} \d+$/m)
    expect(metrics).toMatch(/^slsrun_panic_mode\{service="probe",revision="probe-00001"\} 0$/m)
    expect(metrics).toMatch(/^slsrun_observed_concurrency\{service="probe",revision="probe-00001",window="window"\} [\d.]+$/m)
  })
})

describe('sls-run dev --record and --scaling-model (built CLI)', () => {
  it('records one trace line per request with nothing from headers, bodies or query values; the model and the production mismatch are announced', async () => {
    const dir = tempDir()
    writeFileSync(
      path.join(dir, 'sls-run.yaml'),
      [
        'name: t',
        'services:',
        '  probe:',
        `    dev: { command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(APP)}] }`,
        'environments:',
        '  prod: { provider: cloud-run, project: p, region: us-central1 }',
        '',
      ].join('\n'),
    )
    const [port, adminPort] = [await freePort(), await freePort()]
    const trace = path.join(dir, 'trace.ndjson')
    const child = spawnCli(['dev', '--json', '--no-watch', '--port', String(port), '--admin-port', String(adminPort), '--record', trace, '--scaling-model', 'knative'], { cwd: dir })
    let stdout = ''
    child.stdout!.on('data', (chunk) => (stdout += chunk))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    await waitFor(() => ndjsonEvents(stdout).find((e) => e.type === 'scaling-model'))
    const secret = 'hunter2-s3cr3t'
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/items/${i}?token=${secret}&page=2`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, cookie: `sid=${secret}` },
        body: `{"password":"${secret}"}`,
      })
      expect(res.status).toBe(200)
      await res.arrayBuffer()
    }
    const status = await (await fetch(`http://127.0.0.1:${adminPort}/api/status`)).json()
    expect(status.services[0]).toMatchObject({ model: 'knative', mode: expect.stringMatching(/^(stable|panic)$/), desiredInstances: expect.any(Number) })
    child.kill('SIGINT')
    expect(await exited).toBe(0)
    const events = ndjsonEvents(stdout)
    expect(events.find((e) => e.type === 'scaling-model')).toEqual({
      at: expect.any(String),
      type: 'scaling-model',
      service: 'probe',
      model: 'knative',
      differs: [{ environment: 'prod', provider: 'cloud-run', model: 'cloud-run' }],
    })
    expect(events.find((e) => e.type === 'scale')).toMatchObject({ model: 'knative', reason: 'initialScale', observed: expect.any(Object) })
    const text = readFileSync(trace, 'utf8')
    expect(text).not.toContain(secret)
    expect(text).not.toContain('Bearer')
    const lines = text
      .trim()
      .split('\n')
      .map((line) => traceLine.parse(JSON.parse(line)))
    expect(lines).toHaveLength(3)
    expect(lines.map((l) => l.path).sort()).toEqual(['/items/0?token=&page=', '/items/1?token=&page=', '/items/2?token=&page='])
    for (const line of lines) expect(line).toMatchObject({ v: 1, service: 'probe', method: 'POST', status: 200, instance: 'probe#1' })
    expect(lines.every((l) => l.t >= 0 && l.serviceMs >= 0 && l.queuedMs >= 0)).toBe(true)
  })

  it('--record into a folder that does not exist: RECORD_FILE_UNWRITABLE, nothing started', async () => {
    const dir = tempDir()
    writeFileSync(path.join(dir, 'sls-run.yaml'), `name: t\nservices:\n  probe:\n    dev: { command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(APP)}] }\n`)
    const result = await runCli(['dev', '--no-watch', '--port', '0', '--admin-port', '0', '--record', path.join(dir, 'missing', 'trace.ndjson')], { cwd: dir })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('RECORD_FILE_UNWRITABLE')
    expect(result.stderr).not.toMatch(/\n\s+at /) // no stack trace
  })
})
