// Helpers shared by bench/emulator.mjs, bench/docker.mjs and bench/devloop.mjs: the command line,
// process bookkeeping, TCP and HTTP probes, autocannon, statistics, tables, targets and the JSON file.
// Plain Node; it starts nothing by itself.

import { spawn } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const NODE = process.execPath
export const AUTOCANNON = path.join(ROOT, 'node_modules', 'autocannon', 'autocannon.js')
/** Answers "ok\n"; BOOT_MS before listening, SERVICE_MS + CPU_MS per request, ANNOUNCE=1 prints "listening" (see the file). */
export const APP = path.join(ROOT, 'bench', 'fixtures', 'app.mjs')

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// ---- the command line of emulator.mjs and docker.mjs
/**
 * `--only a,b`, `--quick`, `--keep-extra-ca-certs`, `--out FILE` (also as `--flag=value`), plus the
 * script's own valued options: `{ flag, meta, key, value (the default), parse, valid, bad (the message) }`.
 * Exits 2 with the usage on a bad or unknown argument (and on -h/--help).
 */
export function parseBenchArgs(argv, { script, benches, out, options = [] }) {
  const opts = { only: benches, quick: false, keepCa: false, ...Object.fromEntries(options.map((o) => [o.key, o.value])), out }
  const usage = `Usage: node ${script} [--only ${benches.join('|')}[,…]] [--quick]${options.map((o) => ` [${o.flag} ${o.meta}]`).join('')} [--keep-extra-ca-certs] [--out FILE]`
  const bad = (msg) => (process.stderr.write(`${msg}\n${usage}\n`), process.exit(2))
  for (let i = 0; i < argv.length; i++) {
    const [arg, inline] = argv[i].split(/=(.*)/s)
    const next = () => inline ?? argv[++i]
    const option = options.find((o) => o.flag === arg)
    if (arg === '--quick') opts.quick = true
    else if (arg === '--keep-extra-ca-certs') opts.keepCa = true
    else if (arg === '--only') {
      opts.only = String(next() ?? '').split(',').filter(Boolean)
      if (!opts.only.length || opts.only.some((b) => !benches.includes(b))) bad(`--only takes ${benches.join(', ')}`)
    } else if (option) {
      opts[option.key] = option.parse(next())
      if (!option.valid(opts[option.key])) bad(option.bad)
    } else if (arg === '--out') opts.out = path.resolve(next() ?? '')
    else bad(arg === '-h' || arg === '--help' ? '' : `unknown argument: ${argv[i]}`)
  }
  return opts
}

// ---- process bookkeeping: everything started is tracked and stopped
/** Signal, wait up to graceMs, then SIGKILL and wait for the exit. The child must have been tracked (it needs `exitedP`). */
export async function stopChild(child, signal = 'SIGTERM', graceMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return { ...(await child.exitedP), killed: false }
  child.kill(signal)
  const result = await Promise.race([child.exitedP, sleep(graceMs).then(() => null)])
  return result ? { ...result, killed: false } : (child.kill('SIGKILL'), { ...(await child.exitedP), killed: true })
}

/**
 * One script's child processes. `track(child)` adds it (until it exits) and gives it `exitedP`, the
 * promise of its `{ code, signal }`; `stopAll()` stops them all (SIGKILL, 2 s), `killAll()` is the
 * synchronous last resort for an 'exit' hook; `nodeJson(args, timeoutMs)` runs a Node script to its end
 * (SIGKILL after timeoutMs) and parses the JSON it prints.
 */
export function createTracker() {
  const children = new Set()
  function track(child) {
    children.add(child)
    child.exitedP = new Promise((resolve) => child.once('exit', (code, signal) => (children.delete(child), resolve({ code, signal }))))
    child.once('error', () => children.delete(child))
    return child
  }
  async function nodeJson(args, timeoutMs) {
    const child = track(spawn(NODE, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }))
    let [out, err] = ['', '']
    child.stdout.on('data', (c) => (out += c))
    child.stderr.on('data', (c) => (err = (err + c).slice(-2000)))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    const { code, signal } = await child.exitedP.finally(() => clearTimeout(timer))
    if (code !== 0) throw new Error(`${path.basename(args[0])} exited with ${code ?? signal}: ${err.trim().slice(-500)}`)
    return JSON.parse(out)
  }
  return {
    children,
    track,
    stopChild,
    nodeJson,
    stopAll: () => Promise.allSettled([...children].map((c) => stopChild(c, 'SIGKILL', 2000))),
    killAll: () => children.forEach((c) => c.kill('SIGKILL')),
  }
}

