/**
 * `sls-run push` as a service: push each service's image (built by `sls-run build`) to its `image:`
 * repository through the engine, with the credentials sls-run resolves (env, Docker config, credential
 * helpers), reading the stream to its end. Transient failures are retried with capped back-off; an auth
 * failure is not. The digest it returns is what deploy uses. No secret ever reaches an event or error.
 */
import type Dockerode from 'dockerode'
import type { Config } from '../config/index.js'
import { ExitCode, SlsError } from '../../errors.js'
import { engineMessage } from '../../runtime/docker/engine-error.js'
import { gitInfo } from '../image/git.js'
import { refuseStandin } from '../image/standin.js'
import { selectServices, type BuildTarget } from '../image/targets.js'
import { normalizeRegistry, resolveCredentials, type Credentials, type PlatformCredentials } from './credentials.js'
import { PushReader, type LayerEvent } from './push-progress.js'
import { redact } from '../redact.js'

export interface PushResult {
  service: string
  image: string
  tag: string
  digest: string
  pushedLayers: number
  existingLayers: number
  durationMs: number
  /** Where the credentials came from (never the secret), or 'none'. */
  credentials: string
  attempts: number
}

export type PushEvent =
  | { type: 'push'; service: string; image: string; tag: string; credentials: string }
  | ({ service: string } & LayerEvent)
  | { type: 'retry'; service: string; attempt: number; delayMs: number; reason: string }
  | { type: 'pushed'; service: string; result: PushResult }

export interface PushOptions {
  services: string[]
  /** Push this tag instead of the git sha tag that `sls-run build` wrote. */
  tag?: string
  env?: NodeJS.ProcessEnv
  /** Attempts for transient failures (5xx, connection reset/refused, timeouts). */
  attempts?: number
  backoffMs?: number
  /** A deploy provider's registry token (ECR, Artifact Registry, ACR): see resolveCredentials. */
  platformCredentials?: PlatformCredentials
  /** Push an image built FROM an offline stand-in base (else STANDIN_IMAGE). */
  allowStandin?: boolean
}

export async function pushServices(docker: Dockerode, config: Config, options: PushOptions, emit: (e: PushEvent) => void): Promise<PushResult[]> {
  const { targets } = selectServices(config, options.services)
  const results: PushResult[] = []
  for (const target of targets) results.push(await pushTarget(docker, target, options, emit))
  return results
}

async function pushTarget(docker: Dockerode, target: BuildTarget, options: PushOptions, emit: (e: PushEvent) => void): Promise<PushResult> {
  const env = options.env ?? process.env
  const started = performance.now()
  const { image, name } = target
  if (!image.includes('/')) {
    throw new SlsError('PUSH_NO_REGISTRY', `${name}: image "${image}" names no registry or namespace, so it cannot be pushed`, {
      exitCode: ExitCode.usage,
      hints: [`Set services.${name}.image in sls-run.yaml to a repository you can push to, e.g. ghcr.io/acme/${name} or docker.io/acme/${name}.`],
    })
  }
  const tag = options.tag ?? (await gitInfo(target.service.build?.context ?? process.cwd()))?.tag ?? 'latest'
  const ref = `${image}:${tag}`
  const local = await docker
    .getImage(ref)
    .inspect()
    .catch(() => {
      throw new SlsError('IMAGE_NOT_FOUND', `${name}: ${ref} is not on this engine`, {
        exitCode: ExitCode.failure,
        hints: ['Run `sls-run build` first (it tags <image>:<git sha>), or pass --tag with a tag that exists.'],
      })
    })
  if (!options.allowStandin) refuseStandin(local?.Config?.Labels, { service: name, image: ref, action: 'not pushed' })
  const registry = normalizeRegistry(image)
  const credentials = await resolveCredentials(registry, env, options.platformCredentials)
  const source = credentials?.source ?? 'none'
  emit({ type: 'push', service: name, image, tag, credentials: source })
  const attempts = options.attempts ?? 4
  let attempt = 0
  for (;;) {
    attempt++
    const reader = new PushReader((event) => emit({ ...event, service: name }))
    let failure: string | undefined
    try {
      const stream = (await docker.getImage(image).push({ tag, authconfig: authConfig(credentials, registry) })) as unknown as AsyncIterable<Buffer>
      for await (const chunk of stream) reader.write(chunk)
    } catch (error) {
      failure = engineMessage(error)
    }
    const outcome = reader.end()
    // Defence in depth: no secret in a message, whatever the engine or the registry echoed.
    const message = redact(outcome.error ?? failure ?? (outcome.digest ? undefined : 'the engine ended the push without a digest'), credentials)
    if (!message) {
      const result: PushResult = {
        service: name,
        image,
        tag,
        digest: outcome.digest!,
        pushedLayers: outcome.pushed.length,
        existingLayers: outcome.existing.length,
        durationMs: Math.round(performance.now() - started),
        credentials: source,
        attempts: attempt,
      }
      emit({ type: 'pushed', service: name, result })
      return result
    }
    const kind = classify(message)
    if (kind !== 'transient' || attempt >= attempts) throw pushError(kind, name, ref, registry, message, source, attempt)
    const delayMs = Math.min(8000, (options.backoffMs ?? 500) * 2 ** (attempt - 1))
    emit({ type: 'retry', service: name, attempt, delayMs, reason: message })
    await new Promise((resolve) => setTimeout(resolve, delayMs))
  }
}

