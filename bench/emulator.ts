// Emulator benchmark (`sls-run dev`, process runtime): gateway overhead, cold-start overhead, burst
// from zero, memory under load. See bench/README.md. The emulator runs from the sources, in this
// process; the memory bench runs the built CLI (bin/run.js: `npm run build` first).
//   node --import ./bench/register.mjs bench/emulator.ts [--only gateway|coldstart|burst|memory[,…]] [--quick] [--idle-wait SECONDS] [--keep-extra-ca-certs] [--out FILE]
// Only 127.0.0.1; every load loop is bounded in count and time; every emulator, app and autocannon
// started here is stopped, also on failure or Ctrl-C. Exit code 1 when a bench failed to run, 2 on bad usage.

import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { configSchema } from '../src/core/config/index.js'
import { Emulator, type EmulatorEvent } from '../src/core/emulator/emulator.js'
import { freePort } from '../src/runtime/free-port.js'
import { ProcessRuntime, stopAllSync } from '../src/runtime/process/process-runtime.js'
import { startMinimalProxy } from './fixtures/min-proxy.js'
import {
  APP,
  AUTOCANNON,
  NODE,
  SIDES,
  createCannon,
  createTargets,
  createTracker,
  eachScenario,
  fatal,
  gatewayRuns,
  get,
  judgeLatency,
  judgeVsMinimalProxy,
  parseBenchArgs,
  runBenches,
  saturate,
  saturationTable,
  sequentialLatency,
  sleep,
  summary,
  tcpOpen,
  until,
  withoutTables,
  type CannonRun,
  type LatencyStats,
  type Outcome,
  type Saturation,
  type Side,
  type Sides,
  type Summary,
  type Tracked,
} from './lib.js'
import { ROOT, f, machineInfo, machineLine, r2, resultsFile, table, writeResults } from './report.js'

const BENCHES = ['gateway', 'coldstart', 'burst', 'memory'] as const
type Bench = (typeof BENCHES)[number]
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'sls-run-bench-emulator-'))

const parseArgs = (argv: string[]) =>
  parseBenchArgs(argv, {
    script: 'bench/emulator.ts',
    benches: BENCHES,
    out: resultsFile('emulator'),
    options: { idleWaitS: { flag: '--idle-wait', meta: 'SECONDS', value: 60, parse: Number, valid: (s: number) => s >= 0, bad: '--idle-wait takes a number of seconds (0: do not wait)' } },
  })
type Options = ReturnType<typeof parseArgs>
type ColdStart = Extract<EmulatorEvent, { type: 'cold-start' }>['coldStart']

// ---- process bookkeeping: everything started is tracked and stopped
const { track, stopChild, nodeJson, stopAll, killAll } = createTracker()
const emulators = new Set<Emulator>()

async function cleanup() {
  await Promise.allSettled([...emulators].map((e) => e.stop()))
  await stopAll()
  fs.rmSync(TMP, { recursive: true, force: true })
}
process.once('exit', () => (killAll(), stopAllSync(), fs.rmSync(TMP, { recursive: true, force: true })))
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void cleanup().finally(() => process.exit(130)))

// ---- helpers: the app, the emulator (the others are in bench/lib.ts)
const startApp = (port: number, env: Record<string, string> = {}) => track(spawn(NODE, [APP], { env: { ...process.env, PORT: String(port), ...env }, stdio: 'ignore' }))

