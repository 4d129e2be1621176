/**
 * Applying an Azure Container Apps plan: read the managed environment (its location; its workload profiles
 * when the app needs more than 2 vCPU / 4Gi), GET the app (same spec and healthy → unchanged, no PUT), check
 * that the identity pulling from Azure Container Registry may (./pull.ts), PUT the planned body, follow the
 * long-running operation, then check the app and its latest revision (provisioning, running and health state).
 * Then the schedules' jobs, with the app's ingress FQDN in their URL: each GET, PUT when it differs; jobs of
 * the app whose schedule left sls-run.yaml are deleted. Also status and remove (the app and its jobs).
 */
import { ExitCode, SlsError } from '../../../../errors.js'
import { rolloutFailed, waitFor } from '../../api.js'
import type { Deployment, DeployContext, Plan, ProviderSettings, ServiceStatus } from '../../types.js'
import { arm, armError, expectArm, operationOf, operationState } from './arm.js'
import { armBase, armUrl, azureSession, PLATFORM, type AzureSession } from './auth.js'
import { ACA_API_VERSION, appId, appsOfGroup, jobsOfGroup } from './ids.js'
import { dropsOptional } from '../../common.js'
import { CONSUMPTION_ONLY_MAX_CPU, WORKLOAD_PROFILES_DOCS } from './limits.js'
import { appName } from './names.js'
import { checkPull } from './pull.js'

type Settings = ProviderSettings<'azure-container-apps'>

interface AppResource {
  name?: string
  location?: string
  tags?: Record<string, string>
  identity?: { type?: string; principalId?: string; userAssignedIdentities?: Record<string, unknown> }
  properties?: {
    provisioningState?: string
    environmentId?: string
    managedEnvironmentId?: string
    latestRevisionName?: string
    latestReadyRevisionName?: string
    configuration?: { ingress?: { fqdn?: string } & Record<string, unknown>; registries?: Array<{ server?: string; identity?: string }> } & Record<string, unknown>
    template?: { containers?: Array<{ name?: string; image?: string; resources?: { cpu?: number } }> } & Record<string, unknown>
  }
}

interface JobResource {
  name?: string
  tags?: Record<string, string>
  identity?: Record<string, unknown>
  properties?: { provisioningState?: string; environmentId?: string } & Record<string, unknown>
}

interface EnvironmentResource {
  location?: string
  properties?: { workloadProfiles?: unknown[] | null }
}

type RequestStep = Extract<Plan['steps'][number], { kind: 'request' }>

interface RevisionResource {
  properties?: {
    provisioningState?: string
    provisioningError?: string
    runningState?: string
    runningStateDetails?: string
    healthState?: string
  }
}

const LOOKUP = /<deploy-time lookup: ([^>]*)>/g
const ENUM_KEYS = new Set(['transport', 'activeRevisionsMode', 'scheme', 'type', 'triggerType'])
/** Resource ids: ARM answers them in its own case. */
const ID_KEYS = new Set(['environmentId', 'managedEnvironmentId', 'identity'])

/** The planned body with each `<deploy-time lookup: …>` replaced by what `resolve` found for it. */
function fill(value: unknown, resolve: (what: string) => string | undefined): unknown {
  if (typeof value === 'string') {
    return value.replace(LOOKUP, (_, what: string) => {
      const found = resolve(what)
      if (found === undefined) throw new SlsError('DEPLOY_API', `${PLATFORM}: the plan needs the ${what} but has no step to read it`, { exitCode: ExitCode.failure })
      return found
    })
  }
  if (Array.isArray(value)) return value.map((v) => fill(v, resolve))
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, resolve)]))
  return value
}

/** A key of an ARM object, whatever case ARM gave it (resource ids as dictionary keys). */
function field(obj: Record<string, unknown>, key: string): unknown {
  if (key in obj) return obj[key]
  const lower = key.toLowerCase()
  const found = Object.keys(obj).find((k) => k.toLowerCase() === lower)
  return found === undefined ? undefined : obj[found]
}

