/**
 * Helpers shared by the benchmarks: the command line, process bookkeeping, TCP and HTTP probes,
 * autocannon, statistics, the gateway comparison of emulator.ts and docker.ts, and the targets. Tables
 * and the JSON file are in report.ts. Node built-ins only; it starts nothing by itself.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { ROOT, f, r2, r3, table } from './report.js'

export const NODE = process.execPath
export const AUTOCANNON = path.join(ROOT, 'node_modules', 'autocannon', 'autocannon.js')
/** Answers "ok\n"; BOOT_MS before listening, SERVICE_MS + CPU_MS per request, ANNOUNCE=1 prints "listening" (see the file). */
export const APP = path.join(ROOT, 'bench', 'fixtures', 'app.mjs')
/** Node's arguments before a bench's own TypeScript file in a child process (bench/register.mjs). */
export const TS_NODE = ['--import', pathToFileURL(path.join(ROOT, 'bench', 'register.mjs')).href]

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

// ---- the command line
/** A valued option of one script: `--flag VALUE` (or `--flag=VALUE`), `value` when not given. */
export interface ValueOption<V> {
  flag: string
  meta: string
  value: V
  parse(text: string | undefined): V
  valid(value: V): boolean
  /** The message when `valid` refuses the value. */
  bad: string
}

export interface BenchArgs<B extends string> {
  only: B[]
  quick: boolean
  keepCa: boolean
  out: string
}

/**
 * `--only a,b` (when the script has `benches`), `--quick`, `--keep-extra-ca-certs` (unless the script
 * says `quick: false` / `keepCa: false`), `--out FILE`, plus the script's own valued `options`, keyed by
 * the name they get in the result. Exits 2 with the usage on a bad or unknown argument (and on -h/--help).
 */
export function parseBenchArgs<B extends string, O extends Record<string, unknown> = Record<never, never>>(
  argv: readonly string[],
  spec: { script: string; out: string; benches?: readonly B[]; quick?: boolean; keepCa?: boolean; options?: { [K in keyof O]: ValueOption<O[K]> } },
): BenchArgs<B> & O {
  const { script, out, benches = [], quick = true, keepCa = true } = spec
  const options = Object.entries(spec.options ?? {}) as Array<[string, ValueOption<unknown>]>
  const opts: Record<string, unknown> = { only: [...benches], quick: false, keepCa: false, out, ...Object.fromEntries(options.map(([key, o]) => [key, o.value])) }
  const usage =
    `Usage: node --import ./bench/register.mjs ${script}` +
    (benches.length ? ` [--only ${benches.join('|')}[,…]]` : '') +
    (quick ? ' [--quick]' : '') +
    options.map(([, o]) => ` [${o.flag} ${o.meta}]`).join('') +
    (keepCa ? ' [--keep-extra-ca-certs]' : '') +
    ' [--out FILE]'
  const bad = (message: string): never => {
    process.stderr.write(`${message}\n${usage}\n`)
    process.exit(2)
  }
  for (let i = 0; i < argv.length; i++) {
    const [arg, inline] = argv[i]!.split(/=(.*)/s) as [string, string | undefined]
    const next = () => inline ?? argv[++i]
    const option = options.find(([, o]) => o.flag === arg)
    if (arg === '--quick' && quick) opts.quick = true
    else if (arg === '--keep-extra-ca-certs' && keepCa) opts.keepCa = true
    else if (arg === '--only' && benches.length) {
      const only = String(next() ?? '')
        .split(',')
        .filter(Boolean)
      if (!only.length || only.some((b) => !(benches as readonly string[]).includes(b))) bad(`--only takes ${benches.join(', ')}`)
      opts.only = only
    } else if (option) {
      const [key, o] = option
      opts[key] = o.parse(next())
      if (!o.valid(opts[key])) bad(o.bad)
    } else if (arg === '--out') opts.out = path.resolve(next() ?? '')
    else bad(arg === '-h' || arg === '--help' ? '' : `unknown argument: ${argv[i]}`)
  }
  return opts as BenchArgs<B> & O
}

