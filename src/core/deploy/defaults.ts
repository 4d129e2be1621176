/**
 * Defaults at deploy. sls-run.yaml's schema fills in defaults sized for `sls-run dev` (10 instances,
 * CPU between requests); a deploy must not send those for keys the file leaves out: each adapter has a
 * table of its platform's own published defaults (with their sources) and uses it for the keys in
 * `PlanContext.unset`, listing each one in `Plan.defaults`. Keys the file sets are sent as written.
 */
import { asRecord } from '../config/files.js'
import { deepMerge } from '../config/load.js'
import { service as serviceSchema, type ServiceConfig } from '../config/schema.js'
import type { PlanContext, PlanDefault } from './types.js'

const defaults = serviceSchema.parse({})

/** Schema defaults the adapters compare against (a changed emulator-only setting gets a warning). */
export const DEFAULTS = {
  idleTimeoutMs: defaults.scaling.idleTimeout,
  queueTimeoutMs: defaults.scaling.queueTimeout,
} as const

/** The service keys whose value at deploy is the platform's default when sls-run.yaml leaves them out. */
export const PLATFORM_DEFAULTED = [
  'resources.cpu',
  'resources.memory',
  'scaling.minInstances',
  'scaling.maxInstances',
  'scaling.concurrency',
  'scaling.idleTimeout',
  'timeout',
  'cpuThrottling',
] as const
export type DefaultedKey = (typeof PLATFORM_DEFAULTED)[number]

/**
 * One platform default. `value` (in sls-run.yaml's resolved units: ms, bytes, vCPUs) is planned in
 * place of sls-run's; without one nothing is sent for the key and the platform decides (`shown` says
 * how). `shown` defaults to the value in sls-run.yaml notation.
 */
export interface PlatformDefault {
  value?: number | boolean
  shown?: string
  source: string
}
export type PlatformDefaults = Partial<Record<DefaultedKey, PlatformDefault>>

/** The keys of PLATFORM_DEFAULTED that a service leaves unset in sls-run.yaml, with the environment's overrides merged. */
export function unsetKeys(document: Record<string, unknown>, environment: string, service: string): DefaultedKey[] {
  const written = asRecord(asRecord(document.services)[service])
  const override = asRecord(asRecord(asRecord(asRecord(document.environments)[environment]).services)[service])
  const merged = deepMerge(written, override)
  return PLATFORM_DEFAULTED.filter((key) => key.split('.').reduce<unknown>((at, part) => asRecord(at)[part], merged) == null)
}

const MI = 1024 * 1024
const show = (key: DefaultedKey, value: number | boolean): string => {
  if (key === 'resources.memory') return Number(value) % (1024 * MI) === 0 ? `${Number(value) / 1024 / MI}Gi` : `${Number(value) / MI}Mi`
  if (key === 'timeout' || key === 'scaling.idleTimeout') return `${Number(value) / 1000}s`
  return String(value)
}

export interface WithDefaults {
  /** The service with the platform's values in place of sls-run's for the unset keys that have one. */
  service: ServiceConfig
  /** What `Plan.defaults` lists: the unset keys the table covers, in PLATFORM_DEFAULTED order. */
  defaults: PlanDefault[]
  /** True when sls-run.yaml leaves the key unset (never without `ctx.unset`: then every key counts as set). */
  unset(key: DefaultedKey): boolean
}

export function withPlatformDefaults(service: ServiceConfig, ctx: PlanContext, table: PlatformDefaults): WithDefaults {
  const unset = (key: DefaultedKey) => ctx.unset?.includes(key) ?? false
  const out: ServiceConfig = { ...service, resources: { ...service.resources }, scaling: { ...service.scaling } }
  const listed: PlanDefault[] = []
  for (const key of PLATFORM_DEFAULTED) {
    const entry = table[key]
    if (!entry || !unset(key)) continue
    if (entry.value !== undefined) {
      const [head, leaf] = key.split('.') as [string, string | undefined]
      if (leaf) (out as unknown as Record<string, Record<string, unknown>>)[head]![leaf] = entry.value
      else (out as unknown as Record<string, unknown>)[head] = entry.value
    }
    listed.push({ setting: key, value: entry.shown ?? show(key, entry.value!), source: entry.source })
  }
  return { service: out, defaults: listed, unset }
}
