/**
 * Azure Container Apps (ARM, `Microsoft.App/containerApps`): one PUT that creates the app or replaces
 * its definition (a new revision when the template changes), in single-revision mode, then one PUT of a
 * Container Apps job per schedule (./schedules.ts). When the environment settings give no `location`, or
 * the app needs a workload profiles environment, a GET of the managed environment comes first: an app must
 * be in its environment's region, and only a workload profiles environment runs more than 2 vCPU / 4Gi.
 * CPU and memory are fitted to the Consumption profile (0.25 vCPU steps up to 4, memory 2Gi per vCPU),
 * each change a warning. The app's name follows Azure's rule (./names.ts). An image in Azure Container
 * Registry is pulled with a managed identity (the `identity` setting). Applying it, status, remove and ACR
 * tokens live beside it: ./apply.ts, ./pull.ts, ./acr.ts (credentials: ./auth.ts).
 */
import type { ServiceConfig } from '../../../config/schema.js'
import { commandList, deployTimeLookup, envList, quantity, seconds, unsupportedTimeouts } from '../../common.js'
import { withPlatformDefaults, type PlatformDefaults } from '../../defaults.js'
import type { DigestRef } from '../../image-ref.js'
import { acrCredentials, isAcr } from './acr.js'
import { deployAca, removeAca, statusAca } from './apply.js'
import { ACA_API_VERSION, ARM_API, appId as appResourceId, environmentId as environmentResourceId } from './ids.js'
import { CONSUMPTION_ONLY_MAX_CPU } from './limits.js'
import { appName } from './names.js'
import { planJobs, registryOf } from './schedules.js'
import type { Plan, PlanContext, PlanStep, PlanWarning, Provider, ProviderSettings } from '../../types.js'
import { azureContainerAppsSettings } from './settings.js'

export { ACA_API_VERSION, ARM_API } from './ids.js'
const GI = 1024 * 1024 * 1024
const CPU_STEP = 0.25
const MAX_CPU = 4
/** Consumption profile: memory is always 2Gi per vCPU (0.25 / 0.5Gi … 4 / 8Gi). */
const GI_PER_CPU = 2
/** HTTP ingress cuts a request after 240 s; there is no setting for it. */
const INGRESS_TIMEOUT_S = 240
/** KEDA's cooldown before the last replica is removed (scale.cooldownPeriod, not settable in this api-version). */
const COOLDOWN_S = 300
/** Probe limits: failureThreshold 1–10, periodSeconds 1–240. */
const MAX_FAILURES = 10
const HTTP_PROBE_PERIOD_S = 10

const SCALE = 'https://learn.microsoft.com/en-us/azure/container-apps/scale-app'
/**
 * Container Apps' own defaults, for what sls-run.yaml leaves unset (../../defaults.ts):
 * - 0 to 10 replicas and, without a scale rule, an HTTP rule of 10 concurrent requests; KEDA's
 *   300 s cooldown before the last replica goes: https://learn.microsoft.com/en-us/azure/container-apps/scale-app
 * - memory: 2Gi per vCPU on the consumption profile: https://learn.microsoft.com/en-us/azure/container-apps/containers
 * - requests end after 240 s at the ingress: https://learn.microsoft.com/en-us/azure/container-apps/ingress-overview
 * Container Apps publishes no default vCPU count (the API and `az containerapp` require one): an unset
 * resources.cpu is sls-run's 1.
 */
export const ACA_DEFAULTS: PlatformDefaults = {
  'resources.memory': { shown: '2Gi per vCPU (the consumption profile)', source: 'https://learn.microsoft.com/en-us/azure/container-apps/containers' },
  'scaling.minInstances': { value: 0, source: SCALE },
  'scaling.maxInstances': { value: 10, source: SCALE },
  'scaling.concurrency': { value: 10, shown: '10 (concurrentRequests of the HTTP scale rule)', source: SCALE },
  'scaling.idleTimeout': { value: COOLDOWN_S * 1000, shown: `${COOLDOWN_S}s (the scale rules' cooldown)`, source: SCALE },
  timeout: { value: INGRESS_TIMEOUT_S * 1000, shown: `${INGRESS_TIMEOUT_S}s (the ingress's, not configurable)`, source: 'https://learn.microsoft.com/en-us/azure/container-apps/ingress-overview' },
}

const gi = (n: number) => `${n}Gi`

