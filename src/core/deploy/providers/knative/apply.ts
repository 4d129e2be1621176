/**
 * Applying a Knative plan, status and remove, through the Kubernetes API of the kubeconfig context
 * (./client.ts): server-side apply of exactly the planned manifests (the Service, then its PingSources),
 * each followed by a bounded wait for Ready. PingSources of schedules the plan no longer has (found by
 * their sls-run.dev/service label) are deleted; remove deletes them with the Service.
 */
import { apiError, rolloutFailed, waitFor, type ApiResponse, type Probe } from '../../api.js'
import { platformName } from '../../naming.js'
import type { DeployContext, Deployment, Plan, ServiceStatus } from '../../types.js'
import type { KubeClient } from './client.js'
import { KNATIVE_NAME } from './names.js'
import { SERVICE_LABEL } from './schedules.js'
import type { KnativeSettings } from './settings.js'

const PLATFORM = 'Knative'
/** Server-side apply owner of the fields sls-run sets (`kubectl get ksvc -o yaml --show-managed-fields`). */
export const FIELD_MANAGER = 'sls-run'
const API = '/apis/serving.knative.dev/v1'
const servicePath = (ns: string, name: string) => `${API}/namespaces/${encodeURIComponent(ns)}/services/${encodeURIComponent(name)}`
const revisionPath = (ns: string, name: string) => `${API}/namespaces/${encodeURIComponent(ns)}/revisions/${encodeURIComponent(name)}`
const SOURCES_API = '/apis/sources.knative.dev/v1'
const pingSourcesPath = (ns: string) => `${SOURCES_API}/namespaces/${encodeURIComponent(ns)}/pingsources`
const pingSourcePath = (ns: string, name: string) => `${pingSourcesPath(ns)}/${encodeURIComponent(name)}`
/** The name a service has on Knative: derived as the plan derives it (a deployName is known to the plan only). */
/** The Service's name: its deployName (status, remove: ctx.deployName), else derived as the plan derives it. */
const nameOf = (service: string, deployName?: string) => platformName(service, KNATIVE_NAME, deployName).name

interface Condition {
  type: string
  status: 'True' | 'False' | 'Unknown'
  reason?: string
  message?: string
}
interface KService {
  metadata?: { name?: string; namespace?: string; generation?: number }
  spec?: { template?: { spec?: { containers?: Array<{ image?: string }> } } }
  status?: {
    observedGeneration?: number
    url?: string
    latestReadyRevisionName?: string
    latestCreatedRevisionName?: string
    conditions?: Condition[]
  }
}

const conditionOf = (svc: KService, type: string) => svc.status?.conditions?.find((c) => c.type === type)
const said = (c: Condition) => [c.reason, c.message].filter(Boolean).join(': ') || `${c.type} ${c.status}`
const observed = (svc: KService, generation?: number) => (svc.status?.observedGeneration ?? 0) >= (generation ?? svc.metadata?.generation ?? 0)
const isReady = (svc: KService, generation?: number) => observed(svc, generation) && conditionOf(svc, 'Ready')?.status === 'True'

/** Ready's reason and message, plus the sub-conditions (ConfigurationsReady, RoutesReady) that say more. */
function failingReason(svc: KService): string {
  const ready = conditionOf(svc, 'Ready')
  const parts = ready ? [said(ready)] : []
  for (const c of svc.status?.conditions ?? []) {
    if (c.type === 'Ready' || c.status === 'True') continue
    const text = `${c.type}: ${said(c)}`
    if (!parts.some((p) => p.includes(said(c)))) parts.push(text)
  }
  return parts.join('; ') || 'no Ready condition yet'
}

function hintsFor(res: ApiResponse, ns: string, name: string, context: string, verb: string): string[] {
  if (res.status === 403) return [`Check with: kubectl auth can-i ${verb} services.serving.knative.dev -n ${ns} --context ${context}`]
  if (res.status === 404) {
    return [`Check that namespace ${ns} exists (kubectl get namespace ${ns} --context ${context}) and that Knative Serving is installed (kubectl get crd services.serving.knative.dev).`]
  }
  if (res.status === 400 || res.status === 422) return [`The cluster refused the manifest of ${name}: compare \`sls-run deploy --dry-run\` with the cluster's Knative Serving version.`]
  return []
}