/** A whole number ≥ `min` for a valued option (`--runs N`). */
export const countOption = (flag: string, value: number, min = 1): ValueOption<number> => ({
  flag,
  meta: 'N',
  value,
  parse: (text) => Number(text),
  valid: (n) => Number.isInteger(n) && n >= min,
  bad: `${flag} takes a whole number ≥ ${min}`,
})

// ---- process bookkeeping: everything started is tracked and stopped
export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}
/** A child process with the promise of its exit. */
export type Tracked<C extends ChildProcess = ChildProcess> = C & { exitedP: Promise<Exit> }

/** Signal, wait up to graceMs, then SIGKILL and wait for the exit. */
export async function stopChild(child: Tracked, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<Exit & { killed: boolean }> {
  if (child.exitCode !== null || child.signalCode !== null) return { ...(await child.exitedP), killed: false }
  child.kill(signal)
  const result = await Promise.race([child.exitedP, sleep(graceMs).then(() => null)])
  if (result) return { ...result, killed: false }
  child.kill('SIGKILL')
  return { ...(await child.exitedP), killed: true }
}

/** Runs a Node script to its end (SIGKILL after timeoutMs) and parses the JSON it prints. */
export type NodeJson = <T>(args: string[], timeoutMs: number) => Promise<T>

/**
 * One script's child processes. `track(child)` adds it (until it exits) and gives it `exitedP`;
 * `stopAll()` stops them all (SIGKILL, 2 s), `killAll()` is the synchronous last resort for an 'exit'
 * hook; `nodeJson(args, timeoutMs)` runs a Node script to its end and parses the JSON it prints.
 */
export function createTracker() {
  const children = new Set<Tracked>()
  function track<C extends ChildProcess>(child: C): Tracked<C> {
    const tracked = child as Tracked<C>
    const entry = tracked as unknown as Tracked
    children.add(entry)
    tracked.exitedP = new Promise((resolve) => child.once('exit', (code, signal) => (children.delete(entry), resolve({ code, signal }))))
    child.once('error', () => children.delete(entry))
    return tracked
  }
  const nodeJson: NodeJson = async <T>(args: string[], timeoutMs: number): Promise<T> => {
    const child = track(spawn(NODE, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }))
    let [out, err] = ['', '']
    child.stdout.on('data', (c) => (out += c))
    child.stderr.on('data', (c) => (err = (err + c).slice(-2000)))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    const { code, signal } = await child.exitedP.finally(() => clearTimeout(timer))
    const script = args.find((a) => !a.startsWith('-') && !a.startsWith('file:')) ?? 'node'
    if (code !== 0) throw new Error(`${path.basename(script)} exited with ${code ?? signal}: ${err.trim().slice(-500)}`)
    return JSON.parse(out) as T
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
export function cpuMs(pid: number): number {
  if (pid === process.pid) return ((u) => (u.user + u.system) / 1000)(process.cpuUsage())
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return fields.slice(11, 13).reduce((a, b) => a + Number(b), 0) * 10
  } catch {
    return NaN
  }
}

/** What autocannon --json prints (the fields read here). */
interface AutocannonResult {
  errors: number
  timeouts: number
  non2xx: number
  duration: number
  requests: { average: number; total: number }
  latency: { p50: number; p99: number; average: number }
}

export interface CannonRun {
  rps: number
  total: number
  p50: number
  p99: number
  meanMs: number
  seconds: number
  /** CPU of each of the run's `cpuPids`, in % of one CPU. */
  cpuPct: number[]
}
export interface CannonOptions {
  connections?: number
  seconds?: number
  amount?: number
  cpuPids?: number[]
}
export type Cannon<M> = (url: string, options: CannonOptions) => Promise<CannonRun & M>

/**
 * autocannon in its own process (through `nodeJson`), so the load generator does not share the
 * emulator's event loop. `meter(cpuPids)` starts the script's own measure of the machine when a run
 * starts; the function it returns, called when the run is over, gives the fields it adds to the result.
 * A run is `seconds` long, or `amount` requests.
 */
export function createCannon<M extends object>({ nodeJson, meter }: { nodeJson: NodeJson; meter: (cpuPids: number[]) => () => M }): Cannon<M> {
  return async function cannon(url, { connections = 20, seconds = 10, amount, cpuPids = [] }) {
    const [cpu0, t0, measured] = [cpuPids.map(cpuMs), performance.now(), meter(cpuPids)]
    const r = await nodeJson<AutocannonResult>(
      [AUTOCANNON, '--json', '--no-progress', '-c', String(connections), ...(amount ? ['-a', String(amount)] : ['-d', String(seconds)]), url],
      amount ? 180_000 : (seconds + 30) * 1000,
    )
    const cpuPct = cpuPids.map((pid, i) => r2(((cpuMs(pid) - cpu0[i]!) / (performance.now() - t0)) * 100))
    const machine = measured()
    if (r.errors + r.timeouts + r.non2xx) throw new Error(`autocannon against ${url}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx`)
    return { rps: r.requests.average, total: r.requests.total, p50: r.latency.p50, p99: r.latency.p99, meanMs: r.latency.average, seconds: r.duration, cpuPct, ...machine }
  }
}

// ---- TCP and HTTP
/** One connect attempt: 'open', 'timeout' (no answer in 200 ms: the SYN was not answered) or the error code ('ECONNREFUSED'…). */
export const tcpProbe = (host: string, port: number): Promise<string> =>
  new Promise((resolve) => {
    const socket = net.connect({ host, port })
    const done = (outcome: string) => (socket.destroy(), resolve(outcome))
    socket.setTimeout(200, () => done('timeout'))
    socket.once('connect', () => done('open')).once('error', (e: NodeJS.ErrnoException) => done(e.code ?? 'error'))
  })
/** One connect attempt: is the port open? */
export const tcpOpen = (host: string, port: number): Promise<boolean> => tcpProbe(host, port).then((outcome) => outcome === 'open')

export interface Got {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
  /** From the call to the end of the body. */
  ms: number
}

/** One GET on a fresh connection; resolves once the whole body has arrived. */
export function get(url: string, timeoutMs = 30_000): Promise<Got> {
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (c: string) => (body += c))
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: performance.now() - t0 }))
    })
    req.once('timeout', () => req.destroy(new Error(`GET ${url}: no answer in ${timeoutMs} ms`))).once('error', reject)
  })
}

