/**
 * Knative Serving: one `serving.knative.dev/v1` Service, applied to the namespace (and kubeconfig
 * context) of the environment. Autoscaling is set through revision annotations and the revision spec,
 * as Knative's autoscaling documentation lists (min-scale, max-scale, target; containerConcurrency, timeoutSeconds). `deploy` server-side-applies the planned manifest through the
 * Kubernetes API of the user's kubeconfig (./kube/) and waits for the Service's Ready condition;
 * Knative makes a new revision (and bumps metadata.generation) only when the spec changed, which is
 * how an unchanged deploy is recognised.
 */
import type { ServiceConfig } from '../config/schema.js'
import { apiError, rolloutFailed, waitFor, type ApiResponse, type Probe } from './api.js'
import { commandList, cpuQuantity, envList, labels, quantity, seconds, unsupportedTimeouts } from './common.js'
import { DEFAULTS, withPlatformDefaults, type PlatformDefaults } from './defaults.js'
import type { DigestRef } from './image-ref.js'
import type { KubeClient } from './kube/client.js'
import type { DeployContext, Deployment, Plan, PlanContext, PlanWarning, Provider, ProviderSettings, ServiceStatus } from './types.js'

/** `max-revision-timeout-seconds` in a default install's config-defaults. */
const DEFAULT_MAX_TIMEOUT_S = 600
/** `scale-down-delay` accepts 0s..1h. */
const MAX_SCALE_DOWN_DELAY_S = 3600

const SCALE_BOUNDS = 'https://knative.dev/docs/serving/autoscaling/scale-bounds/'
const CONFIG_DEFAULTS = 'https://knative.dev/docs/serving/configuration/config-defaults/'
const resources = (what: string) => `not sent: the cluster's config-defaults revision-${what}-request / -limit (unset in a default install), else the namespace's LimitRange`
/**
 * What sls-run.yaml leaves unset is not sent: the cluster's own defaults apply (config-autoscaler and
 * config-defaults in knative-serving; a default install's values in brackets), and a server-side apply
 * drops a value an earlier deploy set.
 * - min-scale (0): https://knative.dev/docs/serving/autoscaling/scale-bounds/
 * - max-scale (0, unlimited): same page
 * - containerConcurrency (container-concurrency 0, unlimited) and target (container-concurrency-target-default 100):
 *   https://knative.dev/docs/serving/autoscaling/concurrency/
 * - scale-down-delay (0s): https://knative.dev/docs/serving/autoscaling/scale-to-zero/
 * - timeoutSeconds (revision-timeout-seconds 300) and resources (revision-cpu-request… not set by default):
 *   https://knative.dev/docs/serving/configuration/config-defaults/
 */
export const KNATIVE_DEFAULTS: PlatformDefaults = {
  'resources.cpu': { shown: resources('cpu'), source: CONFIG_DEFAULTS },
  'resources.memory': { shown: resources('memory'), source: CONFIG_DEFAULTS },
  'scaling.minInstances': { shown: 'not sent: config-autoscaler min-scale (0 in a default install)', source: SCALE_BOUNDS },
  'scaling.maxInstances': { shown: 'not sent: config-autoscaler max-scale (0, unlimited, in a default install)', source: SCALE_BOUNDS },
  'scaling.concurrency': {
    shown: 'not sent: config-defaults container-concurrency (0, unlimited) and config-autoscaler container-concurrency-target-default (100)',
    source: 'https://knative.dev/docs/serving/autoscaling/concurrency/',
  },
  'scaling.idleTimeout': { shown: 'not sent: config-autoscaler scale-down-delay (0s in a default install)', source: 'https://knative.dev/docs/serving/autoscaling/scale-to-zero/' },
  timeout: { shown: 'not sent: config-defaults revision-timeout-seconds (300 in a default install)', source: CONFIG_DEFAULTS },
}

/** requests = limits for the resources the service sets; nothing when it sets neither. */
function resourceLimits(service: ServiceConfig, unset: (key: 'resources.cpu' | 'resources.memory') => boolean) {
  const set = {
    ...(unset('resources.cpu') ? {} : { cpu: cpuQuantity(service.resources.cpu) }),
    ...(unset('resources.memory') ? {} : { memory: quantity(service.resources.memory) }),
  }
  return Object.keys(set).length ? { resources: { requests: set, limits: { ...set } } } : {}
}

