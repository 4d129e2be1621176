/**
 * Which runtime runs each service of a `sls-run dev` session. `--runtime` (when not auto) wins over
 * `dev.runtime`. `docker` needs an engine (DOCKER_UNAVAILABLE, exit 3) and the image
 * (IMAGE_NOT_FOUND, exit 3). `auto` runs the service's image in a container when an engine answers
 * and the image is there; otherwise the process runtime (`dev.command`), and it says why. A service
 * with an image but no `dev.command` can only run in a container, so `auto` then behaves like `docker`;
 * with neither, the emulator says DEV_COMMAND_MISSING.
 */
import type Dockerode from 'dockerode'
import type { Config } from '../config/index.js'
import { devImage } from '../image/targets.js'
import type { Builder } from '../image/build.js'
import { chooseBuilder } from '../image/request.js'
import { SlsError } from '../../errors.js'
import { DockerRuntime } from '../../runtime/docker/docker-runtime.js'
import { connect, probeEngine } from '../../runtime/docker/engine.js'
import { engineMessage } from '../../runtime/docker/engine-error.js'
import type { Session } from '../../runtime/docker/labels.js'
import { sweepOrphans, type ManagedContainer } from '../../runtime/docker/sweep.js'
import { ProcessRuntime } from '../../runtime/process/process-runtime.js'
import { SessionRecorder, sessionsDir } from '../../runtime/process/records.js'
import { sweepProcessOrphans, type ManagedGroup } from '../../runtime/process/sweep.js'
import type { Runtime } from '../../runtime/types.js'

export type RuntimeKind = 'auto' | 'docker' | 'process'

export interface RuntimeDecision {
  service: string
  runtime: 'docker' | 'process'
  reason: string
}

export interface ChosenRuntimes {
  runtimeFor(service: string): Runtime
  decisions: RuntimeDecision[]
  /** Containers of ended sessions removed before this one started (layer 3). */
  removed: ManagedContainer[]
  /** Process groups of ended sessions killed before this one started (layer 3, process/sweep.ts). */
  removedGroups: ManagedGroup[]
  docker?: Dockerode
  /** The builder rebuilds use (the engine's default, or DOCKER_BUILDKIT). */
  builder?: Builder
}

/** `onRecordError`: the session's process groups cannot be recorded (process/records.ts); called once. */
/**
 * `prepareImage`: called for each service that must run in a container, before its image is required
 * (`sls-run dev` builds a missing or stale image there).
 */
export async function chooseRuntimes(
  config: Config,
  names: string[],
  flag: RuntimeKind,
  session: Session,
  env: NodeJS.ProcessEnv = process.env,
  onRecordError?: (error: Error) => void,
  prepareImage?: (docker: Dockerode, service: string, builder: Builder) => Promise<void>,
): Promise<ChosenRuntimes> {
  const wanted = names.map((name) => {
    const service = config.services[name]!
    const kind: RuntimeKind = flag !== 'auto' ? flag : service.dev.runtime
    const hasImage = Boolean(service.build || service.image)
    return { name, kind: kind === 'auto' && !service.dev.command && hasImage ? ('docker-only' as const) : kind, hasImage }
  })
  const records = sessionsDir(env)
  const processes = new ProcessRuntime(new SessionRecorder(session, records, onRecordError))
  const decisions: RuntimeDecision[] = []
  const needsEngine = wanted.some((w) => w.kind === 'docker' || w.kind === 'docker-only')
  const mayUseEngine = needsEngine || wanted.some((w) => w.kind === 'auto' && w.hasImage)
  let engineError: SlsError | undefined
  let docker: Dockerode | undefined
  let builder: Builder | undefined
  if (mayUseEngine) {
    try {
      const info = await probeEngine(env, 3000)
      builder = chooseBuilder('auto', info.defaultBuilder, env.DOCKER_BUILDKIT)
      docker = (await connect(env, 0)).docker
    } catch (error) {
      engineError = error as SlsError
    }
  }
  if (needsEngine && engineError) {
    const who = wanted.filter((w) => w.kind !== 'auto' && w.kind !== 'process').map((w) => w.name)
    throw new SlsError(engineError.code, `${engineError.message}; ${who.join(', ')} run${who.length === 1 ? 's' : ''} in containers`, {
      exitCode: engineError.exitCode,
      hints: engineError.hints,
      cause: engineError,
    })
  }
  const [removed, removedGroups] = await Promise.all([docker ? sweepOrphans(docker) : [], sweepProcessOrphans(records)])
  const dockerRuntime = docker ? await DockerRuntime.create(docker, session) : undefined
  const chosen = new Map<string, Runtime>()
  for (const w of wanted) {
    const image = devImage(config, w.name)
    if (w.kind === 'process' || (w.kind === 'auto' && !w.hasImage)) {
      chosen.set(w.name, processes)
      decisions.push({ service: w.name, runtime: 'process', reason: w.kind === 'process' ? 'asked for' : 'no build: or image: to run in a container' })
    } else if (w.kind === 'auto' && !dockerRuntime) {
      chosen.set(w.name, processes)
      decisions.push({ service: w.name, runtime: 'process', reason: `${engineMessage(engineError)}; using dev.command` })
    } else if (w.kind === 'auto' && !(await dockerRuntime!.hasImage(image))) {
      chosen.set(w.name, processes)
      decisions.push({ service: w.name, runtime: 'process', reason: `${image} is not built yet (run \`sls-run build ${w.name}\` to run it in a container); using dev.command` })
    } else {
      await prepareImage?.(docker!, w.name, builder!)
      await dockerRuntime!.ensureImage(image, w.name)
      chosen.set(w.name, dockerRuntime!)
      decisions.push({ service: w.name, runtime: 'docker', reason: `${image}${w.kind === 'auto' ? ' (an engine answers and the image is built)' : ''}` })
    }
  }
  return { runtimeFor: (service) => chosen.get(service) ?? processes, decisions, removed, removedGroups, ...(docker ? { docker, builder } : {}) }
}
