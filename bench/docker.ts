// Emulator benchmark with the docker runtime (`sls-run dev`, DockerRuntime): cold start through docker,
// thaw latency of a paused container, gateway overhead. See bench/README.md; runs the sources (no build)
// and needs a local Docker engine on Linux (containers reached at their bridge IP). Its base image is the
// real node:22-alpine when the engine has it, else an offline stand-in built for the run (standin-base.ts).
//   node --import ./bench/register.mjs bench/docker.ts [--only coldstart|thaw|gateway[,…]] [--quick] [--keep-extra-ca-certs] [--out FILE]
// Only 127.0.0.1 and the Docker bridge; every load loop is bounded in count and time. Every container
// (the bench's own and the emulators'), the bench image and every process started here are removed,
// also on failure or Ctrl-C. Exit code 1 when a bench failed to run, 2 on bad usage.

import { spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import Docker from 'dockerode'
import tar from 'tar-stream'
import { configSchema } from '../src/core/config/index.js'
import { Emulator, type EmulatorEvent } from '../src/core/emulator/emulator.js'
import { DockerRuntime } from '../src/runtime/docker/docker-runtime.js'
import { resolveEndpoint } from '../src/runtime/docker/engine.js'
import { newSession } from '../src/runtime/docker/labels.js'
import { startMinimalProxy } from './fixtures/min-proxy.js'
import { nodeBase, type NodeBase } from './standin-base.js'
import {
  APP,
  AUTOCANNON,
  SIDES,
  createCannon,
  createTargets,
  createTracker,
  eachScenario,
  gatewayRuns,
  get,
  judgeLatency,
  judgeVsMinimalProxy,
  mean,
  parseBenchArgs,
  runBenches,
  saturate,
  saturationTable,
  sequentialLatency,
  sleep,
  summary as summarize,
  tcpProbe,
  until,
  withoutTables,
  type CannonRun,
  type LatencyStats,
  type Outcome,
  type Saturation,
  type Side,
  type Sides,
  type Summary,
} from './lib.js'
import { ROOT, f, machineInfo, machineLine, r2, r3, resultsFile, table, writeResults } from './report.js'

const BENCHES = ['coldstart', 'thaw', 'gateway'] as const
type Bench = (typeof BENCHES)[number]
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'sls-run-bench-docker-'))
let base: NodeBase = { image: 'node:22-alpine', standin: false, buildArgs: [], cleanup: async () => {} } // nodeBase(), in main()
const RUN = randomUUID().slice(0, 8)
const IMAGE = `sls-run-bench-docker:${RUN}`
const [BENCH_LABEL, RUN_LABEL, SESSION_LABEL] = ['dev.sls-run.bench', 'dev.sls-run.bench.run', 'dev.sls-run.session']
const PORT = 8080 // the app's port inside the container (`port:`)

const parseArgs = (argv: string[]) => parseBenchArgs(argv, { script: 'bench/docker.ts', benches: BENCHES, out: resultsFile('docker') })
type Options = ReturnType<typeof parseArgs>

// ---- bookkeeping: every process, emulator and container started here is tracked and removed
const docker = new Docker(resolveEndpoint(process.env).options) // no client timeout: a build can take longer than the CLI's 5 s
const session = newSession(path.join(TMP, 'sls-run.yaml')) // the emulators' containers carry its id (dev.sls-run.session)
const { nodeJson, stopAll, killAll } = createTracker()
const emulators = new Set<Emulator>()
const state = { imageBuilt: false, cleaned: false }

/** Containers of this run: the bench's own (RUN_LABEL) and the emulators' (this session's label). */
async function ourContainers() {
  const lists = await Promise.all([`${RUN_LABEL}=${RUN}`, `${SESSION_LABEL}=${session.id}`].map((label) => docker.listContainers({ all: true, filters: { label: [label] } })))
  return [...new Map(lists.flat().map((c) => [c.Id, c])).values()]
}

async function removeContainers() {
  const left = await ourContainers()
  await Promise.allSettled(left.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })))
  return left.length
}

async function cleanup() {
  await Promise.allSettled([...emulators].map((e) => e.stop()))
  await stopAll()
  for (let pass = 0; pass < 2; pass++) await removeContainers().catch(() => 0) // twice: one may have been mid-creation
  if (state.imageBuilt) {
    await docker
      .getImage(IMAGE)
      .remove({ force: true })
      .then(() => (state.imageBuilt = false))
      .catch((error: { statusCode?: number; message: string }) => (error.statusCode === 404 ? (state.imageBuilt = false) : process.stderr.write(`could not remove ${IMAGE}: ${error.message}\n`)))
  }
  await base.cleanup().catch((error: Error) => process.stderr.write(`could not remove the stand-in ${base.image}: ${error.message}\n`))
  fs.rmSync(TMP, { recursive: true, force: true })
  state.cleaned = !state.imageBuilt
}
// Last resort when the process ends without cleanup() (an uncaught throw): the docker CLI, synchronously.
process.once('exit', () => {
  killAll()
  if (!state.cleaned) {
    const ids = [`${RUN_LABEL}=${RUN}`, `${SESSION_LABEL}=${session.id}`].flatMap((label) =>
      String(spawnSync('docker', ['ps', '-aq', '--filter', `label=${label}`], { encoding: 'utf8' }).stdout ?? '')
        .split(/\s+/)
        .filter(Boolean),
    )
    if (ids.length) spawnSync('docker', ['rm', '-f', '-v', ...new Set(ids)], { stdio: 'ignore' })
    if (state.imageBuilt) spawnSync('docker', ['rmi', '-f', IMAGE], { stdio: 'ignore' })
  }
  fs.rmSync(TMP, { recursive: true, force: true })
})
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void cleanup().finally(() => process.exit(130)))