export function planKnative(written: ServiceConfig, image: DigestRef, settings: ProviderSettings<'knative'>, ctx: PlanContext): Plan {
  const warnings: PlanWarning[] = []
  const { service, defaults, unset } = withPlatformDefaults(written, ctx, KNATIVE_DEFAULTS)
  const { scaling } = service
  const concurrency = unset('scaling.concurrency') ? undefined : scaling.concurrency

  const annotations: Record<string, string> = {
    ...(unset('scaling.minInstances') ? {} : { 'autoscaling.knative.dev/min-scale': String(scaling.minInstances) }),
    ...(unset('scaling.maxInstances') ? {} : { 'autoscaling.knative.dev/max-scale': String(scaling.maxInstances) }),
    ...(concurrency === undefined ? {} : { 'autoscaling.knative.dev/target': String(concurrency) }),
    'serving.knative.dev/progress-deadline': `${seconds(service.startupProbe.timeout)}s`,
  }
  // Without the file's keys (a direct call), sls-run's default counts as unset.
  const idleTimeoutSet = ctx.unset ? !unset('scaling.idleTimeout') : scaling.idleTimeout !== DEFAULTS.idleTimeoutMs
  if (idleTimeoutSet) {
    let delay = seconds(scaling.idleTimeout)
    if (delay > MAX_SCALE_DOWN_DELAY_S) {
      warnings.push({ code: 'KNATIVE_SCALE_DOWN_DELAY_MAX', setting: 'scaling.idleTimeout', message: `Knative's scale-down-delay is at most 1h; idleTimeout ${delay}s becomes 3600s` })
      delay = MAX_SCALE_DOWN_DELAY_S
    }
    annotations['autoscaling.knative.dev/scale-down-delay'] = `${delay}s`
  }
  unsupportedTimeouts(service, warnings, 'Knative', {
    queueTimeout: 'has no queue timeout: a request waits in the activator/queue-proxy until timeoutSeconds; scaling.queueTimeout is not sent',
  })

  const timeoutSeconds = unset('timeout') ? undefined : seconds(service.timeout)
  if (timeoutSeconds !== undefined && timeoutSeconds > DEFAULT_MAX_TIMEOUT_S) {
    warnings.push({
      code: 'KNATIVE_TIMEOUT_ABOVE_DEFAULT_MAX',
      setting: 'timeout',
      message: `timeoutSeconds ${timeoutSeconds} is above a default Knative install's max-revision-timeout-seconds (600): the cluster refuses the revision unless config-defaults raises it`,
    })
  }
  if (service.cpuThrottling) {
    warnings.push({
      code: 'KNATIVE_CPU_THROTTLING',
      setting: 'cpuThrottling',
      message: 'Knative pods keep their CPU between requests (Kubernetes does not freeze idle pods); with minInstances 0 idle pods are removed instead, which is the closest Knative gets',
    })
  }

  const probeAction =
    service.startupProbe.type === 'http' ? { httpGet: { path: service.startupProbe.path, port: service.port } } : { tcpSocket: { port: service.port } }
  const command = commandList(service.command)

  const manifest = {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: ctx.service, namespace: settings.namespace, labels: labels(ctx.project, ctx.environment) },
    spec: {
      template: {
        metadata: { annotations },
        spec: {
          ...(concurrency === undefined ? {} : { containerConcurrency: concurrency }),
          ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
          containers: [
            {
              name: ctx.service,
              image: image.ref,
              ...(command ? { command } : {}),
              ports: [{ name: 'http1', containerPort: service.port }],
              env: envList(service, warnings, 'Knative'),
              ...resourceLimits(service, unset),
              readinessProbe: { ...probeAction, successThreshold: 1 },
            },
          ],
        },
      },
    },
  }
  return {
    provider: 'knative',
    environment: ctx.environment,
    service: ctx.service,
    image: image.ref,
    target: { context: settings.context ?? null, namespace: settings.namespace },
    steps: [{ kind: 'manifest', purpose: 'create or update the Knative Service (server-side apply)', manifest }],
    warnings,
    defaults,
  }
}

// ---- apply, status, remove: the Kubernetes API of the kubeconfig context ----

const PLATFORM = 'Knative'
/** Server-side apply owner of the fields sls-run sets (`kubectl get ksvc -o yaml --show-managed-fields`). */
export const FIELD_MANAGER = 'sls-run'
const API = '/apis/serving.knative.dev/v1'
const servicePath = (ns: string, name: string) => `${API}/namespaces/${encodeURIComponent(ns)}/services/${encodeURIComponent(name)}`
const revisionPath = (ns: string, name: string) => `${API}/namespaces/${encodeURIComponent(ns)}/revisions/${encodeURIComponent(name)}`

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

async function withClient<T>(settings: ProviderSettings<'knative'>, ctx: DeployContext, fn: (client: KubeClient) => Promise<T>): Promise<T> {
  const { connectKube } = await import('./kube/client.js')
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

function manifestOf(plan: Plan): { manifest: Record<string, unknown>; name: string; namespace: string | undefined } {
  const step = plan.steps.find((s) => s.kind === 'manifest')
  if (!step || step.kind !== 'manifest') throw new Error(`the knative plan of ${plan.service} has no manifest step`)
  const meta = (step.manifest.metadata ?? {}) as { name?: string; namespace?: string }
  return { manifest: step.manifest, name: meta.name ?? plan.service, namespace: meta.namespace }
}

async function deployKnative(plan: Plan, settings: ProviderSettings<'knative'>, ctx: DeployContext): Promise<Deployment> {
  const { manifest, name, namespace } = manifestOf(plan)
  const ns = namespace ?? settings.namespace
  const emit = (message: string) => ctx.emit?.({ type: 'progress', service: plan.service, message })
  return withClient({ ...settings, context: settings.context ?? plan.target.context ?? undefined }, ctx, async (client) => {
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
  })
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

async function statusKnative(service: string, settings: ProviderSettings<'knative'>, ctx: DeployContext): Promise<ServiceStatus | null> {
  return withClient(settings, ctx, async (client) => {
    const ns = settings.namespace
    const svc = await readService(client, ns, service)
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

async function removeKnative(service: string, settings: ProviderSettings<'knative'>, ctx: DeployContext): Promise<boolean> {
  return withClient(settings, ctx, async (client) => {
    const ns = settings.namespace
    ctx.emit?.({ type: 'progress', service, message: `deleting Knative Service ${service} in namespace ${ns} (context ${client.context})` })
    const res = await client.request({ method: 'DELETE', path: servicePath(ns, service) })
    if (res.status === 404) return false
    if (res.status !== 200 && res.status !== 202) throw apiError(PLATFORM, `delete Knative Service ${service} in namespace ${ns}`, res, hintsFor(res, ns, service, client.context, 'delete'))
    return true
  })
}

const knative: Provider<'knative'> = {
  id: 'knative',
  plan: async (service, image, settings, ctx) => planKnative(service, image, settings, ctx),
  deploy: deployKnative,
  status: statusKnative,
  remove: removeKnative,
}
export default knative
