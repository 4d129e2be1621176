// Dev-loop benchmark: save → serving (file written → first answer from the new revision), through the
// real dev loop (src/core/devloop/devloop.ts, run from the sources), with baselines measured in the same run.
//   process runtime: overhead = median(save → serving) − median(app boot: spawn → port open); target ≤ 150 ms.
//   docker runtime (a source-only change): target median(save → serving) ≤ median(image build by hand)
//     + median(create + start → first answer by hand) + 300 ms; both by hand through dockerode.
//   Both runtimes under traffic: while the saves run, 2 client loops in this process GET the gateway
//     (fetch, 10 s timeout each, a 10 ms pause after each); a non-200 answer or an exception is a failure.
//   node --import ./bench/register.mjs bench/devloop.ts [--quick] [--only process|docker] [--out FILE]
// The docker part runs FROM a stand-in base image that this script builds itself from local files (the
// host's node binary and the libraries ldd lists, FROM scratch), named sls-run-bench/node-standin:<run id>.
// Only 127.0.0.1 and the Docker bridge; every loop is bounded in count and time; every container and image
// the run creates carries its run label and is removed at the end, and nothing else is touched.
import { spawn, spawnSync, execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import Docker from 'dockerode'
import tar, { type Header } from 'tar-stream'
import { loadConfig } from '../src/core/config/index.js'
import { DEBOUNCE_MS, DevLoop, type DevLoopEvent, type DevLoopOptions } from '../src/core/devloop/devloop.js'
import { Emulator, type EmulatorEvent } from '../src/core/emulator/emulator.js'
import { buildServices, type BuildRequest } from '../src/core/image/build.js'
import { DockerRuntime } from '../src/runtime/docker/docker-runtime.js'
import { newSession } from '../src/runtime/docker/labels.js'
import { freePort } from '../src/runtime/free-port.js'
import { ProcessRuntime, stopAllSync } from '../src/runtime/process/process-runtime.js'
import type { Runtime } from '../src/runtime/types.js'
import { get, parseBenchArgs, sleep, summary, tcpOpen, type Summary } from './lib.js'
import { f, machineInfo, machineLine, r2, resultsFile, table, writeResults } from './report.js'

const BENCHES = ['process', 'docker'] as const
type Bench = (typeof BENCHES)[number]
const opts = parseBenchArgs(process.argv.slice(2), { script: 'bench/devloop.ts', benches: BENCHES, out: resultsFile('devloop'), keepCa: false })
const quick = opts.quick
const TARGET_PROCESS_OVERHEAD_MS = 150
const TARGET_DOCKER_MARGIN_MS = 300
/** The rollout-under-traffic clients: loops, per-request timeout, pause after each request, and the bounds (requests in all, ms). */
const TRAFFIC = { clients: 2, timeoutMs: 10_000, pauseMs: 10, maxRequests: 20_000, maxMs: 120_000 }

const RUN = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`
const BENCH_LABEL = 'dev.sls-run.bench'
const RUN_LABEL = 'dev.sls-run.bench.run'
const LABELS = { [BENCH_LABEL]: 'devloop', [RUN_LABEL]: RUN }
const RUN_FILTER = `${RUN_LABEL}=${RUN}` // every container and image of this run, and only those
const STANDIN = `sls-run-bench/node-standin:${RUN}`
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'sls-run-bench-devloop-'))
const docker = new Docker()
const stops: Array<() => Promise<unknown>> = []
const state = { dockerUsed: false, cleaned: false }

async function cleanup() {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined)
  if (state.dockerUsed) {
    const left = await removeOurs()
    if (left.length) process.stderr.write(`devloop: could not remove ${left.join(', ')}\n`)
    state.cleaned = left.length === 0
  } else state.cleaned = true
  fs.rmSync(TMP, { recursive: true, force: true })
}

/** Removes this run's containers, then its images (children before parents: a few passes, bounded); returns what is left. */
async function removeOurs(): Promise<string[]> {
  const filters = { label: [RUN_FILTER] }
  for (const c of await docker.listContainers({ all: true, filters }).catch(() => []))
    await docker
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch(() => undefined)
  for (let pass = 0; pass < 6; pass++) {
    const images = await docker.listImages({ all: true, filters }).catch(() => [])
    if (!images.length) break
    // The stand-in last: every other image of the run is its descendant.
    images.sort((a, b) => Number(a.RepoTags?.includes(STANDIN) ?? false) - Number(b.RepoTags?.includes(STANDIN) ?? false))
    for (const i of images)
      await docker
        .getImage(i.Id)
        .remove({ force: true })
        .catch(() => undefined)
  }
  const containers = await docker.listContainers({ all: true, filters }).catch(() => [])
  const images = await docker.listImages({ all: true, filters }).catch(() => [])
  return [...containers.map((c) => `container ${c.Id.slice(0, 12)}`), ...images.map((i) => `image ${i.Id.slice(7, 19)}`)]
}

// Last resort when the process ends without cleanup() (an uncaught throw): the docker CLI, synchronously.
process.once('exit', () => {
  stopAllSync()
  if (state.dockerUsed && !state.cleaned) {
    const ids = (kind: string[]) =>
      String(spawnSync('docker', [...kind, '-q', '--filter', `label=${RUN_FILTER}`], { encoding: 'utf8', timeout: 20_000 }).stdout ?? '')
        .split(/\s+/)
        .filter(Boolean)
    const containers = ids(['ps', '-a'])
    if (containers.length) spawnSync('docker', ['rm', '-f', '-v', ...containers], { stdio: 'ignore', timeout: 30_000 })
    for (let pass = 0; pass < 4; pass++) {
      const images = [...new Set(ids(['images', '-a']))]
      if (!images.length) break
      for (const id of images) spawnSync('docker', ['rmi', '-f', id], { stdio: 'ignore', timeout: 30_000 })
    }
  }
  fs.rmSync(TMP, { recursive: true, force: true })
})
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void cleanup().finally(() => process.exit(130)))

const app = (version: string, host: string) =>
  `import http from 'node:http'\nhttp.createServer((req, res) => { req.resume(); res.end(${JSON.stringify(version)}) }).listen(Number(process.env.PORT), ${JSON.stringify(host)})\n` +
  `process.on('SIGTERM', () => process.exit(0)) // PID 1 in a container has no default SIGTERM handler\n`

/** Polls every 5 ms, `ms` at most, until GET url answers 200 with `body` (each GET 2 s at most; no answer counts as 0); returns ms since t0. */
async function servedWithin(url: string, body: string, t0: number, ms = 60_000): Promise<number> {
  for (let i = 0; performance.now() - t0 < ms && i < 100_000; i++) {
    const res = await get(url, 2000).catch(() => ({ status: 0, body: '' }))
    if (res.status === 200 && res.body === body) return performance.now() - t0
    await sleep(5)
  }
  throw new Error(`${url} did not serve ${body} within ${ms} ms`)
}

/**
 * Rollout under traffic: TRAFFIC.clients loops in this process (they share its event loop with the dev
 * loop and the emulator) that each GET `url` with fetch (keep-alive, TRAFFIC.timeoutMs per request, the
 * body read to its end), then pause TRAFFIC.pauseMs, so the load stays light (under 200 requests/s
 * in all) and disturbs the timed polls little. A status other than 200 or an exception is a failure;
 * the first 5 messages are kept, each with its time since the traffic started. Bounded: `stop()`,
 * TRAFFIC.maxRequests in all, TRAFFIC.maxMs. `stop()` (idempotent) waits for the requests in flight and
 * gives `{ requests, failed, failures, capped }` (`capped`: 'requests' or 'time' when a bound stopped it).
 */
interface Traffic {
  requests: number
  failed: number
  failures: string[]
  capped: 'requests' | 'time' | null
}

function traffic(url: string): { stop(): Promise<Traffic> } {
  const t0 = performance.now()
  const counts = { requests: 0, failed: 0, failures: [] as string[] }
  let [stopped, capped, stopping]: [boolean, Traffic['capped'], Promise<Traffic> | null] = [false, null, null]
  const more = () => {
    if (stopped) return false
    if (counts.requests >= TRAFFIC.maxRequests) capped ??= 'requests'
    else if (performance.now() - t0 >= TRAFFIC.maxMs) capped ??= 'time'
    return !capped
  }
  const fail = (message: string) => {
    counts.failed++
    if (counts.failures.length < 5) counts.failures.push(`+${f(performance.now() - t0, 0)} ms: ${message}`)
  }
  const describe = (error: unknown) => {
    const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } } | undefined
    const cause = e?.cause
    return `${e?.name ?? 'Error'}: ${e?.message ?? error}${cause ? ` (${[cause.code, cause.message].filter(Boolean).join(': ')})` : ''}`
  }
  async function client() {
    while (more()) {
      counts.requests++
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(TRAFFIC.timeoutMs) })
        const body = await res.text()
        if (res.status !== 200) fail(`HTTP ${res.status}: ${body.trim().slice(0, 200)}`)
      } catch (error) {
        fail(describe(error))
      }
      if (more()) await sleep(TRAFFIC.pauseMs)
    }
  }
  const done = Promise.all(Array.from({ length: TRAFFIC.clients }, client))
  return { stop: () => (stopping ??= ((stopped = true), done.then(() => ({ ...counts, capped })))) }
}

