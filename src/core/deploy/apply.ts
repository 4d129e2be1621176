/**
 * `sls-run deploy` without --dry-run, and `deploy status` / `deploy remove`: hand each plan to its
 * provider, one service after another (a failure stops the rest and says which ones already went out).
 */
import { ExitCode, SlsError, isSlsError } from '../../errors.js'
import type { PlatformCredentials } from '../registry/credentials.js'
import type { DeployTarget } from './plan.js'
import { checkSettings, loadProvider } from './registry.js'
import type { DeployContext, Plan, Provider, ProviderSettings, ServiceStatus } from './types.js'

/** One line of `deploy --json`'s result. */
export interface DeployResult {
  service: string
  env: string
  provider: string
  url: string | null
  revision: string | null
  /** `sha256:…` deployed. */
  digest: string
  /** `repo@sha256:…` deployed. */
  image: string
  unchanged: boolean
  ready: boolean
}

export async function applyPlans(plans: Plan[], settings: ProviderSettings, ctx: DeployContext): Promise<DeployResult[]> {
  const results: DeployResult[] = []
  for (const plan of plans) {
    const provider = await loadProvider(plan.provider)
    const checked = await checkSettings(provider, settings, plan.environment)
    try {
      const done = await provider.deploy(plan, checked as never, ctx)
      results.push({ service: plan.service, env: plan.environment, provider: plan.provider, url: done.url, revision: done.revision, digest: plan.image.slice(plan.image.indexOf('@') + 1), image: plan.image, unchanged: done.unchanged, ready: done.ready })
    } catch (error) {
      throw results.length && isSlsError(error) ? withDone(error, results) : error
    }
  }
  return results
}

function withDone(error: SlsError, done: DeployResult[]): SlsError {
  const note = `Already deployed in this run: ${done.map((r) => `${r.service} (${r.revision ?? 'no revision'})`).join(', ')}.`
  return new SlsError(error.code, error.message, { exitCode: error.exitCode, hints: [...error.hints, note], cause: error.cause, details: { ...(error.details as object | undefined), deployed: done } })
}

export interface StatusResult extends ServiceStatus {
  env: string
  provider: string
  /** False when the service is not deployed in this environment. */
  exists: boolean
}

export async function statusOf(target: DeployTarget, ctx: DeployContext): Promise<StatusResult[]> {
  const { provider, settings } = await withOperation(target, 'status')
  const out: StatusResult[] = []
  for (const service of target.names) {
    const status = await provider.status!(service, settings as never, ctx)
    const base = { env: target.environment, provider: provider.id }
    out.push(status ? { ...status, ...base, exists: true } : { service, url: null, revision: null, image: null, ready: false, reason: 'not deployed', ...base, exists: false })
  }
  return out
}

export async function removeServices(target: DeployTarget, ctx: DeployContext): Promise<Array<{ service: string; env: string; provider: string; removed: boolean }>> {
  const { provider, settings } = await withOperation(target, 'remove')
  const out = []
  for (const service of target.names) {
    ctx.emit?.({ type: 'progress', service, message: 'removing' })
    out.push({ service, env: target.environment, provider: provider.id, removed: await provider.remove!(service, settings as never, ctx) })
  }
  return out
}

async function withOperation(target: DeployTarget, op: 'status' | 'remove'): Promise<{ provider: Provider; settings: ProviderSettings }> {
  const provider = (await loadProvider(target.settings.provider)) as Provider
  if (!provider[op]) {
    throw new SlsError('DEPLOY_UNSUPPORTED', `provider ${provider.id} has no ${op} operation`, { exitCode: ExitCode.failure, hints: ["Use the platform's own tool for this."] })
  }
  return { provider, settings: await checkSettings(provider, target.settings, target.environment) }
}

/**
 * The registry token of an environment's provider as a step of the push credential chain (see
 * resolveCredentials): used by `deploy` and by `push --env`. Undefined when the provider has none.
 */
export async function registryTokens(target: DeployTarget, ctx: DeployContext): Promise<PlatformCredentials | undefined> {
  const provider = (await loadProvider(target.settings.provider)) as Provider
  if (!provider.registryAuth) return undefined
  const settings = await checkSettings(provider, target.settings, target.environment)
  return async (registry) => {
    const creds = await provider.registryAuth!(registry, settings as never, ctx)
    return creds ? { username: creds.username, password: creds.password, source: `${provider.id} registry token` } : undefined
  }
}
