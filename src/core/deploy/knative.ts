/**
 * Knative Serving: one `serving.knative.dev/v1` Service, applied to the namespace (and kubeconfig
 * context) of the environment. Autoscaling is set through revision annotations and the revision spec,
 * as ../shared/EMULATION.md lists.
 */
import type { ServiceConfig } from '../config/schema.js'
import { commandList, cpuQuantity, envList, labels, quantity, seconds, unsupportedTimeouts } from './common.js'
import { DEFAULTS } from './defaults.js'
import type { DigestRef } from './image-ref.js'
import type { Plan, PlanContext, PlanWarning, Provider, ProviderSettings } from './types.js'
import { notImplemented } from './not-implemented.js'

/** `max-revision-timeout-seconds` in a default install's config-defaults. */
const DEFAULT_MAX_TIMEOUT_S = 600
/** `scale-down-delay` accepts 0s..1h. */
const MAX_SCALE_DOWN_DELAY_S = 3600

export function planKnative(service: ServiceConfig, image: DigestRef, settings: ProviderSettings<'knative'>, ctx: PlanContext): Plan {
  const warnings: PlanWarning[] = []
  const { scaling } = service

  const annotations: Record<string, string> = {
    'autoscaling.knative.dev/min-scale': String(scaling.minInstances),
    'autoscaling.knative.dev/max-scale': String(scaling.maxInstances),
    'autoscaling.knative.dev/target': String(scaling.concurrency),
    'serving.knative.dev/progress-deadline': `${seconds(service.startupProbe.timeout)}s`,
  }
  if (scaling.idleTimeout !== DEFAULTS.idleTimeoutMs) {
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

  const timeoutSeconds = seconds(service.timeout)
  if (timeoutSeconds > DEFAULT_MAX_TIMEOUT_S) {
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
  const cpu = cpuQuantity(service.resources.cpu)
  const memory = quantity(service.resources.memory)

  const manifest = {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: ctx.service, namespace: settings.namespace, labels: labels(ctx.project, ctx.environment) },
    spec: {
      template: {
        metadata: { annotations },
        spec: {
          containerConcurrency: scaling.concurrency,
          timeoutSeconds,
          containers: [
            {
              name: ctx.service,
              image: image.ref,
              ...(command ? { command } : {}),
              ports: [{ name: 'http1', containerPort: service.port }],
              env: envList(service, warnings, 'Knative'),
              resources: { requests: { cpu, memory }, limits: { cpu, memory } },
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
  }
}

const knative: Provider<'knative'> = {
  id: 'knative',
  plan: async (service, image, settings, ctx) => planKnative(service, image, settings, ctx),
  deploy: notImplemented,
}
export default knative
