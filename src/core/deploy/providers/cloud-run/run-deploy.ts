/**
 * Applying a Cloud Run plan: read the service, PATCH it (allowMissing: create or update) only when the
 * planned body differs from what runs, wait for the operation and the terminal condition, then merge
 * `roles/run.invoker` for `allUsers` and the scheduler's service account into the IAM policy when the plan
 * asks, then create or update each Cloud Scheduler job with the service's URL in place of its deploy-time
 * lookup (and delete the jobs of schedules the plan no longer has). Also status and remove (jobs included).
 */
import { ExitCode, SlsError } from '../../../../errors.js'
import { apiError, waitFor } from '../../api.js'
import { platformName } from '../../naming.js'
import type { Deployment, DeployContext, Plan, PlannedRequest, ProviderSettings, ServiceStatus } from '../../types.js'
import { googleTokenSource } from './auth.js'
import { CLOUD_RUN_NAME } from './names.js'
import { conditionReason, mergeBindings, PLATFORM, RUN_ORIGIN, RunApi, shortName, type IamPolicy, type Operation, type RunService } from './run-api.js'
import { isJobOf, SCHEDULER_API, SERVICE_URL_LOOKUP } from './schedules.js'
import { dropsOptional } from '../../common.js'

const SCHEDULER = 'Cloud Scheduler'

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

function requestSteps(plan: Plan): { patch: RequestStep; iam: RequestStep | undefined; jobs: RequestStep[] } {
  const requests = plan.steps.filter((s): s is RequestStep => s.kind === 'request')
  const patch = requests.find((s) => s.method === 'PATCH' && s.url.startsWith(RUN_ORIGIN))
  if (!patch) throw new Error(`cloud-run plan for ${plan.service} has no PATCH step`)
  return { patch, iam: requests.find((s) => s.url.endsWith(':setIamPolicy')), jobs: requests.filter((s) => s.url.startsWith(SCHEDULER_API)) }
}

/** The name a service has on Cloud Run: its deployName (status, remove: ctx.deployName), else derived as the plan derives it. */
const serviceIdOf = (service: string, deployName?: string) => platformName(service, CLOUD_RUN_NAME, deployName).name
const locationOf = (settings: ProviderSettings<'cloud-run'>) => `projects/${settings.project}/locations/${settings.region}`
const serviceUrlOf = (settings: ProviderSettings<'cloud-run'>, service: string, deployName?: string) => `${RUN_ORIGIN}v2/${locationOf(settings)}/services/${serviceIdOf(service, deployName)}`

const PERMISSION_HINTS = ['Deploying needs roles/run.developer (run.services.get/create/update) and roles/iam.serviceAccountUser on the runtime service account.']
const SCHEDULER_HINTS = [
  'Deploying schedules needs roles/cloudscheduler.admin and roles/iam.serviceAccountUser (iam.serviceAccounts.actAs) on the scheduler service account, and the Cloud Scheduler API enabled in the project.',
]

/** Merge roles/run.invoker for the planned members (allUsers, the scheduler's service account) into the service's policy. */
async function grantInvokers(api: RunApi, step: RequestStep, emit: (m: string) => void): Promise<void> {
  const getUrl = step.url.replace(/:setIamPolicy$/, ':getIamPolicy')
  const res = await api.call('GET', getUrl)
  if (res.status !== 200) throw apiError(PLATFORM, 'read the IAM policy', res)
  const planned = (step.body as { policy: IamPolicy }).policy
  const members = (planned.bindings ?? []).flatMap((b) => b.members ?? []).join(', ')
  const merged = mergeBindings((res.json ?? {}) as IamPolicy, planned.bindings ?? [])
  if (!merged) {
    emit(`roles/run.invoker already granted to ${members}`)
    return
  }
  emit(`granting roles/run.invoker to ${members}`)
  const set = await api.call('POST', step.url, { ...(step.body as object), policy: merged })
  if (set.status !== 200) {
    throw apiError(PLATFORM, `grant roles/run.invoker to ${members} (setIamPolicy)`, set, [
      'Granting roles/run.invoker needs run.services.setIamPolicy (roles/run.admin); an organization policy (domain restricted sharing) may forbid allUsers.',
    ])
  }
}

/** The service's URL: from what deploy read, else read until Cloud Run has assigned it (a --no-wait first deploy). */
async function serviceUri(api: RunApi, plan: Plan, serviceUrl: string, known: string | undefined, ctx: DeployContext): Promise<string> {
  if (known) return known
  return waitFor(
    `the URL of Cloud Run service ${plan.service}`,
    async () => {
      const svc = await api.getService(serviceUrl)
      return svc?.uri ? { done: true, value: svc.uri } : { done: false, detail: 'Cloud Run has not assigned the service a URL yet' }
    },
    { timeoutMs: ctx.timeoutMs, intervalMs: ctx.pollIntervalMs, ...(ctx.signal ? { signal: ctx.signal } : {}) },
  )
}

interface Job {
  name: string
  description?: string
  httpTarget?: { headers?: Record<string, string>; body?: string; [key: string]: unknown }
  [key: string]: unknown
}

/** The planned job body with the service's URL in place of its deploy-time lookup. */
function withUri(body: unknown, uri: string): Job {
  const filled = JSON.parse(JSON.stringify(body).replace(SERVICE_URL_LOOKUP, uri)) as Job
  const left = JSON.stringify(filled).match(/<deploy-time lookup: [^"]*/)
  if (left) throw new SlsError('DEPLOY_API', `${SCHEDULER}: job ${filled.name} still has a value the plan could not fill in: ${left[0]}`, { exitCode: ExitCode.failure })
  return filled
}

/**
 * Headers Cloud Scheduler adds to a job it stores (HttpTarget.headers: User-Agent "Google-Cloud-Scheduler",
 * X-CloudScheduler*, and Content-Type "application/octet-stream" for a body without one): no difference from the plan.
 */
const added = (name: string, value: string) => /^(user-agent|x-cloudscheduler.*)$/.test(name) || (name === 'content-type' && value === 'application/octet-stream')
const lowerKeys = (headers: Record<string, string> | undefined) => Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]))