// ---- other load. The machine may be shared (another session building or testing): each timed run
// says how much CPU processes that are not this bench's used meanwhile ("other load", % of one CPU),
// and waits first, at most --idle-wait s, for a quiet second (other load under IDLE_PCT).
const IDLE_PCT = 10
/** Busy CPU time of the whole machine, all CPUs, in ms (/proc/stat; USER_HZ 100). */
function machineBusyMs(): number {
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number)
  return (user + nice + system + irq + softirq + steal) * 10
}
/** CPU time in ms of this process and its descendants: live ones from /proc, ended ones through their parents' cutime/cstime. */
function ourCpuMs(): number {
  const [stats, kids] = [new Map<number, number>(), new Map<number, number[]>()]
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const text = fs.readFileSync(`/proc/${name}/stat`, 'utf8')
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ')
      stats.set(Number(name), f.slice(11, 15).reduce((a, b) => a + Number(b), 0) * 10) // utime stime cutime cstime
      kids.set(Number(f[1]), [...(kids.get(Number(f[1])) ?? []), Number(name)])
    } catch {} // ended meanwhile
  }
  let total = 0
  for (const stack = [process.pid]; stack.length;) {
    const pid = stack.pop()!
    total += stats.get(pid) ?? 0
    stack.push(...(kids.get(pid) ?? []))
  }
  return total
}
/** Starts measuring; the function it returns gives the other load since then, in % of one CPU. */
function otherLoad(): () => number {
  const [machine0, ours0, t0] = [machineBusyMs(), ourCpuMs(), performance.now()]
  return () => r2((Math.max(0, machineBusyMs() - machine0 - (ourCpuMs() - ours0)) / (performance.now() - t0)) * 100)
}
let idleWaitMs = 0
/** Waits (at most idleWaitMs) for one second with other load under IDLE_PCT. */
async function quiet(): Promise<void> {
  const deadline = performance.now() + idleWaitMs
  for (let waited = false; ; waited = true) {
    const meter = otherLoad()
    await sleep(1000)
    const other = meter()
    if (other < IDLE_PCT || performance.now() > deadline) {
      if (waited) process.stderr.write(`  …${other < IDLE_PCT ? 'quiet' : 'gave up waiting'} (other load ${f(other, 0)} %)\n`)
      return
    }
    if (!waited) process.stderr.write(`  waiting for the machine to be quiet (other load ${f(other, 0)} % of a CPU)\n`)
  }
}

/** autocannon (bench/lib.ts); each run also gives the other load meanwhile. */
const cannon = createCannon({
  nodeJson,
  meter: () => {
    const other = otherLoad()
    return () => ({ otherLoadPct: other() })
  },
})

/** A service of the bench's sls-run.yaml (as written: it is validated by the config schema). */
type ServiceInput = Record<string, unknown>

async function emulate(service: ServiceInput) {
  const config = configSchema.parse({ name: 'bench', services: { app: { ...service, dev: { command: [NODE, APP], cwd: TMP } } } })
  const events: Array<EmulatorEvent & { at: number }> = []
  const emulator = new Emulator({
    config,
    port: 0,
    adminPort: 0,
    runtime: new ProcessRuntime(),
    graceMs: 2000,
    onEvent: (e) => void (e.type !== 'log' && e.type !== 'request' && events.push({ ...e, at: performance.timeOrigin + performance.now() })),
  })
  emulators.add(emulator)
  const { gateways } = await emulator.start()
  const coldStartEvents = () => events.filter((e): e is Extract<EmulatorEvent, { type: 'cold-start' }> & { at: number } => e.type === 'cold-start')
  return {
    url: gateways.app!,
    instances: () => emulator.status().services[0]!.instances,
    coldStarts: () => coldStartEvents().map((e) => e.coldStart),
    /** Wall-clock times (ms) of the instance starts ('starting') and of the instances becoming ready ('cold-start'). */
    times: () => ({ starting: events.filter((e) => e.type === 'instance' && e.state === 'starting').map((e) => e.at), ready: coldStartEvents().map((e) => e.at) }),
    stop: () => (emulators.delete(emulator), emulator.stop()),
  }
}
type Emulated = Awaited<ReturnType<typeof emulate>>

const verdicts = createTargets()
const { target, info } = verdicts

// ---- 1. gateway overhead. Three doors to the same app: direct, the minimal proxy (bench/fixtures/
// min-proxy.ts) and the gateway; both proxies run inside this process, autocannon and the latency
// client in their own. Two apps (SCENARIOS in bench/lib.ts): zero-work (the proxy's cost is all there
// is: reported) and one whose service time dominates, as a real app's does (the throughput target is judged there).