/** An error that stops `until` at once (other rejections count as "not yet"). */
export const fatal = (message: string): Error => Object.assign(new Error(message), { fatal: true })

/** Polls `check` every 20 ms until it is true; a rejection counts as false unless the error is `fatal`. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check().catch((e: { fatal?: boolean }) => (e.fatal ? Promise.reject(e) : false)))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(20)
  }
}

// ---- statistics
/** Linear interpolation between the closest ranks; NaN for no samples. */
export function quantile(samples: readonly number[], q: number): number {
  const s = [...samples].sort((a, b) => a - b)
  const [pos, lo] = [(s.length - 1) * q, Math.floor((s.length - 1) * q)]
  return s.length ? s[lo]! + (s[Math.ceil(pos)]! - s[lo]!) * (pos - lo) : NaN
}
export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length

export interface Summary {
  n: number
  median: number
  p90: number
  min: number
  max: number
}
/** n, median, p90, (with `{ mean: true }`) mean, min, max; rounded to 0.01. */
export function summary(xs: readonly number[], options: { mean: true }): Summary & { mean: number }
export function summary(xs: readonly number[], options?: { mean?: boolean }): Summary
export function summary(xs: readonly number[], { mean: withMean = false }: { mean?: boolean } = {}): Summary & { mean?: number } {
  return { n: xs.length, median: r2(quantile(xs, 0.5)), p90: r2(quantile(xs, 0.9)), ...(withMean ? { mean: r2(mean(xs)) } : {}), min: r2(Math.min(...xs)), max: r2(Math.max(...xs)) }
}

