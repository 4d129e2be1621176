/**
 * Cloud Run (Admin API v2, `projects.locations.services`): one PATCH with `allowMissing=true` creates
 * the service or updates it (a new revision); an IAM request that grants `roles/run.invoker` to `allUsers`
 * (`public: true`) and to the scheduler's service account (schedules); and one Cloud Scheduler job per
 * schedule (./schedules.ts). CPU and memory are fitted to Cloud Run's allowed combinations
 * (https://cloud.google.com/run/docs/configuring/services/cpu), each change a warning. The service's name
 * follows Cloud Run's rule (CLOUD_RUN_NAME, ../../naming.ts).
 *
 * Deploy (./run-deploy.ts) reads the service first and sends the PATCH only when the planned body
 * differs from what runs (same digest and settings: `unchanged`, no new revision), then waits for the
 * operation and the service's terminal condition. Credentials: ./auth.ts (Application Default
 * Credentials); `CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN` replaces https://run.googleapis.com/.
 */
import type { ServiceConfig } from '../../../config/schema.js'
import { commandList, cpuQuantity, envList, quantity, seconds, unsupportedTimeouts } from '../../common.js'
import { withPlatformDefaults, type PlatformDefaults } from '../../defaults.js'
import type { DigestRef } from '../../image-ref.js'
import { platformName } from '../../naming.js'
import type { Plan, PlanContext, PlanStep, PlanWarning, Provider, ProviderSettings } from '../../types.js'
import { CLOUD_RUN_NAME } from './names.js'
import { planSchedules } from './schedules.js'

export const CLOUD_RUN_API = 'https://run.googleapis.com/v2'
const MI = 1024 * 1024
const GI = 1024 * MI
/** Whole vCPU values Cloud Run accepts, with the memory range each allows. */
const CPU_STEPS = [
  { cpu: 1, min: 128 * MI, max: 4 * GI },
  { cpu: 2, min: 128 * MI, max: 8 * GI },
  { cpu: 4, min: 2 * GI, max: 16 * GI },
  { cpu: 6, min: 4 * GI, max: 24 * GI },
  { cpu: 8, min: 4 * GI, max: 32 * GI },
] as const
const MIN_MEMORY = 128 * MI
const MAX_MEMORY = 32 * GI
/** Probe period for the http startup probe (seconds). */
const HTTP_PROBE_PERIOD_S = 10

/**
 * The second-generation execution environment needs at least 512 MiB of memory, and less than 1 vCPU is
 * available in the first generation only (https://cloud.google.com/run/docs/about-execution-environments,
 * https://cloud.google.com/run/docs/configuring/services/cpu). Left unset, Cloud Run picks the generation
 * itself; the plan sets the first one when the fitted resources need it.
 */
const GEN2_MIN_MEMORY = 512 * MI
const GEN2_MIN_CPU = 1

/**
 * Cloud Run's own defaults, for what sls-run.yaml leaves unset (../../defaults.ts):
 * - 1 vCPU: https://cloud.google.com/run/docs/configuring/services/cpu
 * - 512 MiB: https://cloud.google.com/run/docs/configuring/services/memory-limits
 * - scale to zero: https://cloud.google.com/run/docs/configuring/min-instances
 * - at most 100 instances (maxInstanceCount's server default): https://cloud.google.com/run/docs/configuring/max-instances
 * - 80 concurrent requests per instance: https://cloud.google.com/run/docs/about-concurrency
 * - a 300 s request timeout: https://cloud.google.com/run/docs/configuring/request-timeout
 * - request-based billing, CPU only during requests (cpuIdle: true): https://cloud.google.com/run/docs/configuring/billing-settings
 */
export const CLOUD_RUN_DEFAULTS: PlatformDefaults = {
  'resources.cpu': { value: 1, source: 'https://cloud.google.com/run/docs/configuring/services/cpu' },
  'resources.memory': { value: 512 * MI, source: 'https://cloud.google.com/run/docs/configuring/services/memory-limits' },
  'scaling.minInstances': { value: 0, source: 'https://cloud.google.com/run/docs/configuring/min-instances' },
  'scaling.maxInstances': { value: 100, source: 'https://cloud.google.com/run/docs/configuring/max-instances' },
  'scaling.concurrency': { value: 80, source: 'https://cloud.google.com/run/docs/about-concurrency' },
  timeout: { value: 300_000, source: 'https://cloud.google.com/run/docs/configuring/request-timeout' },
  cpuThrottling: { value: true, shown: 'true (request-based billing: CPU only during requests)', source: 'https://cloud.google.com/run/docs/configuring/billing-settings' },
}