/** Every planned field is deployed as planned (ARM adds defaults and read-only fields, and capitalises enums). */
function covers(planned: unknown, deployed: unknown, key = ''): boolean {
  if (Array.isArray(planned)) return Array.isArray(deployed) && deployed.length === planned.length && planned.every((p, i) => covers(p, deployed[i]))
  if (planned && typeof planned === 'object') {
    if (!deployed || typeof deployed !== 'object') return false
    return Object.entries(planned).every(([k, v]) => covers(v, field(deployed as Record<string, unknown>, k), k))
  }
  if (typeof planned === 'string' && typeof deployed === 'string' && (ENUM_KEYS.has(key) || ID_KEYS.has(key))) return planned.toLowerCase() === deployed.toLowerCase()
  return planned === deployed
}

function sameSpec(body: AppResource, app: AppResource): boolean {
  const p = body.properties ?? {}
  const d = app.properties ?? {}
  return (
    covers(p.template, d.template) &&
    !(p.template?.containers ?? []).some((c: unknown, i: number) => dropsOptional(c, d.template?.containers?.[i])) &&
    covers(p.configuration, d.configuration) &&
    // registries removed from the plan (an image moved out of ACR) must reach the app too
    (p.configuration?.registries !== undefined || !(d.configuration?.registries ?? []).length) &&
    covers(body.tags, app.tags) &&
    covers(body.identity, app.identity) &&
    (p.environmentId ?? '').toLowerCase() === (d.environmentId ?? d.managedEnvironmentId ?? '').toLowerCase()
  )
}

function sameJob(body: JobResource, job: JobResource): boolean {
  return covers(body.properties, job.properties) && covers(body.tags, job.tags) && covers(body.identity, job.identity)
}

const appUrlOf = (env: NodeJS.ProcessEnv, settings: Settings, name: string) => `${armBase(env)}${appId(settings, name)}?api-version=${ACA_API_VERSION}`
const nameOf = (url: string) => decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '')
const APP_URL = /\/providers\/Microsoft\.App\/containerApps\/[^/?]+\?/i
const JOB_URL = /\/providers\/Microsoft\.App\/jobs\/[^/?]+\?/i
const ENVIRONMENT_URL = /\/providers\/Microsoft\.App\/managedEnvironments\/[^/?]+\?/i
const revisionUrl = (appUrl: string, name: string) => {
  const [base, query] = appUrl.split('?')
  return `${base}/revisions/${encodeURIComponent(name)}?${query ?? `api-version=${ACA_API_VERSION}`}`
}
const urlOf = (app: AppResource) => (app.properties?.configuration?.ingress?.fqdn ? `https://${app.properties.configuration.ingress.fqdn}` : null)

async function getRevision(session: AzureSession, ctx: DeployContext, appUrl: string, name: string): Promise<RevisionResource | null> {
  const res = await arm(session, ctx, 'GET', revisionUrl(appUrl, name))
  if (res.status === 404) return null
  return expectArm(`read revision ${name}`, res).json as RevisionResource
}

/** Why a revision cannot serve, in ACA's words, or null while it may still get there. */
function revisionFailure(name: string, rev: RevisionResource | null): string | null {
  const p = rev?.properties
  if (!p) return null
  if (/^failed$/i.test(p.provisioningState ?? '')) return `revision ${name} failed to provision: ${p.provisioningError || p.runningStateDetails || 'no detail given'}`
  if (/^failed$/i.test(p.runningState ?? '')) return `revision ${name} is ${p.runningState}: ${p.runningStateDetails || 'no detail given'}`
  if (/^unhealthy$/i.test(p.healthState ?? '') && !/^(activating|processing|provisioning)$/i.test(p.runningState ?? '')) {
    return `revision ${name} is unhealthy (${p.runningState ?? 'unknown state'}): ${p.runningStateDetails || 'no detail given'}`
  }
  return null
}

