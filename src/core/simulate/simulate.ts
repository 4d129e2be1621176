/**
 * `sls-run simulate`, the service: the service's settings (sls-run.yaml, or a new service's defaults),
 * `--set`/`--model` overrides validated by the same schema, `--grid` combinations, the cold-start
 * duration, then one replay per combination (simulator.ts) turned into a SimResult with costs.
 */
import { parse as parseYaml } from '../../vendor/yaml.js'
import { ExitCode, SlsError } from '../../errors.js'
import type { ScalingModel } from '../autoscaler/autoscaler.js'
import { loadConfig } from '../config/index.js'
import { service as serviceSchema, type ServiceConfig } from '../config/schema.js'
import { formatDuration, parseDuration } from '../config/units.js'
import { COLD_START_PROFILES } from '../emulator/cold-start-profiles.js'
import { modelOf, scalingSpec } from '../emulator/scaling-spec.js'
import { costs } from './cost.js'
import { Simulator, type SimOutcome } from './simulator.js'
import { Random } from './trace/random.js'
import type { SimResult, TimelinePoint, TraceSource } from './types.js'

export interface SimulateOptions {
  source: TraceSource
  /** The service to simulate (and to keep from a multi-service trace). */
  service?: string
  /** sls-run.yaml (found from the cwd when absent); `false`: none, a new service's defaults. */
  configFile?: string | false
  model?: ScalingModel
  /** `key=value`, dotted paths under the service as in sls-run.yaml. */
  set?: string[]
  /** `key=v1,v2`: every combination is one row. */
  grid?: string[]
  /** DURATION, RANGE (800ms-2s) or a profile name; default: the recording's median, the service's dev.coldStart, or 0. */
  coldStart?: string
  /** Run at least this long (a generator's duration). */
  durationMs?: number
  seed?: number
  /** Subtract Container Apps' monthly free grant. */
  freeGrant?: boolean
}

export interface SimulateReport {
  service: string
  trace: string
  results: SimResult[]
  /** The keys `--grid` varied (empty without --grid). */
  varied: string[]
}

export async function simulate(o: SimulateOptions): Promise<SimulateReport> {
  const { name, document } = await serviceDocument(o)
  const base = [...(o.model ? [`scaling.model=${o.model}`] : []), ...(o.set ?? [])]
  const combos = gridCombos(o.grid ?? [])
  // Validate every combination before running any: a bad value stops the command with nothing printed.
  const runs = combos.map((combo) => ({ combo, service: settingsOf(name, document, [...base, ...combo]) }))
  const coldStart = await coldStartOf(o, runs[0]!.service)
  const results: SimResult[] = []
  for (const run of runs) {
    const random = new Random(o.seed ?? 1, 2) // stream 2: the generators use 0 (arrivals) and 1 (service times)
    const sampler = coldStart.sampler(() => random.next())
    const svc = run.service
    const scaling = scalingSpec(svc.scaling)
    const outcome = await new Simulator({
      concurrency: svc.scaling.concurrency,
      minInstances: svc.scaling.minInstances,
      maxInstances: svc.scaling.maxInstances,
      queueTimeoutMs: svc.scaling.queueTimeout,
      timeoutMs: svc.timeout,
      stuckGraceMs: 10_000,
      scaling,
      coldStartMs: sampler,
    }).run(o.source, { ...(o.service ? { service: o.service } : {}), ...(o.durationMs === undefined ? {} : { durationMs: o.durationMs }) })
    results.push(result(name, o.source.describe, settingsView(svc, coldStart.describe), outcome, svc, o.freeGrant ?? false))
  }
  return { service: name, trace: o.source.describe, results, varied: (o.grid ?? []).map((g) => g.split('=')[0]!) }
}

/** The service's document as written (or `{}`): the starting point the overrides apply to. */
async function serviceDocument(o: SimulateOptions): Promise<{ name: string; document: Record<string, unknown> }> {
  if (o.configFile === false) return { name: o.service ?? 'app', document: {} }
  let loaded
  try {
    loaded = await loadConfig(o.configFile ? { file: o.configFile } : {})
  } catch (error) {
    // No sls-run.yaml here and none named: a new service's defaults.
    if (!o.configFile && (error as SlsError).code === 'CONFIG_NOT_FOUND') return { name: o.service ?? 'app', document: {} }
    throw error
  }
  const names = Object.keys(loaded.config.services)
  const name = o.service ?? (names.length === 1 ? names[0]! : undefined)
  if (!name)
    throw new SlsError('SIM_SERVICE_REQUIRED', `${loaded.file} has ${names.length} services; say which to simulate`, {
      exitCode: ExitCode.usage,
      hints: [`sls-run simulate ${names[0]} --trace …  (services: ${names.join(', ')})`],
    })
  if (!loaded.config.services[name]) throw new SlsError('UNKNOWN_SERVICE', `no service "${name}" in sls-run.yaml`, { exitCode: ExitCode.usage, hints: [`Services: ${names.join(', ')}.`] })
  const services = (loaded.document.services ?? {}) as Record<string, unknown>
  return { name, document: (services[name] ?? {}) as Record<string, unknown> }
}