// ---- the bench image: FROM node:22-alpine (or its stand-in), bench/fixtures/app.mjs bound to 0.0.0.0
/**
 * app.mjs listens on 127.0.0.1, which inside a container nobody outside can reach: the image gets a
 * copy (made here, the original is untouched) that listens on $LISTEN_HOST or 0.0.0.0, and exits on
 * SIGTERM (as PID 1 of a container, Node has no default SIGTERM handler).
 */
function containerApp(): string {
  const source = fs.readFileSync(APP, 'utf8')
  const hits = source.split("'127.0.0.1'").length - 1
  if (hits !== 1) throw new Error(`bench/fixtures/app.mjs: expected one '127.0.0.1' (its listen address) to rebind, found ${hits}`)
  return (
    source.replace("'127.0.0.1'", "process.env.LISTEN_HOST || '0.0.0.0'") +
    "\n// bench/docker.ts: PID 1 in a container gets no default SIGTERM handler\nprocess.once('SIGTERM', () => process.exit(0))\n"
  )
}

async function buildImage(keepCa: boolean): Promise<string[]> {
  const pack = tar.pack()
  const dockerfile = [`FROM ${base.image}`, 'WORKDIR /app', 'COPY app.mjs ./', ...(keepCa ? [] : ['ENV NODE_EXTRA_CA_CERTS=""']), 'CMD ["node", "app.mjs"]']
  pack.entry({ name: 'Dockerfile' }, dockerfile.join('\n') + '\n')
  pack.entry({ name: 'app.mjs' }, containerApp())
  pack.finalize()
  state.imageBuilt = true // from here on cleanup() tries to remove it
  const stream = await docker.buildImage(pack as unknown as NodeJS.ReadableStream, { t: IMAGE, labels: { [BENCH_LABEL]: 'true', [RUN_LABEL]: RUN }, rm: true, forcerm: true })
  const output = await new Promise<Array<{ error?: string }>>((resolve, reject) =>
    docker.modem.followProgress(stream, (error: Error | null, out: Array<{ error?: string }>) => (error ? reject(error) : resolve(out))),
  )
  const failed = output.find((o) => o.error)
  if (failed) throw new Error(`building ${IMAGE}: ${failed.error}`)
  return dockerfile
}

// ---- helpers: autocannon, the emulator, the machine (the others are in bench/lib.ts)
/** autocannon (bench/lib.ts); each run also gives the CPU other processes used meanwhile (not the server side's `cpuPids`). */
const cannon = createCannon({
  nodeJson,
  meter: (cpuPids) => {
    const snap = procSnapshot()
    return () => ((foreign) => ({ foreignCpuPct: foreign.pct, foreignTop: foreign.top }))(foreignCpu(snap, cpuPids))
  },
})

let runtime: DockerRuntime // one for the whole run (create() inspects the bridge once); a fresh Emulator per use

type ColdStart = Extract<EmulatorEvent, { type: 'cold-start' }>['coldStart']
type Run = CannonRun & { foreignCpuPct: number; foreignTop: string[] }

/** An emulator over the bench image with the docker runtime; `services` maps a name to its settings (as in sls-run.yaml). */
async function emulate(services: Record<string, Record<string, unknown>>) {
  const config = configSchema.parse({ name: 'bench', services: Object.fromEntries(Object.entries(services).map(([name, s]) => [name, { image: IMAGE, port: PORT, ...s }])) })
  const events: EmulatorEvent[] = []
  const emulator = new Emulator({ config, port: 0, adminPort: 0, runtime, graceMs: 2000, onEvent: (e) => void (e.type !== 'log' && e.type !== 'request' && events.push(e)) })
  emulators.add(emulator)
  const { gateways } = await emulator.start().catch((error: unknown) => (emulators.delete(emulator), Promise.reject(error)))
  const service = (name: string) => emulator.status().services.find((s) => s.service === name)!
  return {
    url: gateways.app!,
    urls: gateways,
    instances: (name = 'app') => service(name).instances,
    coldStarts: () => events.flatMap((e) => (e.type === 'cold-start' ? [e.coldStart] : [])),
    failures: () => events.flatMap((e) => (e.type === 'start-failed' ? [`${e.id}: ${e.message}`] : [])),
    stop: () => (emulators.delete(emulator), emulator.stop()),
  }
}

/**
 * CPU time of every process on the machine (ms, from /proc/<pid>/stat), to see what others run while
 * a bench runs: the machine may be shared (builds, tests, other benches).
 */
interface ProcSnapshot {
  at: number
  snap: Map<number, { comm: string; ppid: number; ms: number }>
}