/** The table's sentence on the traffic, for `during` (what else ran while it did). */
const trafficMethod = (during: string) =>
  `Under traffic: from the first answer of v0 to the end of the last save${during}, ${TRAFFIC.clients} client loops in this same process (they share its event loop with the dev loop, the emulator and the timed polls) send GETs through the gateway: fetch over keep-alive, ${TRAFFIC.timeoutMs / 1000} s timeout each, a ${TRAFFIC.pauseMs} ms pause after each answer; at most ${TRAFFIC.maxRequests} requests and ${TRAFFIC.maxMs / 1000} s. A failure is a status other than 200 or an exception.`

/** The line under a runtime's table, then the first failures, if any. */
const trafficLines = (t: Traffic) =>
  `under traffic: ${t.requests} requests, ${t.failed} failed${t.capped ? ` (stopped early: the ${t.capped === 'time' ? `${TRAFFIC.maxMs / 1000} s` : `${TRAFFIC.maxRequests}-request`} bound)` : ''}\n` +
  t.failures.map((m) => `  ${m}\n`).join('')

/** `promise`, or an error after `ms` (engine calls that have no timeout of their own). */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took more than ${ms / 1000} s`)), ms)))]).finally(() => clearTimeout(timer))
}

/**
 * An emulator and a DevLoop over `dir`. Every event is kept with its time (performance.now()), so each
 * save's phases can be read back: `since(t0)`; `settled(serving)` waits for the older revisions to retire.
 */
/** An event of the emulator or the dev loop, with when it came (performance.now()). */
interface Logged {
  at: number
  source: 'emulator' | 'devloop'
  event: EmulatorEvent | DevLoopEvent
}
type RevisionEvent = Extract<EmulatorEvent, { type: 'revision' }>

async function session(dir: string, runtime: Runtime, kind: 'process' | 'docker', extra: Pick<DevLoopOptions, 'docker' | 'builder'> = {}) {
  const yaml = path.join(dir, 'sls-run.yaml')
  const { config } = await loadConfig({ file: yaml })
  const log: Logged[] = []
  const record = (source: Logged['source']) => (event: Logged['event']) => void log.push({ at: performance.now(), source, event })
  const emulator = new Emulator({ config, port: 0, adminPort: 0, runtime, graceMs: 2000, onEvent: record('emulator') })
  stops.push(() => emulator.stop())
  const { gateways } = await emulator.start()
  const loop = new DevLoop({ emulator, configFile: yaml, runtimeOf: () => kind, ...extra, onEvent: record('devloop') })
  stops.push(() => loop.stop())
  await loop.start()
  const since = (t0: number) => log.filter((e) => e.at >= t0)
  /** Waits (`ms` at most) until every revision but `serving` has retired: the old instances are stopped. */
  async function settled(serving: string, ms = 15_000) {
    const deadline = performance.now() + ms
    const revisions = () => log.flatMap((e) => (e.event.type === 'revision' ? [e.event as RevisionEvent] : []))
    const done = () => revisions().every((e) => e.revision === serving || revisions().some((r) => r.revision === e.revision && r.state === 'retired'))
    while (performance.now() < deadline && !done()) await sleep(20)
    if (!done()) process.stderr.write(`  an old revision did not retire within ${ms} ms\n`)
  }
  return { url: gateways.web!, since, settled, config }
}

type Event = Logged['event']
/** The first logged event of a kind, narrowed to it. */
function firstOf<T extends Event>(events: Logged[], pred: (e: Event) => e is T): (Logged & { event: T }) | undefined {
  return events.find((e): e is Logged & { event: T } => pred(e.event))
}

/** One save's phases from the events of the dev loop and the emulator, in ms after the write (t0). */
function phases(events: Logged[], t0: number) {
  const at = (e: Logged | undefined) => (e ? r2(e.at - t0) : null)
  type Of<K extends Event['type']> = Extract<Event, { type: K }>
  const change = firstOf(events, (e): e is Of<'change'> => e.type === 'change' && e.outcome === 'reload')
  const starting = firstOf(events, (e): e is RevisionEvent => e.type === 'revision' && e.state === 'starting')
  const revision = starting?.event.revision
  const cold = firstOf(events, (e): e is Of<'cold-start'> => e.type === 'cold-start')
  const serving = firstOf(events, (e): e is RevisionEvent => e.type === 'revision' && e.state === 'serving' && e.revision === revision)
  const reload = firstOf(events, (e): e is Of<'reload'> => e.type === 'reload' && e.revision === revision)
  const built = firstOf(events, (e): e is Extract<Of<'rebuild'>, { state: 'done' }> => e.type === 'rebuild' && e.state === 'done')
  return {
    revision,
    changeMs: at(change), // debounce + content check done: the dev loop decided to reload
    rebuildStartMs: at(firstOf(events, (e): e is Of<'rebuild'> => e.type === 'rebuild' && e.state === 'started')),
    rebuildDoneMs: at(built),
    buildDurationMs: built?.event.durationMs ?? null, // buildServices' own figure
    revisionStartingMs: at(starting),
    instanceReadyMs: at(cold),
    spawnMs: cold?.event.coldStart.spawnMs ?? null,
    bootMs: cold?.event.coldStart.bootMs ?? null,
    readyMs: cold?.event.coldStart.readyMs ?? null,
    servingMs: at(serving),
    loopSavedToServingMs: reload?.event.savedToServingMs ?? null, // the dev loop's own figure (from its first file event)
  }
}

type Phases = ReturnType<typeof phases>
const medianOf = (rows: Phases[], key: keyof Phases) => {
  const xs = rows.map((r) => r[key]).filter((x): x is number => typeof x === 'number')
  return xs.length ? summary(xs).median : null
}

// ---- process runtime
async function benchProcess() {
  const rounds = quick ? 4 : 10
  const dir = fs.mkdtempSync(path.join(TMP, 'process-'))
  fs.writeFileSync(path.join(dir, 'server.mjs'), app('v0', '127.0.0.1'))
  fs.writeFileSync(path.join(dir, 'sls-run.yaml'), `name: b\nservices:\n  web:\n    dev: { command: [${JSON.stringify(process.execPath)}, server.mjs] }\n`)
  // The app's own boot, directly: spawn → port open (connect polled every 1 ms), 10 s at most each.
  const boot: number[] = []
  for (let i = 0; i < rounds; i++) {
    const port = await freePort()
    const t0 = performance.now()
    const child = spawn(process.execPath, ['server.mjs'], { cwd: dir, env: { ...process.env, PORT: String(port) }, stdio: 'ignore' })
    const exited = new Promise((resolve) => child.once('exit', resolve))
    try {
      let open = false
      while (!(open = await tcpOpen('127.0.0.1', port)) && performance.now() - t0 < 10_000) await sleep(1)
      if (!open) throw new Error(`the app did not open port ${port} within 10 s`)
      boot.push(performance.now() - t0)
    } finally {
      child.kill('SIGKILL')
      await Promise.race([exited, sleep(5000)])
    }
  }
  const s = await session(dir, new ProcessRuntime(), 'process')
  await servedWithin(s.url, 'v0', performance.now())
  const load = traffic(s.url)
  stops.push(() => load.stop()) // stopped before the dev loop and the emulator, also on failure
  const saves: number[] = []
  const rows: Phases[] = []
  let serving: string | undefined // the revision that serves now
  for (let v = 1; v <= rounds; v++) {
    if (serving) await s.settled(serving)
    await sleep(300)
    const t0 = performance.now()
    fs.writeFileSync(path.join(dir, 'server.mjs'), app(`v${v}`, '127.0.0.1'))
    saves.push(await servedWithin(s.url, `v${v}`, t0))
    await sleep(50) // the reload event follows the traffic switch
    rows.push(phases(s.since(t0), t0))
    serving = rows.at(-1)!.revision
  }
  const { capped, ...trafficCounts } = await load.stop()
  for (const stop of stops.splice(0).reverse()) await stop()

  const [b, sv] = [summary(boot), summary(saves)]
  const overhead = r2(sv.median - b.median)
  const pass = overhead <= TARGET_PROCESS_OVERHEAD_MS
  const row = (name: string, x: Summary) => [name, String(x.n), f(x.median), f(x.p90), f(x.min), f(x.max)]
  const text =
    `Save → serving, process runtime (${rounds} saves, the ${DEBOUNCE_MS} ms debounce included; a fresh GET every 5 ms through the gateway until the new version answers). App boot: spawn → port open, measured directly in the same run, before the traffic. ${trafficMethod('')}\n\n` +
    table(['', 'n', 'median ms', 'p90', 'min', 'max'], [row('app boot (spawn → port open, direct)', b), row('save → new revision answers', sv)]) +
    trafficLines({ ...trafficCounts, capped }) +
    `\nPhases (medians, ms after the write): dev loop decides to reload ${f(medianOf(rows, 'changeMs'))}, new revision starting ${f(medianOf(rows, 'revisionStartingMs'))}, instance ready ${f(medianOf(rows, 'instanceReadyMs'))} (spawn ${f(medianOf(rows, 'spawnMs'))} + boot ${f(medianOf(rows, 'bootMs'))} + ready ${f(medianOf(rows, 'readyMs'))}), serving ${f(medianOf(rows, 'servingMs'))}.\n` +
    `${pass ? 'PASS' : 'FAIL'}  overhead = median(save → serving) − median(boot) = ${f(sv.median)} − ${f(b.median)} = ${f(overhead)} ms; target ≤ ${TARGET_PROCESS_OVERHEAD_MS} ms\n`
  return {
    debounceMs: DEBOUNCE_MS,
    boot: b,
    saves: sv,
    overheadMs: overhead,
    targetOverheadMs: TARGET_PROCESS_OVERHEAD_MS,
    pass,
    traffic: trafficCounts,
    samples: { bootMs: boot.map(r2), saveMs: saves.map(r2) },
    phases: rows,
    table: text,
  }
}

// ---- docker runtime
/** The stand-in base image: FROM scratch, the host's node binary and every library ldd lists for it. */
function standinRecipe() {
  const nodeBin = fs.realpathSync(process.execPath)
  const ldd = execFileSync('ldd', [nodeBin], { encoding: 'utf8', timeout: 10_000 })
  if (/not found/.test(ldd)) throw new Error(`ldd ${nodeBin} lists a library it cannot find:\n${ldd}`)
  const libs = ldd.split('\n').flatMap((line) => /(?:=>\s*|^\s*)(\/\S+)\s+\(0x/.exec(line)?.slice(1, 2) ?? [])
  const files: Array<[string, string]> = [['usr/local/bin/node', nodeBin], ...libs.map((lib): [string, string] => [lib.slice(1), lib])]
  const hash = createHash('sha256')
    .update(JSON.stringify([process.version, files]))
    .digest('hex')
    .slice(0, 12)
  const labels = { ...LABELS, 'dev.sls-run.standin': 'true', 'dev.sls-run.standin.hash': hash }
  const dockerfile =
    `FROM scratch\nCOPY rootfs/ /\nENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin NODE_VERSION=${process.version.slice(1)}\n` +
    `LABEL ${Object.entries(labels)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(' ')}\nCMD ["node"]\n`
  return { dockerfile, files, libs, labels, hash }
}

/** Reads a build's NDJSON progress to its end (errors arrive inside the 200 stream); returns the image id. */
interface Progress {
  error?: string
  errorDetail?: { message?: string }
  aux?: { ID?: string }
}
async function followBuild(stream: NodeJS.ReadableStream, what: string): Promise<string | undefined> {
  const output = await new Promise<Progress[]>((resolve, reject) => docker.modem.followProgress(stream, (e: Error | null, o: Progress[]) => (e ? reject(e) : resolve(o))))
  const failed = output.find((o) => o.error || o.errorDetail)
  if (failed) throw new Error(`building ${what}: ${failed.error ?? failed.errorDetail?.message}`)
  return output.find((o) => o.aux?.ID)?.aux?.ID
}

async function buildStandin() {
  const recipe = standinRecipe()
  const t0 = performance.now()
  const pack = tar.pack()
  const MTIME = new Date('2024-01-01T00:00:00Z')
  const entry = (header: Partial<Header> & Pick<Header, 'name'>, body?: string | Readable) =>
    new Promise<void>((resolve, reject) => {
      const done = (error?: Error | null) => (error ? reject(error) : resolve())
      const full = { uid: 0, gid: 0, mtime: MTIME, ...header }
      if (body === undefined) pack.entry(full, done)
      else if (typeof body === 'string') pack.entry(full, body, done)
      else pipeline(body, pack.entry(full, done)).catch(reject)
    })
  const dirs = new Set<string>()
  const dir = async (name: string, mode = 0o755): Promise<void> => {
    if (name === '.' || dirs.has(name)) return
    await dir(path.posix.dirname(name))
    dirs.add(name)
    await entry({ name: `${name}/`, type: 'directory', mode })
  }
  const fill = async () => {
    await entry({ name: 'Dockerfile', type: 'file', mode: 0o644 }, recipe.dockerfile)
    await dir('rootfs/tmp', 0o1777)
    for (const [name, from] of recipe.files) {
      const stat = fs.statSync(from) // follows symlinks: the real file lands at the listed path
      await dir(path.posix.dirname(`rootfs/${name}`))
      await entry({ name: `rootfs/${name}`, type: 'file', mode: stat.mode & 0o7777, size: stat.size }, fs.createReadStream(from))
    }
    pack.finalize()
  }
  const abort = new AbortController()
  const filling = fill().catch((error) => (abort.abort(), pack.destroy(error), Promise.reject(error)))
  state.dockerUsed = true
  const request = docker.buildImage(pack as unknown as NodeJS.ReadableStream, { t: STANDIN, labels: recipe.labels, rm: true, forcerm: true, abortSignal: abort.signal })
  request.catch(() => pack.destroy())
  const id = await within(
    180_000,
    `building ${STANDIN}`,
    Promise.all([request, filling]).then(([stream]) => followBuild(stream, STANDIN)),
  )
  return { name: STANDIN, id, hash: recipe.hash, libs: recipe.libs, seconds: r2((performance.now() - t0) / 1000) }
}

/** The by-hand build: every file of `dir` in a tar, through dockerode (the engine's default builder, classic here). */
async function buildByHand(dir: string, tag: string): Promise<string | undefined> {
  const pack = tar.pack()
  for (const name of fs.readdirSync(dir).sort()) pack.entry({ name, mode: 0o644 }, fs.readFileSync(path.join(dir, name)))
  pack.finalize()
  return within(
    60_000,
    `building ${tag}`,
    docker.buildImage(pack as unknown as NodeJS.ReadableStream, { t: tag, rm: true, forcerm: true }).then((stream) => followBuild(stream, tag)),
  )
}

async function benchDocker() {
  const rounds = quick ? 3 : 10
  process.stderr.write(`  building the stand-in base image ${STANDIN}…\n`)
  const standin = await buildStandin()
  const [dir, hand] = [fs.mkdtempSync(path.join(TMP, 'docker-')), fs.mkdtempSync(path.join(TMP, 'hand-'))]
  const image = `sls-run-bench/devloop-app-${RUN}`
  const dockerfile = `FROM ${STANDIN}\nWORKDIR /app\nCOPY server.mjs .\nLABEL ${Object.entries(LABELS)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ')}\nCMD ["node", "server.mjs"]\n`
  const yaml = `name: b\nservices:\n  web:\n    build: { context: . }\n    image: ${image}\n    dev: { runtime: docker }\n`
  // The by-hand side builds an identical context from a sibling folder, which the dev loop does not watch.
  for (const d of [dir, hand]) {
    fs.writeFileSync(path.join(d, 'Dockerfile'), dockerfile)
    fs.writeFileSync(path.join(d, 'server.mjs'), app('v0', '0.0.0.0'))
    fs.writeFileSync(path.join(d, 'sls-run.yaml'), yaml)
  }
  const { config } = await loadConfig({ file: path.join(dir, 'sls-run.yaml') })
  const buildRequest: BuildRequest = { services: ['web'], tags: [], noCache: false, pull: false, buildArgs: {}, builder: 'classic', strict: false }
  await within(
    120_000,
    'the first sls-run build',
    buildServices(docker, config, buildRequest, () => undefined),
  )
  await buildByHand(hand, `${image}:hand`) // warms the same cache the by-hand rounds use
  const { cpu, memory } = config.services.web!.resources

  const runtime = await DockerRuntime.create(docker, newSession(path.join(dir, 'sls-run.yaml')))
  const s = await session(dir, runtime, 'docker', { docker, builder: 'classic' })
  await servedWithin(s.url, 'v0', performance.now())
  const load = traffic(s.url)
  stops.push(() => load.stop()) // stopped before the dev loop and the emulator, also on failure

  // Rounds alternate: the same source-only change by hand (build, then create + start → first answer at
  // the container's bridge IP, with the emulator's CPU and memory limits), then through the dev loop.
  const [builds, runs, hands, saves]: [number[], number[], number[], number[]] = [[], [], [], []]
  const rows: Phases[] = []
  let serving: string | undefined // the revision that serves now
  for (let v = 1; v <= rounds; v++) {
    process.stderr.write(`  docker round ${v}/${rounds} (${f((performance.now() - T0) / 1000)} s)\n`)
    if (serving) await s.settled(serving) // the last save's old container is gone before anything is timed
    await sleep(300)
    fs.writeFileSync(path.join(hand, 'server.mjs'), app(`h${v}`, '0.0.0.0'))
    const t0 = performance.now()
    await buildByHand(hand, `${image}:hand`)
    const t1 = performance.now()
    const container = await docker.createContainer({
      Image: `${image}:hand`,
      Env: ['PORT=8080'],
      Labels: LABELS,
      ExposedPorts: { '8080/tcp': {} },
      HostConfig: { ...(cpu ? { NanoCpus: Math.round(cpu * 1e9) } : {}), ...(memory ? { Memory: memory, MemorySwap: memory } : {}) },
    })
    try {
      await container.start()
      const ip = ((await container.inspect()).NetworkSettings as { IPAddress?: string }).IPAddress
      if (!ip) throw new Error('the engine reported no bridge IP for the by-hand container')
      await servedWithin(`http://${ip}:8080/`, `h${v}`, t1)
      const t2 = performance.now()
      builds.push(t1 - t0)
      runs.push(t2 - t1)
      hands.push(t2 - t0)
    } finally {
      await container.remove({ force: true, v: true }).catch(() => undefined)
    }

    await sleep(300)
    const t3 = performance.now()
    fs.writeFileSync(path.join(dir, 'server.mjs'), app(`v${v}`, '0.0.0.0'))
    saves.push(await servedWithin(s.url, `v${v}`, t3))
    await sleep(50)
    rows.push(phases(s.since(t3), t3))
    serving = rows.at(-1)!.revision
  }
  const { capped, ...trafficCounts } = await load.stop()
  for (const stop of stops.splice(0).reverse()) await stop()

  const [b, r, h, sv] = [summary(builds), summary(runs), summary(hands), summary(saves)]
  const target = r2(b.median + r.median + TARGET_DOCKER_MARGIN_MS)
  const margin = r2(target - sv.median)
  const pass = sv.median <= target
  const row = (name: string, x: Summary) => [name, String(x.n), f(x.median), f(x.p90), f(x.min), f(x.max)]
  const text =
    `Save → serving, docker runtime, a source-only change (${rounds} saves, the ${DEBOUNCE_MS} ms debounce included): sls-run dev (debounce, rebuild with the classic builder, new container revision, readiness, traffic switch) vs the same change by hand in the same run, rounds alternated (a dockerode build of the same context; then create + start → first answer at the container's bridge IP, with the emulator's CPU and memory limits). Base image: the stand-in ${STANDIN} (host node ${process.version}, FROM scratch). ${trafficMethod(', the by-hand rounds included')}\n\n` +
    table(
      ['', 'n', 'median ms', 'p90', 'min', 'max'],
      [row('by hand: image build', b), row('by hand: create + start → first answer', r), row('by hand: both, per round', h), row('sls-run dev: save → new revision answers', sv)],
    ) +
    trafficLines({ ...trafficCounts, capped }) +
    `\nPhases (medians, ms after the write): dev loop decides to reload ${f(medianOf(rows, 'changeMs'))}, rebuild started ${f(medianOf(rows, 'rebuildStartMs'))}, rebuild done ${f(medianOf(rows, 'rebuildDoneMs'))} (buildServices ${f(medianOf(rows, 'buildDurationMs'))}), revision starting ${f(medianOf(rows, 'revisionStartingMs'))}, instance ready ${f(medianOf(rows, 'instanceReadyMs'))} (spawn ${f(medianOf(rows, 'spawnMs'))} + boot ${f(medianOf(rows, 'bootMs'))} + ready ${f(medianOf(rows, 'readyMs'))}), serving ${f(medianOf(rows, 'servingMs'))}.\n` +
    `${pass ? 'PASS' : 'FAIL'}  median(save → serving) ${f(sv.median)} ms ≤ median(build) ${f(b.median)} + median(run) ${f(r.median)} + ${TARGET_DOCKER_MARGIN_MS} = ${f(target)} ms; margin ${f(margin)} ms\n`
  return {
    debounceMs: DEBOUNCE_MS,
    standin: { ...standin, dockerfileFrom: 'scratch' },
    builder: 'classic',
    byHandBuild: b,
    byHandRun: r,
    byHandTotal: h,
    saves: sv,
    targetMs: target,
    targetRule: `median(save → serving) ≤ median(build by hand) + median(run by hand to first answer) + ${TARGET_DOCKER_MARGIN_MS} ms`,
    marginMs: margin,
    pass,
    traffic: trafficCounts,
    samples: { buildMs: builds.map(r2), runMs: runs.map(r2), saveMs: saves.map(r2) },
    phases: rows,
    table: text,
  }
}