async function withClient<T>(settings: KnativeSettings, ctx: DeployContext, fn: (client: KubeClient) => Promise<T>): Promise<T> {
  const { connectKube } = await import('./client.js')
  const client = await connectKube(ctx.env, settings.context, ctx.signal)
  try {
    return await fn(client)
  } finally {
    await client.close()
  }
}

/** GET the Service; null when it does not exist. */
async function readService(client: KubeClient, ns: string, name: string): Promise<KService | null> {
  const res = await client.request({ method: 'GET', path: servicePath(ns, name) })
  if (res.status === 404) return null
  if (res.status !== 200) throw apiError(PLATFORM, `read Knative Service ${name} in namespace ${ns}`, res, hintsFor(res, ns, name, client.context, 'get'))
  return res.json as KService
}

interface Planned {
  manifest: Record<string, unknown>
  name: string
  namespace: string | undefined
}

function manifestsOf(plan: Plan): { service: Planned; sources: Planned[] } {
  const all = plan.steps.flatMap((step): Planned[] => {
    if (step.kind !== 'manifest') return []
    const meta = (step.manifest.metadata ?? {}) as { name?: string; namespace?: string }
    return [{ manifest: step.manifest, name: meta.name ?? plan.service, namespace: meta.namespace }]
  })
  const service = all.find((m) => m.manifest.kind !== 'PingSource')
  if (!service) throw new Error(`the knative plan of ${plan.service} has no manifest step`)
  return { service, sources: all.filter((m) => m.manifest.kind === 'PingSource') }
}

function sourceHints(res: ApiResponse, ns: string, context: string, verb: string): string[] {
  if (res.status === 403) return [`Check with: kubectl auth can-i ${verb} pingsources.sources.knative.dev -n ${ns} --context ${context}`]
  if (res.status === 404) return ['Schedules need Knative Eventing: check that it is installed (kubectl get crd pingsources.sources.knative.dev).']
  if (res.status === 400 || res.status === 422) return ["The cluster refused the PingSource: compare `sls-run deploy --dry-run` with the cluster's Knative Eventing version."]
  return []
}

interface PingSource {
  metadata?: { name?: string; generation?: number }
  status?: { observedGeneration?: number; sinkUri?: string; conditions?: Condition[] }
}

/** Server-side apply of a planned PingSource, then (with ctx.wait) a bounded wait for its Ready condition. */
async function applyPingSource(client: KubeClient, source: Planned, ns: string, ctx: DeployContext, emit: (m: string) => void): Promise<void> {
  const res = await client.request({
    method: 'PATCH',
    path: pingSourcePath(ns, source.name),
    query: { fieldManager: FIELD_MANAGER, force: 'true' },
    body: JSON.stringify(source.manifest),
    contentType: 'application/apply-patch+yaml',
  })
  if (res.status !== 200 && res.status !== 201) throw apiError(PLATFORM, `apply PingSource ${source.name} in namespace ${ns}`, res, sourceHints(res, ns, client.context, 'patch'))
  const generation = (res.json as PingSource).metadata?.generation
  emit(`applied PingSource ${source.name}`)
  if (!ctx.wait) return
  const ready = await waitFor(
    `PingSource ${source.name}`,
    async (): Promise<Probe<PingSource>> => {
      const got = await client.request({ method: 'GET', path: pingSourcePath(ns, source.name) })
      if (got.status !== 200) throw apiError(PLATFORM, `read PingSource ${source.name} in namespace ${ns}`, got, sourceHints(got, ns, client.context, 'get'))
      const ping = got.json as PingSource
      if ((ping.status?.observedGeneration ?? 0) < (generation ?? ping.metadata?.generation ?? 0)) return { done: false, detail: 'the Knative Eventing controller has not observed it yet' }
      const ready = ping.status?.conditions?.find((c) => c.type === 'Ready')
      if (ready?.status === 'True') return { done: true, value: ping }
      const failing = (ping.status?.conditions ?? []).filter((c) => c.status === 'False').map((c) => `${c.type}: ${said(c)}`)
      if (ready?.status === 'False') {
        throw rolloutFailed(PLATFORM, source.name, failing.join('; ') || said(ready), [`kubectl describe pingsource ${source.name} -n ${ns} --context ${client.context}`])
      }
      return { done: false, detail: ready ? `Ready ${ready.status}: ${said(ready)}` : 'no Ready condition yet' }
    },
    { timeoutMs: ctx.timeoutMs, intervalMs: ctx.pollIntervalMs, ...(ctx.signal ? { signal: ctx.signal } : {}) },
  )
  emit(`PingSource ${source.name} ready: sends to ${ready.status?.sinkUri ?? '?'}`)
}

