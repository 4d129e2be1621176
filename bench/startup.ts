// Start-up benchmark: how long does `sls-run --version` take compared with a
// bare `node -e 0` and with two peer CLIs (wrangler, serverless v3)?
//
// One benchmark (one file): it runs the built CLI (bin/run.js, dist/: `npm run bench` builds first)
// and the peers as child processes; node: built-ins only. See bench/README.md.
//
//   node --import ./bench/register.mjs bench/startup.ts [--runs N] [--warmup N] [--offline] [--skip-peers] [--out FILE]
//
// Exit code: 0 when sls-run ran fine (whatever the verdicts and the peers did),
// 1 when sls-run itself failed to run, 2 on bad usage.

import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { NODE, quantile } from './lib.js'
import { ROOT, machineInfo, machineLine, resultsFile, table as markdownTable, writeResults } from './report.js'
import { stripVTControlCharacters } from 'node:util'

const RUN_TIMEOUT_MS = 30_000
const INSTALL_BUDGET_MS = 10 * 60_000
const LOOKUP_TIMEOUT_MS = 60_000
const MIN_RUNS = 20
const VERSION_RE = /\d+\.\d+\.\d+/

// ---------------------------------------------------------------------------
// arguments

interface Options {
  runs: number
  warmup: number
  offline: boolean
  skipPeers: boolean
  keepExtraCaCerts: boolean
  out: string
}

function usage(): string {
  return `Usage: node --import ./bench/register.mjs bench/startup.ts [options]

Options:
  --runs N       timed runs per command (default 25; at least ${MIN_RUNS} for a valid result)
  --warmup N     warm-up runs per command before timing (default 2, at least 1)
  --offline      do not ask the npm registry for peer versions; use the cached peers as they are
  --skip-peers   benchmark only node and sls-run
  --keep-extra-ca-certs
                 keep NODE_EXTRA_CA_CERTS in the commands' environment (removed by
                 default: it makes every Node process parse that CA file at start-up)
  --out FILE     where to write the JSON (default bench/results/startup.json)
  -h, --help     show this help
`
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { runs: 25, warmup: 2, offline: false, skipPeers: false, keepExtraCaCerts: false, out: resultsFile('startup') }
  const intArg = (name: string, value: string | undefined, min: number): number => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < min) {
      process.stderr.write(`${name} needs an integer >= ${min}, got ${JSON.stringify(value)}\n\n${usage()}`)
      process.exit(2)
    }
    return n
  }
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!
    let value: string | undefined
    const eq = arg.indexOf('=')
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1)
      arg = arg.slice(0, eq)
    }
    const next = () => (value !== undefined ? value : argv[++i])
    switch (arg) {
      case '--runs':
        opts.runs = intArg('--runs', next(), 1)
        break
      case '--warmup':
        opts.warmup = intArg('--warmup', next(), 1)
        break
      case '--offline':
        opts.offline = true
        break
      case '--skip-peers':
        opts.skipPeers = true
        break
      case '--keep-extra-ca-certs':
        opts.keepExtraCaCerts = true
        break
      case '--out':
        opts.out = path.resolve(next() ?? '')
        break
      case '-h':
      case '--help':
        process.stdout.write(usage())
        process.exit(0)
      default:
        process.stderr.write(`unknown argument: ${argv[i]}\n\n${usage()}`)
        process.exit(2)
    }
  }
  return opts
}

// ---------------------------------------------------------------------------
// tiny semver (enough for "engines" ranges and picking the newest version)

interface Version {
  major: number
  minor: number | null
  patch: number | null
  pre: string | null
}

