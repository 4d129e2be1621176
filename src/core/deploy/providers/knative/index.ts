/**
 * Knative Serving: one `serving.knative.dev/v1` Service, applied to the namespace (and kubeconfig
 * context) of the environment, named by Knative's rule (KNATIVE_NAME, ../../naming.ts), plus one Knative
 * Eventing PingSource per schedule (./schedules.ts). Autoscaling is set through revision annotations and the revision spec,
 * as Knative's autoscaling documentation lists (min-scale, max-scale, target; containerConcurrency, timeoutSeconds). `deploy` server-side-applies the planned manifest through the
 * Kubernetes API of the user's kubeconfig (./client.ts) and waits for the Service's Ready condition;
 * Knative makes a new revision (and bumps metadata.generation) only when the spec changed, which is
 * how an unchanged deploy is recognised.
 */
import type { ServiceConfig } from '../../../config/schema.js'
import { commandList, cpuQuantity, envList, labels, quantity, seconds, unsupportedTimeouts } from '../../common.js'
import { DEFAULTS, withPlatformDefaults, type PlatformDefaults } from '../../defaults.js'
import type { DigestRef } from '../../image-ref.js'
import { platformName } from '../../naming.js'
import type { Plan, PlanContext, PlanStep, PlanWarning, Provider, ProviderSettings } from '../../types.js'
import { deployKnative, removeKnative, statusKnative } from './apply.js'
import { KNATIVE_NAME } from './names.js'
import { pingSources } from './schedules.js'
import { knativeSettings } from './settings.js'

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

export function planKnative(written: ServiceConfig, image: DigestRef, given: ProviderSettings<'knative'>, ctx: PlanContext): Plan {
  const settings = knativeSettings.complete(given)
  const warnings: PlanWarning[] = []
  const { service, defaults, unset } = withPlatformDefaults(written, ctx, KNATIVE_DEFAULTS)
  const { name, warning: renamed } = platformName(ctx.service, KNATIVE_NAME, service.deployName)
  if (renamed) warnings.push(renamed)
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

  const probeAction = service.startupProbe.type === 'http' ? { httpGet: { path: service.startupProbe.path, port: service.port } } : { tcpSocket: { port: service.port } }
  const command = commandList(service.command)

  const manifest = {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name, namespace: settings.namespace, labels: labels(ctx.project, ctx.environment) },
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
    steps: [
      { kind: 'manifest', purpose: 'create or update the Knative Service (server-side apply)', manifest },
      ...pingSources(service, ctx, name, settings.namespace, labels(ctx.project, ctx.environment), warnings).map((source): PlanStep => ({
        kind: 'manifest',
        purpose: `create or update PingSource ${(source.metadata as { name: string }).name} (server-side apply; needs Knative Eventing)`,
        manifest: source,
      })),
    ],
    warnings,
    defaults,
  }
}

const knative: Provider<'knative'> = {
  id: 'knative',
  plan: async (service, image, settings, ctx) => planKnative(service, image, settings, ctx),
  deploy: async (plan, settings, ctx) => deployKnative(plan, knativeSettings.complete(settings), ctx),
  status: async (service, settings, ctx) => statusKnative(service, knativeSettings.complete(settings), ctx),
  remove: async (service, settings, ctx) => removeKnative(service, knativeSettings.complete(settings), ctx),
}
export default knative