/** The app direct (its own process), through the minimal proxy (to that same process) and through a gateway (to its instance). */
async function doors(env: Record<string, string>): Promise<{ sides: Sides; stop(): Promise<unknown> }> {
  const port = await freePort()
  const app = startApp(port, env)
  const stops: Array<() => Promise<unknown>> = [() => stopChild(app)]
  const stop = async () => {
    for (const s of [...stops].reverse()) await s().catch(() => undefined)
  }
  try {
    const emu = await emulate({ env, scaling: { minInstances: 1, maxInstances: 1, concurrency: 80 } })
    stops.push(() => emu.stop())
    await until('the direct app', async () => (await get(`http://127.0.0.1:${port}/`, 1000)).status === 200)
    await until('the instance to be ready', async () => emu.instances().some((i) => i.state === 'ready'))
    const instancePid = emu.instances().find((i) => i.state === 'ready')!.pid!
    const proxy = await startMinimalProxy(`http://127.0.0.1:${port}`, { connections: 80 })
    stops.push(() => proxy.close())
    const sides: Sides = {
      direct: { url: `http://127.0.0.1:${port}/`, cpuPids: [app.pid!], cpuNames: ['app'] },
      'minimal proxy': { url: `${proxy.url}/`, cpuPids: [process.pid, app.pid!], cpuNames: ['proxy', 'app'] },
      gateway: { url: `${emu.url}/`, cpuPids: [process.pid, instancePid], cpuNames: ['gateway', 'app'] },
    }
    return { sides, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

type Run = CannonRun & { otherLoadPct: number }

async function benchGateway(opts: Options) {
  const { seconds, connections, latencyN, latencyWarmup } = gatewayRuns(opts.quick)
  const res: {
    connections: number
    seconds: number
    scenarios: Record<string, Saturation<Run> & { env: Record<string, string>; judged: boolean }>
    latency?: {
      requests: number
      warmup: number
      app: string
      otherLoadPct: number
      sides: Record<Side, LatencyStats>
      addedP50Ms: number
      addedP99Ms: number
      minimalProxyAddedP50Ms: number
      minimalProxyAddedP99Ms: number
    }
    table?: string
  } = { connections, seconds, scenarios: {} }
  let text = ''
  await eachScenario(doors, async (name, scenario, { sides }) => {
    const sat = (res.scenarios[name] = { env: scenario.env, judged: scenario.judged, ...(await saturate(cannon, name, sides, { seconds, connections, quick: opts.quick, before: quiet })) })
    const [d, p, g] = SIDES.map((side) => sat.best[side]) as [Run, Run, Run]
    const detail = `${f(g.rps, 0)} / ${f(d.rps, 0)} req/s = ${f(sat.ratio, 2)}; minimal proxy / direct = ${f(sat.minimalProxyRatio, 2)}, gateway / minimal proxy = ${f(sat.gatewayVsMinimalProxy, 2)}`
    if (scenario.judged) target('gateway', `throughput gateway/direct ≥ 0.85 (${name} app: judged here)`, sat.ratio, sat.ratio >= 0.85, detail)
    else info('gateway', `throughput gateway/direct, ${name} app (reported, not judged)`, sat.ratio, detail)
    judgeVsMinimalProxy(target, sat, name, 'process')
    text +=
      `Gateway throughput, ${scenario.what} — ${scenario.judged ? 'gateway/direct ≥ 0.85 and the minimal-proxy targets are JUDGED on this table' : 'gateway/direct REPORTED, NOT JUDGED (with no work in the app, proxying is all the work there is); gateway/minimal proxy ≥ 0.97 JUDGED'}.\n` +
      `autocannon in its own process, ${connections} connections, ${seconds} s per run; direct, minimal proxy, gateway, then the reverse order; best run of each by req/s. ` +
      `Minimal proxy and gateway both run inside the bench process. The ${os.cpus().length} CPUs are shared by autocannon, the proxy and the app: a same-run comparison, not a capacity figure. Latencies under saturation: autocannon, whole ms.\n\n` +
      saturationTable(sides, [d, p, g], { header: 'other load %', pct: (r) => r.otherLoadPct }) +
      `gateway / minimal proxy = ${f(sat.gatewayVsMinimalProxy, 3)}\n\n`
    if (name === 'zero-work') {
      process.stderr.write(`  gateway, latency: ${latencyN} sequential requests per side, interleaved\n`)
      await quiet()
      const meter = otherLoad()
      const lat = await sequentialLatency(nodeJson, sides, latencyN, latencyWarmup)
      res.latency = { requests: latencyN, warmup: latencyWarmup, app: name, otherLoadPct: meter(), sides: lat.sides, ...lat.added }
      judgeLatency(target, res.latency, 'sequential client')
      text +=
        `Gateway latency, ${scenario.what} — the added p50 ≤ 0.5 ms and p99 ≤ 3 ms targets are JUDGED on this table.\n` +
        `${lat.method} Other load meanwhile: ${f(res.latency.otherLoadPct, 0)} % of a CPU.\n\n` +
        lat.table +
        '\n'
    }
  })
  res.table = text
  return res
}

// ---- 2. cold-start overhead: spawn → first 200 directly, vs first request to a fresh emulator → 200
async function coldDirect(): Promise<number> {
  const port = await freePort()
  const t0 = performance.now()
  const app = startApp(port)
  try {
    while (!(await tcpOpen('127.0.0.1', port))) await (performance.now() - t0 > 15_000 ? Promise.reject(new Error('the direct app did not open its port in 15 s')) : sleep(1))
    const res = await get(`http://127.0.0.1:${port}/`, 10_000)
    return res.status === 200 ? performance.now() - t0 : Promise.reject(new Error(`direct app answered ${res.status}`))
  } finally {
    await stopChild(app)
  }
}

/** A fresh emulator (minInstances 0) and its first request; the caller stops `emu`. */
async function coldGateway(service: ServiceInput = {}): Promise<{ ms: number; phases: ColdStart; emu: Emulated }> {
  const emu = await emulate(service)
  const res = await get(`${emu.url}/`, 30_000).catch((error) => emu.stop().then(() => Promise.reject(error)))
  if (res.status !== 200 || res.headers['x-sls-run-cold-start'] !== '1') throw new Error(`expected a cold-start 200, got ${res.status}`) // cleanup() stops emu
  return { ms: res.ms, phases: emu.coldStarts()[0]!, emu }
}

async function benchColdstart(opts: Options) {
  const rounds = opts.quick ? 5 : 15
  const [direct, gateway, phases]: [number[], number[], ColdStart[]] = [[], [], []]
  await quiet()
  const meter = otherLoad()
  for (let i = 0; i < rounds; i++) {
    for (const side of i % 2 ? ['gateway', 'direct'] : ['direct', 'gateway']) {
      if (side === 'direct') direct.push(await coldDirect())
      else await coldGateway().then((c) => (gateway.push(c.ms), phases.push(c.phases), c.emu.stop()))
    }
  }
  const otherLoadPct = meter()
  const [d, g] = [summary(direct), summary(gateway)]
  const overhead = g.median - d.median
  const phase = Object.fromEntries((['totalMs', 'spawnMs', 'bootMs', 'readyMs'] as const).map((k) => [k, summary(phases.map((p) => p[k]))]))
  target('coldstart', 'median cold-start overhead ≤ 20 ms', overhead, overhead <= 20, `${f(g.median)} − ${f(d.median)} ms = ${f(overhead)} ms`)
  const row = (label: string, s: Summary) => [label, String(s.n), f(s.median), f(s.p90), f(s.min), f(s.max)]
  const text =
    `Cold-start overhead — ${rounds} rounds, alternated. Direct: spawn → first 200 (connect polled every 1 ms). Emulator: first request to a fresh gateway (minInstances 0) → 200. Other load meanwhile: ${f(otherLoadPct, 0)} % of a CPU.\n\n` +
    table(['path', 'n', 'median ms', 'p90', 'min', 'max'], [row('direct (spawn → 200)', d), row('emulator (request → 200)', g), ['overhead (median − median)', '', f(overhead), '', '', '']]) +
    `\nThe emulator's phases (its 'cold-start' events; boot = spawned → port open, polled every 10 ms):\n\n` +
    table(
      ['phase', 'median ms', 'p90', 'min', 'max'],
      Object.entries(phase).map(([k, s]) => [k.replace('Ms', ''), f(s.median), f(s.p90), f(s.min), f(s.max)]),
    )
  return { rounds, directMs: direct.map(r2), gatewayMs: gateway.map(r2), direct: d, gateway: g, overheadMs: r2(overhead), phases: phase, otherLoadPct, table: text }
}

// ---- 3. burst from zero: 100 simultaneous requests against a fresh emulator, and the baseline of the
// same machine: 10 app processes started at once without any emulator.
const BURST_ENV = { BOOT_MS: '300', SERVICE_MS: '50' }

/**
 * `count` app processes spawned at once (no emulator); each says "listening" on stdout once its port is
 * open (no polling), then gets one GET on a fresh connection. Timed from before the first spawn to the
 * last 200.
 */
async function directParallelStart(count: number) {
  const ports: number[] = []
  for (let i = 0; i < count; i++) ports.push(await freePort())
  const t0 = performance.now()
  const apps = ports.map((port) => track(spawn(NODE, [APP], { env: { ...process.env, ...BURST_ENV, PORT: String(port), ANNOUNCE: '1' }, stdio: ['ignore', 'pipe', 'ignore'] })))
  const spawnedMs = performance.now() - t0 // spawn() returns once the child has exec'd: this loop blocks
  const [listenMs, answeredMs]: [number[], number[]] = [[], []]
  let timer: NodeJS.Timeout | undefined
  try {
    const one = (app: (typeof apps)[number], port: number) =>
      new Promise<void>((resolve, reject) => {
        let out = ''
        app.stdout.on('data', (chunk: Buffer) => (out += chunk).includes('listening\n') && resolve())
        void app.exitedP.then(({ code, signal }) => reject(new Error(`a direct app exited (${code ?? signal}) before it listened`)))
      })
        .then(() => (listenMs.push(performance.now() - t0), get(`http://127.0.0.1:${port}/`, 10_000)))
        .then((res) => (res.status === 200 ? answeredMs.push(performance.now() - t0) : Promise.reject(new Error(`a direct app answered ${res.status}`))))
    await Promise.race([
      Promise.all(apps.map((app, i) => one(app, ports[i]!))),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('direct parallel start: not done in 30 s')), 30_000))),
    ])
    return { totalMs: r2(performance.now() - t0), spawnedMs: r2(spawnedMs), listenMs: summary(listenMs), answeredMs: summary(answeredMs) }
  } finally {
    clearTimeout(timer)
    await Promise.all(apps.map((app) => stopChild(app)))
  }
}