// ---- the gateway bench of emulator.ts and docker.ts: one app reached three ways (the sides)
export interface Scenario {
  env: Record<string, string>
  judged: boolean
  what: string
}
/** The two apps: zero-work (the proxy's cost is all there is: reported) and one whose service time dominates, as a real app's does (the throughput target is judged there). */
export const SCENARIOS: Record<'zero-work' | 'service-time', Scenario> = {
  'zero-work': { env: {}, judged: false, what: 'the zero-work app (answers at once)' },
  'service-time': { env: { SERVICE_MS: '20', CPU_MS: '0.2' }, judged: true, what: 'the service-time app (20 ms wait + 0.2 ms CPU per request)' },
}
export const SIDES = ['direct', 'minimal proxy', 'gateway'] as const
export type Side = (typeof SIDES)[number]
/** One way to the app: its URL and the processes whose CPU counts as the server side's. */
export interface Door {
  url: string
  cpuPids: number[]
  cpuNames: string[]
}
export type Sides = Record<Side, Door>

/**
 * The saturation table both gateway benches print (emulator.ts, docker.ts): one row per side, its rate
 * against direct, latencies, server-side CPU, and the CPU others used meanwhile (`other`: each bench's own measure).
 */
export function saturationTable<R extends CannonRun>(sides: Sides, [d, p, g]: [R, R, R], other: { header: string; pct: (run: R) => number }): string {
  const row = (side: Side, r: R) => [
    side,
    f(r.rps, 0),
    f(r.rps / d.rps, 3),
    String(r.total),
    f(r.p50, 0),
    f(r.p99, 0),
    f(r.meanMs, 2),
    r.cpuPct.map((c, i) => `${sides[side].cpuNames[i]} ${f(c, 0)}`).join(', '),
    f(other.pct(r), 0),
  ]
  return table(['side', 'req/s', '× direct', 'requests', 'p50 ms', 'p99 ms', 'mean ms', 'CPU % (server side)', other.header], [row('direct', d), row('minimal proxy', p), row('gateway', g)])
}

/** Run lengths: autocannon `seconds` per run with `connections`; the latency client's `latencyN` requests per side after `latencyWarmup`. */
export const gatewayRuns = (quick: boolean) => ({ seconds: quick ? 3 : 10, connections: 32, latencyN: quick ? 500 : 3000, latencyWarmup: quick ? 100 : 300 })

/** The gateway costs what a bare proxy costs: ≥ 0.97 of the minimal proxy's throughput on every app. */
export const VS_MINIMAL_PROXY = 0.97
/** Under load, the gateway's p50 and p99 within this many ms of the minimal proxy's (autocannon: whole ms). */
export const LATENCY_VS_MINIMAL_PROXY_MS = 1

/** The targets both gateway benches judge on each app's saturation table (`runtime`: how the instance runs). */
export function judgeVsMinimalProxy(target: Targets['target'], sat: Saturation<CannonRun>, app: string, runtime: string): void {
  const { 'minimal proxy': p, gateway: g } = sat.best
  const ratio = sat.gatewayVsMinimalProxy
  target(
    'gateway',
    `throughput gateway/minimal proxy ≥ ${VS_MINIMAL_PROXY} (${runtime} runtime, ${app} app)`,
    ratio,
    ratio >= VS_MINIMAL_PROXY,
    `${f(g.rps, 0)} / ${f(p.rps, 0)} req/s = ${f(ratio, 3)}`,
  )
  for (const q of ['p50', 'p99'] as const) {
    const diff = g[q] - p[q]
    target(
      'gateway',
      `${q} under load within ${LATENCY_VS_MINIMAL_PROXY_MS} ms of the minimal proxy's (${runtime} runtime, ${app} app)`,
      diff,
      diff <= LATENCY_VS_MINIMAL_PROXY_MS,
      `${f(g[q], 0)} vs ${f(p[q], 0)} ms`,
    )
  }
}

/** For each app of SCENARIOS: `doors(env)` opens the three doors (`{ sides, stop, … }`), `body(name, scenario, doors)` measures, and the doors are closed, also on failure. */
export async function eachScenario<D extends { stop(): Promise<unknown> }>(
  doors: (env: Record<string, string>) => Promise<D>,
  body: (name: string, scenario: Scenario, opened: D) => Promise<void>,
): Promise<void> {
  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    const opened = await doors(scenario.env)
    try {
      await body(name, scenario, opened)
    } finally {
      await opened.stop()
    }
  }
}