function parseVer(v: unknown): Version | null {
  const m = /^\s*v?(\d+)(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?\s*$/.exec(String(v))
  if (!m) return null
  const num = (s: string | undefined) => (s === undefined || /^[xX*]$/.test(s) ? null : Number(s))
  return { major: Number(m[1]), minor: num(m[2]), patch: num(m[3]), pre: m[4] ?? null }
}

/** Compares two versions (a string that does not parse counts as 0.0.0). */
function cmpVer(a: string | Version | null, b: string | Version | null): number {
  const zero: Version = { major: 0, minor: 0, patch: 0, pre: null }
  const pa = (typeof a === 'string' ? parseVer(a) : a) ?? zero
  const pb = (typeof b === 'string' ? parseVer(b) : b) ?? zero
  for (const k of ['major', 'minor', 'patch'] as const) {
    const d = (pa[k] ?? 0) - (pb[k] ?? 0)
    if (d) return Math.sign(d)
  }
  if (pa.pre === pb.pre) return 0
  if (pa.pre === null) return 1
  if (pb.pre === null) return -1
  return pa.pre < pb.pre ? -1 : 1
}

// Does `version` satisfy the npm range `range`? Handles ||, AND-ed comparators,
// >= > <= < =, ^, ~, x-ranges and "a - b". Unknown syntax counts as satisfied.
function satisfies(version: string, range: string | null | undefined): boolean {
  const v = parseVer(version)
  if (!v || range == null) return true
  const sets = String(range)
    .split('||')
    .map((s) => s.trim())
  return sets.some((set) => {
    if (set === '' || set === '*' || set === 'x') return true
    const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(set)
    if (hyphen) return cmpVer(v, parseVer(hyphen[1])) >= 0 && cmpVer(v, parseVer(hyphen[2])) <= 0
    return set.split(/\s+/).every((tok) => {
      const m = /^(>=|<=|>|<|=|\^|~)?\s*(.+)$/.exec(tok)
      if (!m) return true
      const op = m[1] ?? ''
      const r = parseVer(m[2])
      if (!r) return true
      const lo: Version = { major: r.major, minor: r.minor ?? 0, patch: r.patch ?? 0, pre: r.pre }
      const c = cmpVer(v, lo)
      switch (op) {
        case '>=':
          return c >= 0
        case '>':
          return r.minor === null ? v.major > r.major : r.patch === null ? cmpVer(v, { major: r.major, minor: r.minor + 1, patch: 0, pre: null }) >= 0 : c > 0
        case '<=':
          return r.minor === null ? v.major <= r.major : r.patch === null ? v.major < r.major || (v.major === r.major && (v.minor ?? 0) <= r.minor) : c <= 0
        case '<':
          return c < 0
        case '^': {
          if (c < 0) return false
          if (r.major > 0 || r.minor === null) return v.major === r.major
          if (r.minor > 0 || r.patch === null) return v.major === 0 && v.minor === r.minor
          return v.major === 0 && v.minor === 0 && v.patch === r.patch
        }
        case '~':
          return c >= 0 && v.major === r.major && (r.minor === null || v.minor === r.minor)
        default: // exact or x-range
          return v.major === r.major && (r.minor === null || v.minor === r.minor) && (r.patch === null || v.patch === r.patch)
      }
    })
  })
}

// ---------------------------------------------------------------------------
// child processes

// Environment for every measured command: same for all of them, no colours,
// CI mode, and telemetry / update checks of the peers switched off.
function benchEnv(opts: Options): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const k of Object.keys(env)) {
    // npm run adds npm_* variables; drop them so `npm run bench` and a direct
    // direct `node … bench/startup.ts` measure the same thing.
    if (k.startsWith('npm_')) delete env[k]
  }
  for (const k of envRemoved(opts)) delete env[k]
  Object.assign(env, BENCH_ENV_OVERRIDES)
  // wrangler writes a debug log file on every run (by default under
  // ~/.config/.wrangler/logs); keep the write, but into a folder we remove.
  env.WRANGLER_LOG_PATH = WRANGLER_LOG_DIR
  return env
}

// Variables taken out of the commands' environment. NODE_EXTRA_CA_CERTS makes
// Node read and parse that file when the process starts (tens of ms when it is
// a whole system bundle, as in some sandboxes and CI images), which inflates
// every row alike and flatters the "× node" ratio.
function envRemoved(opts: Options): string[] {
  const list = ['NODE_OPTIONS', 'FORCE_COLOR', 'DEBUG', 'NODE_DEBUG', 'NODE_V8_COVERAGE']
  if (!opts.keepExtraCaCerts) list.push('NODE_EXTRA_CA_CERTS')
  return list
}

const WRANGLER_LOG_DIR = path.join(os.tmpdir(), `sls-run-bench-wrangler-logs-${process.pid}`)

const BENCH_ENV_OVERRIDES = {
  CI: '1',
  NO_COLOR: '1',
  DO_NOT_TRACK: '1',
  NO_UPDATE_NOTIFIER: '1',
  // wrangler
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  // serverless framework v3
  SLS_TELEMETRY_DISABLED: '1',
  SLS_TRACKING_DISABLED: '1',
  SLS_NOTIFICATIONS_MODE: 'off',
  SLS_INTERACTIVE_SETUP_DISABLE: '1',
  SERVERLESS_TELEMETRY_DISABLED: '1',
}

// CPU time (user + system) of this process's waited-for children, from /proc/self/stat (cutime, cstime; in
// clock ticks of 10 ms, Linux's fixed USER_HZ). One run's delta is coarse, but the deltas add up exactly, so
// the mean over a command's runs is good to 10 ms / runs. null where /proc is missing.
function childrenCpuMs(): number | null {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[13]) + Number(fields[14])) * 10 // fields 16 and 17 of proc(5), counted from state (3)
  } catch {
    return null
  }
}

interface Ran {
  code: number | null
  signal: NodeJS.Signals | null
  ms: number
  /** CPU of the child (and its waited-for children), ms; null where unknown. */
  cpuMs: number | null
  stdout: string
  stderr: string
  timedOut: boolean
  error: string | null
}

