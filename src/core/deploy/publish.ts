/**
 * Images for the services `--image` leaves out. Each service's image is `<image>:<git short sha>`, the
 * tag `sls-run build` writes. If the engine recorded a digest for that image in its repository
 * (`RepoDigests`: it was pushed), that digest is deployed and nothing is sent again; if it was built but
 * never pushed, it is pushed (with the provider's registry token when the registry is the platform's);
 * if the engine does not have it, it is built first. A dry run only reads what is recorded.
 */
import type Dockerode from 'dockerode'
import type { Config } from '../config/index.js'
import { ExitCode, SlsError } from '../../errors.js'
import { buildTarget, planBuild, type BuildRequest } from '../image/build.js'
import { gitInfo } from '../image/git.js'
import { chooseBuilder } from '../image/request.js'
import { refuseStandin } from '../image/standin.js'
import { imageName } from '../image/targets.js'
import type { PlatformCredentials } from '../registry/credentials.js'
import { pushServices } from '../registry/push.js'
import { parseDigestRef, PUSH_HINT, type DigestRef } from './image-ref.js'
import type { DeployEvent } from './types.js'

export interface PublishOptions {
  env: NodeJS.ProcessEnv
  /** `--dry-run`: use recorded digests only; build nothing, push nothing. */
  readOnly: boolean
  /** The engine's default builder ('2' = BuildKit), from probeEngine. */
  defaultBuilder?: '1' | '2'
  platformCredentials?: PlatformCredentials
  /** `--allow-standin`: deploy an image built FROM an offline stand-in base (else STANDIN_IMAGE). */
  allowStandin?: boolean
  emit: (event: DeployEvent) => void
}

interface ImageInspect {
  RepoDigests?: string[]
  Config?: { Labels?: Record<string, string> | null }
  Os?: string
  Architecture?: string
}

export async function publishImages(docker: Dockerode, config: Config, services: string[], options: PublishOptions): Promise<Map<string, DigestRef>> {
  const out = new Map<string, DigestRef>()
  for (const name of services) {
    const ref = await publishOne(docker, config, name, options)
    if (ref) out.set(name, ref)
  }
  return out
}

async function publishOne(docker: Dockerode, config: Config, name: string, options: PublishOptions): Promise<DigestRef | undefined> {
  const service = config.services[name]!
  const image = imageName(config, name)
  if (!service.build) {
    throw new SlsError('DEPLOY_IMAGE_REQUIRED', `${name} has no build: section, so sls-run cannot build and push it; pass --image ${name}=<repo>@sha256:…`, {
      exitCode: ExitCode.usage,
      hints: [PUSH_HINT],
    })
  }
  const tag = (await gitInfo(service.build.context))?.tag ?? 'latest'
  const emit = (message: string) => options.emit({ type: 'progress', service: name, message })
  let info = await inspect(docker, `${image}:${tag}`)
  if (!info) {
    if (options.readOnly) return undefined
    emit(`building ${image}:${tag} (not on this engine)`)
    await build(docker, config, name, options)
    info = await inspect(docker, `${image}:${tag}`)
    if (!info) throw new SlsError('IMAGE_NOT_FOUND', `${name}: the build finished but ${image}:${tag} is not on the engine`, { exitCode: ExitCode.failure })
  }
  if (!options.allowStandin) refuseStandin(info.Config?.Labels, { service: name, image: `${image}:${tag}`, action: 'not deployed' })
  const platform = info.Os && info.Architecture ? `${info.Os}/${info.Architecture}` : undefined
  const recorded = (info.RepoDigests ?? []).find((d) => d.startsWith(`${image}@`))
  if (recorded) {
    emit(`${image}:${tag} already pushed as ${recorded.slice(image.length + 1)}`)
    return parseDigestRef(recorded, platform)
  }
  if (options.readOnly) return undefined
  emit(`pushing ${image}:${tag}`)
  const [pushed] = await pushServices(docker, config, { services: [name], tag, env: options.env, platformCredentials: options.platformCredentials, allowStandin: options.allowStandin }, (e) => {
    if (e.type === 'retry') emit(`push retry ${e.attempt} in ${e.delayMs} ms: ${e.reason}`)
  })
  emit(`pushed ${image}@${pushed!.digest} (${pushed!.pushedLayers} layers sent, ${pushed!.existingLayers} already there; credentials: ${pushed!.credentials})`)
  return parseDigestRef(`${image}@${pushed!.digest}`, platform)
}

async function inspect(docker: Dockerode, ref: string): Promise<ImageInspect | undefined> {
  try {
    return (await docker.getImage(ref).inspect()) as ImageInspect
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined
    throw error
  }
}

async function build(docker: Dockerode, config: Config, name: string, options: PublishOptions): Promise<void> {
  const request: BuildRequest = {
    services: [name],
    tags: [],
    noCache: false,
    pull: false,
    buildArgs: {},
    builder: chooseBuilder('auto', options.defaultBuilder, options.env.DOCKER_BUILDKIT),
    strict: false,
    caBundle: options.env.SLS_RUN_CA_BUNDLE,
    refuseStandin: !options.allowStandin,
  }
  const plan = await planBuild(config, request)
  for (const target of plan.targets) {
    await buildTarget(docker, target, request, (e) => {
      if (e.type === 'step' && !e.step.internal && e.step.status !== 'running') options.emit({ type: 'progress', service: name, message: `build ${e.step.status} ${e.step.name}` })
    })
  }
}

/**
 * planDeploy's `resolveImages` backed by the local engine. A dry run without an engine resolves
 * nothing (so the services stay DEPLOY_IMAGE_REQUIRED); a real deploy without one is DOCKER_UNAVAILABLE.
 */
export function engineImages(config: Config, options: Omit<PublishOptions, 'defaultBuilder'>): (services: string[]) => Promise<Map<string, DigestRef>> {
  return async (services) => {
    const { connect, probeEngine } = await import('../../runtime/docker/engine.js')
    let defaultBuilder: '1' | '2' | undefined
    try {
      defaultBuilder = (await probeEngine(options.env, 5000)).defaultBuilder
    } catch (error) {
      if (options.readOnly) return new Map()
      throw error
    }
    const { docker } = await connect(options.env, 0)
    return publishImages(docker, config, services, { ...options, defaultBuilder })
  }
}