/** True when the stored job already is the planned one (covers() for the values, and nothing planned away: a header, the body). */
export function jobMatches(have: Job, want: Job): boolean {
  const [h, w] = [lowerKeys(have.httpTarget?.headers), lowerKeys(want.httpTarget?.headers)]
  const normalise = (job: Job, headers: Record<string, string>) => ({ ...job, httpTarget: { ...job.httpTarget, headers } })
  if (!covers(normalise(have, h), normalise(want, w))) return false
  if (Object.entries(h).some(([k, v]) => !(k in w) && !added(k, v))) return false
  return !(have.httpTarget?.body && !want.httpTarget?.body)
}

/** Create the job (POST …/jobs) when it does not exist, PATCH it as planned when it differs, else nothing. */
async function applyJob(api: RunApi, step: RequestStep, uri: string, emit: (m: string) => void): Promise<void> {
  const job = withUri(step.body, uri)
  const id = shortName(job.name)
  const current = await api.call('GET', `${SCHEDULER_API}/${job.name}`)
  if (current.status === 404) {
    const created = await api.call('POST', `${SCHEDULER_API}/${job.name.replace(/\/jobs\/[^/]+$/, '')}/jobs`, job)
    if (created.status !== 200) throw apiError(SCHEDULER, `create job ${id}`, created, SCHEDULER_HINTS)
    emit(`created Cloud Scheduler job ${id}`)
    return
  }
  if (current.status !== 200) throw apiError(SCHEDULER, `read job ${id}`, current, SCHEDULER_HINTS)
  if (jobMatches(current.json as Job, job)) {
    emit(`Cloud Scheduler job ${id} unchanged`)
    return
  }
  const patched = await api.call('PATCH', step.url, job)
  if (patched.status !== 200) throw apiError(SCHEDULER, `update job ${id}`, patched, SCHEDULER_HINTS)
  emit(`updated Cloud Scheduler job ${id}`)
}

/** The names of the jobs sls-run made for service `name` in this location (told apart by their description). */
async function jobsOf(api: RunApi, location: string, name: string): Promise<string[]> {
  const names: string[] = []
  let token = ''
  do {
    const res = await api.call('GET', `${SCHEDULER_API}/${location}/jobs?pageSize=500${token ? `&pageToken=${encodeURIComponent(token)}` : ''}`)
    if (res.status !== 200) throw apiError(SCHEDULER, `list the jobs in ${location}`, res, SCHEDULER_HINTS)
    const page = (res.json ?? {}) as { jobs?: Job[]; nextPageToken?: string }
    for (const job of page.jobs ?? []) if (isJobOf(job.description, name)) names.push(job.name)
    token = page.nextPageToken ?? ''
  } while (token)
  return names
}

async function deleteJob(api: RunApi, job: string, emit: (m: string) => void): Promise<void> {
  const res = await api.call('DELETE', `${SCHEDULER_API}/${job}`)
  if (res.status !== 200 && res.status !== 404) throw apiError(SCHEDULER, `delete job ${shortName(job)}`, res, SCHEDULER_HINTS)
  emit(`deleted Cloud Scheduler job ${shortName(job)}`)
}

export async function deployCloudRun(plan: Plan, _settings: ProviderSettings<'cloud-run'>, ctx: DeployContext): Promise<Deployment> {
  const emit = (message: string) => ctx.emit?.({ type: 'progress', service: plan.service, message })
  const { patch, iam, jobs } = requestSteps(plan)
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
  if (iam) await grantInvokers(api, iam, emit)
  if (jobs.length) {
    const uri = await serviceUri(api, plan, serviceUrl, svc?.uri ?? current?.uri, ctx)
    for (const job of jobs) await applyJob(api, job, uri, emit)
    // Schedules removed from sls-run.yaml: their jobs go too.
    const planned = new Set(jobs.map((j) => (j.body as Job).name))
    const [, location = '', serviceId = ''] = /\/v2\/(projects\/[^/]+\/locations\/[^/]+)\/services\/([^/?]+)$/.exec(serviceUrl) ?? []
    for (const stale of (await jobsOf(api, location, serviceId)).filter((n) => !planned.has(n))) await deleteJob(api, stale, emit)
  }
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
  const svc = await api.getService(serviceUrlOf(settings, service, ctx.deployName))
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
  const emit = (message: string) => ctx.emit?.({ type: 'progress', service, message })
  // The service's Cloud Scheduler jobs first, so that none calls a service that is gone. A project without
  // the Cloud Scheduler API (or a deployer without its roles) has none sls-run could have made: said, not fatal.
  let jobs: string[] = []
  try {
    jobs = await jobsOf(api, locationOf(settings), serviceIdOf(service, ctx.deployName))
  } catch (err) {
    if (!(err instanceof SlsError) || !['DEPLOY_PERMISSION_DENIED', 'DEPLOY_NOT_FOUND'].includes(err.code)) throw err
    emit(`Cloud Scheduler jobs not listed (${err.message}); delete any left with gcloud scheduler jobs delete`)
  }
  for (const job of jobs) await deleteJob(api, job, emit)
  const res = await api.call('DELETE', serviceUrlOf(settings, service, ctx.deployName))
  if (res.status === 404) return false
  if (res.status !== 200) throw apiError(PLATFORM, `delete service ${service}`, res)
  emit('deleting')
  if (ctx.wait) await api.settle(service, res.json as Operation, null)
  return true
}