/** Applies `key=value` overrides (YAML scalars: 10s, 3, true) to a copy of the document and validates it. */
function settingsOf(name: string, document: Record<string, unknown>, sets: string[]): ServiceConfig {
  const doc = structuredClone(document)
  for (const set of sets) {
    const eq = set.indexOf('=')
    const key = set.slice(0, eq)
    if (eq <= 0 || !/^[A-Za-z][\w]*(\.[A-Za-z][\w]*)*$/.test(key)) throw setInvalid(set, 'expected key=value with a dotted key, e.g. scaling.idleTimeout=10s')
    let node = doc as Record<string, unknown>
    const parts = key.split('.')
    for (const part of parts.slice(0, -1)) {
      if (node[part] === undefined) node[part] = {}
      if (typeof node[part] !== 'object' || node[part] === null) throw setInvalid(set, `${part} is not a mapping`)
      node = node[part] as Record<string, unknown>
    }
    node[parts.at(-1)!] = parseYaml(set.slice(eq + 1))
  }
  const parsed = serviceSchema.safeParse(doc, { reportInput: true })
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]!
  const where = [name, ...issue.path.map(String), ...(issue.code === 'unrecognized_keys' ? [issue.keys[0]!] : [])].join('.')
  const what = issue.code === 'unrecognized_keys' ? 'is not a known key' : issue.message
  throw setInvalid(sets.join(' '), `services.${where} ${what}`)
}

function gridCombos(grid: string[]): string[][] {
  let combos: string[][] = [[]]
  for (const g of grid) {
    const eq = g.indexOf('=')
    const values = g
      .slice(eq + 1)
      .split(',')
      .filter(Boolean)
    if (eq <= 0 || !values.length)
      throw new SlsError('SIM_GRID_INVALID', `--grid ${g}: expected key=value1,value2,…`, {
        exitCode: ExitCode.usage,
        hints: ['e.g. --grid scaling.minInstances=0,1,2 --grid scaling.model=cloud-run,knative'],
      })
    combos = combos.flatMap((c) => values.map((v) => [...c, `${g.slice(0, eq)}=${v}`]))
  }
  if (combos.length > 256)
    throw new SlsError('SIM_GRID_INVALID', `--grid makes ${combos.length} combinations; at most 256`, { exitCode: ExitCode.usage, hints: ['Fewer values per key, or fewer keys.'] })
  return combos
}

interface ColdStart {
  describe: string
  sampler(random: () => number): () => number
}

/** --cold-start; else the recording's median; else dev.coldStart; else 0. */
async function coldStartOf(o: SimulateOptions, svc: ServiceConfig): Promise<ColdStart> {
  const range = (minMs: number, maxMs: number, describe: string): ColdStart => ({ describe, sampler: (random) => () => minMs + (maxMs - minMs) * random() })
  const fixed = (ms: number, describe: string) => range(ms, ms, describe)
  if (o.coldStart) {
    const profile = COLD_START_PROFILES[o.coldStart]
    if (profile) return range(profile.minMs, profile.maxMs, `${o.coldStart} (${formatDuration(profile.minMs)}–${formatDuration(profile.maxMs)})`)
    const [from, to] = o.coldStart.split('-')
    const [a, b] = [parseDuration(from ?? ''), to === undefined ? undefined : parseDuration(to)]
    if (a !== undefined && to === undefined) return fixed(a, o.coldStart)
    if (a !== undefined && b !== undefined && a <= b) return range(a, b, o.coldStart)
    throw new SlsError('SIM_COLD_START_INVALID', `--cold-start ${o.coldStart}: expected a duration (2s), a range (800ms-2s) or a profile`, {
      exitCode: ExitCode.usage,
      hints: [`Profiles: ${Object.keys(COLD_START_PROFILES).join(', ')}.`],
    })
  }
  const recorded: number[] = []
  for await (const batch of o.source.batches()) for (const a of batch) if (a.coldStartMs !== undefined && (!o.service || !a.service || a.service === o.service)) recorded.push(a.coldStartMs)
  if (recorded.length) {
    const median = recorded.sort((x, y) => x - y)[Math.floor((recorded.length - 1) / 2)]!
    return fixed(median, `${Math.round(median)}ms (median of ${recorded.length} recorded)`)
  }
  const { delay, profile } = svc.dev.coldStart
  if (delay) {
    const [from = '0ms', to = from] = delay.split('-')
    return range(parseDuration(from)!, parseDuration(to)!, `${delay} (dev.coldStart.delay)`)
  }
  if (profile) return range(COLD_START_PROFILES[profile]!.minMs, COLD_START_PROFILES[profile]!.maxMs, `${profile} (dev.coldStart.profile)`)
  return fixed(0, '0ms')
}

