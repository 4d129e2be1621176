/** ARM calls with the session's token, the error mapping ARM needs, and long-running operation status. */
import { ExitCode, SlsError } from '../../../../errors.js'
import { redact } from '../../../redact.js'
import { apiError, callApi, platformMessage, type ApiResponse } from '../../api.js'
import type { DeployContext } from '../../types.js'
import { PLATFORM, type AzureSession } from './auth.js'

export async function arm(session: AzureSession, ctx: DeployContext, method: 'GET' | 'PUT' | 'DELETE', url: string, body?: unknown): Promise<ApiResponse> {
  return callApi(PLATFORM, { method, url, body, signal: ctx.signal, dispatcher: session.dispatcher, headers: { authorization: `Bearer ${await session.token()}` } })
}

/** ARM quota codes end in `Exceeded` (MaxNumberOfContainerAppsExceeded, …QuotaExceeded), which api.ts's pattern misses. */
const ARM_QUOTA = /Exceeded\b|quota/i

/** apiError, with ARM's quota codes as DEPLOY_QUOTA whatever the HTTP status (ARM sends them as 400 or 409). */
export function armError(what: string, res: ApiResponse, hints: string[] = []): SlsError {
  const err = apiError(PLATFORM, what, res, hints)
  if (err.code !== 'DEPLOY_QUOTA' && err.code !== 'DEPLOY_AUTH' && ARM_QUOTA.test(platformMessage(res))) {
    return new SlsError('DEPLOY_QUOTA', err.message, {
      exitCode: ExitCode.failure,
      hints: [...hints, 'A quota was hit: remove unused apps or environments, or ask for a higher limit (Azure portal → Quotas).'],
      details: err.details,
    })
  }
  return err
}

export function expectArm(what: string, res: ApiResponse, ok: (status: number) => boolean = (s) => s >= 200 && s < 300): ApiResponse {
  if (!ok(res.status)) throw armError(what, res)
  return res
}

const header = (res: ApiResponse, name: string): string | undefined => {
  const v = res.headers[name.toLowerCase()]
  return Array.isArray(v) ? v[0] : v
}

/** Where to follow a long-running operation: Azure-AsyncOperation (status body) first, else Location (202 until done). */
export function operationOf(res: ApiResponse): { kind: 'async' | 'location'; url: string } | null {
  const asyncOp = header(res, 'azure-asyncoperation')
  if (asyncOp) return { kind: 'async', url: asyncOp }
  const location = header(res, 'location')
  if (location && res.status === 202) return { kind: 'location', url: location }
  return null
}

export type OperationState = { state: 'running'; detail: string } | { state: 'succeeded' } | { state: 'failed'; status: string; code: string | null; message: string }

/** One look at a long-running operation. */
export async function operationState(session: AzureSession, ctx: DeployContext, op: { kind: 'async' | 'location'; url: string }, what: string): Promise<OperationState> {
  // The token goes only to ARM: an operation URL elsewhere is not followed.
  if (new URL(op.url).origin !== new URL(session.arm).origin) {
    throw new SlsError('DEPLOY_API', `${PLATFORM}: ARM pointed the status of ${what} at ${redact(op.url)}, outside ${session.arm}`, { exitCode: ExitCode.failure })
  }
  const res = await arm(session, ctx, 'GET', op.url)
  if (op.kind === 'location') {
    if (res.status === 202) return { state: 'running', detail: 'operation accepted, still running' }
    if (res.status >= 200 && res.status < 300) return { state: 'succeeded' }
    const said = platformMessage(res)
    return { state: 'failed', status: `HTTP ${res.status}`, code: null, message: said }
  }
  expectArm(`report the status of ${what}`, res)
  const body = (res.json ?? {}) as { status?: string; error?: { code?: string; message?: string } }
  const status = body.status ?? 'Unknown'
  if (/^succeeded$/i.test(status)) return { state: 'succeeded' }
  if (/^(failed|canceled|cancelled)$/i.test(status)) {
    return { state: 'failed', status, code: body.error?.code ?? null, message: body.error?.message ?? `operation ${status}` }
  }
  return { state: 'running', detail: `operation ${status}` }
}
