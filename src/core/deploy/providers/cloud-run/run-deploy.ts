/**
 * Applying a Cloud Run plan: read the service, PATCH it (allowMissing: create or update) only when the
 * planned body differs from what runs, wait for the operation and the terminal condition, then merge
 * `roles/run.invoker` for `allUsers` into the IAM policy when the plan asks. Also status and remove.
 */
import { apiError } from '../../api.js'
import type { Deployment, DeployContext, Plan, PlannedRequest, ProviderSettings, ServiceStatus } from '../../types.js'
import { googleTokenSource } from './auth.js'
import { conditionReason, mergeBindings, PLATFORM, RUN_ORIGIN, RunApi, shortName, type IamPolicy, type Operation, type RunService } from './run-api.js'
import { dropsOptional } from '../../common.js'

const isDefault = (v: unknown): boolean =>
  v === undefined || v === null || v === false || v === 0 || v === '' || (Array.isArray(v) ? v.length === 0 : typeof v === 'object' && Object.values(v as object).every(isDefault))

const UNITS: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, s: 1 }
const QUANTITY = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti|s)?$/

/** Scalars the API may write in another notation: quantities ("1" / "1000m", "512Mi") and durations ("300s" / "300.000s"). */
function sameScalar(have: unknown, want: unknown): boolean {
  if (have === want || String(have) === String(want)) return true
  const h = QUANTITY.exec(String(have))
  const w = QUANTITY.exec(String(want))
  if (!h || !w || (h[2] === 's') !== (w[2] === 's')) return false
  return Math.abs(Number(h[1]) * UNITS[h[2] ?? 's']! - Number(w[1]) * UNITS[w[2] ?? 's']!) < 1e-9
}

/**
 * True when `have` (the REST resource) already holds every value of `want` (the planned body). Proto3
 * JSON leaves out default values (false, 0, "", []), so a missing field equals a default one; int64
 * comes back as a string, so scalars compare by their text (and quantities by their value).
 */
export function covers(have: unknown, want: unknown): boolean {
  if (have === undefined || have === null) return isDefault(want)
  if (Array.isArray(want)) return Array.isArray(have) && have.length === want.length && want.every((w, i) => covers(have[i], w))
  if (want !== null && typeof want === 'object') {
    if (typeof have !== 'object' || Array.isArray(have)) return false
    return Object.entries(want).every(([k, v]) => covers((have as Record<string, unknown>)[k], v))
  }
  return sameScalar(have, want)
}

type RequestStep = PlannedRequest & { kind: 'request' }

type WithContainers = { template?: { containers?: unknown[] } }
/** A command or args still deployed that the plan no longer sets (covers() only checks planned values). */
const droppedFromContainers = (body: unknown, current: unknown) => {
  const [planned, deployed] = [(body as WithContainers).template?.containers ?? [], (current as WithContainers).template?.containers ?? []]
  return planned.some((c, i) => dropsOptional(c, deployed[i]))
}

function requestSteps(plan: Plan): { patch: RequestStep; iam: RequestStep | undefined } {
  const requests = plan.steps.filter((s): s is RequestStep => s.kind === 'request')
  const patch = requests.find((s) => s.method === 'PATCH')
  if (!patch) throw new Error(`cloud-run plan for ${plan.service} has no PATCH step`)
  return { patch, iam: requests.find((s) => s.url.endsWith(':setIamPolicy')) }
}

const serviceUrlOf = (settings: ProviderSettings<'cloud-run'>, service: string) => `${RUN_ORIGIN}v2/projects/${settings.project}/locations/${settings.region}/services/${service}`

const PERMISSION_HINTS = ['Deploying needs roles/run.developer (run.services.get/create/update) and roles/iam.serviceAccountUser on the runtime service account.']