/** Poll the operation, then the app and its latest revision, until it serves, fails, or time runs out. */
async function waitReady(session: AzureSession, ctx: DeployContext, appUrl: string, service: string, op: ReturnType<typeof operationOf>): Promise<AppResource> {
  let pending = op
  return waitFor(
    `${PLATFORM}: ${service}`,
    async () => {
      if (pending) {
        const s = await operationState(session, ctx, pending, `the update of ${service}`)
        if (s.state === 'running') return { done: false, detail: s.detail }
        if (s.state === 'failed') {
          const reason = [s.code, s.message].filter(Boolean).join(': ')
          if (/Exceeded\b|quota/i.test(reason))
            throw new SlsError('DEPLOY_QUOTA', `${PLATFORM}: the update of ${service} ${s.status}: ${reason}`, {
              exitCode: ExitCode.failure,
              hints: ['A quota was hit: remove unused apps or ask for a higher limit.'],
            })
          throw rolloutFailed(PLATFORM, service, `operation ${s.status}: ${reason}`, ['See the revision in the Azure portal (Revisions → System logs) for the container output.'])
        }
        pending = null
      }
      const res = await arm(session, ctx, 'GET', appUrl)
      const app = expectArm(`read container app ${service}`, res).json as AppResource
      const p = app.properties ?? {}
      const latest = p.latestRevisionName
      const rev = latest ? await getRevision(session, ctx, appUrl, latest) : null
      const failure = latest ? revisionFailure(latest, rev) : null
      if (failure) throw rolloutFailed(PLATFORM, service, failure)
      if (/^failed$/i.test(p.provisioningState ?? '')) throw rolloutFailed(PLATFORM, service, `provisioningState Failed${latest ? ` (revision ${latest})` : ''}`)
      if (!/^succeeded$/i.test(p.provisioningState ?? '')) return { done: false, detail: `provisioningState ${p.provisioningState ?? 'unknown'}` }
      if (latest && p.latestReadyRevisionName !== latest) return { done: false, detail: `revision ${latest} ${rev?.properties?.runningState ?? 'not ready'}` }
      return { done: true, value: app }
    },
    { timeoutMs: ctx.timeoutMs, intervalMs: ctx.pollIntervalMs, signal: ctx.signal },
  )
}

/** Stops a plan that needs a workload profiles environment when the managed environment has none. */
function checkWorkloadProfiles(body: AppResource, environment: EnvironmentResource, settings: Settings): void {
  const cpu = (body.properties?.template?.containers ?? []).reduce((sum, c) => sum + (c.resources?.cpu ?? 0), 0)
  if (cpu <= CONSUMPTION_ONLY_MAX_CPU || (environment.properties?.workloadProfiles ?? []).length > 0) return
  throw new SlsError(
    'DEPLOY_ENVIRONMENT_UNSUITED',
    `${PLATFORM}: resources.cpu ${cpu} (with ${cpu * 2}Gi of memory) needs a workload profiles environment, but managed environment ${settings.environment} is Consumption-only (no workloadProfiles), where an app gets at most ${CONSUMPTION_ONLY_MAX_CPU} vCPUs / ${CONSUMPTION_ONLY_MAX_CPU * 2}Gi. Nothing was changed`,
    {
      exitCode: ExitCode.failure,
      hints: [
        `Set resources.cpu to ${CONSUMPTION_ONLY_MAX_CPU} or less (and resources.memory to ${CONSUMPTION_ONLY_MAX_CPU * 2}Gi or less) for this environment, or point the environment: setting at a workload profiles environment (az containerapp env create --enable-workload-profiles …), whose Consumption profile runs up to 4 vCPUs / 8Gi.`,
        `Workload profiles: ${WORKLOAD_PROFILES_DOCS}`,
      ],
    },
  )
}

async function getJson<T>(session: AzureSession, ctx: DeployContext, url: string, what: string): Promise<T | null> {
  const res = await arm(session, ctx, 'GET', url)
  if (res.status === 404) return null
  return expectArm(what, res).json as T
}

/** Follows a long-running operation to its end (when waiting), failing with its error. */
async function settle(session: AzureSession, ctx: DeployContext, op: ReturnType<typeof operationOf>, what: string, service: string): Promise<void> {
  if (!op || !ctx.wait) return
  await waitFor(
    `${PLATFORM}: ${what}`,
    async () => {
      const s = await operationState(session, ctx, op, what)
      if (s.state === 'running') return { done: false, detail: s.detail }
      if (s.state === 'failed') throw armError(what, { status: 500, headers: {}, json: { error: { code: s.code ?? s.status, message: s.message } }, text: s.message }, [`It concerns ${service}.`])
      return { done: true, value: true }
    },
    { timeoutMs: ctx.timeoutMs, intervalMs: ctx.pollIntervalMs, signal: ctx.signal },
  )
}

