/**
 * Applying an Azure Container Apps plan: fill the environment's location, GET the app (same spec and
 * healthy → unchanged, no PUT), PUT the planned body, follow the long-running operation, then check the
 * app and its latest revision (provisioning, running and health state). Also status and remove.
 */
import { ExitCode, SlsError } from '../../../../errors.js'
import { rolloutFailed, waitFor } from '../../api.js'
import type { Deployment, DeployContext, Plan, PlannedRequest, ProviderSettings, ServiceStatus } from '../../types.js'
import { arm, armError, expectArm, operationOf, operationState } from './arm.js'
import { armBase, armUrl, azureSession, PLATFORM, type AzureSession } from './auth.js'
import { ACA_API_VERSION, appId } from './ids.js'
import { dropsOptional } from '../../common.js'

type Settings = ProviderSettings<'azure-container-apps'>

interface AppResource {
  location?: string
  tags?: Record<string, string>
  properties?: {
    provisioningState?: string
    managedEnvironmentId?: string
    latestRevisionName?: string
    latestReadyRevisionName?: string
    configuration?: { ingress?: { fqdn?: string } & Record<string, unknown> } & Record<string, unknown>
    template?: { containers?: Array<{ name?: string; image?: string }> } & Record<string, unknown>
  }
}

interface RevisionResource {
  properties?: {
    provisioningState?: string
    provisioningError?: string
    runningState?: string
    runningStateDetails?: string
    healthState?: string
  }
}

const LOOKUP = /^<deploy-time lookup: location of managed environment /
const ENUM_KEYS = new Set(['transport', 'activeRevisionsMode', 'scheme', 'type'])

/** The planned body with the environment's location in place of its deploy-time lookup. */
function fill(value: unknown, location: string | undefined): unknown {
  if (typeof value === 'string') {
    if (LOOKUP.test(value)) {
      if (!location) throw new SlsError('DEPLOY_API', `${PLATFORM}: the plan needs the managed environment's location but has no step to read it`, { exitCode: ExitCode.failure })
      return location
    }
    return value
  }
  if (Array.isArray(value)) return value.map((v) => fill(v, location))
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, location)]))
  return value
}

/** Every planned field is deployed as planned (ARM adds defaults and read-only fields, and capitalises enums). */
function covers(planned: unknown, deployed: unknown, key = ''): boolean {
  if (Array.isArray(planned)) return Array.isArray(deployed) && deployed.length === planned.length && planned.every((p, i) => covers(p, deployed[i]))
  if (planned && typeof planned === 'object') {
    if (!deployed || typeof deployed !== 'object') return false
    return Object.entries(planned).every(([k, v]) => covers(v, (deployed as Record<string, unknown>)[k], k))
  }
  if (typeof planned === 'string' && typeof deployed === 'string' && ENUM_KEYS.has(key)) return planned.toLowerCase() === deployed.toLowerCase()
  return planned === deployed
}

function sameSpec(body: AppResource, app: AppResource): boolean {
  const p = body.properties ?? {}
  const d = app.properties ?? {}
  return (
    covers(p.template, d.template) &&
    !(p.template?.containers ?? []).some((c: unknown, i: number) => dropsOptional(c, d.template?.containers?.[i])) &&
    covers(p.configuration, d.configuration) &&
    covers(body.tags, app.tags) &&
    (p.managedEnvironmentId ?? '').toLowerCase() === (d.managedEnvironmentId ?? '').toLowerCase()
  )
}

const appUrlOf = (env: NodeJS.ProcessEnv, settings: Settings, service: string) => `${armBase(env)}${appId(settings, service)}?api-version=${ACA_API_VERSION}`
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