function fitResources(service: ServiceConfig, warnings: PlanWarning[]): { cpu: number; memory: number } {
  let { cpu, memory } = service.resources
  const warn = (code: string, setting: string, message: string) => warnings.push({ code, setting, message })
  if (memory < MIN_MEMORY) {
    warn('CLOUD_RUN_MEMORY_MIN', 'resources.memory', `Cloud Run's smallest memory limit is 128Mi; ${quantity(memory)} becomes 128Mi`)
    memory = MIN_MEMORY
  }
  if (memory > MAX_MEMORY) {
    warn('CLOUD_RUN_MEMORY_MAX', 'resources.memory', `Cloud Run's largest memory limit is 32Gi; ${quantity(memory)} becomes 32Gi`)
    memory = MAX_MEMORY
  }
  if (cpu < 1) {
    if (service.scaling.concurrency !== 1 || !service.cpuThrottling) {
      warn('CLOUD_RUN_FRACTIONAL_CPU', 'resources.cpu', `Cloud Run allows less than 1 vCPU only with concurrency 1 and cpuThrottling: true; cpu ${cpu} becomes 1`)
      cpu = 1
    } else if (memory > GI) {
      warn('CLOUD_RUN_CPU_FOR_MEMORY', 'resources.cpu', `Cloud Run needs 1 vCPU for more than 1Gi of memory; cpu ${cpu} becomes 1`)
      cpu = 1
    } else if (memory > 512 * MI && cpu < 0.5) {
      warn('CLOUD_RUN_CPU_FOR_MEMORY', 'resources.cpu', `Cloud Run needs 0.5 vCPU for more than 512Mi of memory; cpu ${cpu} becomes 0.5`)
      cpu = 0.5
    }
    if (cpu < 1) return { cpu, memory }
  }
  const step = CPU_STEPS.find((s) => s.cpu >= cpu) ?? CPU_STEPS[CPU_STEPS.length - 1]!
  if (step.cpu !== cpu) warn('CLOUD_RUN_CPU_STEP', 'resources.cpu', `Cloud Run accepts 1, 2, 4, 6 or 8 vCPUs above 1; cpu ${cpu} becomes ${step.cpu}`)
  cpu = step.cpu
  if (memory > step.max) {
    const bigger = CPU_STEPS.find((s) => s.max >= memory)!
    warn('CLOUD_RUN_CPU_FOR_MEMORY', 'resources.cpu', `Cloud Run needs ${bigger.cpu} vCPUs for ${quantity(memory)} of memory; cpu ${cpu} becomes ${bigger.cpu}`)
    cpu = bigger.cpu
  }
  const min = CPU_STEPS.find((s) => s.cpu === cpu)!.min
  if (memory < min) {
    warn('CLOUD_RUN_MEMORY_FOR_CPU', 'resources.memory', `Cloud Run needs at least ${quantity(min)} of memory with ${cpu} vCPUs; ${quantity(memory)} becomes ${quantity(min)}`)
    memory = min
  }
  return { cpu, memory }
}

function startupProbe(service: ServiceConfig) {
  const total = seconds(service.startupProbe.timeout)
  if (service.startupProbe.type === 'tcp') {
    // Cloud Run's own default probe: one TCP check that keeps trying for the whole timeout.
    return { tcpSocket: { port: service.port }, timeoutSeconds: total, periodSeconds: total, failureThreshold: 1 }
  }
  const period = Math.min(HTTP_PROBE_PERIOD_S, total)
  return { httpGet: { path: service.startupProbe.path, port: service.port }, timeoutSeconds: period, periodSeconds: period, failureThreshold: Math.ceil(total / period) }
}