/** `memorySet: false`: memory follows cpu (2Gi per vCPU) without a warning. */
function fitResources(service: ServiceConfig, warnings: PlanWarning[], memorySet: boolean): { cpu: number; memory: string } {
  const requested = service.resources.cpu
  const memoryGi = service.resources.memory / GI
  let cpu = Math.min(MAX_CPU, Math.max(CPU_STEP, Math.ceil(requested / CPU_STEP) * CPU_STEP))
  if (cpu !== requested) {
    warnings.push({ code: 'ACA_CPU_STEP', setting: 'resources.cpu', message: `Container Apps allocates vCPUs in 0.25 steps from 0.25 to 4; cpu ${requested} becomes ${cpu}` })
  }
  const forMemory = Math.ceil(memoryGi / GI_PER_CPU / CPU_STEP) * CPU_STEP
  if (forMemory > cpu) {
    if (forMemory > MAX_CPU) {
      warnings.push({ code: 'ACA_MEMORY_MAX', setting: 'resources.memory', message: `Container Apps' largest consumption replica is 4 vCPUs / 8Gi; ${quantity(service.resources.memory)} becomes 8Gi` })
    }
    const next = Math.min(MAX_CPU, forMemory)
    if (next !== cpu) {
      warnings.push({
        code: 'ACA_CPU_FOR_MEMORY',
        setting: 'resources.cpu',
        message: `Container Apps gives 2Gi of memory per vCPU; ${quantity(service.resources.memory)} needs ${next} vCPUs, so cpu ${cpu} becomes ${next}`,
      })
      cpu = next
    }
  }
  const memory = cpu * GI_PER_CPU
  if (memorySet && memory !== memoryGi && memoryGi <= MAX_CPU * GI_PER_CPU) {
    warnings.push({
      code: 'ACA_MEMORY_FOR_CPU',
      setting: 'resources.memory',
      message: `Container Apps gives exactly 2Gi of memory per vCPU; with ${cpu} vCPUs, ${quantity(service.resources.memory)} becomes ${gi(memory)}`,
    })
  }
  return { cpu, memory: gi(memory) }
}

/**
 * A Startup probe that allows the whole startupProbe.timeout, within ACA's 10-failure limit. No
 * initialDelaySeconds: ContainerAppProbe documents "Minimum value is 1. Maximum value is 60." (Microsoft.App
 * 2024-03-01), so the 0 this used to send was out of range; left out, Container Apps' own default applies.
 */
function startupProbe(service: ServiceConfig) {
  const total = seconds(service.startupProbe.timeout)
  const failureThreshold = Math.min(MAX_FAILURES, Math.max(1, Math.ceil(total / HTTP_PROBE_PERIOD_S)))
  const periodSeconds = Math.ceil(total / failureThreshold)
  const action = service.startupProbe.type === 'http' ? { httpGet: { path: service.startupProbe.path, port: service.port, scheme: 'HTTP' } } : { tcpSocket: { port: service.port } }
  return { type: 'Startup', ...action, periodSeconds, timeoutSeconds: Math.min(periodSeconds, HTTP_PROBE_PERIOD_S), failureThreshold }
}

