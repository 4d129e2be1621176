// Simulator speed (`sls-run simulate`): a 1-day 100 rps Poisson trace (8.64 M requests, 120 ms each)
// through each autoscaling model, each in a fresh process (bench/simulate-child.ts): simulated requests
// per second of wall time and peak RSS. Target: the whole day in ≤ 20 s for instant and cloud-run.
// Runs the sources (no build).
//   node --import ./bench/register.mjs bench/simulate.ts [--only instant|cloud-run|knative|container-apps[,…]] [--quick] [--out FILE]
// --quick: a 1-hour trace instead of a day. Prints a table and writes bench/results/simulate.json.

import { spawn } from 'node:child_process'
import path from 'node:path'
import { SCALING_MODELS, type ScalingModel } from '../src/core/autoscaler/types.js'
import { NODE, TS_NODE, parseBenchArgs } from './lib.js'
import { ROOT, machineInfo, machineLine, resultsFile, table, writeResults } from './report.js'
import type { SimulateRun } from './simulate-child.js'

const TARGET_S = 20
const CHILD = path.join(ROOT, 'bench', 'simulate-child.ts')
const args = parseBenchArgs(process.argv.slice(2), { script: 'bench/simulate.ts', benches: SCALING_MODELS, out: resultsFile('simulate'), keepCa: false })
const spec = `poisson:rate=100/s,duration=${args.quick ? '1h' : '24h'},service=120ms,seed=1`

/** One model in a fresh process. */
function runChild(model: ScalingModel, trace = spec): Promise<SimulateRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [...TS_NODE, CHILD, trace, model], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (c) => (out += c))
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      if (code === 0) resolve(JSON.parse(out) as SimulateRun)
      else reject(new Error(`${model}: exit ${code}`))
    })
  })
}

const machine = machineInfo()
console.log(`simulate: ${spec}; ${machineLine(machine)}\n`)
// A one-minute warm-up run fills the loader's cache (bench/ts-loader.mjs): the timed children load no
// typescript, so their peak RSS is the simulator's.
await runChild('instant', 'poisson:rate=1/s,duration=1m,seed=1')
const results: Partial<Record<ScalingModel, SimulateRun>> = {}
for (const model of args.only) results[model] = await runChild(model)
const judged = (model: string) => ['instant', 'cloud-run'].includes(model) && !args.quick
const rows = Object.entries(results).map(([model, r]) => [
  model,
  String(r.requests),
  (r.wallMs / 1000).toFixed(2),
  Math.round(r.requests / (r.wallMs / 1000)).toLocaleString('en'),
  (r.maxRssKiB / 1024).toFixed(0),
  judged(model) ? (r.wallMs / 1000 <= TARGET_S ? 'yes' : 'NO') : '—',
])
console.log(table(['model', 'requests', 'wall s', 'requests/s', 'peak RSS MiB', `≤ ${TARGET_S} s`], rows))
console.log(`wrote ${writeResults(args.out, { machine, spec, targetS: TARGET_S, results })}`)