/** What bench/fixtures/burst-client.mjs prints. */
interface BurstClientResult {
  totalMs: number
  statuses: number[]
  startedAt: number
  doneMs: number[]
}

async function benchBurst(opts: Options) {
  const [rounds, N, count] = [opts.quick ? 1 : 3, 100, 10]
  const service = { env: BURST_ENV, scaling: { concurrency: 10, maxInstances: count } }
  const samples = []
  for (let round = 0; round < rounds; round++) {
    process.stderr.write(`  burst: round ${round + 1}/${rounds}\n`)
    await quiet()
    const meter = otherLoad()
    const direct = await directParallelStart(count)
    const single = await coldGateway(service)
    const serviceMs = await get(`${single.emu.url}/`)
      .then((r) => r.ms)
      .finally(() => single.emu.stop()) // a warm request: service time as the client sees it
    const emu = await emulate(service)
    try {
      const { totalMs, statuses, startedAt, doneMs } = await nodeJson<BurstClientResult>([path.join(ROOT, 'bench', 'fixtures', 'burst-client.mjs'), `${emu.url}/`, String(N)], 60_000)
      if (statuses.some((s) => s !== 200)) throw new Error(`burst: ${statuses.filter((s) => s !== 200).length} of ${N} requests did not answer 200`)
      const [starts, coldMs] = [emu.coldStarts(), single.phases.totalMs]
      samples.push({
        totalMs: r2(totalMs),
        instances: emu.instances().length,
        singleColdStartMs: r2(coldMs),
        singleFirstRequestMs: r2(single.ms),
        serviceMs: r2(serviceMs),
        ratio: r2(totalMs / (coldMs + serviceMs)),
        directParallel: direct,
        ratioToDirectParallel: r2(totalMs / direct.totalMs),
        directParallelRatio: r2(direct.totalMs / (coldMs + serviceMs)), // ratio A of a zero-overhead emulator: A's floor here
        burstColdStartMs: summary(starts.map((c) => c.totalMs)),
        burstSpawnMs: summary(starts.map((c) => c.spawnMs)),
        burstBootMs: summary(starts.map((c) => c.bootMs)),
        // Timeline, in ms since the client sent the first request: instance starts decided, instances ready, responses done.
        timeline: ((t: { starting: number[]; ready: number[] }) => ({
          startingMs: summary(t.starting.map((x) => x - startedAt)),
          readyMs: summary(t.ready.map((x) => x - startedAt)),
          doneMs: summary(doneMs),
        }))(emu.times()),
        otherLoadPct: meter(),
      })
    } finally {
      await emu.stop()
    }
  }
  const m = [...samples].sort((a, b) => a.ratio - b.ratio)[Math.floor((samples.length - 1) / 2)]! // the median round
  target('burst', 'burst total / (single cold start + service time) ≤ 1.5', m.ratio, m.ratio <= 1.5, `${f(m.totalMs, 0)} / (${f(m.singleColdStartMs, 0)} + ${f(m.serviceMs, 0)}) ms = ${f(m.ratio, 2)}`)
  target(
    'burst',
    'burst total / direct parallel start (the emulator’s own overhead) ≤ 1.15',
    m.ratioToDirectParallel,
    m.ratioToDirectParallel <= 1.15,
    `${f(m.totalMs, 0)} / ${f(m.directParallel.totalMs, 0)} ms = ${f(m.ratioToDirectParallel, 2)}`,
  )
  const rows = samples.map((s, i) => [
    String(i + 1),
    String(s.instances),
    f(s.totalMs, 0),
    f(s.singleColdStartMs, 0),
    f(s.serviceMs, 0),
    f(s.ratio, 2),
    f(s.directParallel.totalMs, 0),
    `${f(s.directParallel.listenMs.min, 0)}–${f(s.directParallel.listenMs.max, 0)}`,
    f(s.directParallelRatio, 2),
    f(s.ratioToDirectParallel, 2),
    `${f(s.timeline.startingMs.min, 0)}–${f(s.timeline.startingMs.max, 0)}`,
    `${f(s.timeline.readyMs.min, 0)}–${f(s.timeline.readyMs.max, 0)}`,
    f(s.otherLoadPct, 0),
  ])
  const text =
    `Burst from zero — ${N} simultaneous requests (undici, one connection each, sent from a child process), concurrency 10, maxInstances ${count}; the app boots in 300 ms and serves in 50 ms. ${rounds} round(s), verdicts on the median round (by ratio A).\n` +
    `A (judged, the issue's formula) = burst total / (single cold start + service): single cold start = the emulator's cold start (decision → ready) of one request to a fresh emulator; service = a warm request to it.\n` +
    `B (judged, ≤ 1.15: the emulator's own overhead) = burst total / direct parallel start: ${count} app processes spawned at once without any emulator, each announcing "listening" on stdout (no polling), then one GET each; from before the first spawn to the last 200. ` +
    `On this machine's ${os.cpus().length} CPUs the ${count} Node start-ups contend, which the formula's single cold start does not include.\n\n` +
    `"direct parallel / formula" is ratio A that an emulator adding nothing would get here. The last two columns are the burst's timeline, in ms after the first request was sent: when the ${count} instance starts were decided, and when the instances were ready.\n\n` +
    table(
      [
        'round',
        'instances',
        'burst total ms',
        'single cold start ms',
        'service ms',
        'A',
        'direct parallel ms',
        'direct listening at ms',
        'direct parallel / formula',
        'B',
        'burst starts decided at ms',
        'burst instances ready at ms',
        'other load %',
      ],
      rows,
    )
  return { rounds, requests: N, service, samples, median: m, table: text }
}

