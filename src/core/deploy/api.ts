/**
 * What every adapter shares when it talks to a platform: one JSON-over-HTTP call (undici), one mapping
 * from a failed response to an SlsError code, and one bounded wait. The codes (all in the error catalogue, src/error-codes.ts):
 *
 * - DEPLOY_CREDENTIALS (exit 3): no usable credentials in the environment / the platform tool's files.
 * - DEPLOY_AUTH (exit 1): the platform rejected the credentials (401).
 * - DEPLOY_PERMISSION_DENIED (exit 1): 403; the message names the permission when the platform does.
 * - DEPLOY_NOT_FOUND (exit 1): 404 on something that must exist (project, namespace, environment, cluster).
 * - DEPLOY_CONFLICT (exit 1): 409 (someone else changed it, or an operation is in progress).
 * - DEPLOY_QUOTA (exit 1): 429 / quota exceeded.
 * - DEPLOY_UNREACHABLE (exit 1): the API did not answer (DNS, refused, reset, TLS).
 * - DEPLOY_API (exit 1): any other unexpected answer.
 * - DEPLOY_ROLLOUT_FAILED (exit 1): the platform accepted the change but the revision did not get ready;
 *   the message carries the platform's reason (the failing condition, the task's stopped reason).
 * - DEPLOY_TIMEOUT (exit 1): still not ready after --timeout.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { request, type Dispatcher } from 'undici'
import { ExitCode, SlsError } from '../../errors.js'
import { redact } from '../redact.js'

export interface ApiCall {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  url: string
  headers?: Record<string, string>
  /** Sent as JSON unless it is a string (then as is, with the content-type from headers). */
  body?: unknown
  signal?: AbortSignal
  /** A TLS-configured agent (kubeconfig CA, client certificates). */
  dispatcher?: Dispatcher
}

export interface ApiResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  /** Parsed JSON when the answer is JSON, else null. */
  json: unknown
  text: string
}

/** One call; any HTTP status resolves (callers decide), a transport failure is DEPLOY_UNREACHABLE. */
export async function callApi(platform: string, call: ApiCall): Promise<ApiResponse> {
  const headers: Record<string, string> = { accept: 'application/json', ...call.headers }
  let body: string | undefined
  if (call.body !== undefined) {
    body = typeof call.body === 'string' ? call.body : JSON.stringify(call.body)
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json'
  }
  let res: Dispatcher.ResponseData
  try {
    res = await request(call.url, { method: call.method, headers, body, signal: call.signal, dispatcher: call.dispatcher, headersTimeout: 60_000, bodyTimeout: 60_000 })
  } catch (err) {
    if (call.signal?.aborted) throw err
    const reason = (err as { code?: string; message?: string }).code ?? (err as Error).message
    throw new SlsError('DEPLOY_UNREACHABLE', `${platform} API did not answer ${call.method} ${redact(call.url)} (${reason})`, {
      exitCode: ExitCode.failure,
      cause: err,
      hints: ['Check the network and any endpoint override in the environment.'],
    })
  }
  const text = await res.body.text()
  let json: unknown = null
  if (text && /json/.test(String(res.headers['content-type'] ?? 'application/json'))) {
    try {
      json = JSON.parse(text)
    } catch {
      json = null
    }
  }
  return { status: res.statusCode, headers: res.headers, json, text }
}

/**
 * The platform's own words from an error body: Google `{error:{message,status}}`, ARM
 * `{error:{code,message}}`, Kubernetes `Status {reason,message}`, AWS JSON `{__type,message}`. Redacted.
 */
export function platformMessage(res: ApiResponse): string {
  return redact(saidIn(res))
}

function saidIn(res: ApiResponse): string {
  const j = res.json as Record<string, unknown> | null
  if (j && typeof j === 'object') {
    const e = j.error as Record<string, unknown> | undefined
    if (e && typeof e === 'object' && typeof e.message === 'string') return [e.status ?? e.code, e.message].filter(Boolean).join(': ')
    if (typeof j.message === 'string') return [j.reason ?? j.__type, j.message].filter(Boolean).join(': ')
    if (typeof j.Message === 'string') return [j.__type, j.Message].filter(Boolean).join(': ')
  }
  return res.text.slice(0, 500) || `HTTP ${res.status}`
}

