/**
 * Images only this machine can pull. A platform pulls from its own network: a registry on loopback
 * (127.0.0.0/8, ::1), link-local (169.254.0.0/16, fe80::/10), the unspecified address, `localhost` /
 * `*.localhost`, or the names Docker Desktop and Podman give the host (`host.docker.internal`,
 * `host.containers.internal`) is this machine's to them, so a deploy of such an image cannot start.
 * The registry is read as Docker reads a reference: the first path part is a registry only when a `/`
 * follows it and it has a `.` or a `:` or is `localhost`; anything else (`myapp`, `acme/api`) is
 * Docker Hub, which every platform can reach. Names are not resolved (a DNS name pointing at 127.0.0.1
 * passes), and private networks (10/8, 192.168/16…) pass: a platform inside them can reach them.
 */
import { isIPv4, isIPv6 } from 'node:net'
import { ExitCode, SlsError } from '../../errors.js'
import type { PlanWarning } from './types.js'

const LOCAL_NAMES = new Set(['localhost', 'host.docker.internal', 'host.containers.internal'])

/** The registry part of an image repository (`host[:port]`), or undefined for Docker Hub. */
export function registryOf(repository: string): string | undefined {
  const slash = repository.indexOf('/')
  if (slash === -1) return undefined
  const first = repository.slice(0, slash)
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : undefined
}

function isLocalIPv4(ip: string): boolean {
  const [a, b] = ip.split('.').map(Number) as [number, number]
  return a === 127 || (a === 169 && b === 254) || ip === '0.0.0.0'
}

function isLocalIPv6(ip: string): boolean {
  const lower = ip.toLowerCase()
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)
  if (mapped) return isLocalIPv4(mapped[1]!)
  if (lower === '::1' || lower === '::') return true
  // fe80::/10: the first 16 bits are fe80 to febf.
  return /^fe[89ab][0-9a-f]:/.test(lower)
}

/** The registry of `repository` when only this machine can reach it (the rule above), else undefined. */
export function localRegistry(repository: string): string | undefined {
  const registry = registryOf(repository)
  if (!registry) return undefined
  const host = registry.startsWith('[') ? registry.slice(1, registry.indexOf(']')) : registry.replace(/:\d+$/, '')
  const lower = host.toLowerCase()
  const local = LOCAL_NAMES.has(lower) || lower.endsWith('.localhost') || (isIPv4(host) && isLocalIPv4(host)) || (isIPv6(host) && isLocalIPv6(host))
  return local ? registry : undefined
}

const PUSH_ELSEWHERE =
  'Push the image to a registry the platform can reach (ghcr.io, Docker Hub, Artifact Registry, ECR, ACR…): set image: to that repository and run `sls-run push`, or pass --image <registry>/<repo>@sha256:….'
const ALLOW_HINT = "A cluster whose nodes mirror this registry (kind's localhost:5001, minikube's registry addon): --allow-local-image."

const describe = (repository: string, registry: string) => `image ${repository} is in ${registry}, a registry only this machine can reach; the platform cannot pull it`

/**
 * Checks the repository each service deploys from: DEPLOY_IMAGE_LOCAL (exit 2, every offender named)
 * unless `allow`, then a warning per service to put on its plan.
 */
export function checkLocalImages(repositories: Map<string, string>, allow: boolean): Map<string, PlanWarning> {
  const found = new Map<string, PlanWarning>()
  for (const [service, repository] of repositories) {
    const registry = localRegistry(repository)
    if (registry) found.set(service, { code: 'DEPLOY_IMAGE_LOCAL', setting: 'image', message: describe(repository, registry) })
  }
  if (found.size && !allow) {
    const message = [...found].map(([service, w]) => `${service}: ${w.message}`).join('; ')
    throw new SlsError('DEPLOY_IMAGE_LOCAL', message, { exitCode: ExitCode.usage, hints: [PUSH_ELSEWHERE, ALLOW_HINT] })
  }
  return found
}
