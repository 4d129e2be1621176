/**
 * Deploy adapters behind one interface. `plan` is pure: given a service (environment
 * overrides applied), an image pinned by digest and the environment's settings, it returns the exact
 * manifest or API requests it would send, plus warnings for settings the platform cannot honour.
 * `deploy` applies it and waits; `status`, `remove` and `registryAuth` are optional per platform.
 */
import type { ServiceConfig } from '../config/schema.js'
import type { DigestRef } from './image-ref.js'
import type { ProviderId, ProviderSettings, ProviderSettingsById } from './providers/index.js'

export type { ProviderSettings }

/** A plugin provider's settings: what its settingsSchema returned (else `settings:` as written), with `provider` = its id. */
export type PluginSettings = { provider: string; [key: string]: unknown }

/** What a provider's operations get as settings: a built-in's own (./providers/<id>/settings.ts), else a plugin's. */
export interface SettingsById extends ProviderSettingsById {
  [id: string]: PluginSettings
}

export interface PlanContext {
  /** Project name (sls-run.yaml `name:`), used for labels. */
  project: string
  /** Environment name (`--env`). */
  environment: string
  /** Service name (the key under `services:`). */
  service: string
  /**
   * Service keys sls-run.yaml leaves unset (environment overrides merged), e.g. `scaling.maxInstances`:
   * their values in `service` are sls-run's defaults, sized for `sls-run dev`, so an adapter plans its
   * platform's default instead and lists it in `Plan.defaults` (./defaults.ts). Absent: every key counts as set.
   */
  unset?: readonly string[]
}

/** A value sls-run.yaml leaves unset, for which the plan uses the platform's own default. */
export interface PlanDefault {
  /** The sls-run.yaml key, e.g. `scaling.maxInstances`. */
  setting: string
  /** The platform's value in sls-run.yaml's notation (`100`, `300s`, `512Mi`), or, when nothing is sent, what decides it. */
  value: string
  /** Where the platform documents it. */
  source: string
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
  /** A built-in provider id or a plugin provider's id. */
  provider: string
  environment: string
  service: string
  image: string
  /** Where it goes, in the provider's words: `{ context, namespace }`, `{ project, region }`... */
  target: Record<string, string | null>
  /** In order. */
  steps: PlanStep[]
  warnings: PlanWarning[]
  /** The platform defaults the plan uses for what sls-run.yaml leaves unset (built-in providers always list them). */
  defaults?: PlanDefault[]
}

/** What `deploy` returns for one service. */
export interface Deployment {
  service: string
  /** The service's public (or cluster) URL, when the platform gives one. */
  url: string | null
  /** The platform's name for the revision now serving (Cloud Run / Knative revision, ACA revision, ECS task definition). */
  revision: string | null
  /** True when the platform already ran exactly this spec, so no new revision was made. */
  unchanged: boolean
  /** False only with `--no-wait`: the request was accepted and readiness was not awaited. */
  ready: boolean
}

/** What `status` reads back; `null` from `status` means the service does not exist there. */
export interface ServiceStatus {
  service: string
  url: string | null
  revision: string | null
  /** The image (by digest) of the serving revision, when the platform says. */
  image: string | null
  ready: boolean
  /** Why it is not ready, in the platform's words (the failing condition, the stopped reason). */
  reason: string | null
}

export type DeployEvent = { type: 'progress'; service: string; message: string }

export interface DeployContext {
  /** Where credentials, endpoint overrides and kubeconfig paths come from (never a prompt). */
  env: NodeJS.ProcessEnv
  signal?: AbortSignal
  /** Progress lines (a service has no UI: the command decides how they look). */
  emit?: (event: DeployEvent) => void
  /** Wait until the new revision is ready (`--wait`, the default) or return once the platform accepted it. */
  wait: boolean
  /** Upper bound for waiting (`--timeout`), ms. */
  timeoutMs: number
  /** How often to poll while waiting, ms (tests shorten it). */
  pollIntervalMs: number
  /**
   * `status` and `remove`: the service's `deployName` in this environment, when sls-run.yaml sets one (the
   * platform name the plan used; without it, adapters derive the name as their plans do: ./naming.ts).
   */
  deployName?: string
}

export interface RegistryCredentials {
  registry: string
  username: string
  password: string
}

/**
 * A validator in the Standard Schema shape (https://standardschema.dev: zod ≥ 3.24, valibot, arktype…),
 * so a plugin can check its settings with whatever library it uses.
 */
export interface StandardSchema {
  '~standard': {
    version: 1
    vendor: string
    validate(value: unknown): StandardResult | Promise<StandardResult>
  }
}
export type StandardResult = { value: unknown; issues?: undefined } | { issues: ReadonlyArray<{ message: string; path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> }> }

export interface Provider<Id extends string = ProviderId> {
  id: Id
  /** Plugin providers: their settings (`settings:` of a `provider: plugin` environment), checked before plan. */
  settingsSchema?: StandardSchema
  /** Pure: no network, no clock, no randomness. */
  plan(service: ServiceConfig, image: DigestRef, settings: SettingsById[Id], ctx: PlanContext): Promise<Plan>
  /**
   * Apply the plan exactly as planned (the same bodies `--dry-run` prints, with `<deploy-time lookup>`
   * values filled in), wait until ready (bounded by ctx.timeoutMs unless ctx.wait is false) and return
   * the URL. Idempotent: the same digest and settings again make no second revision (`unchanged: true`).
   * Failures are SlsErrors with the codes of ./api.ts.
   */
  deploy(plan: Plan, settings: SettingsById[Id], ctx: DeployContext): Promise<Deployment>
  status?(service: string, settings: SettingsById[Id], ctx: DeployContext): Promise<ServiceStatus | null>
  /** Delete the service; `false` when it did not exist. */
  remove?(service: string, settings: SettingsById[Id], ctx: DeployContext): Promise<boolean>
  /** Short-lived credentials for a registry this provider's platform runs (ECR, Artifact Registry, ACR tokens). */
  registryAuth?(registry: string, settings: SettingsById[Id], ctx: DeployContext): Promise<RegistryCredentials | null>
}