/**
 * The resource group's jobs that belong to container app `app` (tagged by sls-run when it created them). A
 * deploying identity that may not list them (403) gets a warning and none: nothing stale is deleted then.
 */
async function jobsOf(session: AzureSession, ctx: DeployContext, settings: Settings, app: string, warn: (message: string) => void): Promise<Array<{ id: string; name: string }>> {
  const out: Array<{ id: string; name: string }> = []
  let next: string | undefined = `${armBase(ctx.env)}${jobsOfGroup(settings)}?api-version=${ACA_API_VERSION}`
  while (next) {
    const res = await arm(session, ctx, 'GET', next)
    if (res.status === 404) break // the resource group is gone
    if (res.status === 403) {
      warn(`cannot list the jobs of resource group ${settings.resourceGroup} (HTTP 403), so jobs of ${app} whose schedule is gone are not deleted`)
      return []
    }
    const page = expectArm(`list the jobs of resource group ${settings.resourceGroup}`, res).json as { value?: Array<JobResource & { id?: string }>; nextLink?: string }
    for (const job of page.value ?? []) {
      if (job.id && job.name && job.tags?.['managed-by'] === 'sls-run' && job.tags['sls-run-app']?.toLowerCase() === app.toLowerCase()) out.push({ id: job.id, name: job.name })
    }
    next = page.nextLink && new URL(page.nextLink).origin === new URL(session.arm).origin ? page.nextLink : undefined
  }
  return out
}

async function deleteJob(session: AzureSession, ctx: DeployContext, job: { id: string; name: string }, service: string): Promise<void> {
  const res = await arm(session, ctx, 'DELETE', `${armBase(ctx.env)}${job.id}?api-version=${ACA_API_VERSION}`)
  if (res.status === 404 || res.status === 204) return
  expectArm(`delete job ${job.name}`, res)
  await settle(session, ctx, operationOf(res), `the deletion of job ${job.name}`, service)
}

/** Each planned job: unchanged when it already runs this spec, else PUT (its operation followed when waiting). */
async function deployJobs(session: AzureSession, ctx: DeployContext, jobs: RequestStep[], resolve: (what: string) => string | undefined, emit: (m: string) => void, service: string): Promise<boolean> {
  let unchanged = true
  for (const put of jobs) {
    const url = armUrl(ctx.env, put.url)
    const name = nameOf(put.url)
    const body = fill(put.body, resolve) as JobResource
    const current = await getJson<JobResource>(session, ctx, url, `read job ${name}`)
    if (current && sameJob(body, current) && /^succeeded$/i.test(current.properties?.provisioningState ?? '')) {
      emit(`unchanged: job ${name}`)
      continue
    }
    unchanged = false
    emit(`${current ? 'updating' : 'creating'} job ${name}`)
    const res = expectArm(`create or update job ${name}`, await arm(session, ctx, 'PUT', url, body))
    await settle(session, ctx, operationOf(res), `the update of job ${name}`, service)
  }
  return unchanged
}

