/**
 * Deploy adapters behind one interface (DESIGN.md §5). `plan` is pure: given a service (environment
 * overrides applied), an image pinned by digest and the environment's settings, it returns the exact
 * manifest or API requests it would send, plus warnings for settings the platform cannot honour.
 * `deploy`, `status`, `remove` and `registryAuth` are declared here for the slices that follow.
 */
import type { ProviderId, ServiceConfig } from '../config/schema.js'
import type { DigestRef } from './image-ref.js'

/**
 * The settings of one environment for one provider: `{ provider, ...its keys }` (no `services`), as
 * validated by src/core/config/providers.ts. Written out here because `EnvironmentConfig` is typed as
 * `{ [key: string]: unknown }` (providerEnvironment's return type loses the union); keep in step.
 */
export interface ProviderSettingsById {
  'cloud-run': { provider: 'cloud-run'; project: string; region: string; public: boolean }
  knative: { provider: 'knative'; context?: string; namespace: string }
  /** `location` (default: the managed environment's, read at deploy time) and `public` (external ingress) are optional. */
  'azure-container-apps': { provider: 'azure-container-apps'; subscription: string; resourceGroup: string; environment: string; location?: string; public?: boolean }
  /** Optional keys: Fargate networking, an ALB target group (request-based scaling), the task execution role. */
  'aws-ecs': {
    provider: 'aws-ecs'
    region: string
    cluster: string
    subnets?: string[]
    securityGroups?: string[]
    assignPublicIp?: boolean
    targetGroupArn?: string
    executionRoleArn?: string
  }
}
export type ProviderSettings<Id extends ProviderId = ProviderId> = ProviderSettingsById[Id]

export interface PlanContext {
  /** Project name (sls-run.yaml `name:`), used for labels. */
  project: string
  /** Environment name (`--env`). */
  environment: string
  /** Service name (the key under `services:`). */
  service: string
}

/** A setting the platform cannot honour as written, and what happens instead. */
export interface PlanWarning {
  /** Stable code, e.g. `KNATIVE_CPU_THROTTLING`. */
  code: string
  /** The sls-run.yaml key concerned, e.g. `cpuThrottling`, `scaling.minInstances`. */
  setting: string
  message: string
}

/** One HTTP request an adapter would send (REST providers). */
export interface PlannedRequest {
  /** What it does, for humans: "create or update the service". */
  purpose: string
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  url: string
  /** Protocol headers the request needs beyond auth (e.g. AWS JSON protocol `X-Amz-Target`). */
  headers?: Record<string, string>
  body?: unknown
}

/** One step of a plan: a Kubernetes manifest applied with server-side apply, or an API request. */
export type PlanStep = { kind: 'manifest'; purpose: string; manifest: Record<string, unknown> } | ({ kind: 'request' } & PlannedRequest)

export interface Plan {
  provider: ProviderId
  environment: string
  service: string
  image: string
  /** Where it goes, in the provider's words: `{ context, namespace }`, `{ project, region }`... */
  target: Record<string, string | null>
  /** In order. */
  steps: PlanStep[]
  warnings: PlanWarning[]
}

export interface Deployment {
  service: string
  url: string | null
  revision: string | null
}

export interface DeployContext {
  env: NodeJS.ProcessEnv
  signal?: AbortSignal
  /** Progress lines (a service has no UI: the command decides how they look). */
  emit?: (event: { type: 'progress'; service: string; message: string }) => void
}

export interface RegistryCredentials {
  registry: string
  username: string
  password: string
}

export interface Provider<Id extends ProviderId = ProviderId> {
  id: Id
  /** Pure: no network, no clock, no randomness. */
  plan(service: ServiceConfig, image: DigestRef, settings: ProviderSettings<Id>, ctx: PlanContext): Promise<Plan>
  /** Apply the plan, wait until ready (bounded) and return the URL. Not implemented yet. */
  deploy(plan: Plan, ctx: DeployContext): Promise<Deployment>
  status?(service: string, settings: ProviderSettings<Id>, ctx: DeployContext): Promise<Deployment | null>
  remove?(service: string, settings: ProviderSettings<Id>, ctx: DeployContext): Promise<void>
  /** Short-lived registry credentials (ECR, Artifact Registry, ACR tokens). */
  registryAuth?(settings: ProviderSettings<Id>, ctx: DeployContext): Promise<RegistryCredentials>
}