function authConfig(credentials: Credentials | undefined, registry: string): Dockerode.AuthConfig {
  if (!credentials) return {}
  const serveraddress = registry
  if (credentials.identityToken) return { identitytoken: credentials.identityToken, serveraddress }
  return { username: credentials.username, password: credentials.password ?? '', serveraddress }
}

type Failure = 'auth' | 'denied' | 'unknown-repo' | 'transient' | 'other'

export function classify(message: string): Failure {
  if (/unauthorized|authentication required|no basic auth credentials|incorrect username or password/i.test(message)) return 'auth'
  if (/denied|insufficient_scope|forbidden/i.test(message)) return 'denied'
  if (/name unknown|repository name not known|NAME_UNKNOWN|repository does not exist/i.test(message)) return 'unknown-repo'
  if (
    /connection refused|connection reset|EOF|i\/o timeout|timeout|temporarily unavailable|received unexpected HTTP status: 5\d\d|\b50[0-4]\b|ECONNRESET|ECONNREFUSED|socket hang up|no such host|TLS handshake/i.test(
      message,
    )
  )
    return 'transient'
  return 'other'
}

function pushError(kind: Failure, service: string, ref: string, registry: string, message: string, source: string, attempts: number): SlsError {
  const login = `sls-run login ${registry}`
  switch (kind) {
    case 'auth':
      return new SlsError('REGISTRY_AUTH', `${service}: ${registry} refused the credentials for ${ref}: ${message} (not retried)`, {
        details: { service, registry, credentials: source },
        hints: [
          source === 'none' ? `No credentials were found for ${registry} (env SLS_RUN_REGISTRY_USERNAME/PASSWORD, Docker config, credential helpers).` : `Credentials tried: ${source}.`,
          `Log in with \`${login}\`, or set SLS_RUN_REGISTRY_USERNAME and SLS_RUN_REGISTRY_PASSWORD.`,
        ],
      })
    case 'denied':
      return new SlsError('REGISTRY_DENIED', `${service}: ${registry} denied pushing ${ref}: ${message}`, {
        details: { service, registry, credentials: source },
        hints: ['The account can log in but may not push to this repository: check its permissions (token scopes such as write:packages on ghcr.io).'],
      })
    case 'unknown-repo':
      return new SlsError('REGISTRY_REPO_UNKNOWN', `${service}: ${registry} has no repository for ${ref}: ${message}`, {
        details: { service, registry },
        hints: ['Create the repository first (ECR, Artifact Registry and ACR do not create it on push), or fix services.<name>.image.'],
      })
    case 'transient':
      return new SlsError('REGISTRY_UNAVAILABLE', `${service}: pushing ${ref} failed ${attempts} times: ${message}`, {
        details: { service, registry, attempts },
        hints: [`Check that ${registry} is reachable from the Docker engine, then run \`sls-run push\` again (pushed layers are not sent twice).`],
      })
    default:
      return new SlsError('PUSH_FAILED', `${service}: pushing ${ref} failed: ${message}`, { details: { service, registry } })
  }
}
