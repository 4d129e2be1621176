// Autoscaling step load (`sls-run dev`, process runtime): one live run per model, windows compressed
// ten times (60 s → 6 s), the same step for each: 8 clients in a closed loop for 6 s on an app that
// takes 1 s per request, concurrency 2, max 8 instances; then nothing. Every 500 ms it samples the
// emulator: load (requests in flight), desired and actual instances, mode. Prints one table per model
// (rows where something changed) and writes bench/results/autoscaling.json. Runs the sources (no build).
//   node --import ./bench/register.mjs bench/autoscaling.ts [--only instant|cloud-run|knative|container-apps[,…]] [--out FILE]
// Only 127.0.0.1; the load loop is bounded in count and time; every emulator is stopped, also on failure.

import { SCALING_MODELS, type ScalingModel } from '../src/core/autoscaler/types.js'
import { configSchema } from '../src/core/config/index.js'
import { Emulator } from '../src/core/emulator/emulator.js'
import { ProcessRuntime, stopAllSync } from '../src/runtime/process/process-runtime.js'
import { APP, NODE, parseBenchArgs, sleep } from './lib.js'
import { ROOT, machineInfo, machineLine, resultsFile, table, writeResults } from './report.js'

const CLIENTS = 8
const STEP_MS = 6_000
const SERVICE_MS = 1_000
const SAMPLE_MS = 500
const SETTLE_LIMIT_MS = 60_000
/** The platforms' defaults divided by ten (docs/autoscaling.md has the undivided ones). */
const SCALING: Record<ScalingModel, Record<string, unknown>> = {
  instant: { idleTimeout: '6s' },
  'cloud-run': { cloudRun: { window: '6s', evaluateEvery: '500ms', idleRetention: '6s' } },
  knative: { knative: { stableWindow: '6s', tick: '200ms', scaleToZeroGracePeriod: '3s' } },
  'container-apps': { containerApps: { concurrentRequests: 2, pollingInterval: '3s', cooldownPeriod: '30s', scaleDownStabilization: '30s' } },
}

interface Sample {
  t: number
  load: number
  queued: number
  desired: number
  actual: number
  mode: string
}

const args = parseBenchArgs(process.argv.slice(2), { script: 'bench/autoscaling.ts', benches: SCALING_MODELS, out: resultsFile('autoscaling'), quick: false, keepCa: false })
const running = new Set<Emulator>()
process.once('exit', () => stopAllSync())
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void Promise.allSettled([...running].map((e) => e.stop())).finally(() => process.exit(130)))

async function stepLoad(model: ScalingModel) {
  const config = configSchema.parse({
    name: 'bench',
    services: { app: { scaling: { model, concurrency: 2, maxInstances: 8, ...SCALING[model] }, env: { SERVICE_MS: String(SERVICE_MS) }, dev: { command: [NODE, APP], cwd: ROOT } } },
  })
  const emulator = new Emulator({ config, port: 0, adminPort: 0, runtime: new ProcessRuntime(), onEvent: () => {} })
  running.add(emulator)
  try {
    const { gateways } = await emulator.start()
    const t0 = Date.now()
    let inFlight = 0
    let failed = 0
    const client = async () => {
      for (let n = 0; Date.now() - t0 < STEP_MS && n < 100; n++) {
        inFlight++
        const res = await fetch(`${gateways.app}/`, { signal: AbortSignal.timeout(30_000) }).catch(() => undefined)
        if (!res || res.status !== 200) failed++
        await res?.arrayBuffer()
        inFlight--
      }
    }
    const load = Promise.all(Array.from({ length: CLIENTS }, client))
    const samples: Sample[] = []
    let loadDone = false
    void load.then(() => (loadDone = true))
    for (;;) {
      const s = emulator.status().services[0]!
      const actual = s.instances.filter((i) => i.state === 'starting' || i.state === 'ready').length
      samples.push({ t: Math.round((Date.now() - t0) / 100) / 10, load: inFlight, queued: s.queued, desired: s.desiredInstances, actual, mode: s.mode })
      if (loadDone && actual === 0 && s.desiredInstances === 0) break
      if (Date.now() - t0 > STEP_MS + SETTLE_LIMIT_MS) throw new Error(`${model}: still ${actual} instances ${SETTLE_LIMIT_MS / 1000} s after the step`)
      await sleep(SAMPLE_MS)
    }
    await load
    const changed = samples.filter((s, i) => i === 0 || (['load', 'desired', 'actual', 'mode'] as const).some((k) => s[k] !== samples[i - 1]![k]))
    const peak = Math.max(...samples.map((s) => s.actual))
    const zeroAt = samples.find((s) => s.t > STEP_MS / 1000 && s.actual === 0)?.t
    return { model, failed, peakInstances: peak, zeroAtS: zeroAt, samples, changed }
  } finally {
    await emulator.stop()
    running.delete(emulator)
  }
}

const machine = machineInfo()
console.log(`autoscaling step load: ${CLIENTS} clients × ${STEP_MS / 1000} s, ${SERVICE_MS} ms per request, concurrency 2, max 8; windows ÷ 10. ${machineLine(machine)}\n`)
const results: Record<string, Omit<Awaited<ReturnType<typeof stepLoad>>, 'changed'>> = {}
for (const model of args.only) {
  const { changed, ...r } = await stepLoad(model)
  results[model] = r
  console.log(`### ${model}: peak ${r.peakInstances} instances, back to zero at ${r.zeroAtS ?? '—'} s, ${r.failed} failed requests\n`)
  console.log(
    table(
      ['t (s)', 'load', 'queued', 'desired', 'actual', 'mode'],
      changed.map((s) => [s.t.toFixed(1), s.load, s.queued, s.desired, s.actual, s.mode]),
    ),
  )
}
const file = writeResults(args.out, { machine, clients: CLIENTS, stepMs: STEP_MS, serviceMs: SERVICE_MS, scaling: SCALING, results })
console.log(`wrote ${file}`)