const T0 = performance.now()
const machine = machineInfo()
type Outcome = { pass: boolean; traffic: Omit<Traffic, 'capped'>; table: string }
const results: { date: string; node: string; machine: typeof machine; quick: boolean; run: string; pass?: Record<string, boolean> } & Partial<Record<Bench, Outcome>> = {
  date: new Date().toISOString(),
  node: process.version,
  machine,
  quick,
  run: RUN,
}
try {
  process.stdout.write(`bench/devloop.ts: ${machineLine(machine)}${quick ? ', --quick' : ''}\n`)
  for (const [name, fn] of [
    ['process', benchProcess],
    ['docker', benchDocker],
  ] as const) {
    if (!opts.only.includes(name)) continue
    process.stderr.write(`devloop: ${name}… (${f((performance.now() - T0) / 1000)} s)\n`)
    const result = (results[name] = await fn())
    process.stdout.write(`\n${result.table}`)
  }
  // A runtime passes when its target is met and no request failed under traffic.
  results.pass = Object.fromEntries(BENCHES.flatMap((n) => (results[n] ? [[n, results[n].pass && results[n].traffic.failed === 0]] : [])))
  process.stdout.write(`\nJSON: ${writeResults(opts.out, results)}\n`)
} catch (error) {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`)
  process.exitCode = 1
} finally {
  await cleanup()
  if (state.dockerUsed) {
    const left = await removeOurs()
    process.stdout.write(left.length ? `Left behind: ${left.join(', ')}\n` : `Cleanup: no container or image of run ${RUN} is left.\n`)
    if (left.length) process.exitCode = 1
  }
}
