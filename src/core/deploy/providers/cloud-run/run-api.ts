/**
 * Cloud Run Admin API v2 (and Cloud Scheduler v1) over REST: authorised JSON calls, the endpoint
 * overrides, long-running operations and the service's terminal condition. gcloud's variables
 * `CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN` and `CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDSCHEDULER` (e.g.
 * `http://127.0.0.1:8080/`) replace `https://run.googleapis.com/` and `https://cloudscheduler.googleapis.com/`.
 */
import { ExitCode, SlsError } from '../../../../errors.js'
import { apiError, callApi, rolloutFailed, waitFor, type ApiResponse, type Probe } from '../../api.js'
import type { DeployContext } from '../../types.js'
import type { GoogleTokenSource } from './auth.js'

export const PLATFORM = 'Cloud Run'
export const RUN_ORIGIN = 'https://run.googleapis.com/'
export const SCHEDULER_ORIGIN = 'https://cloudscheduler.googleapis.com/'

/** The parts of a v2 Service this adapter reads (REST JSON). */
export interface RunCondition {
  type?: string
  state?: string
  message?: string
  reason?: string
  revisionReason?: string
  executionReason?: string
}
export interface RunService {
  name?: string
  uri?: string
  latestReadyRevision?: string
  latestCreatedRevision?: string
  reconciling?: boolean
  terminalCondition?: RunCondition
  conditions?: RunCondition[]
  template?: { containers?: Array<{ image?: string }> } & Record<string, unknown>
  [key: string]: unknown
}
export interface Operation {
  name: string
  done?: boolean
  error?: { code?: number; message?: string; status?: string }
  response?: unknown
}
export interface IamPolicy {
  version?: number
  etag?: string
  bindings?: Array<{ role: string; members?: string[]; condition?: unknown }>
  [key: string]: unknown
}

const OVERRIDES: Array<[origin: string, variable: string]> = [
  [RUN_ORIGIN, 'CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN'],
  [SCHEDULER_ORIGIN, 'CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDSCHEDULER'],
]

/** Rewrite a `https://run.googleapis.com/…` (or Cloud Scheduler) URL to the override's origin (and path prefix). */
export function runUrl(url: string, env: NodeJS.ProcessEnv): string {
  for (const [origin, variable] of OVERRIDES) {
    const override = env[variable]?.trim()
    if (override && url.startsWith(origin)) return `${override.endsWith('/') ? override : `${override}/`}${url.slice(origin.length)}`
  }
  return url
}

export const shortName = (name: string | undefined | null): string | null => (name ? name.slice(name.lastIndexOf('/') + 1) : null)

/** Why a condition is not good, in Cloud Run's words. */
export function conditionReason(c: RunCondition | undefined): string {
  if (!c) return 'no terminal condition reported'
  const reason = c.revisionReason ?? c.reason ?? c.executionReason
  return [c.message, reason && reason !== 'COMMON_REASON_UNDEFINED' ? `(${reason})` : ''].filter(Boolean).join(' ') || c.state || 'unknown'
}

export class RunApi {
  constructor(
    private readonly tokens: GoogleTokenSource,
    private readonly ctx: DeployContext,
  ) {}

  /** One authorised call to a `https://run.googleapis.com/…` (or Cloud Scheduler) URL; every status resolves. */
  async call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<ApiResponse> {
    const headers = await this.tokens.headers()
    return callApi(PLATFORM, { method, url: runUrl(url, this.ctx.env), headers, body, signal: this.ctx.signal })
  }

  /** `GET` a service; null on 404. */
  async getService(serviceUrl: string): Promise<RunService | null> {
    const res = await this.call('GET', serviceUrl)
    if (res.status === 404) return null
    if (res.status !== 200) throw apiError(PLATFORM, 'read the service', res)
    return res.json as RunService
  }

  async getOperation(name: string): Promise<Operation> {
    const res = await this.call('GET', `${RUN_ORIGIN}v2/${name}`)
    if (res.status !== 200) throw apiError(PLATFORM, `read operation ${name}`, res)
    return res.json as Operation
  }

  /**
   * Wait until `op` is done (then until the service reports a terminal condition, when `serviceUrl`
   * is given), within ctx.timeoutMs. A failed operation or CONDITION_FAILED → DEPLOY_ROLLOUT_FAILED
   * (DEPLOY_API for an operation without a service to wait for, i.e. a delete).
   */
  async settle(service: string, op: Operation, serviceUrl: string | null): Promise<RunService | null> {
    let current = op
    const check = async (): Promise<Probe<RunService | null>> => {
      if (!current.done) current = await this.getOperation(current.name)
      if (!current.done) return { done: false, detail: `operation ${shortName(current.name)} still running` }
      if (current.error) {
        const e = current.error
        const said = [e.status, e.message].filter(Boolean).join(': ') || `operation failed (code ${e.code ?? '?'})`
        if (!serviceUrl) throw new SlsError('DEPLOY_API', `${PLATFORM} operation ${shortName(current.name)} for ${service} failed: ${said}`, { exitCode: ExitCode.failure })
        throw rolloutFailed(PLATFORM, service, said, HINTS)
      }
      if (!serviceUrl) return { done: true, value: null }
      const svc = await this.getService(serviceUrl)
      if (!svc) return { done: false, detail: 'the service is not visible yet' }
      const state = svc.terminalCondition?.state
      if (state === 'CONDITION_SUCCEEDED') return { done: true, value: svc }
      if (state === 'CONDITION_FAILED') throw rolloutFailed(PLATFORM, service, conditionReason(svc.terminalCondition), HINTS)
      return { done: false, detail: `${state ?? 'no condition yet'}${svc.terminalCondition?.message ? `: ${svc.terminalCondition.message}` : ''}` }
    }
    return waitFor(`${PLATFORM} service ${service}`, check, { timeoutMs: this.ctx.timeoutMs, intervalMs: this.ctx.pollIntervalMs, signal: this.ctx.signal })
  }
}

const HINTS = ['Read the revision logs: `gcloud run services logs read <service> --region <region>` (or the Logs Explorer).']

/** roles/… members to add to `policy`; null when every one is already there (nothing to send). */
export function mergeBindings(policy: IamPolicy, wanted: Array<{ role: string; members?: string[] }>): IamPolicy | null {
  const bindings = (policy.bindings ?? []).map((b) => ({ ...b, members: [...(b.members ?? [])] }))
  let changed = false
  for (const want of wanted) {
    let binding = bindings.find((b) => b.role === want.role && !b.condition)
    if (!binding) {
      binding = { role: want.role, members: [] }
      bindings.push(binding)
    }
    for (const member of want.members ?? []) {
      if (!binding.members.includes(member)) {
        binding.members.push(member)
        changed = true
      }
    }
  }
  return changed ? { ...policy, bindings } : null
}