function procSnapshot(): ProcSnapshot {
  const snap: ProcSnapshot['snap'] = new Map()
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8')
      const close = stat.lastIndexOf(')')
      const fields = stat.slice(close + 2).split(' ')
      snap.set(Number(entry), { comm: stat.slice(stat.indexOf('(') + 1, close), ppid: Number(fields[1]), ms: (Number(fields[11]) + Number(fields[12])) * 10 })
    } catch {} // gone meanwhile
  }
  return { at: performance.now(), snap }
}
const INFRA = new Set(['dockerd', 'containerd', 'containerd-shim', 'containerd-shim-runc-v2', 'docker-proxy', 'runc'])
/**
 * CPU used between two snapshots by processes that are not ours, in % of one CPU: everything except
 * this process and its descendants, the `ours` pids (containers' PID 1) and theirs, kernel threads and
 * the Docker engine's own processes (busy with our calls). Processes that started and ended in
 * between are not seen.
 */
function foreignCpu(before: ProcSnapshot, ours: number[] = []): { pct: number; top: string[] } {
  const after = procSnapshot()
  const mine = new Set([process.pid, ...ours])
  const isOurs = (pid: number) => {
    for (let p = pid, hops = 0; p > 0 && hops < 64; p = after.snap.get(p)?.ppid ?? 0, hops++) if (mine.has(p) || p === 2) return true
    return false
  }
  const top: Array<[string, number]> = []
  let ms = 0
  for (const [pid, p] of after.snap) {
    if (isOurs(pid) || INFRA.has(p.comm)) continue
    const used = p.ms - (before.snap.get(pid)?.ms ?? 0)
    if (used > 0) ((ms += used), top.push([p.comm, used]))
  }
  const wall = after.at - before.at
  const by: Record<string, number> = {}
  for (const [comm, used] of top) by[comm] = (by[comm] ?? 0) + used
  const named = Object.entries(by).filter(([, used]) => (used / wall) * 100 >= 1)
  return {
    pct: r2((ms / wall) * 100),
    top: named
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([comm, used]) => `${comm} ${f((used / wall) * 100, 0)} %`),
  }
}

/** How busy the whole machine is (all CPUs, % of their time) over `ms`, from /proc/stat. */
async function machineBusyPct(ms: number): Promise<number | null> {
  const read = () => fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  const a = read()
  await sleep(ms)
  const b = read()
  const d = b.map((x, i) => x - a[i]!)
  const total = d.reduce((x, y) => x + y, 0)
  return total > 0 ? r2(100 - (((d[3] ?? 0) + (d[4] ?? 0)) / total) * 100) : null // idle + iowait
}

/**
 * The machine is shared (builds, tests): before each bench, wait until it is quiet (under 25 % busy
 * over 1 s, nothing of ours running), at most 60 s; then go on either way, and record what was seen.
 */
async function awaitQuiet(name: string) {
  const t0 = Date.now()
  let busy = await machineBusyPct(1000)
  while (busy !== null && busy >= 25 && Date.now() - t0 < 60_000) {
    if (Date.now() - t0 < 1500) process.stderr.write(`  ${name}: the machine is ${f(busy, 0)} % busy before the bench; waiting up to 60 s for it to quiet down\n`)
    busy = await machineBusyPct(1000)
  }
  return { busyPctBefore: busy, waitedMs: Date.now() - t0 - 1000, loadavgBefore: os.loadavg().map(r2) }
}

