#!/usr/bin/env node
// Simulator speed (`sls-run simulate`): a 1-day 100 rps Poisson trace (8.64 M requests, 120 ms each)
// through each autoscaling model, each in a fresh process: simulated requests per second of wall time
// and peak RSS. Target: the whole day in ≤ 20 s for instant and cloud-run. Needs `npm run build`.
//   node bench/simulate.mjs [--only instant|cloud-run|knative|container-apps[,…]] [--quick] [--out FILE]
// --quick: a 1-hour trace instead of a day. Prints a table and writes bench/results/simulate.json.

import { spawn } from 'node:child_process'
import path from 'node:path'
import { NODE, ROOT, machineInfo, machineLine, parseBenchArgs, table, writeResults } from './lib.mjs'

const MODELS = ['instant', 'cloud-run', 'knative', 'container-apps']
const TARGET_S = 20
const args = parseBenchArgs(process.argv.slice(2), { script: 'bench/simulate.mjs', benches: MODELS, out: path.join(ROOT, 'bench', 'results', 'simulate.json') })
const spec = `poisson:rate=100/s,duration=${args.quick ? '1h' : '24h'},service=120ms,seed=1`

// The child: one model, timed inside the process (start-up excluded), peak RSS from the kernel.
const CHILD = `
const { simulate } = await import(${JSON.stringify(path.join(ROOT, 'dist/core/simulate/simulate.js'))})
const { generateTrace } = await import(${JSON.stringify(path.join(ROOT, 'dist/core/simulate/trace/generate.js'))})
const source = generateTrace(process.argv[1])
const t0 = performance.now()
const report = await simulate({ source, configFile: false, model: process.argv[2], coldStart: '1s', durationMs: source.durationMs })
const wallMs = performance.now() - t0
const r = report.results[0]
process.stdout.write(JSON.stringify({ requests: r.requests, wallMs, maxRssKiB: process.resourceUsage().maxRSS, coldStarts: r.coldStarts, peak: r.instances.peak, p99: r.latencyMs.p99 }))
`

function runChild(model) {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, ['--input-type=module', '-e', CHILD, spec, model], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (c) => (out += c))
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${model}: exit ${code}`))
    })
  })
}

const machine = machineInfo()
console.log(`simulate: ${spec}; ${machineLine(machine)}\n`)
const results = {}
for (const model of args.only) results[model] = await runChild(model)
const rows = Object.entries(results).map(([model, r]) => [model, String(r.requests), (r.wallMs / 1000).toFixed(2), Math.round(r.requests / (r.wallMs / 1000)).toLocaleString('en'), (r.maxRssKiB / 1024).toFixed(0), ['instant', 'cloud-run'].includes(model) && !args.quick ? (r.wallMs / 1000 <= TARGET_S ? 'yes' : 'NO') : '—'])
console.log(table(['model', 'requests', 'wall s', 'requests/s', 'peak RSS MiB', `≤ ${TARGET_S} s`], rows))
console.log(`wrote ${writeResults(args.out, { machine, spec, targetS: TARGET_S, results })}`)