export interface Saturation<R> {
  runs: Record<Side, R[]>
  /** Runs `disturbed` gave a reason for, run again (only when the script judges disturbance). */
  discarded?: Array<R & { side: Side }>
  best: Record<Side, R>
  ratio: number
  minimalProxyRatio: number
  gatewayVsMinimalProxy: number
}

const bySide = <T>(make: (side: Side) => T): Record<Side, T> => Object.fromEntries(SIDES.map((side) => [side, make(side)])) as Record<Side, T>

/**
 * autocannon on every side (`sides[side]`: { url, cpuPids }): a warm-up each, then 2 rounds (the second
 * in reverse order); the best run of each side by req/s. `before()` runs before each timed run. With
 * `disturbed`, a run for which it gives a reason is run again, at most twice, and the disturbed runs
 * are kept in `discarded`.
 */
export async function saturate<M>(
  cannon: Cannon<M>,
  name: string,
  sides: Sides,
  {
    seconds,
    connections,
    quick,
    before = async () => undefined,
    disturbed,
  }: { seconds: number; connections: number; quick: boolean; before?: () => Promise<unknown>; disturbed?: (run: CannonRun & M) => string | false },
): Promise<Saturation<CannonRun & M>> {
  type Run = CannonRun & M
  for (const side of SIDES) await cannon(sides[side].url, { connections, seconds: quick ? 1 : 2 })
  const [runs, discarded] = [bySide<Run[]>(() => []), [] as Array<Run & { side: Side }>]
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
  const best = bySide((side) => runs[side].reduce((a, b) => (b.rps > a.rps ? b : a)))
  return {
    runs,
    ...(disturbed ? { discarded } : {}),
    best,
    ratio: r2(best.gateway.rps / best.direct.rps),
    minimalProxyRatio: r2(best['minimal proxy'].rps / best.direct.rps),
    gatewayVsMinimalProxy: r2(best.gateway.rps / best['minimal proxy'].rps),
  }
}

/** What bench/fixtures/latency-client.mjs prints for each URL, in fractional ms. */
export interface LatencyStats {
  n: number
  p50: number
  p90: number
  p99: number
  mean: number
  min: number
  max: number
}
export interface AddedLatency {
  addedP50Ms: number
  addedP99Ms: number
  minimalProxyAddedP50Ms: number
  minimalProxyAddedP99Ms: number
}

/**
 * bench/fixtures/latency-client.mjs (through `nodeJson`) on every side: `sides`, each side's stats in ms
 * rounded to 0.001; `added`, what the gateway and the minimal proxy add at p50 and p99; `table`, both;
 * `method`, how they were measured (a sentence for the text above the table).
 */
export async function sequentialLatency(nodeJson: NodeJson, sides: Sides, requests: number, warmup: number) {
  const lat = await nodeJson<Record<string, LatencyStats>>(
    [path.join(ROOT, 'bench', 'fixtures', 'latency-client.mjs'), String(requests), String(warmup), ...SIDES.map((side) => sides[side].url)],
    300_000,
  )
  const by = bySide((side) => Object.fromEntries(Object.entries(lat[sides[side].url]!).map(([k, v]) => [k, k === 'n' ? v : Math.round(v * 1000) / 1000])) as unknown as LatencyStats)
  const added = (side: Side, key: 'p50' | 'p99') => by[side][key] - by.direct[key]
  const keys = ['p50', 'p90', 'p99', 'mean', 'min', 'max'] as const
  const row = (side: Side) => [side, String(by[side].n), ...keys.map((k) => f(by[side][k], 3)), side === 'direct' ? '' : f(added(side, 'p50'), 3), side === 'direct' ? '' : f(added(side, 'p99'), 3)]
  const addedMs: AddedLatency = {
    addedP50Ms: r3(added('gateway', 'p50')),
    addedP99Ms: r3(added('gateway', 'p99')),
    minimalProxyAddedP50Ms: r3(added('minimal proxy', 'p50')),
    minimalProxyAddedP99Ms: r3(added('minimal proxy', 'p99')),
  }
  return {
    sides: by,
    added: addedMs,
    table: table(['side', 'n', 'p50 ms', 'p90', 'p99', 'mean', 'min', 'max', 'added p50', 'added p99'], SIDES.map(row)),
    method: `bench/fixtures/latency-client.mjs in its own process: one keep-alive connection per side, one request in flight (no saturation), ${requests} timed requests per side after ${warmup} warm-up ones, the sides interleaved request by request; performance.now() from the call to the end of the body, fractional ms.`,
  }
}