export async function deployAca(plan: Plan, settings: Settings, ctx: DeployContext): Promise<Deployment> {
  const service = plan.service
  const emit = (message: string) => ctx.emit?.({ type: 'progress', service, message })
  const requests = plan.steps.filter((s): s is RequestStep => s.kind === 'request')
  const put = requests.find((s) => s.method === 'PUT' && APP_URL.test(s.url))
  if (!put) throw new SlsError('DEPLOY_API', `${PLATFORM}: the plan for ${service} has no PUT of the container app`, { exitCode: ExitCode.failure })
  const jobPuts = requests.filter((s) => s.method === 'PUT' && JOB_URL.test(s.url))
  const session = azureSession(ctx)
  const appUrl = armUrl(ctx.env, put.url)
  const name = nameOf(put.url)

  const found: Record<string, string> = {}
  const resolve = (what: string) => (what.startsWith('location of managed environment ') ? found.location : what.startsWith('ingress FQDN of container app ') ? found.fqdn : undefined)
  const envGet = requests.find((s) => s.method === 'GET' && ENVIRONMENT_URL.test(s.url))
  if (envGet) {
    emit('reading the managed environment')
    const res = await arm(session, ctx, 'GET', armUrl(ctx.env, envGet.url))
    const environment = expectArm(`read managed environment ${settings.environment}`, res).json as EnvironmentResource
    if (environment.location) found.location = environment.location
    checkWorkloadProfiles(put.body as AppResource, environment, settings)
  }
  const body = fill(put.body, resolve) as AppResource

  const current = await arm(session, ctx, 'GET', appUrl)
  if (current.status !== 404) expectArm(`read container app ${name}`, current)
  const existing = current.status === 200 ? (current.json as AppResource) : null
  let app: AppResource | null = null
  if (existing) {
    const p = existing.properties ?? {}
    if (sameSpec(body, existing) && /^succeeded$/i.test(p.provisioningState ?? '') && p.latestRevisionName && p.latestReadyRevisionName === p.latestRevisionName) {
      const rev = await getRevision(session, ctx, appUrl, p.latestRevisionName)
      if (!revisionFailure(p.latestRevisionName, rev)) {
        emit(`unchanged: revision ${p.latestReadyRevisionName} already runs this image and configuration`)
        app = existing
      }
    }
  }
  const appUnchanged = app !== null
  let ready = true

  if (!app) {
    for (const registry of body.properties?.configuration?.registries ?? []) {
      if (!registry.server || !registry.identity) continue
      const systemPrincipal = /systemassigned/i.test(existing?.identity?.type ?? '') ? (existing?.identity?.principalId ?? null) : null
      await checkPull(
        {
          session,
          ctx,
          subscription: settings.subscription,
          resourceGroup: settings.resourceGroup,
          app: name,
          systemPrincipal,
          warn: (m) => emit(`warning: ${m}`),
          note: emit,
        },
        { server: registry.server, identity: registry.identity },
      )
    }
    emit(existing ? 'updating the container app' : 'creating the container app')
    const res = await arm(session, ctx, 'PUT', appUrl, body)
    const accepted = expectArm(`create or update container app ${name}`, res)
    const op = operationOf(accepted)
    if (ctx.wait) {
      emit('waiting for the new revision to be ready')
      app = await waitReady(session, ctx, appUrl, name, op)
      emit(`ready: revision ${app.properties?.latestReadyRevisionName ?? null}`)
    } else {
      app = (accepted.json ?? {}) as AppResource
      ready = false
    }
  }

  if (jobPuts.length) {
    let fqdn = app.properties?.configuration?.ingress?.fqdn
    if (!fqdn) fqdn = ((await getJson<AppResource>(session, ctx, appUrl, `read container app ${name}`)) ?? {}).properties?.configuration?.ingress?.fqdn
    if (!fqdn)
      throw new SlsError('DEPLOY_API', `${PLATFORM}: container app ${name} has no ingress FQDN yet, so its schedules have no URL to call`, {
        exitCode: ExitCode.failure,
        hints: ['Deploy again once the app is ready (without --no-wait).'],
      })
    found.fqdn = fqdn
  }
  const jobsUnchanged = await deployJobs(session, ctx, jobPuts, resolve, emit, service)
  const planned = new Set(jobPuts.map((s) => nameOf(s.url).toLowerCase()))
  let pruned = false
  for (const stale of (await jobsOf(session, ctx, settings, name, (m) => emit(`warning: ${m}`))).filter((j) => !planned.has(j.name.toLowerCase()))) {
    emit(`deleting job ${stale.name}: its schedule is no longer in sls-run.yaml`)
    await deleteJob(session, ctx, stale, service)
    pruned = true
  }

  const revision = ready ? (app.properties?.latestReadyRevisionName ?? null) : (app.properties?.latestRevisionName ?? null)
  return { service, url: urlOf(app), revision, unchanged: appUnchanged && jobsUnchanged && !pruned, ready }
}

/**
 * The service's app: under its own name or the one derived from it (./names.ts); else, for a `deployName`
 * that status and remove are not told, the one app of the resource group sls-run tagged with the service.
 */