export function planAzureContainerApps(written: ServiceConfig, image: DigestRef, given: ProviderSettings<'azure-container-apps'>, ctx: PlanContext): Plan {
  const settings = azureContainerAppsSettings.complete(given)
  const warnings: PlanWarning[] = []
  const { service, defaults, unset } = withPlatformDefaults(written, ctx, ACA_DEFAULTS)
  const { scaling } = service
  if (image.platform && image.platform !== 'linux/amd64') {
    warnings.push({ code: 'ACA_PLATFORM', setting: 'image', message: `Container Apps runs linux/amd64 images only; this ${image.platform} image will not start (build with --platform linux/amd64)` })
  }
  const { cpu, memory } = fitResources(service, warnings, !unset('resources.memory'))

  if (seconds(scaling.idleTimeout) !== COOLDOWN_S) {
    warnings.push({
      code: 'ACA_IDLE_TIMEOUT',
      setting: 'scaling.idleTimeout',
      message: `Container Apps removes idle replicas after its own ${COOLDOWN_S}s cooldown (api-version ${ACA_API_VERSION} has no setting for it); idleTimeout ${seconds(scaling.idleTimeout)}s is not sent`,
    })
  }
  unsupportedTimeouts(service, warnings, 'Container Apps', {
    queueTimeout: 'has no queue timeout: a request waits at the ingress for a replica until the 240 s request timeout; scaling.queueTimeout is not sent',
  })
  const timeout = seconds(service.timeout)
  if (timeout > INGRESS_TIMEOUT_S) {
    warnings.push({
      code: 'ACA_TIMEOUT_MAX',
      setting: 'timeout',
      message: `Container Apps' HTTP ingress ends every request after ${INGRESS_TIMEOUT_S}s (not configurable); timeout ${timeout}s is cut to ${INGRESS_TIMEOUT_S}s`,
    })
  }
  if (service.cpuThrottling) {
    warnings.push({
      code: 'ACA_CPU_THROTTLING',
      setting: 'cpuThrottling',
      message:
        'Container Apps has no request-only CPU: a running replica keeps its CPU between requests (replicas kept warm by minReplicas are billed at a lower idle rate while idle); with minInstances 0 idle replicas are removed instead',
    })
  }

  if (cpu > CONSUMPTION_ONLY_MAX_CPU) {
    warnings.push({
      code: 'ACA_WORKLOAD_PROFILE',
      setting: 'resources.cpu',
      message: `${cpu} vCPUs / ${gi(cpu * GI_PER_CPU)} needs a workload profiles environment (its Consumption profile runs up to 4 vCPUs / 8Gi); a Consumption-only environment runs at most ${CONSUMPTION_ONLY_MAX_CPU} vCPUs / ${gi(CONSUMPTION_ONLY_MAX_CPU * GI_PER_CPU)}. Deploy reads environment ${settings.environment} and stops if it has no workload profiles`,
    })
  }

  const name = appName(ctx.service, service.deployName)
  if (name.warning) warnings.push(name.warning)
  const environmentId = environmentResourceId(settings)
  const appId = appResourceId(settings, name.name)
  const location = settings.location ?? deployTimeLookup(`location of managed environment ${settings.environment}`)
  const command = commandList(service.command)
  const tags = { 'managed-by': 'sls-run', 'sls-run-project': ctx.project, 'sls-run-environment': ctx.environment, 'sls-run-service': ctx.service }

  // An image in Azure Container Registry is pulled with a managed identity that has AcrPull on the registry
  // (https://learn.microsoft.com/en-us/azure/container-apps/managed-identity-image-pull): `registries` names the
  // identity, "system" or a user-assigned identity's resource id (RegistryCredentials.identity, 2024-03-01).
  const registry = registryOf(image.repository)
  const userAssigned = settings.identity !== 'system'
  const pull = isAcr(registry)
    ? {
        identity: userAssigned ? { type: 'UserAssigned', userAssignedIdentities: { [settings.identity]: {} } } : { type: 'SystemAssigned' },
        registries: [{ server: registry, identity: settings.identity }],
      }
    : undefined

  const body = {
    location,
    tags,
    ...(pull ? { identity: pull.identity } : {}),
    properties: {
      // environmentId, not managedEnvironmentId: 2024-03-01 marks the latter "Deprecated. Resource ID of the Container App's environment."
      environmentId,
      configuration: {
        activeRevisionsMode: 'Single',
        ingress: {
          external: settings.public,
          targetPort: service.port,
          transport: 'auto',
          allowInsecure: false,
          traffic: [{ latestRevision: true, weight: 100 }],
        },
        ...(pull ? { registries: pull.registries } : {}),
      },
      template: {
        containers: [
          {
            name: ctx.service,
            image: image.ref,
            ...(command ? { command } : {}),
            env: envList(service, warnings, 'Container Apps', { setPort: true }),
            resources: { cpu, memory },
            probes: [startupProbe(service)],
          },
        ],
        scale: {
          minReplicas: scaling.minInstances,
          maxReplicas: scaling.maxInstances,
          rules: [{ name: 'http', http: { metadata: { concurrentRequests: String(scaling.concurrency) } } }],
        },
      },
    },
  }

  const steps: PlanStep[] = []
  const needsProfiles = cpu > CONSUMPTION_ONLY_MAX_CPU
  if (!settings.location || needsProfiles) {
    const why = [...(settings.location ? [] : ['its location (the app must be in the same region)']), ...(needsProfiles ? [`whether it has workload profiles (${cpu} vCPUs need them)`] : [])].join(
      ' and ',
    )
    steps.push({ kind: 'request', purpose: `read the managed environment: ${why}`, method: 'GET', url: `${ARM_API}${environmentId}?api-version=${ACA_API_VERSION}` })
  }
  steps.push({
    kind: 'request',
    purpose: 'create or update the container app (a new revision when the template changes)',
    method: 'PUT',
    url: `${ARM_API}${appId}?api-version=${ACA_API_VERSION}`,
    body,
  })
  steps.push(...planJobs(service, settings, ctx, { name: name.name, environmentId, location, tags }, warnings).steps)

  return {
    provider: 'azure-container-apps',
    environment: ctx.environment,
    service: ctx.service,
    image: image.ref,
    target: { subscription: settings.subscription, resourceGroup: settings.resourceGroup, environment: settings.environment, location, app: name.name },
    steps,
    warnings,
    defaults,
  }
}

const azureContainerApps: Provider<'azure-container-apps'> = {
  id: 'azure-container-apps',
  plan: async (service, image, settings, ctx) => planAzureContainerApps(service, image, settings, ctx),
  deploy: deployAca,
  status: statusAca,
  remove: removeAca,
  registryAuth: (registry, _settings, ctx) => acrCredentials(registry, ctx),
}
export default azureContainerApps