const bridgeIp = (info: Docker.ContainerInspectInfo): string =>
  (info.NetworkSettings as { IPAddress?: string }).IPAddress || Object.values(info.NetworkSettings.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress || ''

/** The summaries here include the mean. */
const summary = (xs: readonly number[]) => summarize(xs, { mean: true })
type MeanSummary = ReturnType<typeof summary>
const verdicts = createTargets()
const { targets, target, info } = verdicts

// ---- 1. cold start through docker: bare create+start → first 200 at the container's IP, vs the first
// request to a fresh emulator (minInstances 0) → 200

/**
 * What the emulator's containers run with, read from one of them (inspect): the contract env
 * (K_SERVICE, K_REVISION, K_CONFIGURATION, SLS_RUN_APP_URL, PORT; the image's own ENV left out, the
 * engine adds it either way), the CPU quota, the memory limit and the host alias. The direct side
 * creates its containers with exactly these, so both sides start the same container.
 */
interface Spec {
  env: string[]
  hostConfig: Pick<Docker.HostConfig, 'NanoCpus' | 'Memory' | 'MemorySwap' | 'ExtraHosts'>
}

async function captureSpec(containerId: string): Promise<Spec> {
  const [c, image] = await Promise.all([docker.getContainer(containerId).inspect(), docker.getImage(IMAGE).inspect()])
  const imageEnv = new Set(image.Config.Env ?? [])
  const h = c.HostConfig
  return { env: (c.Config.Env ?? []).filter((e) => !imageEnv.has(e)), hostConfig: { NanoCpus: h.NanoCpus, Memory: h.Memory, MemorySwap: h.MemorySwap, ExtraHosts: h.ExtraHosts } }
}

let directCount = 0
/** `docker run -d` through dockerode, timed: create → start → inspect (the IP) → port open (connect polled every 1 ms) → GET / → 200. */
async function coldDirect(spec: Spec) {
  const t0 = performance.now()
  const container = await docker.createContainer({
    name: `sls-run-bench-${RUN}-${++directCount}`,
    Image: IMAGE,
    Env: spec.env,
    Labels: { [BENCH_LABEL]: 'true', [RUN_LABEL]: RUN },
    ExposedPorts: { [`${PORT}/tcp`]: {} },
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    OpenStdin: false,
    HostConfig: spec.hostConfig,
  })
  try {
    const created = performance.now()
    await container.start()
    const started = performance.now()
    const ip = bridgeIp(await container.inspect())
    const inspected = performance.now()
    if (!ip) throw new Error('the engine reported no bridge address for the direct container')
    const probes = { attempts: 0, timeouts: 0 }
    for (let outcome: string; (outcome = await tcpProbe(ip, PORT)) !== 'open';) {
      probes.attempts++
      if (outcome === 'timeout') probes.timeouts++
      await (performance.now() - t0 > 15_000 ? Promise.reject(new Error('the direct container did not open its port in 15 s')) : sleep(1))
    }
    const open = performance.now()
    const res = await get(`http://${ip}:${PORT}/`, 10_000)
    const end = performance.now()
    if (res.status !== 200) throw new Error(`the direct container answered ${res.status}`)
    return {
      ms: end - t0,
      createMs: created - t0,
      startMs: started - created,
      inspectMs: inspected - started,
      bootMs: open - inspected,
      httpMs: end - open,
      probes: probes.attempts + 1,
      probeTimeouts: probes.timeouts,
    }
  } finally {
    await container.remove({ force: true, v: true }).catch(() => undefined)
  }
}

/**
 * A fresh emulator (minInstances 0), idle until its warm container is made (as a dev session is between its
 * start and its first request: docs/runtimes.md, "Warm containers"), and its first request, timed from
 * sending it to the end of the 200; then stopped.
 */
async function coldEmulator(capture = false): Promise<{ ms: number; phases: ColdStart; spec: Spec | undefined }> {
  const emu = await emulate({ app: { scaling: { minInstances: 0, maxInstances: 1 } } })
  try {
    await until('the warm container', async () => runtime.warmContainers.app === 1)
    const res = await get(`${emu.url}/`, 30_000).catch((error) => Promise.reject(new Error(`${error.message}${emu.failures().length ? ` (${emu.failures().join('; ')})` : ''}`)))
    if (res.status !== 200 || res.headers['x-sls-run-cold-start'] !== '1') throw new Error(`expected a cold-start 200, got ${res.status}: ${res.body.trim()}`)
    const spec = capture ? await captureSpec(emu.instances().find((i) => i.container)!.container!) : undefined
    return { ms: res.ms, phases: emu.coldStarts()[0]!, spec }
  } finally {
    await emu.stop()
  }
}

async function benchColdstart(opts: Options) {
  const rounds = opts.quick ? 5 : 15
  process.stderr.write('  coldstart: warm-up (one emulator round, which also reads the container spec, then one direct round)\n')
  const warm = await coldEmulator(true)
  const spec = warm.spec!
  const warmDirect = await coldDirect(spec)
  const leftAfterWarmup = (await ourContainers()).length
  const [direct, gateway]: [Array<Awaited<ReturnType<typeof coldDirect>>>, Array<Awaited<ReturnType<typeof coldEmulator>>>] = [[], []]
  for (let i = 0; i < rounds; i++) {
    process.stderr.write(`  coldstart: round ${i + 1}/${rounds}\n`)
    for (const side of i % 2 ? ['emulator', 'direct'] : ['direct', 'emulator']) {
      if (side === 'direct') direct.push(await coldDirect(spec))
      else gateway.push(await coldEmulator())
    }
  }
  const left = (await ourContainers()).length
  const [d, g] = [summary(direct.map((r) => r.ms)), summary(gateway.map((r) => r.ms))]
  const overhead = g.median - d.median
  const extra = gateway.map((r) => r.ms - r.phases.totalMs) // request → 200, minus the instance's own cold start
  const phase = Object.fromEntries((['totalMs', 'spawnMs', 'bootMs', 'readyMs'] as const).map((k) => [k, summary(gateway.map((r) => r.phases[k]))]))
  const directPhase = Object.fromEntries((['createMs', 'startMs', 'inspectMs', 'bootMs', 'httpMs'] as const).map((k) => [k, summary(direct.map((r) => r[k]))]))
  const ratio = r3(g.median / d.median)
  target(
    'coldstart',
    'median cold start through sls-run ≤ 1.0× a bare docker run to first response',
    ratio,
    ratio <= 1,
    `${f(g.median)} / ${f(d.median)} ms = ${f(ratio, 3)} (overhead ${f(overhead)} ms; p90 ${f(g.p90)} vs ${f(d.p90)} ms)`,
  )
  target('coldstart', 'no container left after emulator.stop() / removal', left + leftAfterWarmup, left + leftAfterWarmup === 0, `${left + leftAfterWarmup} left`)
  const row = (label: string, s: MeanSummary) => [label, String(s.n), f(s.median), f(s.p90), f(s.mean), f(s.min), f(s.max)]
  const text =
    `Cold start through docker — ${rounds} rounds after one warm-up of each side, alternated; the same image, env, CPU/memory limits and network path (the container's bridge IP) on both sides.\n` +
    `Direct: dockerode create → start → inspect → connect polled every 1 ms → GET / → 200, timed from create. Emulator: a fresh emulator (minInstances 0, DockerRuntime) once its warm container is made, timed from sending the first request to the end of its 200.\n\n` +
    table(
      ['path', 'n', 'median ms', 'p90', 'mean', 'min', 'max'],
      [row('direct (create → 200)', d), row('emulator (request → 200)', g), ['overhead (emulator − direct)', '', f(overhead), f(g.p90 - d.p90), f(g.mean - d.mean), '', '']],
    ) +
    `\nWhere the time goes. Direct: its steps as timed above. Emulator: its 'cold-start' events (spawn = start + inspect of the warm container, made and attached ahead; boot = spawned → port open, polled every 1–10 ms; ready = port open → ready), and what the request spent outside the instance's cold start (gateway, queue, proxying).\n\n` +
    table(
      ['phase', 'median ms', 'p90', 'mean', 'min', 'max'],
      [
        ...Object.entries(directPhase).map(([k, s]) => [`direct: ${k.replace('Ms', '')}`, f(s.median), f(s.p90), f(s.mean), f(s.min), f(s.max)]),
        ...Object.entries(phase).map(([k, s]) => [`emulator: ${k.replace('Ms', '')}`, f(s.median), f(s.p90), f(s.mean), f(s.min), f(s.max)]),
        ((s) => ['emulator: request − cold start', f(s.median), f(s.p90), f(s.mean), f(s.min), f(s.max)])(summary(extra)),
      ],
    ) +
    `\nDirect: ${direct.filter((r) => r.probeTimeouts).length}/${rounds} rounds had a connect attempt that got no answer at all within 200 ms (a SYN not answered, rather than refused), ${f(mean(direct.map((r) => r.probes)), 0)} connect attempts per round on average. The emulator's readiness probe gives up on such an attempt after 100 ms.\n`
  return {
    rounds,
    spec,
    warmup: { directMs: r2(warmDirect.ms), emulatorMs: r2(warm.ms) },
    direct: d,
    emulator: g,
    overheadMs: r2(overhead),
    ratio,
    directPhases: directPhase,
    emulatorPhases: phase,
    emulatorOutsideColdStart: summary(extra),
    rawDirect: direct.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, r2(v)]))),
    rawEmulator: gateway.map((r) => ({ ms: r2(r.ms), ...Object.fromEntries(Object.entries(r.phases).map(([k, v]) => [k, r2(v)])) })),
    containersLeft: left + leftAfterWarmup,
    table: text,
  }
}