// Run one command in its own process group.
// ms is the wall time from just before spawn() to the child's exit.
function run(
  file: string,
  args: string[],
  { cwd = ROOT, env = process.env, timeoutMs = RUN_TIMEOUT_MS, captureStdout = false }: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; captureStdout?: boolean } = {},
): Promise<Ran> {
  return new Promise((resolve) => {
    const out: Buffer[] = []
    let err = ''
    let timedOut = false
    let exited: { code: number | null; signal: NodeJS.Signals | null; ms: number; cpuMs: number | null } | null = null
    let settled = false
    const cpu0 = childrenCpuMs()
    const t0 = process.hrtime.bigint()
    let child: ChildProcess
    try {
      child = spawn(file, args, {
        cwd,
        env,
        stdio: ['ignore', captureStdout ? 'pipe' : 'ignore', 'pipe'],
        detached: true, // own process group, so a timeout can kill grandchildren too
      })
    } catch (error) {
      resolve({ code: null, signal: null, ms: 0, cpuMs: null, stdout: '', stderr: '', timedOut: false, error: String(error) })
      return
    }
    let closeTimer: NodeJS.Timeout | undefined
    const finish = (extra: Partial<Ran> = {}) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      clearTimeout(closeTimer)
      resolve({
        code: exited?.code ?? null,
        signal: exited?.signal ?? null,
        ms: exited?.ms ?? Number(process.hrtime.bigint() - t0) / 1e6,
        cpuMs: exited?.cpuMs ?? null,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: err,
        timedOut,
        error: null,
        ...extra,
      })
    }
    const timer = setTimeout(() => {
      timedOut = true
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {
        try {
          child.kill('SIGKILL')
        } catch {}
      }
    }, timeoutMs)
    child.stdout?.on('data', (d: Buffer) => out.push(d))
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString('utf8')
      if (err.length > 65536) err = err.slice(-65536)
    })
    child.on('error', (error) => {
      exited ??= { code: null, signal: null, ms: Number(process.hrtime.bigint() - t0) / 1e6, cpuMs: null }
      finish({ error: String(error) })
    })
    child.on('exit', (code, signal) => {
      const cpu1 = childrenCpuMs()
      exited = { code, signal, ms: Number(process.hrtime.bigint() - t0) / 1e6, cpuMs: cpu0 != null && cpu1 != null ? cpu1 - cpu0 : null }
      // Give the pipes a moment to drain; a grandchild that keeps them open
      // must not hang the benchmark.
      closeTimer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL')
        } catch {}
        finish()
      }, 2_000)
    })
    child.on('close', () => finish())
  })
}

