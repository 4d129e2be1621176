/**
 * Which services, which image for each, which provider; then each provider's pure plan. No network
 * and no engine here: images the flags leave out come from `resolveImages` (./publish.ts).
 */
import { ExitCode, SlsError } from '../../errors.js'
import type { LoadedConfig } from '../config/load.js'
import type { ServiceConfig } from '../config/schema.js'
import { closest } from '../config/suggest.js'
import { unsetKeys } from './defaults.js'
import { parseDigestRef, PUSH_HINT, type DigestRef } from './image-ref.js'
import { checkLocalImages } from './local-image.js'
import { bindProvider, type BoundProvider } from './registry.js'
import type { Plan, PlanWarning } from './types.js'

export interface DeployPlanRequest {
  environment: string
  /** Service names; empty: every service. */
  services: string[]
  /** The target the command resolved already (deployTarget); else planDeploy resolves it from `environment` and `services`. */
  target?: DeployTarget
  /** `--image`: `repo@sha256:…` or `service=repo@sha256:…`, repeatable. */
  images: string[]
  /** The images' platform when known (e.g. linux/amd64). */
  platform?: string
  /**
   * Digests for the services `--image` left out (the local engine's record of a push, or a build and
   * push: ./publish.ts). Without it such services are DEPLOY_IMAGE_REQUIRED.
   */
  resolveImages?: (services: string[]) => Promise<Map<string, DigestRef>>
  /**
   * An image in a registry only this machine can reach (./local-image.ts) becomes a warning on its plan
   * instead of DEPLOY_IMAGE_LOCAL: `--dry-run`, `--allow-local-image`.
   */
  allowLocalImages?: boolean
}

/** The environment of a deploy: its provider (with its settings) and the services it covers, overrides applied. */
export interface DeployTarget {
  environment: string
  project: string
  provider: BoundProvider
  services: Record<string, ServiceConfig>
  /** The services asked for (default: every service), in order. */
  names: string[]
}

/**
 * Resolved once per command: the environment (CONFIG_UNKNOWN_ENV), the services (UNKNOWN_SERVICE), then
 * the provider and its settings (a typo there must not cost a build and a push).
 */
export async function deployTarget(loaded: LoadedConfig, environment: string, services: string[]): Promise<DeployTarget> {
  const resolved = loaded.environment(environment)
  const names = selectServices(Object.keys(resolved.config.services), services)
  const provider = await bindProvider(environment, loaded.config.environments[environment]!)
  return { environment, project: resolved.config.name, provider, services: resolved.config.services, names }
}

export async function planDeploy(loaded: LoadedConfig, request: DeployPlanRequest): Promise<Plan[]> {
  const target = request.target ?? (await deployTarget(loaded, request.environment, request.services))
  const { names } = target
  const images = assignImages(names, target.services, request.images, request.platform)
  const missing = names.filter((n) => !images.has(n))
  // Before anything is built or pushed: the repository each service will deploy from (--image, else image:).
  const allowLocal = request.allowLocalImages ?? false
  const planned = names.flatMap((n): Array<[string, string]> => {
    const repository = images.get(n)?.repository ?? target.services[n]!.image
    return repository ? [[n, repository]] : []
  })
  const local = checkLocalImages(new Map(planned), allowLocal)
  if (missing.length && request.resolveImages) for (const [name, ref] of await request.resolveImages(missing)) images.set(name, ref)
  requireImages(names, images, local)
  for (const [name, warning] of checkLocalImages(new Map(names.map((n) => [n, images.get(n)!.repository])), allowLocal)) local.set(name, warning)
  const plans: Plan[] = []
  for (const name of names) {
    const service = target.services[name]!
    const image = images.get(name)!
    const ctx = { project: target.project, environment: target.environment, service: name, unset: unsetKeys(loaded.document, target.environment, name) }
    const plan = await target.provider.plan(service, image, ctx)
    if (service.image && service.image !== image.repository) {
      plan.warnings.unshift({ code: 'DEPLOY_IMAGE_REPOSITORY', setting: 'image', message: `--image is from ${image.repository}, not this service's image: ${service.image}` })
    }
    const localWarning = local.get(name)
    if (localWarning) plan.warnings.unshift(localWarning)
    plans.push(plan)
  }
  return plans
}

function selectServices(known: string[], names: string[]): string[] {
  const unknown = names.filter((n) => !known.includes(n))
  if (unknown.length) {
    const suggestion = closest(unknown[0]!, known)
    throw new SlsError('UNKNOWN_SERVICE', `no service ${unknown.map((n) => `"${n}"`).join(', ')} in sls-run.yaml${suggestion ? `; did you mean "${suggestion}"?` : ''}`, {
      exitCode: ExitCode.usage,
      hints: [`Services: ${known.join(', ')}.`],
    })
  }
  return names.length ? [...new Set(names)] : known
}

/**
 * `service=ref` applies to that service; a bare ref applies to the service whose `image:` is its
 * repository, or to the only service deployed.
 */
function assignImages(names: string[], services: Record<string, { image?: string }>, flags: string[], platform?: string): Map<string, DigestRef> {
  const named = new Map<string, DigestRef>()
  const bare: DigestRef[] = []
  for (const flag of flags) {
    const eq = flag.indexOf('=')
    if (eq > 0 && !flag.slice(0, eq).includes('/') && !flag.slice(0, eq).includes('@')) {
      const name = flag.slice(0, eq)
      if (!(name in services)) {
        throw new SlsError('UNKNOWN_SERVICE', `--image ${flag} names service "${name}", which is not in sls-run.yaml`, {
          exitCode: ExitCode.usage,
          hints: [`Services: ${Object.keys(services).join(', ')}.`],
        })
      }
      named.set(name, parseDigestRef(flag.slice(eq + 1), platform))
    } else bare.push(parseDigestRef(flag, platform))
  }
  const out = new Map<string, DigestRef>()
  for (const name of names) {
    const image = named.get(name) ?? bare.find((b) => b.repository === services[name]!.image) ?? (names.length === 1 && bare.length === 1 ? bare[0] : undefined)
    if (image) out.set(name, image)
  }
  return out
}

/** `local`: the DEPLOY_IMAGE_LOCAL warnings so far (a dry run), repeated as hints for the services still without a digest. */
function requireImages(names: string[], images: Map<string, DigestRef>, local: Map<string, PlanWarning>): void {
  const missing = names.filter((n) => !images.has(n))
  if (missing.length) {
    const localHints = missing.flatMap((n) => (local.has(n) ? [`${n}: ${local.get(n)!.message} [DEPLOY_IMAGE_LOCAL]`] : []))
    throw new SlsError('DEPLOY_IMAGE_REQUIRED', `no image digest for ${missing.join(', ')}: pass --image <repo>@sha256:…${names.length > 1 ? ' (or <service>=<repo>@sha256:… per service)' : ''}`, {
      exitCode: ExitCode.usage,
      hints: [PUSH_HINT, 'Without --dry-run, deploy builds and pushes the images it has no digest for (it needs a Docker engine for that).', ...localHints],
    })
  }
}