// ---- 2. thaw: one emulator, two services on the same image, cpuThrottling true (frozen while idle) and
// false; sequential requests with a gap, the two services interleaved
/** What bench/fixtures/gap-client.mjs prints for each URL. */
interface GapSamples {
  ttfb: number[]
  total: number[]
  thaw: Array<number | null>
}

async function benchThaw(opts: Options) {
  const [n, warmup, gapMs] = opts.quick ? [40, 5, 100] : [150, 10, 100]
  const scaling = { minInstances: 1, maxInstances: 1 }
  const emu = await emulate({ throttled: { cpuThrottling: true, scaling }, unthrottled: { cpuThrottling: false, scaling } })
  try {
    const names = ['throttled', 'unthrottled'] as const
    await until('both instances to be ready', async () => names.every((s) => emu.instances(s).some((i) => i.state === 'ready')))
    // Sanity check, before the timed run: is the throttled container paused `gapMs` after a request, and the other not?
    const paused = {} as Record<(typeof names)[number], boolean[]>
    for (const name of names) {
      const container = emu.instances(name).find((i) => i.state === 'ready')!.container!
      paused[name] = []
      for (let i = 0; i < 3; i++) {
        const res = await get(`${emu.urls[name]!}/`, 10_000)
        if (res.status !== 200) throw new Error(`${name} answered ${res.status}`)
        await sleep(gapMs)
        paused[name].push((await docker.getContainer(container).inspect()).State.Paused)
      }
    }
    if (!paused.throttled.every(Boolean) || paused.unthrottled.some(Boolean)) throw new Error(`expected the throttled container paused between requests and the other not: ${JSON.stringify(paused)}`)
    process.stderr.write(`  thaw: ${n} requests per service (after ${warmup} warm-up ones), ${gapMs} ms gap after each, interleaved\n`)
    const urls = Object.fromEntries(names.map((name) => [name, `${emu.urls[name]!}/`])) as Record<(typeof names)[number], string>
    const raw = await nodeJson<Record<string, GapSamples>>(
      [path.join(ROOT, 'bench', 'fixtures', 'gap-client.mjs'), String(n), String(warmup), String(gapMs), ...names.map((name) => urls[name])],
      (n + warmup) * 2 * (gapMs + 100) + 30_000,
    )
    const by = Object.fromEntries(names.map((name) => [name, raw[urls[name]]!])) as Record<(typeof names)[number], GapSamples>
    const thawSamples = by.throttled.thaw.filter((x): x is number => x !== null)
    const summaries = (key: 'ttfb' | 'total') => Object.fromEntries(names.map((name) => [name, summary(by[name][key])])) as Record<(typeof names)[number], MeanSummary>
    const ttfb = summaries('ttfb')
    const res = {
      requests: n,
      warmup,
      gapMs,
      pausedCheck: paused,
      ttfb,
      total: summaries('total'),
      serverTimingThaw: { ...summary(thawSamples), present: thawSamples.length, absentOnUnthrottled: by.unthrottled.thaw.every((x) => x === null) },
      raw: by,
      thawCostMs: { median: r3(ttfb.throttled.median - ttfb.unthrottled.median), p90: r3(ttfb.throttled.p90 - ttfb.unthrottled.p90), mean: r3(ttfb.throttled.mean - ttfb.unthrottled.mean) },
      table: '',
    }
    info(
      'thaw',
      'thaw cost: median TTFB, cpuThrottling true − false (reported, no target)',
      res.thawCostMs.median,
      `${f(res.ttfb.throttled.median, 2)} − ${f(res.ttfb.unthrottled.median, 2)} ms = ${f(res.thawCostMs.median, 2)} ms (p90: ${f(res.thawCostMs.p90, 2)} ms); Server-Timing thaw median ${f(res.serverTimingThaw.median, 1)} ms`,
    )
    const row = (label: string, s: MeanSummary) => [label, String(s.n), f(s.median, 2), f(s.p90, 2), f(s.mean, 2), f(s.min, 2), f(s.max, 2)]
    res.table =
      `Thaw latency — one emulator, two services on the same image, minInstances 1: cpuThrottling true (docker pause while idle) and false. bench/fixtures/gap-client.mjs in its own process: one keep-alive connection per service, one request in flight, ${gapMs} ms of silence after every request, the two services interleaved request by request; ${n} timed requests each after ${warmup} warm-up ones. ` +
      `Before the run, the throttled container was seen paused ${gapMs} ms after a request (${paused.throttled.filter(Boolean).length}/3) and the other never (${paused.unthrottled.filter(Boolean).length}/3). TTFB = request sent → status line and headers in; total = → end of body; fractional ms.\n\n` +
      table(
        ['', 'n', 'median ms', 'p90', 'mean', 'min', 'max'],
        [
          row('TTFB, cpuThrottling false', res.ttfb.unthrottled),
          row('TTFB, cpuThrottling true', res.ttfb.throttled),
          ['thaw cost (true − false)', '', f(res.thawCostMs.median, 2), f(res.thawCostMs.p90, 2), f(res.thawCostMs.mean, 2), '', ''],
          row('Server-Timing thaw;dur (true)', res.serverTimingThaw),
          row('total, cpuThrottling false', res.total.unthrottled),
          row('total, cpuThrottling true', res.total.throttled),
        ],
      ) +
      `\nServer-Timing thaw;dur is the gateway's own timing of the unpause call (1 decimal); it came on ${thawSamples.length}/${n} throttled responses${res.serverTimingThaw.absentOnUnthrottled ? ' and on none of the unthrottled ones' : ' (and ALSO on some unthrottled ones)'}.\n`
    return res
  } finally {
    await emu.stop()
  }
}