function describeFailure(r: Ran): string {
  if (r.error) return `could not start: ${r.error}`
  if (r.timedOut) return `timed out after ${RUN_TIMEOUT_MS / 1000} s`
  const how = r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`
  const tail = lastLines(r.stderr, 6)
  return tail ? `${how}: ${tail}` : how
}

function lastLines(text: string | null | undefined, n: number): string {
  const lines = String(text ?? '')
    .split(/\r?\n/)
    .map((l) => stripVTControlCharacters(l).trimEnd())
    .filter((l) => l.trim() !== '' && !/^npm (warn|WARN) Unknown (user|project|env) config/.test(l))
  return lines.slice(-n).join(' | ')
}

// ---------------------------------------------------------------------------
// peers: installed from the npm registry into a cache folder of their own

const PEERS_DIR = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'sls-run-bench', 'peers')

// npm's own environment: ours, less what `npm run` put there about *this*
// project (so `--prefix` wins and nothing leaks in from package.json).
function npmEnv() {
  const env = { ...process.env }
  for (const k of Object.keys(env)) {
    if (/^npm_(package|lifecycle)_/.test(k) || /^npm_config_(local_)?prefix$/i.test(k) || k === 'npm_command') delete env[k]
  }
  env.npm_config_update_notifier = 'false'
  env.npm_config_fund = 'false'
  env.npm_config_audit = 'false'
  return env
}

// The first useful lines of npm's error output ("npm error code ...", the message).
function describeNpmFailure(r: Ran): string {
  if (r.error || r.timedOut || !r.stderr) return describeFailure(r)
  const lines = r.stderr
    .split(/\r?\n/)
    .filter((l) => /^npm (error|ERR!)/.test(l))
    .map((l) => l.replace(/^npm (error|ERR!)\s*/, '').trim())
    .filter((l) => l && !/complete log of this run|behind a proxy|^[{}]|^\w+: /.test(l))
  return lines.length ? `exit code ${r.code}: ${lines.slice(0, 3).join(' | ')}` : describeFailure(r)
}

async function npm(args: string[], timeoutMs: number): Promise<Ran> {
  return run('npm', args, { cwd: PEERS_DIR, env: npmEnv(), timeoutMs, captureStdout: true })
}

interface Published {
  version: string
  engines?: { node?: string }
}

// `npm view <spec> version engines --json` → [{ version, engines }]
async function npmView(spec: string): Promise<Published[]> {
  const r = await npm(['view', spec, 'version', 'engines', '--json'], LOOKUP_TIMEOUT_MS)
  if (r.code !== 0 || r.timedOut) throw new Error(`npm view ${spec}: ${describeNpmFailure(r)}`)
  let data: unknown
  try {
    data = JSON.parse(r.stdout || 'null')
  } catch {
    throw new Error(`npm view ${spec}: unreadable output`)
  }
  if (data == null) throw new Error(`npm view ${spec}: no such version`)
  const list = (Array.isArray(data) ? data : [data]) as Array<Partial<Published> | null>
  return list.filter((x): x is Published => typeof x?.version === 'string')
}

function newest(list: Published[], accept: (p: Published) => boolean = () => true): Published | null {
  return list.filter((x) => parseVer(x.version)?.pre === null && accept(x)).sort((a, b) => cmpVer(b.version, a.version))[0] ?? null
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T
  } catch {
    return null
  }
}

interface PackageJson {
  name: string
  version: string
  bin?: string | Record<string, string>
  engines?: { node?: string }
}

// What is installed under node_modules/<dir>, and the JS file its bin points at.
function installedPeer(dir: string, binName: string): { name: string; version: string; engines: string | null; bin: string | null } | null {
  const pkgDir = path.join(PEERS_DIR, 'node_modules', dir)
  const pkg = readJson<PackageJson>(path.join(pkgDir, 'package.json'))
  if (!pkg) return null
  const bin = typeof pkg.bin === 'string' ? pkg.bin : (pkg.bin?.[binName] ?? Object.values(pkg.bin ?? {})[0])
  const binPath = bin ? path.resolve(pkgDir, bin) : null
  return {
    name: pkg.name,
    version: pkg.version,
    engines: pkg.engines?.node ?? null,
    bin: binPath && fs.existsSync(binPath) ? binPath : null,
  }
}

function ensurePeersDir() {
  fs.mkdirSync(PEERS_DIR, { recursive: true })
  const pj = path.join(PEERS_DIR, 'package.json')
  if (!readJson(pj)) {
    fs.writeFileSync(
      pj,
      JSON.stringify(
        {
          name: 'sls-run-bench-peers',
          private: true,
          description: 'Peer CLIs for sls-run bench/startup.ts. Managed by the benchmark; safe to delete.',
          dependencies: {},
        },
        null,
        2,
      ) + '\n',
    )
  }
}

// The peers to compare against. `dir` is the folder under node_modules (an npm
// alias when it differs from the package name).
interface PeerDef {
  id: string
  dir: string
  pkg: string
  want: string
  bin: string
  args: string[]
  label: string
}

/** One peer row: what is wanted, what is installed, and why it cannot run (`error`). */
interface Peer {
  id: string
  family: string
  dir: string
  pkg: string
  binName: string
  args: string[]
  label: string
  spec: string | null
  wanted: string | null
  version: string | null
  engines: string | null
  bin: string | null
  error: string | null
  notes: string[]
}

const PEER_DEFS: PeerDef[] = [
  { id: 'wrangler', dir: 'wrangler', pkg: 'wrangler', want: 'latest', bin: 'wrangler', args: ['--version'], label: 'wrangler --version' },
  { id: 'serverless', dir: 'serverless', pkg: 'serverless', want: '^3', bin: 'serverless', args: ['--version'], label: 'serverless --version' },
]

// Resolve, install when missing, and return one entry per peer row.
async function preparePeers(opts: Options): Promise<Peer[]> {
  const log = (s: string) => process.stderr.write(`[peers] ${s}\n`)
  const peer = (d: PeerDef): Peer => ({
    id: d.id,
    family: d.id,
    dir: d.dir,
    pkg: d.pkg,
    binName: d.bin,
    args: d.args,
    label: d.label,
    spec: `${d.pkg}@${d.want}`,
    wanted: null,
    version: null,
    engines: null,
    bin: null,
    error: null,
    notes: [],
  })
  try {
    ensurePeersDir()
  } catch (e) {
    return PEER_DEFS.map((d) => ({ ...peer(d), error: `cannot create ${PEERS_DIR}: ${(e as Error).message}` }))
  }
  log(`cache: ${PEERS_DIR}`)

  // 1. what should be installed
  const rows: Peer[] = []
  for (const d of PEER_DEFS) {
    const row = peer(d)
    rows.push(row)
    if (opts.offline) continue
    try {
      const list = await npmView(`${d.pkg}@${d.want}`)
      const pick = newest(list)
      if (!pick) throw new Error(`no stable version matches ${d.pkg}@${d.want}`)
      row.wanted = pick.version
      row.engines = pick.engines?.node ?? null
    } catch (e) {
      row.notes.push(`version lookup failed (${(e as Error).message}); using the cached install if any`)
    }
    // wrangler latest may need a newer Node than this one: then also measure
    // the newest wrangler that supports this Node, as a separate row.
    if (d.id === 'wrangler' && row.wanted && row.engines && !satisfies(process.versions.node, row.engines)) {
      const compat: Peer = { ...row, id: 'wrangler-compat', dir: 'wrangler-compat', spec: null, wanted: null, engines: null, notes: [] }
      const major = parseVer(row.wanted)?.major
      try {
        // same major as latest; `@*` would only return the latest
        const list = await npmView(`${d.pkg}@^${major}`)
        const pick = newest(list, (x) => satisfies(process.versions.node, x.engines?.node))
        if (!pick) throw new Error(`no wrangler ${major}.x supports Node ${process.versions.node}`)
        compat.wanted = pick.version
        compat.engines = pick.engines?.node ?? null
        compat.spec = `wrangler@${pick.version}`
        compat.label = 'wrangler --version'
        compat.notes.push(`wrangler@latest (${row.wanted}) needs Node ${row.engines}; this row is the newest wrangler for Node ${process.versions.node}`)
        rows.push(compat)
      } catch (e) {
        row.notes.push(`could not find a wrangler for Node ${process.versions.node}: ${(e as Error).message}`)
      }
    }
  }
  // In offline mode, keep a cached compat install if there is one.
  if (opts.offline && installedPeer('wrangler-compat', 'wrangler')) {
    rows.splice(1, 0, {
      ...rows[0]!,
      id: 'wrangler-compat',
      dir: 'wrangler-compat',
      spec: 'wrangler (cached compat)',
      notes: ['cached wrangler for older Node (installed earlier because wrangler@latest needed a newer Node)'],
    })
  }

  // 2. install what is missing (one npm call per peer, so one failure does
  // not take the others down), within one overall time budget
  const deadline = Date.now() + INSTALL_BUDGET_MS
  for (const row of rows) {
    const have = installedPeer(row.dir, row.binName)
    const fits = have?.bin && (row.wanted ? have.version === row.wanted : row.family !== 'serverless' || parseVer(have.version)?.major === 3)
    if (fits) {
      row.version = have.version
      row.engines = have.engines
      row.bin = have.bin
      continue
    }
    if (!row.wanted) {
      const why = opts.offline ? 'the registry was not asked (--offline)' : 'the registry could not be asked'
      row.error = have ? `cached ${row.dir}@${have.version} is unusable and ${why}` : `not installed in ${tildify(PEERS_DIR)} and ${why}`
      continue
    }
    const left = deadline - Date.now()
    if (left <= 0) {
      row.error = `install skipped: the ${INSTALL_BUDGET_MS / 60000} min install budget ran out`
      continue
    }
    const installSpec = row.dir === row.pkg ? `${row.pkg}@${row.wanted}` : `${row.dir}@npm:${row.pkg}@${row.wanted}`
    log(`installing ${installSpec}${have ? ` (cached: ${have.version})` : ''} ...`)
    const t0 = Date.now()
    // --ignore-scripts: install scripts (esbuild/workerd binary checks,
    // banners) play no part in `--version` start-up and may want network.
    const r = await npm(['install', '--prefix', PEERS_DIR, '--save-exact', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', installSpec], left)
    if (r.code !== 0 || r.timedOut) {
      row.error = r.timedOut ? `install timed out (${Math.round(left / 1000)} s budget left)` : `install failed: ${describeNpmFailure(r)}`
      log(row.error)
      continue
    }
    log(`installed ${installSpec} in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    const now = installedPeer(row.dir, row.binName)
    if (!now?.bin) {
      row.error = `installed, but no "bin" JS for ${row.binName} found in node_modules/${row.dir}/package.json`
      continue
    }
    row.version = now.version
    row.engines = now.engines
    row.bin = now.bin
  }
  for (const row of rows) if (row.version) row.label = `${row.label} (${row.version})`
  return rows
}