/** CPU time (user + system) of a process in ms, from /proc (CLK_TCK 100); a container's PID 1 is visible there too. NaN when not readable. */
export function cpuMs(pid) {
  if (pid === process.pid) return ((u) => (u.user + u.system) / 1000)(process.cpuUsage())
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ').slice(11, 13).reduce((a, b) => a + Number(b), 0) * 10
  } catch {
    return NaN
  }
}

/**
 * autocannon in its own process (through `nodeJson`), so the load generator does not share the
 * emulator's event loop. `meter(cpuPids)` starts the script's own measure of the machine when a run
 * starts; the function it returns, called when the run is over, gives the fields it adds to the result.
 * A run is `seconds` long, or `amount` requests.
 */
export function createCannon({ nodeJson, meter = () => () => ({}) }) {
  return async function cannon(url, { connections = 20, seconds, amount, cpuPids = [] }) {
    const [cpu0, t0, measured] = [cpuPids.map(cpuMs), performance.now(), meter(cpuPids)]
    const r = await nodeJson([AUTOCANNON, '--json', '--no-progress', '-c', String(connections), ...(amount ? ['-a', String(amount)] : ['-d', String(seconds)]), url], amount ? 180_000 : (seconds + 30) * 1000)
    const cpuPct = cpuPids.map((pid, i) => r2(((cpuMs(pid) - cpu0[i]) / (performance.now() - t0)) * 100))
    const machine = measured()
    if (r.errors + r.timeouts + r.non2xx) throw new Error(`autocannon against ${url}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx`)
    return { rps: r.requests.average, total: r.requests.total, p50: r.latency.p50, p99: r.latency.p99, meanMs: r.latency.average, seconds: r.duration, cpuPct, ...machine }
  }
}

// ---- TCP and HTTP
/** One connect attempt: 'open', 'timeout' (no answer in 200 ms: the SYN was not answered) or the error code ('ECONNREFUSED'…). */
export const tcpProbe = (host, port) =>
  new Promise((resolve) => {
    const socket = net.connect({ host, port })
    const done = (outcome) => (socket.destroy(), resolve(outcome))
    socket.setTimeout(200, () => done('timeout'))
    socket.once('connect', () => done('open')).once('error', (e) => done(e.code ?? 'error'))
  })
/** One connect attempt: is the port open? */
export const tcpOpen = (host, port) => tcpProbe(host, port).then((outcome) => outcome === 'open')

/** One GET on a fresh connection; resolves once the whole body has arrived. */
export function get(url, timeoutMs = 30_000) {
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (c) => (body += c))
      res.once('end', () => resolve({ status: res.statusCode, headers: res.headers, body, ms: performance.now() - t0 }))
    })
    req.once('timeout', () => req.destroy(new Error(`GET ${url}: no answer in ${timeoutMs} ms`))).once('error', reject)
  })
}

/** Polls `check` every 20 ms until it is true; a rejection counts as false unless the error is marked `fatal`. */
export async function until(what, check, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await check().catch((e) => (e.fatal ? Promise.reject(e) : false)))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(20)
  }
}

// ---- statistics and tables
export const r2 = (x) => (x == null || Number.isNaN(x) ? null : Math.round(x * 100) / 100)
export const r3 = (x) => (x == null || Number.isNaN(x) ? null : Math.round(x * 1000) / 1000)
/** Linear interpolation between the closest ranks; NaN for no samples. */
export function quantile(samples, q) {
  const s = [...samples].sort((a, b) => a - b)
  const [pos, lo] = [(s.length - 1) * q, Math.floor((s.length - 1) * q)]
  return s.length ? s[lo] + (s[Math.ceil(pos)] - s[lo]) * (pos - lo) : NaN
}
export const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length
/** n, median, p90, (with `{ mean: true }`) mean, min, max; rounded to 0.01. */
export const summary = (xs, { mean: withMean = false } = {}) => ({ n: xs.length, median: r2(quantile(xs, 0.5)), p90: r2(quantile(xs, 0.9)), ...(withMean ? { mean: r2(mean(xs)) } : {}), min: r2(Math.min(...xs)), max: r2(Math.max(...xs)) })
export const f = (x, digits = 1) => (x == null || Number.isNaN(x) ? '—' : x.toFixed(digits))