// ---- 3. gateway overhead with the docker runtime. Three doors to the same container: direct (its bridge
// IP), the minimal proxy (bench/fixtures/min-proxy.ts) and the gateway; both proxies run inside this
// process, autocannon and the latency client in their own. Two apps (SCENARIOS in bench/lib.ts): zero-work
// (the proxy's cost is all there is: reported) and one whose service time dominates, as a real app's does
// (the target is judged there).

interface Doors {
  sides: Sides
  stop(): Promise<unknown>
  container: { ip: string; cpus: number; memoryBytes: number }
}

/** One emulator (minInstances 1, the instance ready) and three doors to its one container. */
async function doors(env: Record<string, string>): Promise<Doors> {
  const stops: Array<() => Promise<unknown>> = []
  const stop = async () => {
    for (const s of [...stops].reverse()) await s().catch(() => undefined)
  }
  try {
    const emu = await emulate({ app: { env, scaling: { minInstances: 1, maxInstances: 1, concurrency: 80 } } })
    stops.push(() => emu.stop())
    await until('the instance to be ready', async () => emu.instances().some((i) => i.state === 'ready'))
    const c = await docker.getContainer(emu.instances().find((i) => i.state === 'ready')!.container!).inspect()
    const [ip, pid] = [bridgeIp(c), c.State.Pid]
    if (!ip) throw new Error('the engine reported no bridge address for the instance')
    await until('the container at its bridge address', async () => (await get(`http://${ip}:${PORT}/`, 1000)).status === 200)
    const proxy = await startMinimalProxy(`http://${ip}:${PORT}`, { connections: 80 })
    stops.push(() => proxy.close())
    const sides: Sides = {
      direct: { url: `http://${ip}:${PORT}/`, cpuPids: [pid], cpuNames: ['app'] },
      'minimal proxy': { url: `${proxy.url}/`, cpuPids: [process.pid, pid], cpuNames: ['proxy', 'app'] },
      gateway: { url: `${emu.url}/`, cpuPids: [process.pid, pid], cpuNames: ['gateway', 'app'] },
    }
    return { sides, stop, container: { ip, cpus: (c.HostConfig.NanoCpus ?? 0) / 1e9, memoryBytes: c.HostConfig.Memory ?? 0 } }
  } catch (error) {
    await stop()
    throw error
  }
}

