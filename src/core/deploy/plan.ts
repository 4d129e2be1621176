/**
 * `sls-run deploy --dry-run`: which services, which image for each, which provider; then each
 * provider's pure plan. No network, no engine.
 */
import { ExitCode, SlsError } from '../../errors.js'
import type { LoadedConfig } from '../config/load.js'
import { closest } from '../config/suggest.js'
import { parseDigestRef, PUSH_HINT, type DigestRef } from './image-ref.js'
import { loadProvider } from './registry.js'
import type { Plan, ProviderSettings } from './types.js'

export interface DeployPlanRequest {
  environment: string
  /** Service names; empty: every service. */
  services: string[]
  /** `--image`: `repo@sha256:…` or `service=repo@sha256:…`, repeatable. */
  images: string[]
  /** The images' platform when known (e.g. linux/amd64). */
  platform?: string
}

export async function planDeploy(loaded: LoadedConfig, request: DeployPlanRequest): Promise<Plan[]> {
  const resolved = loaded.environment(request.environment) // CONFIG_UNKNOWN_ENV
  const { services: _overrides, ...rest } = loaded.config.environments[request.environment]!
  const settings = rest as unknown as ProviderSettings
  const names = selectServices(Object.keys(resolved.config.services), request.services)
  const images = assignImages(names, resolved.config.services, request.images, request.platform)
  const provider = await loadProvider(settings.provider)
  const plans: Plan[] = []
  for (const name of names) {
    const service = resolved.config.services[name]!
    const image = images.get(name)!
    const plan = await provider.plan(service, image, settings as never, { project: resolved.config.name, environment: request.environment, service: name })
    if (service.image && service.image !== image.repository) {
      plan.warnings.unshift({ code: 'DEPLOY_IMAGE_REPOSITORY', setting: 'image', message: `--image is from ${image.repository}, not this service's image: ${service.image}` })
    }
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
        throw new SlsError('UNKNOWN_SERVICE', `--image ${flag} names service "${name}", which is not in sls-run.yaml`, { exitCode: ExitCode.usage, hints: [`Services: ${Object.keys(services).join(', ')}.`] })
      }
      named.set(name, parseDigestRef(flag.slice(eq + 1), platform))
    } else bare.push(parseDigestRef(flag, platform))
  }
  const out = new Map<string, DigestRef>()
  const missing: string[] = []
  for (const name of names) {
    const image = named.get(name) ?? bare.find((b) => b.repository === services[name]!.image) ?? (names.length === 1 && bare.length === 1 ? bare[0] : undefined)
    if (image) out.set(name, image)
    else missing.push(name)
  }
  if (missing.length) {
    throw new SlsError('DEPLOY_IMAGE_REQUIRED', `no image digest for ${missing.join(', ')}: pass --image <repo>@sha256:…${names.length > 1 ? ' (or <service>=<repo>@sha256:… per service)' : ''}`, {
      exitCode: ExitCode.usage,
      hints: [PUSH_HINT, 'Reading the digest from the local engine is not supported yet.'],
    })
  }
  return out
}
