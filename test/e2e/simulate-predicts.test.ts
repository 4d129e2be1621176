/**
 * The simulator predicts the emulator: a live `dev` run (process runtime, the cloud-run model with
 * short windows) under a bounded load, recorded as a trace, then simulated from that trace with the
 * same settings: the cold-start count and the instance-seconds agree within 10 %.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, expect, it } from 'vitest'
import { configSchema } from '../../src/core/config/schema.js'
import { Emulator } from '../../src/core/emulator/emulator.js'
import { simulate } from '../../src/core/simulate/simulate.js'
import { openTrace } from '../../src/core/simulate/trace/read.js'
import { TraceRecorder } from '../../src/core/trace/recorder.js'
import { ProcessRuntime } from '../../src/runtime/process/process-runtime.js'
import { useTempDir } from '../helpers/temp.js'
import { waitFor } from '../helpers/wait.js'

const APP = fileURLToPath(new URL('../fixtures/apps/platform-probe.mjs', import.meta.url))
const tempDir = useTempDir()
const running: Emulator[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()))
})

const SETTINGS = [
  'scaling.model=cloud-run',
  'scaling.concurrency=2',
  'scaling.maxInstances=4',
  'scaling.cloudRun.window=2s',
  'scaling.cloudRun.evaluateEvery=200ms',
  'scaling.cloudRun.idleRetention=1500ms',
]

it('cold starts and instance-seconds of a recorded live run, simulated, agree within 10 %', async () => {
  const scaling = { model: 'cloud-run', concurrency: 2, maxInstances: 4, cloudRun: { window: '2s', evaluateEvery: '200ms', idleRetention: '1500ms' } }
  const config = configSchema.parse({ name: 't', services: { probe: { scaling, dev: { command: [process.execPath, APP], cwd: '/' } } } })
  const file = path.join(tempDir(), 'trace.ndjson')
  const t0 = Date.now()
  const recorder = new TraceRecorder(file, t0)
  const lifetimes = new Map<string, { from: number; to?: number }>()
  const emulator = new Emulator({
    config,
    port: 0,
    adminPort: 0,
    runtime: new ProcessRuntime(),
    graceMs: 2000,
    onEvent: (e) => {
      if (e.type === 'request') recorder.request(e)
      if (e.type === 'instance' && e.state === 'starting') lifetimes.set(e.id, { from: Date.now() })
      if (e.type === 'instance' && (e.state === 'stopped' || e.state === 'failed')) lifetimes.get(e.id)!.to = Date.now()
    },
  })
  running.push(emulator)
  const { gateways } = await emulator.start()
  const get = (ms: number) => fetch(`${gateways.probe}/?ms=${ms}`, { signal: AbortSignal.timeout(30_000) }).then((r) => r.arrayBuffer().then(() => r.status))
  const statuses: number[] = []
  // Two bursts from zero, each followed by steady traffic, with a quiet spell between them long
  // enough for the instances to go (window 2 s, idle retention 1.5 s).
  for (let round = 0; round < 2; round++) {
    statuses.push(...(await Promise.all(Array.from({ length: 6 }, () => get(300)))))
    for (let i = 0; i < 10; i++) statuses.push(await get(100))
    await waitFor(() => (lifetimes.size > 0 && [...lifetimes.values()].every((l) => l.to !== undefined) ? true : undefined), 20_000, 50)
  }
  const endMs = Date.now() - t0
  await recorder.close()
  expect(statuses.every((s) => s === 200)).toBe(true)
  const lines = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
  expect(lines).toHaveLength(32)
  const liveColdStarts = lines.filter((l) => l.coldStart).length
  const liveInstanceSeconds = [...lifetimes.values()].reduce((s, l) => s + (l.to! - l.from), 0) / 1000
  const source = await openTrace(file, { format: 'record' })
  const sim = (await simulate({ source, configFile: false, set: SETTINGS, durationMs: endMs })).results[0]!
  const simInstanceSeconds = sim.instanceSeconds.active + sim.instanceSeconds.idle
  expect(sim.requests).toBe(32)
  expect(liveColdStarts).toBeGreaterThanOrEqual(2)
  expect(Math.abs(sim.coldStarts - liveColdStarts) / liveColdStarts).toBeLessThanOrEqual(0.1)
  expect(Math.abs(simInstanceSeconds - liveInstanceSeconds) / liveInstanceSeconds).toBeLessThanOrEqual(0.1)
})