// Paths as shown in the table/JSON: project files relative to the project,
// peer files relative to the peers cache, the home folder as ~.
function displayPath(p: string): string {
  if (p.startsWith(ROOT + path.sep)) return path.relative(ROOT, p)
  if (p.startsWith(PEERS_DIR + path.sep)) return `$PEERS/${path.relative(PEERS_DIR, p)}`
  return tildify(p)
}

function tildify(p: string): string {
  const home = os.homedir()
  return home && p.startsWith(home + path.sep) ? `~${p.slice(home.length)}` : p
}

// ---------------------------------------------------------------------------
// statistics

interface Stats {
  n: number
  median: number
  p10: number
  p90: number
  min: number
  max: number
  mean: number
  stdev: number
}

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b)
  const n = s.length
  const mean = s.reduce((a, b) => a + b, 0) / n
  const variance = n > 1 ? s.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0
  const r = (x: number) => Math.round(x * 100) / 100
  return {
    n,
    median: r(quantile(s, 0.5)),
    p10: r(quantile(s, 0.1)),
    p90: r(quantile(s, 0.9)),
    min: r(s[0]!),
    max: r(s[n - 1]!),
    mean: r(mean),
    stdev: r(Math.sqrt(variance)),
  }
}

// ---------------------------------------------------------------------------
// main