/**
 * The PingSources labelled for Knative Service `name`. A cluster without Knative Eventing (404), or a
 * deployer who may not list them (403), has none sls-run could have applied there unless `required`.
 */
async function pingSourcesOf(client: KubeClient, ns: string, name: string, required: boolean, emit: (m: string) => void): Promise<string[]> {
  const res = await client.request({ method: 'GET', path: pingSourcesPath(ns), query: { labelSelector: `${SERVICE_LABEL}=${name}` } })
  if (res.status === 200) return ((res.json as { items?: PingSource[] }).items ?? []).flatMap((p) => (p.metadata?.name ? [p.metadata.name] : []))
  if (!required && (res.status === 404 || res.status === 403)) {
    if (res.status === 403) emit(`PingSources not listed (HTTP 403): delete any left of ${name} with kubectl delete pingsource -l ${SERVICE_LABEL}=${name} -n ${ns}`)
    return []
  }
  throw apiError(PLATFORM, `list the PingSources of ${name} in namespace ${ns}`, res, sourceHints(res, ns, client.context, 'list'))
}

async function deletePingSource(client: KubeClient, ns: string, name: string, emit: (m: string) => void): Promise<void> {
  const res = await client.request({ method: 'DELETE', path: pingSourcePath(ns, name) })
  if (res.status !== 200 && res.status !== 202 && res.status !== 404) throw apiError(PLATFORM, `delete PingSource ${name} in namespace ${ns}`, res, sourceHints(res, ns, client.context, 'delete'))
  emit(`deleted PingSource ${name}`)
}

export async function deployKnative(plan: Plan, settings: KnativeSettings, ctx: DeployContext): Promise<Deployment> {
  const { service, sources } = manifestsOf(plan)
  const { manifest, name, namespace } = service
  const ns = namespace ?? settings.namespace
  const emit = (message: string) => ctx.emit?.({ type: 'progress', service: plan.service, message })
  return withClient({ ...settings, context: settings.context ?? plan.target.context ?? undefined }, ctx, async (client) => {
    const deployment = await applyService(client, plan, manifest, name, ns, ctx, emit)
    // The sink of each PingSource is the Service: applied once the Service is (ready, unless --no-wait).
    for (const source of sources) await applyPingSource(client, source, source.namespace ?? ns, ctx, emit)
    const planned = new Set(sources.map((s) => s.name))
    for (const stale of (await pingSourcesOf(client, ns, name, sources.length > 0, emit)).filter((n) => !planned.has(n))) await deletePingSource(client, ns, stale, emit)
    return deployment
  })
}

async function applyService(client: KubeClient, plan: Plan, manifest: Record<string, unknown>, name: string, ns: string, ctx: DeployContext, emit: (m: string) => void): Promise<Deployment> {
  const before = await readService(client, ns, name)
  emit(`applying Knative Service ${name} in namespace ${ns} (context ${client.context})`)
  // Server-side apply of exactly the planned manifest; JSON is YAML, so the plan's object goes as is.
  const res = await client.request({
    method: 'PATCH',
    path: servicePath(ns, name),
    query: { fieldManager: FIELD_MANAGER, force: 'true' },
    body: JSON.stringify(manifest),
    contentType: 'application/apply-patch+yaml',
  })
  if (res.status !== 200 && res.status !== 201) throw apiError(PLATFORM, `apply Knative Service ${name} in namespace ${ns}`, res, hintsFor(res, ns, name, client.context, 'patch'))
  const applied = res.json as KService
  const generation = applied.metadata?.generation
  // Knative bumps metadata.generation (and so makes a new revision) only when the spec changed.
  const unchanged = before !== null && generation !== undefined && before.metadata?.generation === generation
  emit(unchanged ? `unchanged (generation ${generation}): no new revision` : `applied: generation ${generation ?? '?'}`)
  if (!ctx.wait) {
    const seen = observed(applied, generation)
    return {
      service: plan.service,
      url: applied.status?.url ?? null,
      revision: seen ? (applied.status?.latestCreatedRevisionName ?? null) : null,
      unchanged,
      ready: isReady(applied, generation),
    }
  }
  let lastDetail = ''
  const ready = await waitFor(
    `Knative Service ${name}`,
    async (): Promise<Probe<KService>> => {
      const svc = await readService(client, ns, name)
      if (!svc) throw rolloutFailed(PLATFORM, name, 'the Service was deleted while waiting for it')
      const detail = probeDetail(svc, generation, client, ns)
      if (detail === null) return { done: true, value: svc }
      if (detail !== lastDetail) emit(`waiting: ${detail}`)
      lastDetail = detail
      return { done: false, detail }
    },
    { timeoutMs: ctx.timeoutMs, intervalMs: ctx.pollIntervalMs, ...(ctx.signal ? { signal: ctx.signal } : {}) },
  )
  const revision = ready.status?.latestReadyRevisionName ?? null
  emit(`ready: revision ${revision ?? '?'}${ready.status?.url ? ` at ${ready.status.url}` : ''}`)
  return { service: plan.service, url: ready.status?.url ?? null, revision, unchanged, ready: true }
}

