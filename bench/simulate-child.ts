// One run of bench/simulate.ts, in a fresh process: `simulate-child.ts SPEC MODEL` simulates the generated
// trace SPEC with MODEL through the simulator's entry point (what `sls-run simulate --generate` runs),
// timed inside the process (start-up excluded), with the process's peak RSS; prints the result as JSON.
import { performance } from 'node:perf_hooks'
import type { ScalingModel } from '../src/core/autoscaler/types.js'
import { forecast, traceSource } from '../src/core/simulate/forecast.js'

export interface SimulateRun {
  requests: number
  wallMs: number
  maxRssKiB: number
  coldStarts: number
  peak: number
  p99: number
}

const [spec, model] = process.argv.slice(2) as [string, ScalingModel]
const source = await traceSource({ generate: spec })
const t0 = performance.now()
const { report } = await forecast({ source, configFile: false, model, coldStart: '1s' })
const wallMs = performance.now() - t0
const r = report.results[0]!
const run: SimulateRun = { requests: r.requests, wallMs, maxRssKiB: process.resourceUsage().maxRSS, coldStarts: r.coldStarts, peak: r.instances.peak, p99: r.latencyMs.p99 }
process.stdout.write(JSON.stringify(run))