export async function deployAca(plan: Plan, settings: Settings, ctx: DeployContext): Promise<Deployment> {
  const service = plan.service
  const emit = (message: string) => ctx.emit?.({ type: 'progress', service, message })
  const requests = plan.steps.filter((s): s is Extract<Plan['steps'][number], { kind: 'request' }> => s.kind === 'request')
  const put = requests.find((s) => s.method === 'PUT')
  if (!put) throw new SlsError('DEPLOY_API', `${PLATFORM}: the plan for ${service} has no PUT of the container app`, { exitCode: ExitCode.failure })
  const session = azureSession(ctx)
  const appUrl = armUrl(ctx.env, put.url)

  let location: string | undefined
  const envGet: PlannedRequest | undefined = requests.find((s) => s.method === 'GET')
  if (envGet) {
    emit('reading the managed environment')
    const res = await arm(session, ctx, 'GET', armUrl(ctx.env, envGet.url))
    const environment = expectArm(`read managed environment ${settings.environment}`, res).json as { location?: string }
    location = environment.location
  }
  const body = fill(put.body, location) as AppResource

  const current = await arm(session, ctx, 'GET', appUrl)
  if (current.status !== 404) expectArm(`read container app ${service}`, current)
  if (current.status === 200) {
    const app = current.json as AppResource
    const p = app.properties ?? {}
    if (sameSpec(body, app) && /^succeeded$/i.test(p.provisioningState ?? '') && p.latestRevisionName && p.latestReadyRevisionName === p.latestRevisionName) {
      const rev = await getRevision(session, ctx, appUrl, p.latestRevisionName)
      if (!revisionFailure(p.latestRevisionName, rev)) {
        emit(`unchanged: revision ${p.latestReadyRevisionName} already runs this image and configuration`)
        return { service, url: urlOf(app), revision: p.latestReadyRevisionName ?? null, unchanged: true, ready: true }
      }
    }
  }

  emit(current.status === 404 ? 'creating the container app' : 'updating the container app')
  const res = await arm(session, ctx, 'PUT', appUrl, body)
  const accepted = expectArm(`create or update container app ${service}`, res)
  const op = operationOf(accepted)
  const answered = (accepted.json ?? {}) as AppResource
  if (!ctx.wait) {
    return { service, url: urlOf(answered), revision: answered.properties?.latestRevisionName ?? null, unchanged: false, ready: false }
  }
  emit('waiting for the new revision to be ready')
  const app = await waitReady(session, ctx, appUrl, service, op)
  const revision = app.properties?.latestReadyRevisionName ?? null
  emit(`ready: revision ${revision}`)
  return { service, url: urlOf(app), revision, unchanged: false, ready: true }
}

export async function statusAca(service: string, settings: Settings, ctx: DeployContext): Promise<ServiceStatus | null> {
  const session = azureSession(ctx)
  const appUrl = appUrlOf(ctx.env, settings, service)
  const res = await arm(session, ctx, 'GET', appUrl)
  if (res.status === 404) return null
  const app = expectArm(`read container app ${service}`, res).json as AppResource
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
  const res = await arm(session, ctx, 'DELETE', appUrlOf(ctx.env, settings, service))
  // ARM answers 204 to a DELETE of something that does not exist (404 when the group is missing).
  if (res.status === 404 || res.status === 204) return false
  expectArm(`delete container app ${service}`, res)
  const op = operationOf(res)
  if (op && ctx.wait) {
    ctx.emit?.({ type: 'progress', service, message: 'waiting for the deletion to finish' })
    await waitFor(
      `${PLATFORM}: deleting ${service}`,
      async () => {
        const s = await operationState(session, ctx, op, `the deletion of ${service}`)
        if (s.state === 'running') return { done: false, detail: s.detail }
        if (s.state === 'failed') {
          throw armError(`delete container app ${service}`, { status: 500, headers: {}, json: { error: { code: s.code ?? s.status, message: s.message } }, text: s.message })
        }
        return { done: true, value: true }
      },
      { timeoutMs: ctx.timeoutMs, intervalMs: ctx.pollIntervalMs, signal: ctx.signal },
    )
  }
  return true
}