const DISTURBED_PCT = 10 // other processes used more than this (% of a CPU) during a run: it is run again (at most twice; saturate() in bench/lib.ts)
const disturbed = (run: Run) => run.foreignCpuPct > DISTURBED_PCT && `other processes used ${f(run.foreignCpuPct, 0)} % of a CPU (${run.foreignTop.join(', ')})`

async function benchGateway(opts: Options) {
  const { seconds, connections, latencyN, latencyWarmup } = gatewayRuns(opts.quick)
  const res: {
    connections: number
    seconds: number
    scenarios: Record<string, Saturation<Run> & { env: Record<string, string>; judged: boolean; container: Doors['container'] }>
    latency?: {
      requests: number
      warmup: number
      app: string
      sides: Record<Side, LatencyStats>
      addedP50Ms: number
      addedP99Ms: number
      minimalProxyAddedP50Ms: number
      minimalProxyAddedP99Ms: number
    }
    table?: string
  } = { connections, seconds, scenarios: {} }
  let text = ''
  await eachScenario(doors, async (name, scenario, { sides, container }) => {
    const sat = (res.scenarios[name] = { env: scenario.env, judged: scenario.judged, container, ...(await saturate(cannon, name, sides, { seconds, connections, quick: opts.quick, disturbed })) })
    const [d, p, g] = SIDES.map((side) => sat.best[side]) as [Run, Run, Run]
    const detail = `${f(g.rps, 0)} / ${f(d.rps, 0)} req/s = ${f(sat.ratio, 2)}; minimal proxy / direct = ${f(sat.minimalProxyRatio, 2)}, gateway / minimal proxy = ${f(sat.gatewayVsMinimalProxy, 2)}; p50 ${f(g.p50, 0)} vs ${f(d.p50, 0)} ms, p99 ${f(g.p99, 0)} vs ${f(d.p99, 0)} ms`
    if (scenario.judged) target('gateway', `throughput gateway/direct ≥ 0.93 (docker runtime, ${name} app: judged here)`, sat.ratio, sat.ratio >= 0.93, detail)
    else info('gateway', `throughput gateway/direct, docker runtime, ${name} app (reported, not judged)`, sat.ratio, detail)
    judgeVsMinimalProxy(target, sat, name, 'docker')
    const noisy = [d, p, g].filter((r) => r.foreignCpuPct > DISTURBED_PCT)
    text +=
      `Gateway throughput (docker runtime), ${scenario.what} — ${scenario.judged ? 'gateway/direct ≥ 0.93 and the minimal-proxy targets are JUDGED on this table' : 'gateway/direct REPORTED, NOT JUDGED (with no work in the app, proxying is all the work there is); gateway/minimal proxy ≥ 0.97 JUDGED'}.\n` +
      `One container (CPU quota ${f(container.cpus, 2)} vCPU, the default resources), reached three ways: direct at its bridge IP ${container.ip}:${PORT}, through the minimal proxy, through the gateway (minInstances 1, maxInstances 1, concurrency 80). ` +
      `autocannon in its own process, ${connections} connections, ${seconds} s per run; direct, minimal proxy, gateway, then the reverse order; best run of each by req/s. ` +
      `Minimal proxy and gateway both run inside the bench process. The ${os.cpus().length} CPUs are shared by autocannon, the proxy, the container and dockerd: a same-run comparison, not a capacity figure. Latencies under saturation: autocannon, whole ms. CPU % from /proc (the container's node is its PID 1).\n\n` +
      saturationTable(sides, [d, p, g], { header: 'others CPU %', pct: (r) => r.foreignCpuPct }) +
      `gateway / minimal proxy = ${f(sat.gatewayVsMinimalProxy, 3)}` +
      (sat.discarded?.length ? `; ${sat.discarded.length} disturbed run(s) run again` : '') +
      (noisy.length
        ? `; WARNING: other processes on the machine used over ${DISTURBED_PCT} % of a CPU during ${noisy.length} of these runs even so (${noisy.flatMap((r) => r.foreignTop).join(', ')})`
        : '') +
      '\n\n'
    if (name === 'zero-work') {
      process.stderr.write(`  gateway, latency: ${latencyN} sequential requests per side, interleaved\n`)
      const lat = await sequentialLatency(nodeJson, sides, latencyN, latencyWarmup)
      res.latency = { requests: latencyN, warmup: latencyWarmup, app: name, sides: lat.sides, ...lat.added }
      judgeLatency(target, res.latency, 'docker runtime, sequential client')
      text +=
        `Gateway latency (docker runtime), ${scenario.what} — the core issue's added p50 ≤ 0.5 ms and p99 ≤ 3 ms targets, applied to the docker path, are JUDGED on this table.\n` +
        `${lat.method}\n\n` +
        lat.table +
        '\n'
    }
  })
  res.table = text
  return res
}