/** An aligned markdown table, as bench/startup.mjs prints it: first column left, the others right. */
export function table(header, rows) {
  const all = [header, ...rows.map((r) => r.map(String))]
  const widths = header.map((_, i) => Math.max(...all.map((r) => [...r[i]].length)))
  const lines = all.map((r) => `| ${r.map((s, i) => (i ? s.padStart(widths[i]) : s.padEnd(widths[i]))).join(' | ')} |`)
  lines.splice(1, 0, `|${widths.map((w, i) => (i ? '-'.repeat(w + 1) + ':' : ':' + '-'.repeat(w + 1))).join('|')}|`)
  return lines.join('\n') + '\n'
}

// ---- the gateway bench of emulator.mjs and docker.mjs: one app reached three ways (the sides)
/** The two apps: zero-work (the proxy's cost is all there is: reported) and one whose service time dominates, as a real app's does (the throughput target is judged there). */
export const SCENARIOS = {
  'zero-work': { env: {}, judged: false, what: 'the zero-work app (answers at once)' },
  'service-time': { env: { SERVICE_MS: '10', CPU_MS: '0.2' }, judged: true, what: 'the service-time app (10 ms wait + 0.2 ms CPU per request)' },
}
export const SIDES = ['direct', 'minimal proxy', 'gateway']
/** Run lengths: autocannon `seconds` per run with `connections`; the latency client's `latencyN` requests per side after `latencyWarmup`. */
export const gatewayRuns = (quick) => ({ seconds: quick ? 3 : 10, connections: 20, latencyN: quick ? 500 : 3000, latencyWarmup: quick ? 100 : 300 })

/** For each app of SCENARIOS: `doors(env)` opens the three doors (`{ sides, stop, … }`), `body(name, scenario, doors)` measures, and the doors are closed, also on failure. */
export async function eachScenario(doors, body) {
  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    const opened = await doors(scenario.env)
    try {
      await body(name, scenario, opened)
    } finally {
      await opened.stop()
    }
  }
}

/**
 * autocannon on every side (`sides[side]`: { url, cpuPids }): a warm-up each, then 2 rounds (the second
 * in reverse order); the best run of each side by req/s. `before()` runs before each timed run. With
 * `disturbed`, a run for which it gives a reason is run again, at most twice, and the disturbed runs
 * are kept in `discarded`.
 */
export async function saturate(cannon, name, sides, { seconds, connections, quick, before = async () => undefined, disturbed }) {
  for (const side of SIDES) await cannon(sides[side].url, { connections, seconds: quick ? 1 : 2 })
  const [runs, discarded] = [Object.fromEntries(SIDES.map((side) => [side, []])), []]
  for (const side of [...SIDES, ...[...SIDES].reverse()]) {
    process.stderr.write(`  gateway, ${name}: ${side} run ${runs[side].length + 1}/2 (${seconds} s)\n`)
    await before()
    let run = await cannon(sides[side].url, { connections, seconds, cpuPids: sides[side].cpuPids })
    for (let retry = 1, why; disturbed && (why = disturbed(run)) && retry <= 2; retry++) {
      process.stderr.write(`  gateway, ${name}: ${side}: ${why}; running it again (${retry}/2)\n`)
      discarded.push({ side, ...run })
      run = await cannon(sides[side].url, { connections, seconds, cpuPids: sides[side].cpuPids })
    }
    runs[side].push(run)
  }
  const best = Object.fromEntries(SIDES.map((side) => [side, runs[side].reduce((a, b) => (b.rps > a.rps ? b : a))]))
  return { runs, ...(disturbed ? { discarded } : {}), best, ratio: r2(best.gateway.rps / best.direct.rps), minimalProxyRatio: r2(best['minimal proxy'].rps / best.direct.rps), gatewayVsMinimalProxy: r2(best.gateway.rps / best['minimal proxy'].rps) }
}

/**
 * bench/fixtures/latency-client.mjs (through `nodeJson`) on every side: `sides`, each side's stats in ms
 * rounded to 0.001; `added`, what the gateway and the minimal proxy add at p50 and p99; `table`, both;
 * `method`, how they were measured (a sentence for the text above the table).
 */