/** null when ready; a detail while progressing; throws DEPLOY_ROLLOUT_FAILED on Ready False. */
function probeDetail(svc: KService, generation: number | undefined, client: KubeClient, ns: string): string | null {
  if (!observed(svc, generation)) return `the Knative controller has not observed generation ${generation ?? '?'} yet`
  const ready = conditionOf(svc, 'Ready')
  if (ready?.status === 'True') return null
  if (ready?.status === 'False') {
    const rev = svc.status?.latestCreatedRevisionName
    throw rolloutFailed(PLATFORM, svc.metadata?.name ?? '?', failingReason(svc), [
      ...(rev ? [`kubectl describe revision ${rev} -n ${ns} --context ${client.context}`] : []),
      `kubectl logs -n ${ns} --context ${client.context} -l serving.knative.dev/service=${svc.metadata?.name ?? ''} -c user-container`,
    ])
  }
  return ready ? `Ready ${ready.status}: ${said(ready)}` : 'no Ready condition yet'
}

export async function statusKnative(service: string, settings: KnativeSettings, ctx: DeployContext): Promise<ServiceStatus | null> {
  return withClient(settings, ctx, async (client) => {
    const ns = settings.namespace
    const svc = await readService(client, ns, nameOf(service, ctx.deployName))
    if (!svc) return null
    const ready = isReady(svc)
    const serving = svc.status?.latestReadyRevisionName ?? null
    let image: string | null = null
    if (serving && serving === svc.status?.latestCreatedRevisionName) image = svc.spec?.template?.spec?.containers?.[0]?.image ?? null
    else if (serving) {
      // An older revision serves (the latest one failed): its own spec says which image.
      const res = await client.request({ method: 'GET', path: revisionPath(ns, serving) })
      const rev = res.status === 200 ? (res.json as { spec?: { containers?: Array<{ image?: string }> } }) : null
      image = rev?.spec?.containers?.[0]?.image ?? null
    }
    return { service, url: svc.status?.url ?? null, revision: serving, image, ready, reason: ready ? null : failingReason(svc) }
  })
}

export async function removeKnative(service: string, settings: KnativeSettings, ctx: DeployContext): Promise<boolean> {
  return withClient(settings, ctx, async (client) => {
    const ns = settings.namespace
    const name = nameOf(service, ctx.deployName)
    const emit = (message: string) => ctx.emit?.({ type: 'progress', service, message })
    // Its PingSources first, so that none sends to a Service that is gone.
    for (const source of await pingSourcesOf(client, ns, name, false, emit)) await deletePingSource(client, ns, source, emit)
    emit(`deleting Knative Service ${name} in namespace ${ns} (context ${client.context})`)
    const res = await client.request({ method: 'DELETE', path: servicePath(ns, name) })
    if (res.status === 404) return false
    if (res.status !== 200 && res.status !== 202) throw apiError(PLATFORM, `delete Knative Service ${name} in namespace ${ns}`, res, hintsFor(res, ns, name, client.context, 'delete'))
    return true
  })
}