// ---- main
async function main() {
  const opts = parseArgs(process.argv.slice(2))
  // As in emulator.ts: NODE_EXTRA_CA_CERTS costs every Node start ~50 ms. Here it is removed from the
  // children's environment (autocannon, the clients) and, unless --keep-extra-ca-certs, from the bench
  // image: the node:22-alpine stand-in sets it in its ENV (the real image does not; emptying it changes nothing there).
  const caCerts = process.env.NODE_EXTRA_CA_CERTS
  if (!opts.keepCa) delete process.env.NODE_EXTRA_CA_CERTS
  if (!fs.existsSync(AUTOCANNON)) throw new Error('autocannon is missing: run npm install')
  const [machine, results] = [machineInfo(), {} as Partial<Record<Bench, Outcome<{ table: string }>>>]
  let engine: { version: string; apiVersion: string; storageDriver: string; cgroupDriver: string; cgroupVersion?: string; kernel: string }
  try {
    const [version, dinfo] = (await Promise.all([docker.version(), docker.info()])) as [Docker.DockerVersion, Record<string, string>]
    engine = {
      version: version.Version,
      apiVersion: version.ApiVersion,
      storageDriver: dinfo.Driver!,
      cgroupDriver: dinfo.CgroupDriver!,
      cgroupVersion: dinfo.CgroupVersion,
      kernel: dinfo.KernelVersion!,
    }
  } catch (error) {
    throw new Error(`no Docker engine answers (${(error as Error).message})`)
  }
  let out = `sls-run emulator benchmark, docker runtime — ${new Date().toISOString()}${opts.quick ? ' (--quick: a smoke run, indicative only)' : ''}\n`
  out += `${machineLine(machine)}; Docker ${engine.version} (${engine.storageDriver}, cgroup ${engine.cgroupVersion ?? '?'}); load generator, emulator, dockerd and containers share these CPUs\n`
  const results0: Record<string, unknown> = { engine, image: IMAGE }
  try {
    base = await nodeBase(docker)
    results0.baseImage = { image: base.image, standin: base.standin }
    process.stderr.write(`building ${IMAGE} FROM ${base.image}…\n`)
    results0.dockerfile = await buildImage(opts.keepCa)
    runtime = await DockerRuntime.create(docker, session, { address: 'auto' })
    results0.addressMode = runtime.gatewayHosts.length ? 'bridge' : 'published'
    if (results0.addressMode !== 'bridge') throw new Error('the docker runtime chose published ports: this bench needs a local engine on Linux (containers reached at their bridge IP)')
    out += `image ${IMAGE} (FROM ${base.image}${base.standin ? ', an offline stand-in: the host node, glibc' : ''}, bench/fixtures/app.mjs bound to 0.0.0.0; NODE_EXTRA_CA_CERTS ${opts.keepCa ? 'kept as the stand-in sets it (--keep-extra-ca-certs)' : 'emptied: the stand-in sets it, the real image does not, and it costs each Node start ~50 ms'}); DockerRuntime in bridge mode\n`
    if (caCerts && !opts.keepCa) out += "NODE_EXTRA_CA_CERTS removed from the children's environment (--keep-extra-ca-certs keeps it)\n"
    process.stdout.write(out)
    const run: Record<Bench, (opts: Options) => Promise<{ table?: string }>> = { coldstart: benchColdstart, thaw: benchThaw, gateway: benchGateway }
    await runBenches(opts.only, { results, verdicts }, async (name) => {
      const quiet = await awaitQuiet(name)
      const snap = procSnapshot()
      const raw = await run[name](opts)
      const foreign = foreignCpu(snap)
      const result = { ...raw, table: raw.table ?? '', machine: { ...quiet, foreignCpuPct: foreign.pct, foreignTop: foreign.top, loadavgAfter: os.loadavg().map(r2) } }
      if (foreign.pct > 10)
        for (const t of targets.filter((t) => t.bench === name))
          Object.assign(t, { disturbed: true, detail: `${t.detail} — DISTURBED: other processes used ${f(foreign.pct, 0)} % of a CPU during this bench` })
      process.stdout.write(
        `\n${result.table.trimEnd()}\n\n(machine: ${f(quiet.busyPctBefore, 0)} % busy over 1 s before this bench${quiet.waitedMs > 500 ? `, after waiting ${f(quiet.waitedMs / 1000, 0)} s for it to quiet down` : ''}; ` +
          `during it, other processes used ${f(foreign.pct, 0)} % of a CPU${foreign.top.length ? ` (${foreign.top.join(', ')})` : ''}; load average ${quiet.loadavgBefore.map((x) => f(x, 2)).join(' ')} → ${result.machine.loadavgAfter.map((x) => f(x, 2)).join(' ')})\n`,
      )
      return result
    })
  } finally {
    await cleanup()
  }
  const left = await ourContainers().catch(() => [])
  const imageLeft = await docker
    .getImage(IMAGE)
    .inspect()
    .then(
      () => true,
      () => false,
    )
  results0.cleanup = { containersLeft: left.length, imageLeft }
  const tail = verdicts.text() + `\nCleanup: ${left.length} container(s) of this run left, bench image ${imageLeft ? 'STILL PRESENT' : 'removed'}\n`
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    machine,
    argv: process.argv.slice(2),
    quick: opts.quick,
    extraCaCertsInImage: opts.keepCa,
    ...results0,
    benches: withoutTables(results),
    targets,
  }
  const shown = writeResults(opts.out, result)
  process.stdout.write(`${tail}\nJSON: ${shown}\n`)
  process.exitCode = Object.values(results).some((r) => r && 'error' in r) || left.length || imageLeft ? 1 : 0
}

main().catch(async (e: unknown) => {
  process.stderr.write(`bench/docker.ts: ${(e as Error)?.stack ?? e}\n`)
  await cleanup()
  process.exit(1)
})
