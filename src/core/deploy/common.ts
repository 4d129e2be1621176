/** Helpers the adapters share: units in platform notation, env lists, commands, labels. */
import type { ServiceConfig } from '../config/schema.js'
import { DEFAULTS } from './defaults.js'
import type { PlanWarning } from './types.js'

const KI = 1024
const MI = KI * 1024
const GI = MI * 1024

/** Bytes as a Kubernetes quantity, in the largest binary unit that divides it (512Mi, 1Gi, 1536Ki). */
export function quantity(bytes: number): string {
  for (const [unit, size] of [
    ['Gi', GI],
    ['Mi', MI],
    ['Ki', KI],
  ] as const)
    if (bytes % size === 0) return `${bytes / size}${unit}`
  return String(bytes)
}

/** vCPUs as a Kubernetes quantity: whole numbers as is, fractions in millicores (rounded up). */
export function cpuQuantity(cpu: number): string {
  return Number.isInteger(cpu) ? String(cpu) : `${Math.ceil(cpu * 1000)}m`
}

export const seconds = (ms: number) => Math.ceil(ms / 1000)

/** What a plan cannot know until deploy: shown in request bodies and in the plan's target. */
export const deployTimeLookup = (what: string) => `<deploy-time lookup: ${what}>`

/** Exec form as the platform's `command` (entrypoint); a string runs through /bin/sh -c, as in `sls-run dev`. */
export function commandList(command: ServiceConfig['command']): string[] | undefined {
  if (command === undefined) return undefined
  return typeof command === 'string' ? ['/bin/sh', '-c', command] : [...command]
}

/**
 * `env` as `[{ name, value }]`, sorted for stable output. The schema already refuses the names Cloud Run
 * and Knative reserve (PORT, K_SERVICE, K_REVISION, K_CONFIGURATION). `setPort` adds PORT for platforms
 * that do not set it, so the container contract is the same everywhere.
 */
export function envList(service: ServiceConfig, warnings: PlanWarning[], platform: string, options: { setPort?: boolean } = {}): Array<{ name: string; value: string }> {
  const env = Object.entries(service.env)
  if (options.setPort) env.push(['PORT', String(service.port)])
  if (service.envFile) {
    warnings.push({
      code: 'ENV_FILE_NOT_DEPLOYED',
      setting: 'envFile',
      message: `envFile is local only and is not sent to ${platform} (it often holds secrets); put deploy-time values in env or the platform's secret store`,
    })
  }
  return env.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, value]) => ({ name, value }))
}

/** Emulator-only scaling settings that no adapter sends: warned when changed from their defaults. */
export function unsupportedTimeouts(service: ServiceConfig, warnings: PlanWarning[], platform: string, options: { idleTimeout?: string; queueTimeout?: string }): void {
  if (options.idleTimeout && service.scaling.idleTimeout !== DEFAULTS.idleTimeoutMs) {
    warnings.push({ code: 'IDLE_TIMEOUT_UNSUPPORTED', setting: 'scaling.idleTimeout', message: `${platform} ${options.idleTimeout}` })
  }
  if (options.queueTimeout && service.scaling.queueTimeout !== DEFAULTS.queueTimeoutMs) {
    warnings.push({ code: 'QUEUE_TIMEOUT_UNSUPPORTED', setting: 'scaling.queueTimeout', message: `${platform} ${options.queueTimeout}` })
  }
}

export function labels(project: string, environment: string): Record<string, string> {
  return { 'app.kubernetes.io/managed-by': 'sls-run', 'app.kubernetes.io/part-of': project, 'sls-run.dev/environment': environment }
}

/**
 * True when a deployed container has a value for a key the plan leaves out because it is unset (a
 * `command:` removed from sls-run.yaml). Platforms that replace the container whole on update (Cloud
 * Run, ACA) must then get the update, although every planned value is already deployed.
 */
export function dropsOptional(planned: unknown, deployed: unknown, keys: readonly string[] = ['command', 'args']): boolean {
  const [p, d] = [planned as Record<string, unknown> | undefined, deployed as Record<string, unknown> | undefined]
  return keys.some((k) => !(p && k in p) && d !== undefined && d !== null && isSet(d[k]))
}

const isSet = (v: unknown) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0)