export async function sequentialLatency(nodeJson, sides, requests, warmup) {
  const lat = await nodeJson([path.join(ROOT, 'bench', 'fixtures', 'latency-client.mjs'), String(requests), String(warmup), ...SIDES.map((side) => sides[side].url)], 300_000)
  const by = Object.fromEntries(SIDES.map((side) => [side, Object.fromEntries(Object.entries(lat[sides[side].url]).map(([k, v]) => [k, k === 'n' ? v : Math.round(v * 1000) / 1000]))]))
  const added = (side, key) => by[side][key] - by.direct[key]
  const row = (side) => [side, String(by[side].n), ...['p50', 'p90', 'p99', 'mean', 'min', 'max'].map((k) => f(by[side][k], 3)), side === 'direct' ? '' : f(added(side, 'p50'), 3), side === 'direct' ? '' : f(added(side, 'p99'), 3)]
  return {
    sides: by,
    added: { addedP50Ms: r3(added('gateway', 'p50')), addedP99Ms: r3(added('gateway', 'p99')), minimalProxyAddedP50Ms: r3(added('minimal proxy', 'p50')), minimalProxyAddedP99Ms: r3(added('minimal proxy', 'p99')) },
    table: table(['side', 'n', 'p50 ms', 'p90', 'p99', 'mean', 'min', 'max', 'added p50', 'added p99'], SIDES.map(row)),
    method: `bench/fixtures/latency-client.mjs in its own process: one keep-alive connection per side, one request in flight (no saturation), ${requests} timed requests per side after ${warmup} warm-up ones, the sides interleaved request by request; performance.now() from the call to the end of the body, fractional ms.`,
  }
}

/** The latency targets on a result of sequentialLatency (`{ sides, ...added }`): added p50 ≤ 0.5 ms and p99 ≤ 3 ms; `how` ends the targets' text. */
export function judgeLatency(target, latency, how) {
  const by = latency.sides
  for (const [q, max] of [['p50', 0.5], ['p99', 3]]) {
    const [value, proxy] = [latency[`added${q.toUpperCase()}Ms`], latency[`minimalProxyAdded${q.toUpperCase()}Ms`]]
    target('gateway', `added ${q} ≤ ${max} ms (${how})`, value, value <= max, `${f(by.gateway[q], 3)} − ${f(by.direct[q], 3)} ms = ${f(value, 3)} ms (minimal proxy adds ${f(proxy, 3)} ms)`)
  }
}

// ---- targets, the machine, the JSON file
/**
 * The verdicts of one run. `target` is judged (PASS/FAIL, N/A without a value), `info` is a number the
 * issue names but that is not judged here (the reason is in `text`), `failed` is a bench that did not
 * run; `text()` is the "Targets:" section.
 */
export function createTargets() {
  const targets = []
  return {
    targets,
    target: (bench, text, value, pass, detail) => targets.push({ bench, text, value: r3(value), verdict: value == null || Number.isNaN(value) ? 'N/A' : pass ? 'PASS' : 'FAIL', detail }),
    info: (bench, text, value, detail) => targets.push({ bench, text, value: r3(value), verdict: 'INFO', detail }),
    failed: (bench, error) => targets.push({ bench, text: `${bench} bench ran`, value: null, verdict: 'FAIL', detail: `FAILED: ${error?.message ?? error}` }),
    text: () => '\nTargets:\n' + targets.map((t) => `  ${t.verdict.padEnd(4)}  [${t.bench}] ${t.text}: ${t.detail}\n`).join(''),
  }
}

/**
 * Runs the named benches one after the other: `run(name)` runs one (and prints it) and returns its
 * result for `results[name]`. A bench that throws gets `{ error }` there, a FAIL target and a FAILED
 * line, and the others still run.
 */
export async function runBenches(names, { results, verdicts }, run) {
  for (const name of names) {
    process.stderr.write(`${name}…\n`)
    try {
      results[name] = await run(name)
    } catch (error) {
      results[name] = { error: String(error?.stack ?? error) }
      verdicts.failed(name, error)
      process.stdout.write(`\n${name}: FAILED — ${error?.message ?? error}\n`)
    }
  }
}

export function machineInfo() {
  const cpus = os.cpus()
  return { cpuModel: cpus[0]?.model ?? 'unknown', cpuCount: cpus.length, totalMemBytes: os.totalmem(), platform: process.platform, arch: process.arch, osRelease: os.release() }
}
/** "node v…, <CPU> × <count>, <memory> GiB", the start of a bench's second header line. */
export const machineLine = (machine) => `node ${process.version}, ${machine.cpuModel} × ${machine.cpuCount}, ${(machine.totalMemBytes / 2 ** 30).toFixed(1)} GiB`

/** The benches' results without their printed tables, for the JSON. */
export const withoutTables = (results) => Object.fromEntries(Object.entries(results).map(([name, { table: _, ...raw }]) => [name, raw]))

/** Writes `result` as JSON (2-space indent, final newline), making the folder; returns the path to print (relative to the cwd). */
export function writeResults(file, result) {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n')
  return path.relative(process.cwd(), file) || file
}