// ---- 4. memory: RSS of `sls-run dev` idle, then after 1× and 2× `step` requests
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024
const alive = (pid: number) => {
  try {
    return process.kill(pid, 0)
  } catch {
    return false
  }
}
const k = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n))

async function benchMemory(opts: Options) {
  const step = opts.quick ? 5_000 : 50_000
  const [port, adminPort] = [await freePort(), await freePort()]
  const yaml = path.join(TMP, 'sls-run.yaml') // JSON is YAML
  fs.writeFileSync(yaml, JSON.stringify({ name: 'bench', services: { app: { scaling: { minInstances: 1, maxInstances: 1, concurrency: 80 }, dev: { command: [NODE, APP] } } } }, null, 2))
  const argv = [path.join(ROOT, 'bin', 'run.js'), 'dev', '-c', yaml, '--port', String(port), '--admin-port', String(adminPort)]
  const dev: Tracked = track(spawn(NODE, argv, { cwd: TMP, env: { ...process.env, NO_COLOR: '1', CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] }))
  let [tail, instancePids]: [string, number[]] = ['', []]
  for (const s of [dev.stdout!, dev.stderr!]) s.on('data', (c: Buffer) => (tail = (tail + c).slice(-4000)))
  // The keys in the order the JSON has always had them: at1MiB, load<step>, at2MiB, load<2 step>.
  const res: Record<string, unknown> & {
    idleMiB?: number
    at1MiB?: number
    at2MiB?: number
    stop?: Awaited<ReturnType<typeof stopChild>> & { instancesLeftRunning: number }
    growthPct?: number
    table?: string
  } = { requestsPerStep: step, connections: 20 }
  const loads: Record<number, Run> = {}
  try {
    await until('sls-run dev to have a ready instance', async () => {
      if (dev.exitCode !== null) throw fatal(`sls-run dev exited with ${dev.exitCode}: ${tail.slice(-800)}`)
      const status = JSON.parse((await get(`http://127.0.0.1:${adminPort}/api/status`, 1000)).body) as ReturnType<Emulator['status']>
      instancePids = status.services[0]!.instances.filter((i) => i.state === 'ready').flatMap((i) => (i.pid === undefined ? [] : [i.pid]))
      return instancePids.length > 0
    })
    await sleep(1000)
    res.idleMiB = r2(rssMiB(dev.pid!))
    for (const [key, n] of [
      ['at1MiB', step],
      ['at2MiB', 2 * step],
    ] as const) {
      process.stderr.write(`  memory: ${k(step)} requests (→ ${k(n)})\n`)
      await quiet()
      res[`load${n}`] = loads[n] = await cannon(`http://127.0.0.1:${port}/`, { connections: 20, amount: step })
      await sleep(1000)
      res[key] = r2(rssMiB(dev.pid!))
    }
  } finally {
    const exit = await stopChild(dev, 'SIGINT', 15_000)
    const left = await sleep(500).then(() => instancePids.filter(alive))
    left.forEach((pid) => process.kill(pid, 'SIGKILL'))
    res.stop = { ...exit, instancesLeftRunning: left.length }
  }
  const [at1, at2, stop] = [res.at1MiB!, res.at2MiB!, res.stop]
  const growth = ((at2 - at1) / at1) * 100
  res.growthPct = r2(growth)
  target('memory', `RSS growth ${k(step)} → ${k(2 * step)} requests ≤ 10 %`, growth, growth <= 10, `${f(at1)} → ${f(at2)} MiB = ${growth >= 0 ? '+' : ''}${f(growth)} %`)
  target(
    'memory',
    'sls-run dev exits on SIGINT within 15 s, no instance left',
    stop.killed || stop.instancesLeftRunning ? 1 : 0,
    !(stop.killed || stop.instancesLeftRunning),
    `exit ${stop.code ?? stop.signal}${stop.killed ? ' (SIGKILLed)' : ''}, instances left: ${stop.instancesLeftRunning}`,
  )
  res.table =
    `Memory — \`sls-run dev\` as a child process (request log drained), RSS of the sls-run process (VmRSS in /proc/<pid>/status), autocannon 20 connections, 1 s settle before each reading. Other load during the two load steps: ${f(loads[step]?.otherLoadPct, 0)} %, ${f(loads[2 * step]?.otherLoadPct, 0)} % of a CPU.\n\n` +
    table(
      ['when', 'requests', 'RSS MiB'],
      [
        ['idle after start', '0', f(res.idleMiB)],
        [`after ${k(step)}`, String(step), f(at1)],
        [`after ${k(2 * step)}`, String(2 * step), f(at2)],
        [`growth ${k(step)} → ${k(2 * step)}`, '', `${f(growth)} %`],
      ],
    )
  return res
}