/** The latency targets on a result of sequentialLatency (`{ sides, ...added }`): added p50 ≤ 0.5 ms and p99 ≤ 3 ms; `how` ends the targets' text. */
export function judgeLatency(target: Targets['target'], latency: AddedLatency & { sides: Record<Side, LatencyStats> }, how: string): void {
  const by = latency.sides
  for (const [q, max] of [
    ['p50', 0.5],
    ['p99', 3],
  ] as const) {
    const [value, proxy] = q === 'p50' ? [latency.addedP50Ms, latency.minimalProxyAddedP50Ms] : [latency.addedP99Ms, latency.minimalProxyAddedP99Ms]
    target('gateway', `added ${q} ≤ ${max} ms (${how})`, value, value <= max, `${f(by.gateway[q], 3)} − ${f(by.direct[q], 3)} ms = ${f(value, 3)} ms (minimal proxy adds ${f(proxy, 3)} ms)`)
  }
}

// ---- targets and the benches of one script
export interface Target {
  bench: string
  text: string
  value: number
  verdict: 'PASS' | 'FAIL' | 'N/A' | 'INFO'
  detail: string
  disturbed?: boolean
}

/**
 * The verdicts of one run. `target` is judged (PASS/FAIL, N/A without a value), `info` is a number the
 * issue names but that is not judged here (the reason is in `text`), `failed` is a bench that did not
 * run; `text()` is the "Targets:" section.
 */
export function createTargets() {
  const targets: Target[] = []
  return {
    targets,
    target: (bench: string, text: string, value: number | null | undefined, pass: boolean, detail: string) =>
      void targets.push({ bench, text, value: r3(value), verdict: value == null || Number.isNaN(value) ? 'N/A' : pass ? 'PASS' : 'FAIL', detail }),
    info: (bench: string, text: string, value: number | null | undefined, detail: string) => void targets.push({ bench, text, value: r3(value), verdict: 'INFO', detail }),
    failed: (bench: string, error: unknown) => void targets.push({ bench, text: `${bench} bench ran`, value: NaN, verdict: 'FAIL', detail: `FAILED: ${messageOf(error)}` }),
    text: () => '\nTargets:\n' + targets.map((t) => `  ${t.verdict.padEnd(4)}  [${t.bench}] ${t.text}: ${t.detail}\n`).join(''),
  }
}
export type Targets = ReturnType<typeof createTargets>

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** A bench's result, or the error that stopped it. */
export type Outcome<R> = R | { error: string }

/**
 * Runs the named benches one after the other: `run(name)` runs one (and prints it) and returns its
 * result for `results[name]`. A bench that throws gets `{ error }` there, a FAIL target and a FAILED
 * line, and the others still run.
 */
export async function runBenches<N extends string, R>(
  names: readonly N[],
  { results, verdicts }: { results: Partial<Record<N, Outcome<R>>>; verdicts: Targets },
  run: (name: N) => Promise<R>,
): Promise<void> {
  for (const name of names) {
    process.stderr.write(`${name}…\n`)
    try {
      results[name] = await run(name)
    } catch (error) {
      results[name] = { error: String((error as Error)?.stack ?? error) }
      verdicts.failed(name, error)
      process.stdout.write(`\n${name}: FAILED — ${messageOf(error)}\n`)
    }
  }
}

/** The benches' results without their printed tables, for the JSON. */
export const withoutTables = (results: Record<string, object>): Record<string, object> =>
  Object.fromEntries(Object.entries(results).map(([name, result]) => [name, Object.fromEntries(Object.entries(result).filter(([key]) => key !== 'table'))]))