interface Command {
  id: string
  family: string
  label: string
  file: string
  /** null: the peer is not installed (see `error`). */
  args: string[] | null
  kind: 'floor' | 'version' | 'help'
  required: boolean
  peer: { spec: string | null; wanted: string | null; version: string | null; engines: string | null; bin: string | null } | null
  notes: string[]
  error: string | null
  samples: number[]
  /** CPU ms of each timed run (10 ms ticks: only their mean is precise). */
  cpuSamples: number[]
  /** Mean CPU ms per run; null where unknown. */
  cpuMean: number | null
  cpuRatioToNode: number | null
  failures: Array<{ round: number; reason: string }>
  versionOutput: string | null
  argv: string[] | null
  stats: Stats | null
  ratioToNode: number | null
  ratioToSlsRunVersion: number | null
}

interface Target {
  id: string
  text: string
  verdict: 'PASS' | 'FAIL' | 'N/A'
  ratio: number | null
  detail: string
  peer?: string | null
  peerVersion?: string | null
}

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  const env = benchEnv(opts)
  const binRun = path.join(ROOT, 'bin', 'run.js')

  if (!fs.existsSync(binRun)) {
    process.stderr.write(`bin/run.js not found in ${ROOT}\n`)
    process.exit(1)
  }
  if (!fs.existsSync(path.join(ROOT, 'dist'))) {
    process.stderr.write('dist/ is missing: build first (`npm run bench` runs `npm run build` for you)\n')
    process.exit(1)
  }
  if (opts.runs < MIN_RUNS) process.stderr.write(`warning: --runs ${opts.runs} is below ${MIN_RUNS}; the result is only indicative\n`)

  // The commands. Every one is a single `node <script>` process (peers via the
  // JS file their package.json "bin" names, not via npx or a shell shim).
  const command = (c: Pick<Command, 'id' | 'family' | 'label' | 'args' | 'kind' | 'required'> & Partial<Command>): Command => ({
    file: NODE,
    peer: null,
    notes: [],
    error: null,
    samples: [],
    cpuSamples: [],
    cpuMean: null,
    cpuRatioToNode: null,
    failures: [],
    versionOutput: null,
    argv: c.args ? ['node', ...c.args.map(displayPath)] : null,
    stats: null,
    ratioToNode: null,
    ratioToSlsRunVersion: null,
    ...c,
  })
  const commands: Command[] = [
    command({ id: 'node', family: 'node', label: 'node -e 0', args: ['-e', '0'], kind: 'floor', required: true }),
    command({ id: 'sls-run-version', family: 'sls-run', label: 'sls-run --version', args: [binRun, '--version'], kind: 'version', required: true }),
    command({ id: 'sls-run-help', family: 'sls-run', label: 'sls-run --help', args: [binRun, '--help'], kind: 'help', required: true }),
    // The other commands people start most (issue: every command's start-up, not only --version).
    command({
      id: 'sls-run-config-validate',
      family: 'sls-run',
      label: 'sls-run config validate',
      args: [binRun, 'config', 'validate', '-c', path.join(ROOT, 'examples', 'hello', 'sls-run.yaml')],
      kind: 'help',
      required: true,
    }),
    command({ id: 'sls-run-init-help', family: 'sls-run', label: 'sls-run init --help', args: [binRun, 'init', '--help'], kind: 'help', required: true }),
    command({ id: 'sls-run-deploy-help', family: 'sls-run', label: 'sls-run deploy --help', args: [binRun, 'deploy', '--help'], kind: 'help', required: true }),
  ]

  if (!opts.skipPeers) {
    for (const p of await preparePeers(opts)) {
      commands.push(
        command({
          id: p.id,
          family: p.family,
          label: p.label,
          args: p.bin ? [p.bin, ...p.args] : null,
          kind: 'version',
          required: false,
          peer: { spec: p.spec, wanted: p.wanted, version: p.version, engines: p.engines, bin: p.bin && displayPath(p.bin) },
          notes: [...p.notes],
          error: p.error,
        }),
      )
    }
  }

  // Warm-up: the first warm-up run checks exit status and output.
  process.stderr.write(`warm-up: ${opts.warmup} run(s) each\n`)
  for (const c of commands) {
    if (c.error || !c.args) continue
    for (let i = 0; i < opts.warmup; i++) {
      const r = await run(c.file, c.args, { env, captureStdout: true })
      if (r.code !== 0 || r.timedOut || r.error) {
        c.error = `${c.label}: ${describeFailure(r)}`
        break
      }
      if (i === 0) {
        const out = r.stdout.trim()
        if (c.kind === 'version') {
          const line = out.split(/\r?\n/).find((l) => VERSION_RE.test(l))
          if (!line) {
            c.error = `${c.label}: printed no version (stdout: ${JSON.stringify(out.slice(0, 200))})`
            break
          }
          c.versionOutput = stripVTControlCharacters(out)
          // anything beyond the version itself (update notices, banners...) is worth a note
          const extra = r.stderr.trim()
          if (extra) c.notes.push(`also printed on stderr: ${lastLines(extra, 3)}`)
        } else if (c.kind === 'help' && out === '') {
          c.error = `${c.label}: printed nothing on stdout`
          break
        }
      }
    }
  }

  // Timed runs, round-robin, start rotated each round.
  const active = commands.filter((c): c is Command & { args: string[] } => !c.error && c.args !== null)
  process.stderr.write(`timing: ${opts.runs} round(s) of ${active.length} command(s)\n`)
  for (let round = 0; round < opts.runs; round++) {
    for (let k = 0; k < active.length; k++) {
      const c = active[(round + k) % active.length]!
      const r = await run(c.file, c.args, { env })
      if (r.code === 0 && !r.timedOut && !r.error) {
        c.samples.push(r.ms)
        if (r.cpuMs != null) c.cpuSamples.push(r.cpuMs)
      } else c.failures.push({ round, reason: describeFailure(r) })
    }
    if ((round + 1) % 5 === 0 || round + 1 === opts.runs) process.stderr.write(`  ${round + 1}/${opts.runs}\n`)
  }

  for (const c of commands) {
    c.stats = c.samples.length ? stats(c.samples) : null
    if (c.failures.length) {
      const msg = `${c.failures.length} of ${opts.runs} timed runs failed (first: ${c.failures[0]!.reason})`
      if (!c.samples.length) c.error = `${c.label}: ${msg}`
      else c.notes.push(msg)
    }
  }
  const byId = (id: string) => commands.find((c) => c.id === id)!
  const nodeMed = byId('node').stats?.median
  const slsMed = byId('sls-run-version').stats?.median
  const ratio = (a: number | undefined, b: number | undefined) => (a != null && b ? Math.round((a / b) * 100) / 100 : null)
  const nodeCpu = byId('node')
  for (const c of commands) {
    c.ratioToNode = ratio(c.stats?.median, nodeMed)
    c.ratioToSlsRunVersion = ratio(c.stats?.median, slsMed)
    if (c.cpuSamples.length === c.samples.length && c.samples.length) c.cpuMean = Math.round((c.cpuSamples.reduce((a, b) => a + b, 0) / c.cpuSamples.length) * 10) / 10
  }
  for (const c of commands) c.cpuRatioToNode = ratio(c.cpuMean ?? undefined, nodeCpu.cpuMean ?? undefined)
  // The commands people start most, each against node's CPU and the peers' wall time (issue: every command).
  const everyday = commands.filter((c) => c.family === 'sls-run' && c.kind === 'help')

  // Targets.
  const targets: Target[] = []
  {
    const r = byId('sls-run-version').ratioToNode
    targets.push({
      id: 'within-3x-node',
      text: 'sls-run --version median within 3× of node -e 0',
      verdict: r == null ? 'N/A' : r <= 3 ? 'PASS' : 'FAIL',
      ratio: r,
      detail: r == null ? 'not measured' : `${slsMed} ms vs ${nodeMed} ms = ${r.toFixed(2)}× node`,
    })
  }
  for (const c of everyday) {
    const r = c.cpuRatioToNode
    targets.push({
      id: `cpu-2x-node-${c.id}`,
      text: `${c.label} CPU within 2× of node -e 0`,
      verdict: r == null ? 'N/A' : r <= 2 ? 'PASS' : 'FAIL',
      ratio: r,
      detail: r == null ? 'CPU not measured (no /proc)' : `${c.cpuMean} ms vs ${nodeCpu.cpuMean} ms = ${r.toFixed(2)}× node`,
    })
  }
  for (const family of ['wrangler', 'serverless']) {
    if (opts.skipPeers) break
    const rows = commands.filter((c) => c.family === family)
    // prefer the row of the requested version (latest / v3); fall back to the compat row
    const row = rows.find((c) => c.stats) ?? rows[0]
    const peerMed = row?.stats?.median
    const t = { id: `faster-than-${family}`, text: `sls-run --version faster than ${family} --version`, peer: row?.id ?? null, peerVersion: row?.peer?.version ?? null }
    if (slsMed == null) targets.push({ ...t, verdict: 'N/A', ratio: null, detail: 'sls-run not measured' })
    else if (peerMed == null) targets.push({ ...t, verdict: 'N/A', ratio: null, detail: `${family} did not run (see notes)` })
    else {
      const r = ratio(slsMed, peerMed)!
      targets.push({
        ...t,
        verdict: slsMed < peerMed ? 'PASS' : 'FAIL',
        ratio: r,
        detail: `${slsMed} ms vs ${peerMed} ms (${row!.label}) = ${r.toFixed(2)}× (${family} takes ${(peerMed / slsMed).toFixed(2)}× as long)`,
      })
      const slowest = everyday.filter((c) => c.stats).sort((a, b) => b.stats!.median - a.stats!.median)[0]
      if (slowest) {
        const rr = ratio(slowest.stats!.median, peerMed)!
        targets.push({
          ...t,
          id: `everyday-0.3x-${family}`,
          text: `every everyday command (slowest: ${slowest.label}) within 0.3× of ${family} --version, wall`,
          verdict: rr <= 0.3 ? 'PASS' : 'FAIL',
          ratio: rr,
          detail: `${slowest.stats!.median} ms vs ${peerMed} ms = ${rr.toFixed(2)}×`,
        })
      }
    }
  }

  // ---- print
  const f = (x: number | null | undefined) => (x == null || Number.isNaN(x) ? '—' : x.toFixed(1))
  const fr = (x: number | null) => (x == null ? '—' : `${x.toFixed(2)}×`)
  const header = ['command', 'runs', 'median ms', 'p10', 'p90', 'min', 'max', 'stdev', '× node', '× sls-run --version', 'CPU ms (mean)', 'CPU × node']
  const rows: string[][] = []
  const notes: string[] = []
  for (const c of commands) {
    const tag = []
    if (c.error) {
      notes.push(`${c.label}: FAILED — ${c.error.startsWith(c.label + ': ') ? c.error.slice(c.label.length + 2) : c.error}`)
      tag.push(`[${notes.length}]`)
    }
    for (const n of c.notes) {
      notes.push(`${c.label}: ${n}`)
      tag.push(`[${notes.length}]`)
    }
    const label = tag.length ? `${c.label} ${tag.join('')}` : c.label
    const s = c.stats
    if (!s) rows.push([label, String(c.samples.length), 'FAILED', '—', '—', '—', '—', '—', '—', '—', '—', '—'])
    else rows.push([label, String(s.n), f(s.median), f(s.p10), f(s.p90), f(s.min), f(s.max), f(s.stdev), fr(c.ratioToNode), fr(c.ratioToSlsRunVersion), f(c.cpuMean), fr(c.cpuRatioToNode)])
  }

  const machine = machineInfo()
  let out = ''
  out += `sls-run start-up benchmark — ${new Date().toISOString()}\n`
  out += `${machineLine(machine)}, ${opts.runs} timed runs per command after ${opts.warmup} warm-up, round-robin\n`
  if (process.env.NODE_EXTRA_CA_CERTS) {
    out += opts.keepExtraCaCerts
      ? `NODE_EXTRA_CA_CERTS=${process.env.NODE_EXTRA_CA_CERTS} kept in the environment (--keep-extra-ca-certs)\n`
      : `NODE_EXTRA_CA_CERTS removed from the environment (use --keep-extra-ca-certs to keep it)\n`
  }
  out += '\n'
  out += markdownTable(header, rows)
  if (notes.length) out += '\n' + notes.map((n, i) => `[${i + 1}] ${n}`).join('\n') + '\n'
  out += '\nTargets:\n'
  for (const t of targets) out += `  ${t.verdict.padEnd(4)}  ${t.text}: ${t.detail}\n`
  if (opts.runs < MIN_RUNS) out += `  (only ${opts.runs} runs per command: below the ${MIN_RUNS} needed for a valid result)\n`

  // ---- JSON
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    machine,
    runs: opts.runs,
    warmup: opts.warmup,
    validRunCount: opts.runs >= MIN_RUNS,
    timing:
      'wall time from spawn() to child exit, process.hrtime.bigint(); stdin/stdout ignored, stderr piped; CPU: the change of /proc/self/stat cutime+cstime across each run, averaged over the runs',
    order: 'round-robin, start rotated by one each round',
    env: { ...BENCH_ENV_OVERRIDES, WRANGLER_LOG_PATH: '(a temporary folder, removed afterwards)' },
    envRemoved: ['npm_*', ...envRemoved(opts)],
    extraCaCertsInEnv: opts.keepExtraCaCerts && process.env.NODE_EXTRA_CA_CERTS ? process.env.NODE_EXTRA_CA_CERTS : null,
    peersDir: opts.skipPeers ? null : tildify(PEERS_DIR), // $PEERS in argv
    commands: commands.map((c) => ({
      id: c.id,
      label: c.label,
      argv: c.argv,
      ok: !c.error,
      error: c.error,
      notes: c.notes,
      peer: c.peer,
      version: c.versionOutput,
      samplesMs: c.samples.map((x) => Math.round(x * 1000) / 1000),
      failures: c.failures,
      stats: c.stats,
      cpuMeanMs: c.cpuMean,
      cpuRatioToNode: c.cpuRatioToNode,
      ratioToNode: c.ratioToNode,
      ratioToSlsRunVersion: c.ratioToSlsRunVersion,
    })),
    targets,
  }
  out += `\nJSON: ${writeResults(opts.out, result)}\n`
  process.stdout.write(out)

  fs.rmSync(WRANGLER_LOG_DIR, { recursive: true, force: true })
  const slsFailed = commands.some((c) => c.required && (c.error || c.failures.length))
  process.exitCode = slsFailed ? 1 : 0
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/startup.ts: ${(e as Error)?.stack ?? e}\n`)
  process.exit(1)
})