export function planCloudRun(written: ServiceConfig, image: DigestRef, settings: ProviderSettings<'cloud-run'>, ctx: PlanContext): Plan {
  const warnings: PlanWarning[] = []
  const { service, defaults } = withPlatformDefaults(written, ctx, CLOUD_RUN_DEFAULTS)
  if (image.platform && image.platform !== 'linux/amd64') {
    warnings.push({ code: 'CLOUD_RUN_PLATFORM', setting: 'image', message: `Cloud Run runs linux/amd64 images only; this ${image.platform} image will not start (build with --platform linux/amd64)` })
  }
  const { cpu, memory } = fitResources(service, warnings)
  const { name: serviceId, warning: renamed } = platformName(ctx.service, CLOUD_RUN_NAME, service.deployName)
  if (renamed) warnings.push(renamed)
  const gen1 = cpu < GEN2_MIN_CPU || memory < GEN2_MIN_MEMORY
  if (gen1) {
    const why = [cpu < GEN2_MIN_CPU ? `${cpuQuantity(cpu)} of CPU` : '', memory < GEN2_MIN_MEMORY ? `${quantity(memory)} of memory` : ''].filter(Boolean).join(' and ')
    warnings.push({
      code: 'CLOUD_RUN_EXECUTION_ENVIRONMENT',
      setting: cpu < GEN2_MIN_CPU ? 'resources.cpu' : 'resources.memory',
      message: `Cloud Run's second-generation execution environment needs at least 1 vCPU and 512Mi; with ${why} the plan sets template.executionEnvironment: EXECUTION_ENVIRONMENT_GEN1, which forces the first generation (raise the resources to let Cloud Run choose)`,
    })
  }
  unsupportedTimeouts(service, warnings, 'Cloud Run', {
    idleTimeout: 'decides itself when an idle instance stops (it may keep one up to 15 minutes); scaling.idleTimeout is not sent',
    queueTimeout: 'has no queue timeout setting: a request that finds no room waits for a new instance or gets 429; scaling.queueTimeout is not sent',
  })
  const command = commandList(service.command)
  const parent = `projects/${settings.project}/locations/${settings.region}`
  const name = `${parent}/services/${serviceId}`
  const body = {
    labels: { 'managed-by': 'sls-run', 'sls-run-project': ctx.project, 'sls-run-environment': ctx.environment },
    ingress: 'INGRESS_TRAFFIC_ALL',
    template: {
      scaling: { minInstanceCount: service.scaling.minInstances, maxInstanceCount: service.scaling.maxInstances },
      maxInstanceRequestConcurrency: service.scaling.concurrency,
      timeout: `${seconds(service.timeout)}s`,
      ...(gen1 ? { executionEnvironment: 'EXECUTION_ENVIRONMENT_GEN1' } : {}),
      containers: [
        {
          name: ctx.service,
          image: image.ref,
          ...(command ? { command } : {}),
          ports: [{ name: 'http1', containerPort: service.port }],
          env: envList(service, warnings, 'Cloud Run'),
          resources: { limits: { cpu: cpuQuantity(cpu), memory: quantity(memory) }, cpuIdle: service.cpuThrottling },
          startupProbe: startupProbe(service),
        },
      ],
    },
  }
  const schedules = planSchedules(service, settings, ctx, serviceId, warnings)
  const steps: PlanStep[] = [{ kind: 'request', purpose: 'create or update the service (a new revision)', method: 'PATCH', url: `${CLOUD_RUN_API}/${name}?allowMissing=true`, body }]
  const invokers = [...(settings.public ? ['allUsers'] : []), ...(schedules.invoker ? [schedules.invoker] : [])]
  if (invokers.length) {
    const who = [settings.public ? 'anyone' : '', schedules.invoker ? 'its Cloud Scheduler jobs' : ''].filter(Boolean).join(' and ')
    steps.push({
      kind: 'request',
      purpose: `let ${who} invoke it: roles/run.invoker for ${invokers.join(', ')} (merged into the current policy, read with getIamPolicy, at deploy time)`,
      method: 'POST',
      url: `${CLOUD_RUN_API}/${name}:setIamPolicy`,
      body: { policy: { bindings: [{ role: 'roles/run.invoker', members: invokers }] } },
    })
  }
  steps.push(...schedules.steps)
  return {
    provider: 'cloud-run',
    environment: ctx.environment,
    service: ctx.service,
    image: image.ref,
    target: { project: settings.project, region: settings.region },
    steps,
    warnings,
    defaults,
  }
}

/** Applying, status, removal and registry tokens load (with google-auth-library) on first use: ./run-deploy.ts, ./registry-auth.ts. */
const cloudRun: Provider<'cloud-run'> = {
  id: 'cloud-run',
  plan: async (service, image, settings, ctx) => planCloudRun(service, image, settings, ctx),
  deploy: async (plan, settings, ctx) => (await import('./run-deploy.js')).deployCloudRun(plan, settings, ctx),
  status: async (service, settings, ctx) => (await import('./run-deploy.js')).cloudRunStatus(service, settings, ctx),
  remove: async (service, settings, ctx) => (await import('./run-deploy.js')).removeCloudRun(service, settings, ctx),
  registryAuth: async (registry, _settings, ctx) => (await import('./registry-auth.js')).googleRegistryAuth(registry, ctx.env),
}
export default cloudRun