/** The settings a row shows: the model and its own parameters, the bounds and timeouts, the cold start. */
function settingsView(svc: ServiceConfig, coldStart: string): Record<string, string | number | boolean> {
  const model = modelOf(svc.scaling)
  const s = svc.scaling
  const params: Record<string, unknown> =
    model === 'cloud-run'
      ? { ...s.cloudRun, idleRetention: s.cloudRun.idleRetention ?? s.idleTimeout }
      : model === 'knative'
        ? s.knative
        : model === 'container-apps'
          ? s.containerApps
          : { idleTimeout: s.idleTimeout }
  const shown = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, DURATION_KEYS.has(k) ? formatDuration(v as number) : (v as number)]))
  return {
    model,
    concurrency: s.concurrency,
    minInstances: s.minInstances,
    maxInstances: s.maxInstances,
    queueTimeout: formatDuration(s.queueTimeout),
    timeout: formatDuration(svc.timeout),
    ...shown,
    coldStart,
  }
}

const DURATION_KEYS = new Set([
  'idleTimeout',
  'window',
  'evaluateEvery',
  'idleRetention',
  'stableWindow',
  'tick',
  'scaleToZeroGracePeriod',
  'pollingInterval',
  'cooldownPeriod',
  'scaleDownStabilization',
])

function result(service: string, trace: string, settings: SimResult['settings'], o: SimOutcome, svc: ServiceConfig, freeGrant: boolean): SimResult {
  const r2 = (n: number) => Math.round(n * 100) / 100
  const activeS = o.usage.activeMs / 1000
  return {
    service,
    settings,
    trace,
    durationMs: o.endMs,
    requests: o.requests,
    coldStarts: o.coldStarts,
    coldStartRatio: o.requests ? o.coldStarts / o.requests : 0,
    latencyMs: { p50: r2(o.latency.quantile(0.5)), p95: r2(o.latency.quantile(0.95)), p99: r2(o.latency.quantile(0.99)), max: r2(o.latency.max) },
    status: Object.fromEntries([...o.status].sort(([a], [b]) => a - b).map(([code, n]) => [String(code), n])),
    instances: { peak: o.peak, mean: r2(o.meanInstances) },
    instanceSeconds: { active: r2(activeS), idle: r2(Math.max(0, o.usage.aliveMs / 1000 - activeS)) },
    cost: costs(o, { cpu: svc.resources.cpu, memoryGiB: svc.resources.memory / 1024 ** 3 }, { freeGrant }),
    timeline: thin(o.timeline, 2000),
    latencyCdf: o.latency.cdf(200),
  }
}

/** At most `max` points: each chunk of consecutive points keeps its busiest one. */
function thin(points: TimelinePoint[], max: number): TimelinePoint[] {
  if (points.length <= max) return points
  const step = Math.ceil(points.length / max)
  const out: TimelinePoint[] = []
  for (let i = 0; i < points.length; i += step) {
    const chunk = points.slice(i, i + step)
    out.push(chunk.reduce((a, b) => (b.actual > a.actual || b.desired > a.desired ? b : a)))
  }
  return out
}

const setInvalid = (set: string, why: string) =>
  new SlsError('SIM_SET_INVALID', `--set ${set}: ${why}`, {
    exitCode: ExitCode.usage,
    hints: ["Keys are the service's, as in sls-run.yaml: scaling.model, scaling.minInstances, scaling.knative.stableWindow, timeout…"],
  })