/**
 * Quota and rate-limit refusals that do not come as 429: Kubernetes' `exceeded quota` (403), Google's
 * RESOURCE_EXHAUSTED, AWS-style LimitExceeded / Throttling. Narrow on purpose: "requires a quota project"
 * (a 403 about ADC) and DEADLINE_EXCEEDED (a 5xx) are not quota problems. ARM's codes: azure/arm.ts.
 */
const QUOTA = /RESOURCE_EXHAUSTED|exceeded quota|quota exceeded|QuotaExceeded|LimitExceeded|\bThrottling|TooManyRequests/i

/** An SlsError for a failed answer to `what` ("create or update the service"). */
export function apiError(platform: string, what: string, res: ApiResponse, hints: string[] = []): SlsError {
  const said = platformMessage(res)
  const message = `${platform} refused to ${what}: HTTP ${res.status} ${said}`
  const code =
    res.status === 401
      ? 'DEPLOY_AUTH'
      : res.status === 429 || (res.status < 500 && QUOTA.test(said))
        ? 'DEPLOY_QUOTA'
        : res.status === 403
          ? 'DEPLOY_PERMISSION_DENIED'
          : res.status === 404
            ? 'DEPLOY_NOT_FOUND'
            : res.status === 409
              ? 'DEPLOY_CONFLICT'
              : 'DEPLOY_API'
  const defaults: Record<string, string> = {
    DEPLOY_AUTH: 'The credentials were rejected: refresh them with the platform tool (gcloud, kubectl, az, aws) or the CI secret.',
    DEPLOY_PERMISSION_DENIED: 'The identity lacks a permission: the message above names it when the platform does.',
    DEPLOY_QUOTA: 'A quota or rate limit was hit: raise it in the console, or retry later.',
    DEPLOY_CONFLICT: 'Someone else changed it meanwhile, or an operation is still running: run the deploy again.',
    DEPLOY_NOT_FOUND: 'Check the environment settings in sls-run.yaml (project, region, namespace, resource group, cluster).',
  }
  return new SlsError(code, message, { exitCode: ExitCode.failure, hints: [...hints, ...(defaults[code] ? [defaults[code]!] : [])], details: { status: res.status, body: redactedBody(res) } })
}

/** Throw apiError unless the status is one of `ok` (default: 2xx). */
export function expectOk(platform: string, what: string, res: ApiResponse, ok: (status: number) => boolean = (s) => s >= 200 && s < 300): ApiResponse {
  if (!ok(res.status)) throw apiError(platform, what, res)
  return res
}

export type Probe<T> = { done: true; value: T } | { done: false; detail: string }

/**
 * Poll `check` every `intervalMs` until it is done, it throws (e.g. DEPLOY_ROLLOUT_FAILED), or
 * `timeoutMs` passes (DEPLOY_TIMEOUT with the last detail seen). The first check runs at once.
 */
export async function waitFor<T>(what: string, check: () => Promise<Probe<T>>, opts: { timeoutMs: number; intervalMs: number; signal?: AbortSignal }): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs
  let last = ''
  for (;;) {
    const probe = await check()
    if (probe.done) return probe.value
    last = probe.detail
    const left = deadline - Date.now()
    if (left <= 0) {
      throw new SlsError('DEPLOY_TIMEOUT', `${what}: not ready after ${Math.round(opts.timeoutMs / 1000)} s${last ? ` (last seen: ${last})` : ''}`, {
        exitCode: ExitCode.failure,
        hints: ['Raise --timeout, or look at the platform (its logs and the revision conditions) for why it is slow.'],
      })
    }
    await sleep(Math.min(opts.intervalMs, left), undefined, { signal: opts.signal })
  }
}

export function rolloutFailed(platform: string, service: string, reason: string, hints: string[] = []): SlsError {
  return new SlsError('DEPLOY_ROLLOUT_FAILED', `${platform}: the new revision of ${service} did not get ready: ${reason}`, {
    exitCode: ExitCode.failure,
    hints: [...hints, 'The previous revision (if any) keeps serving.'],
  })
}

export function missingCredentials(platform: string, what: string, hints: string[]): SlsError {
  return new SlsError('DEPLOY_CREDENTIALS', `no ${platform} credentials: ${what}`, { exitCode: ExitCode.environment, hints })
}

/** The error body for `details` (shown by --json), with what redact finds in it replaced. */
function redactedBody(res: ApiResponse): unknown {
  if (res.json === null) return redact(res.text.slice(0, 2000))
  const text = redact(JSON.stringify(res.json))
  try {
    return JSON.parse(text)
  } catch {
    return text // a replacement cut a JSON escape: the text still shows everything else
  }
}