async function findApp(session: AzureSession, ctx: DeployContext, settings: Settings, service: string): Promise<{ name: string; url: string; app: AppResource } | null> {
  const name = appName(service).name
  const url = appUrlOf(ctx.env, settings, name)
  const app = await getJson<AppResource>(session, ctx, url, `read container app ${name}`)
  if (app) return { name, url, app }
  const candidates: AppResource[] = []
  let next: string | undefined = `${armBase(ctx.env)}${appsOfGroup(settings)}?api-version=${ACA_API_VERSION}`
  while (next) {
    const res = await arm(session, ctx, 'GET', next)
    if (res.status === 404) break
    const page = expectArm(`list the container apps of resource group ${settings.resourceGroup}`, res).json as { value?: AppResource[]; nextLink?: string }
    candidates.push(...(page.value ?? []).filter((a) => a.name && a.tags?.['managed-by'] === 'sls-run' && a.tags['sls-run-service'] === service))
    next = page.nextLink && new URL(page.nextLink).origin === new URL(session.arm).origin ? page.nextLink : undefined
  }
  if (candidates.length > 1) {
    throw new SlsError(
      'DEPLOY_CONFLICT',
      `${PLATFORM}: resource group ${settings.resourceGroup} has ${candidates.length} container apps of service ${service} (${candidates.map((a) => a.name).join(', ')}), from different projects or environments`,
      {
        exitCode: ExitCode.failure,
        hints: ["Use the Azure portal or az containerapp for this one; each app's tags say its project and environment."],
      },
    )
  }
  const only = candidates[0]
  return only?.name ? { name: only.name, url: appUrlOf(ctx.env, settings, only.name), app: only } : null
}

export async function statusAca(service: string, settings: Settings, ctx: DeployContext): Promise<ServiceStatus | null> {
  const session = azureSession(ctx)
  const found = await findApp(session, ctx, settings, service)
  if (!found) return null
  const { app, url: appUrl } = found
  const p = app.properties ?? {}
  const latest = p.latestRevisionName
  const rev = latest ? await getRevision(session, ctx, appUrl, latest) : null
  const failure = latest ? revisionFailure(latest, rev) : null
  const succeeded = /^succeeded$/i.test(p.provisioningState ?? '')
  const ready = succeeded && !!latest && p.latestReadyRevisionName === latest && !failure
  const containers = p.template?.containers ?? []
  const container = containers.find((c) => c.name === service) ?? containers[0]
  const reason = ready
    ? null
    : (failure ??
      (!succeeded
        ? `provisioningState ${p.provisioningState ?? 'unknown'}`
        : `revision ${latest ?? '(none)'} ${rev?.properties?.runningState ?? 'not ready'}${rev?.properties?.runningStateDetails ? `: ${rev.properties.runningStateDetails}` : ''}`))
  return { service, url: urlOf(app), revision: p.latestReadyRevisionName ?? null, image: container?.image ?? null, ready, reason }
}

export async function removeAca(service: string, settings: Settings, ctx: DeployContext): Promise<boolean> {
  const session = azureSession(ctx)
  const found = await findApp(session, ctx, settings, service)
  const name = found?.name ?? appName(service).name
  // The schedules' jobs first: they call the app.
  for (const job of await jobsOf(session, ctx, settings, name, (m) => ctx.emit?.({ type: 'progress', service, message: `warning: ${m}` }))) {
    ctx.emit?.({ type: 'progress', service, message: `deleting job ${job.name}` })
    await deleteJob(session, ctx, job, service)
  }
  if (!found) return false
  const res = await arm(session, ctx, 'DELETE', found.url)
  // ARM answers 204 to a DELETE of something that does not exist (404 when the group is missing).
  if (res.status === 404 || res.status === 204) return false
  expectArm(`delete container app ${name}`, res)
  const op = operationOf(res)
  if (op && ctx.wait) {
    ctx.emit?.({ type: 'progress', service, message: 'waiting for the deletion to finish' })
    await waitFor(
      `${PLATFORM}: deleting ${name}`,
      async () => {
        const s = await operationState(session, ctx, op, `the deletion of ${name}`)
        if (s.state === 'running') return { done: false, detail: s.detail }
        if (s.state === 'failed') {
          throw armError(`delete container app ${name}`, { status: 500, headers: {}, json: { error: { code: s.code ?? s.status, message: s.message } }, text: s.message })
        }
        return { done: true, value: true }
      },
      { timeoutMs: ctx.timeoutMs, intervalMs: ctx.pollIntervalMs, signal: ctx.signal },
    )
  }
  return true
}