// ---- main
async function main() {
  const opts = parseArgs(process.argv.slice(2))
  idleWaitMs = opts.idleWaitS * 1000
  // As in startup.ts: with NODE_EXTRA_CA_CERTS every Node process (app, instance, sls-run dev,
  // autocannon) parses that bundle at start-up (~50 ms here). Children inherit process.env.
  const caCerts = process.env.NODE_EXTRA_CA_CERTS
  if (!opts.keepCa) delete process.env.NODE_EXTRA_CA_CERTS
  if (!fs.existsSync(AUTOCANNON)) throw new Error('autocannon is missing: run npm install')
  const [machine, results] = [machineInfo(), {} as Partial<Record<Bench, Outcome<{ table?: string }>>>]
  const run: Record<Bench, (opts: Options) => Promise<{ table?: string }>> = { gateway: benchGateway, coldstart: benchColdstart, burst: benchBurst, memory: benchMemory }
  let out = `sls-run emulator benchmark — ${new Date().toISOString()}${opts.quick ? ' (--quick: a smoke run, indicative only)' : ''}\n`
  out += `${machineLine(machine)}; load generator, emulator and app share these CPUs\n`
  if (caCerts) out += opts.keepCa ? 'NODE_EXTRA_CA_CERTS kept (--keep-extra-ca-certs)\n' : "NODE_EXTRA_CA_CERTS removed from the children's environment (--keep-extra-ca-certs keeps it)\n"
  process.stdout.write(out)
  try {
    await runBenches(opts.only, { results, verdicts }, async (name) => {
      const result = await run[name](opts)
      process.stdout.write(`\n${result.table}`)
      return result
    })
  } finally {
    await cleanup()
  }
  const tail = verdicts.text()
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    machine,
    argv: process.argv.slice(2),
    quick: opts.quick,
    extraCaCertsInEnv: Boolean(caCerts && opts.keepCa),
    benches: withoutTables(results),
    targets: verdicts.targets,
  }
  const shown = writeResults(opts.out, result)
  process.stdout.write(`${tail}\nJSON: ${shown}\n`)
  process.exitCode = Object.values(results).some((r) => r && 'error' in r) ? 1 : 0
}

main().catch(async (e: unknown) => {
  process.stderr.write(`bench/emulator.ts: ${(e as Error)?.stack ?? e}\n`)
  await cleanup()
  process.exit(1)
})
