/**
 * `sls-run deploy` without --dry-run, and `deploy status` / `deploy remove`: hand each plan to its
 * provider, one service after another (a failure stops the rest and says which ones already went out).
 */
import { ExitCode, SlsError, isSlsError } from '../../errors.js'
import type { PlatformCredentials } from '../registry/credentials.js'
import type { DeployTarget } from './plan.js'
import type { BoundProvider } from './registry.js'
import type { DeployContext, Plan, ServiceStatus } from './types.js'

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

/** The target's plans (planDeploy), one after another. */
export async function applyPlans(plans: Plan[], target: DeployTarget, ctx: DeployContext): Promise<DeployResult[]> {
  const results: DeployResult[] = []
  for (const plan of plans) {
    try {
      const done = await target.provider.deploy(plan, ctx)
      results.push({
        service: plan.service,
        env: plan.environment,
        provider: plan.provider,
        url: done.url,
        revision: done.revision,
        digest: plan.image.slice(plan.image.indexOf('@') + 1),
        image: plan.image,
        unchanged: done.unchanged,
        ready: done.ready,
      })
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
  const { provider } = target
  const status = operation(provider, 'status')
  const out: StatusResult[] = []
  for (const service of target.names) {
    const found = await status(service, serviceContext(target, service, ctx))
    const base = { env: target.environment, provider: provider.id }
    out.push(found ? { ...found, ...base, exists: true } : { service, url: null, revision: null, image: null, ready: false, reason: 'not deployed', ...base, exists: false })
  }
  return out
}

export async function removeServices(target: DeployTarget, ctx: DeployContext): Promise<Array<{ service: string; env: string; provider: string; removed: boolean }>> {
  const { provider } = target
  const remove = operation(provider, 'remove')
  const out = []
  for (const service of target.names) {
    ctx.emit?.({ type: 'progress', service, message: 'removing' })
    out.push({ service, env: target.environment, provider: provider.id, removed: await remove(service, serviceContext(target, service, ctx)) })
  }
  return out
}

/** The context of one service's status or remove: its deployName in this environment, if any. */
function serviceContext(target: DeployTarget, service: string, ctx: DeployContext): DeployContext {
  const deployName = target.services[service]?.deployName
  return deployName === undefined ? ctx : { ...ctx, deployName }
}

function operation<Op extends 'status' | 'remove'>(provider: BoundProvider, op: Op): NonNullable<BoundProvider[Op]> {
  const run = provider[op]
  if (!run) throw new SlsError('DEPLOY_UNSUPPORTED', `provider ${provider.id} has no ${op} operation`, { exitCode: ExitCode.failure, hints: ["Use the platform's own tool for this."] })
  return run
}

/**
 * The registry token of an environment's provider as a step of the push credential chain (see
 * resolveCredentials): used by `deploy` and by `push --env`. Undefined when the provider has none.
 */
export function registryTokens(target: DeployTarget, ctx: DeployContext): PlatformCredentials | undefined {
  const { id, registryAuth } = target.provider
  if (!registryAuth) return undefined
  return async (registry) => {
    const creds = await registryAuth(registry, ctx)
    return creds ? { username: creds.username, password: creds.password, source: `${id} registry token` } : undefined
  }
}