async function makePublic(api: RunApi, step: RequestStep, emit: (m: string) => void): Promise<void> {
  const getUrl = step.url.replace(/:setIamPolicy$/, ':getIamPolicy')
  const res = await api.call('GET', getUrl)
  if (res.status !== 200) throw apiError(PLATFORM, 'read the IAM policy', res)
  const planned = (step.body as { policy: IamPolicy }).policy
  const merged = mergeBindings((res.json ?? {}) as IamPolicy, planned.bindings ?? [])
  if (!merged) {
    emit('already public (roles/run.invoker for allUsers)')
    return
  }
  emit('granting roles/run.invoker to allUsers')
  const set = await api.call('POST', step.url, { ...(step.body as object), policy: merged })
  if (set.status !== 200) {
    throw apiError(PLATFORM, 'make the service public (setIamPolicy)', set, [
      'Making it public needs run.services.setIamPolicy (roles/run.admin); an organization policy (domain restricted sharing) may forbid allUsers.',
    ])
  }
}

export async function deployCloudRun(plan: Plan, _settings: ProviderSettings<'cloud-run'>, ctx: DeployContext): Promise<Deployment> {
  const emit = (message: string) => ctx.emit?.({ type: 'progress', service: plan.service, message })
  const { patch, iam } = requestSteps(plan)
  const api = new RunApi(await googleTokenSource(ctx.env), ctx)
  const serviceUrl = patch.url.replace(/\?.*$/, '')

  const current = await api.getService(serviceUrl)
  let svc: RunService | null = current
  let unchanged = false
  if (current && covers(current, patch.body) && !droppedFromContainers(patch.body, current)) {
    unchanged = true
    emit('unchanged: the service already runs this image with these settings')
    if (ctx.wait && current.terminalCondition?.state !== 'CONDITION_SUCCEEDED') svc = await api.settle(plan.service, { name: '', done: true }, serviceUrl)
  } else {
    emit(current ? 'updating the service (a new revision)' : 'creating the service')
    const res = await api.call('PATCH', patch.url, patch.body)
    if (res.status !== 200) throw apiError(PLATFORM, patch.purpose, res, res.status === 403 ? PERMISSION_HINTS : [])
    const op = res.json as Operation
    if (ctx.wait) {
      emit(`waiting for operation ${shortName(op.name)}`)
      svc = await api.settle(plan.service, op, serviceUrl)
    } else {
      svc = null
    }
  }
  if (iam) await makePublic(api, iam, emit)
  const ready = svc?.terminalCondition?.state === 'CONDITION_SUCCEEDED'
  if (ready) emit(`ready: ${svc?.uri ?? '(no URL)'} revision ${shortName(svc?.latestReadyRevision)}`)
  return {
    service: plan.service,
    url: svc?.uri ?? current?.uri ?? null,
    revision: ready ? shortName(svc?.latestReadyRevision) : null,
    unchanged,
    ready,
  }
}

export async function cloudRunStatus(service: string, settings: ProviderSettings<'cloud-run'>, ctx: DeployContext): Promise<ServiceStatus | null> {
  const api = new RunApi(await googleTokenSource(ctx.env), ctx)
  const svc = await api.getService(serviceUrlOf(settings, service))
  if (!svc) return null
  const ready = svc.terminalCondition?.state === 'CONDITION_SUCCEEDED'
  // The template is the latest *created* revision; after a failed rollout the serving one is older.
  let image = svc.template?.containers?.[0]?.image ?? null
  if (svc.latestReadyRevision && svc.latestCreatedRevision && svc.latestReadyRevision !== svc.latestCreatedRevision) {
    const res = await api.call('GET', `${RUN_ORIGIN}v2/${svc.latestReadyRevision}`)
    if (res.status === 200) image = (res.json as { containers?: Array<{ image?: string }> }).containers?.[0]?.image ?? image
  }
  return {
    service,
    url: svc.uri ?? null,
    revision: shortName(svc.latestReadyRevision),
    image,
    ready,
    reason: ready ? null : conditionReason(svc.terminalCondition),
  }
}

export async function removeCloudRun(service: string, settings: ProviderSettings<'cloud-run'>, ctx: DeployContext): Promise<boolean> {
  const api = new RunApi(await googleTokenSource(ctx.env), ctx)
  const res = await api.call('DELETE', serviceUrlOf(settings, service))
  if (res.status === 404) return false
  if (res.status !== 200) throw apiError(PLATFORM, `delete service ${service}`, res)
  ctx.emit?.({ type: 'progress', service, message: 'deleting' })
  if (ctx.wait) await api.settle(service, res.json as Operation, null)
  return true
}
