/**
 * `sls-run build` as a service: for each service with a `build:` section, stream its context to the
 * engine, follow the build to its end, tag only a finished image (no half-tagged image ever), and
 * report its size against the base and the budget. Events go to `emit`; the UI decides how they look.
 */
import { readFile } from 'node:fs/promises'
import type Dockerode from 'dockerode'
import type { Config } from '../config/index.js'
import { formatBytes } from '../config/index.js'
import { ExitCode, SlsError } from '../../errors.js'
import { engineMessage } from '../../runtime/docker/engine-error.js'
import { buildFailure, externalBases, failedBase, isPullError, type FailedBase } from './build-errors.js'
import { CA_ARG, readCaBundle, type CaBundle } from './ca.js'
import { createContext, LARGE_CONTEXT_BYTES, type ContextStats } from './context.js'
import { parseDockerfile, stageChain, targetStage, type Dockerfile, type Stage } from './dockerfile.js'
import { gitInfo, type GitInfo } from './git.js'
import { ProgressReader, type BuildOutcome, type Step } from './progress.js'
import { sizeReport, type SizeReport } from './size-report.js'
import { detectStandin, standinError, standinNotice, type Standin } from './standin.js'
import { selectServices, type BuildTarget } from './targets.js'

export type { BuildTarget } from './targets.js'

export type Builder = 'buildkit' | 'classic'

export interface BuildRequest {
  services: string[]
  /** Extra tags: `v1.2` (on the service's image) or a full `repo:tag`. */
  tags: string[]
  noCache: boolean
  pull: boolean
  platform?: string
  buildArgs: Record<string, string>
  builder: Builder
  strict: boolean
  /** A PEM bundle made available to build stages as the build argument SLS_RUN_CA_PEM (docs/build.md). */
  caBundle?: string
  /**
   * No image labels: the dev loop's rebuilds, which run by image id. The classic builder turns each label
   * into a LABEL step of its own after the Dockerfile's, rebuilt (a container commit, ~55 ms each) on every
   * source change: 4–6 of them were a third of a save → serving on the docker runtime (bench/devloop.ts).
   */
  noLabels?: boolean
  /**
   * Refuse an image built FROM an offline stand-in (STANDIN_IMAGE, not tagged): `sls-run build` and deploy
   * without --allow-standin. Off, such a build succeeds with a warning and `standin` in its result (dev).
   */
  refuseStandin?: boolean
}

export interface BuildResult {
  service: string
  image: string
  tags: string[]
  id: string
  size: number
  layers: number
  durationMs: number
  /** Every Dockerfile step came from the cache. */
  cached: boolean
  builder: Builder
  report: SizeReport
  context: Omit<ContextStats, 'dockerfile'>
  budget?: { limit: number; exceeded: boolean }
  /** Built FROM an offline stand-in (allowed: --allow-standin, or dev). */
  standin?: Standin
}

export type BuildEvent =
  | { type: 'service'; service: string; image: string; builder: Builder }
  | { type: 'skipped'; service: string; reason: string }
  | { type: 'context'; service: string; files: number; bytes: number; durationMs: number }
  | { type: 'step'; service: string; step: Step }
  | { type: 'output'; service: string; stepId: string; line: string }
  | { type: 'warning'; service?: string; message: string }
  | { type: 'built'; service: string; result: BuildResult }

/** A target whose Dockerfile has been read and whose build.target exists. */
export interface PlannedTarget extends BuildTarget {
  dockerfileText: string
  dockerfile: Dockerfile
  stage: Stage
  buildArgs: Record<string, string>
}

export interface BuildPlan {
  targets: PlannedTarget[]
  skipped: string[]
  warnings: string[]
  ca?: CaBundle
}

/** Everything that can be checked before the engine is called: services, Dockerfiles and targets, platform, CA bundle. */
export async function planBuild(config: Config, request: BuildRequest): Promise<BuildPlan> {
  const selected = selectServices(config, request.services)
  const skipped = selected.skipped
  const warnings: string[] = []
  const cloudRun = Object.entries(config.environments)
    .filter(([, e]) => e.provider === 'cloud-run')
    .map(([n]) => n)
  if (request.platform && request.platform !== 'linux/amd64' && cloudRun.length) {
    warnings.push(`Cloud Run runs linux/amd64 images only; environment ${cloudRun.join(', ')} deploys to Cloud Run, so a ${request.platform} image will not start there`)
  }
  const ca = request.caBundle ? await readCaBundle(request.caBundle) : undefined
  if (ca && !ca.extra) warnings.push(`every certificate in ${ca.file} is a public root already; --ca-bundle adds nothing`)
  const targets: PlannedTarget[] = []
  for (const target of selected.targets) targets.push(await planTarget(target, request, ca))
  return { targets, skipped, warnings, ca }
}

async function planTarget(target: BuildTarget, request: BuildRequest, ca: CaBundle | undefined): Promise<PlannedTarget> {
  const build = target.service.build!
  const dockerfileText = await readDockerfile(target.name, build.dockerfile)
  const buildArgs = { ...stringArgs(build.args), ...request.buildArgs, ...(ca?.extra ? { [CA_ARG]: ca.pem } : {}) }
  const dockerfile = parseDockerfile(dockerfileText, buildArgs)
  const stage = targetStage(dockerfile, build.target)
  if (!stage) {
    const names = dockerfile.stages.map((s) => s.name).filter(Boolean)
    throw new SlsError('BUILD_TARGET_UNKNOWN', `${target.name}: build.target "${build.target}" is not a stage of ${build.dockerfile}`, {
      exitCode: ExitCode.usage,
      hints: [names.length ? `Stages: ${names.join(', ')}.` : 'The Dockerfile has no named stages (FROM image AS name).'],
    })
  }
  return { ...target, dockerfileText, dockerfile, stage, buildArgs }
}

/** Plans and builds every selected service in turn (the order of sls-run.yaml). */
export async function buildServices(docker: Dockerode, config: Config, request: BuildRequest, emit: (e: BuildEvent) => void): Promise<BuildResult[]> {
  const plan = await planBuild(config, request)
  for (const s of plan.skipped) emit({ type: 'skipped', service: s, reason: SKIPPED })
  for (const message of plan.warnings) emit({ type: 'warning', message })
  const results: BuildResult[] = []
  for (const target of plan.targets) results.push(await buildTarget(docker, target, request, emit))
  return results
}

export const SKIPPED = 'no build: section (it runs a pre-built image or the process runtime)'

export async function buildTarget(docker: Dockerode, target: PlannedTarget, request: BuildRequest, emit: (e: BuildEvent) => void): Promise<BuildResult> {
  const { name, service, image, dockerfile, stage, buildArgs } = target
  const build = service.build!
  const started = performance.now()
  emit({ type: 'service', service: name, image, builder: request.builder })
  const git = await gitInfo(build.context)
  if (!git) emit({ type: 'warning', service: name, message: `${build.context} is not in a git work tree: no <sha> tag and no revision label` })
  const tags = imageTags(image, git, request.tags)
  const context = await createContext({ root: build.context, dockerfile: build.dockerfile })
  const imageLabels = request.noLabels ? {} : labels(name, image, git)
  // The classic builder turns the labels parameter into one LABEL step per label: ours, not the Dockerfile's.
  const ours = new Set(Object.entries(imageLabels).map(([k, v]) => `LABEL ${k}=${v}`))
  const reader = new ProgressReader(
    (event) => emit({ ...event, service: name }),
    (stepName) => ours.has(stepName),
  )
  let engineError: unknown
  const abort = new AbortController()
  context.done.catch(() => abort.abort()) // an unreadable context ends the request instead of stalling it
  try {
    const stream = await docker.buildImage(
      context.stream as unknown as NodeJS.ReadableStream,
      {
        dockerfile: context.dockerfile,
        labels: imageLabels,
        buildargs: buildArgs,
        ...(build.target ? { target: build.target } : {}),
        ...(request.platform ? { platform: request.platform } : {}),
        nocache: request.noCache,
        pull: request.pull,
        rm: true,
        forcerm: true,
        version: request.builder === 'buildkit' ? '2' : '1',
        abortSignal: abort.signal,
      } as Dockerode.ImageBuildOptions,
    )
    for await (const chunk of stream as AsyncIterable<Buffer>) reader.write(chunk)
  } catch (error) {
    engineError = error
  }
  const outcome = reader.end()
  const stats = await context.done // a context that could not be read is the real reason, so it wins
  emit({ type: 'context', service: name, files: stats.files, bytes: stats.bytes, durationMs: stats.durationMs })
  if (stats.bytes > LARGE_CONTEXT_BYTES) emit({ type: 'warning', service: name, message: largeContext(stats) })
  if (engineError && !outcome.error) outcome.error = engineMessage(engineError)
  if (outcome.error || !outcome.imageId) throw buildFailure(name, { path: build.dockerfile, text: target.dockerfileText }, outcome, await unavailableBase(docker, target, outcome, request.pull))
  const standin = await detectStandin(docker, outcome.imageId)
  if (standin && request.refuseStandin) throw standinError(standin, { service: name, image: `the new ${image} image`, action: 'not tagged' })
  if (standin) emit({ type: 'warning', service: name, message: standinNotice(name, image, standin) })

  const report = await sizeReport(docker, outcome.imageId, dockerfile, stage)
  const budget = build.sizeBudget === undefined ? undefined : { limit: build.sizeBudget as number, exceeded: report.size > (build.sizeBudget as number) }
  if (budget?.exceeded) {
    const message = `${name}: the image is ${formatBytes(report.size)}, over build.sizeBudget ${formatBytes(budget.limit)}`
    if (request.strict)
      throw new SlsError('SIZE_BUDGET_EXCEEDED', `${message} (--strict: not tagged)`, {
        details: { service: name, report, budget },
        hints: ['See the largest layers with --verbose or in the JSON result; a smaller base or a multi-stage build usually fixes it.'],
      })
    emit({ type: 'warning', service: name, message })
  }
  await tagAll(docker, outcome.imageId, tags)
  const steps = outcome.steps.filter((s) => s.cacheable)
  const result: BuildResult = {
    service: name,
    image,
    tags,
    id: outcome.imageId,
    size: report.size,
    layers: report.layers,
    durationMs: Math.round(performance.now() - started),
    cached: steps.length > 0 && steps.every((s) => s.status === 'cached'),
    builder: request.builder,
    report,
    context: { files: stats.files, bytes: stats.bytes, largest: stats.largest, durationMs: stats.durationMs },
    ...(budget ? { budget } : {}),
    ...(standin ? { standin } : {}),
  }
  emit({ type: 'built', service: name, result })
  return result
}

/**
 * For a pull failure: the base of the stage that failed (else the first external base the engine lacks,
 * else the built stage's), and whether the engine has it (then the pull of a present image failed).
 */
async function unavailableBase(docker: Dockerode, target: PlannedTarget, outcome: BuildOutcome, pull: boolean): Promise<FailedBase | undefined> {
  if (!isPullError(outcome.error)) return undefined
  const present = (ref: string) =>
    docker
      .getImage(ref)
      .inspect()
      .then(
        () => true,
        () => false,
      )
  let base = failedBase(target.dockerfile, outcome)
  if (!base) {
    for (const candidate of externalBases(target.dockerfile)) {
      if (!(await present(candidate.ref))) {
        base = candidate
        break
      }
    }
  }
  base ??= { ref: stageChain(target.dockerfile, target.stage).base }
  if (base.ref === 'scratch') return undefined
  return { ...base, present: await present(base.ref), pull }
}

export function imageTags(image: string, git: GitInfo | undefined, extra: string[]): string[] {
  const tags = [...(git ? [`${image}:${git.tag}`] : []), `${image}:latest`]
  for (const tag of extra) tags.push(/[:/]/.test(tag) ? tag : `${image}:${tag}`)
  return [...new Set(tags)]
}

/**
 * `created` is the commit time of a clean tree (so rebuilding a commit gives the same labels and every
 * step, the classic builder's LABEL steps included, comes from the cache), else the build time.
 */
export function labels(service: string, image: string, git: GitInfo | undefined, now = new Date()): Record<string, string> {
  return {
    'org.opencontainers.image.created': git && !git.dirty ? git.committedAt : now.toISOString(),
    'org.opencontainers.image.title': service,
    ...(git ? { 'org.opencontainers.image.revision': git.revision, 'org.opencontainers.image.version': git.version } : {}),
    ...(git?.source ? { 'org.opencontainers.image.source': git.source } : {}),
    'dev.sls-run.service': service,
    'dev.sls-run.image': image,
  }
}

/** Tags every name or none: a failure part-way removes the tags already written. */
async function tagAll(docker: Dockerode, id: string, tags: string[]): Promise<void> {
  const done: string[] = []
  try {
    for (const ref of tags) {
      const at = ref.lastIndexOf(':')
      await docker.getImage(id).tag({ repo: ref.slice(0, at), tag: ref.slice(at + 1) })
      done.push(ref)
    }
  } catch (error) {
    await Promise.allSettled(done.map((ref) => docker.getImage(ref).remove({ noprune: true })))
    throw new SlsError('TAG_FAILED', `could not tag the image as ${tags[done.length]}: ${engineMessage(error)}`, {
      cause: error,
      hints: ['Tags must be lowercase repository names with an optional :tag.'],
    })
  }
}

function stringArgs(args: Record<string, string | number | boolean>): Record<string, string> {
  return Object.fromEntries(Object.entries(args).map(([k, v]) => [k, String(v)]))
}

async function readDockerfile(service: string, file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    throw new SlsError('DOCKERFILE_MISSING', `${service}: cannot read ${file} (${(error as NodeJS.ErrnoException).code})`, {
      exitCode: ExitCode.usage,
      hints: ['build.dockerfile is relative to build.context; `sls-run init` writes one.'],
    })
  }
}

function largeContext(stats: ContextStats): string {
  const top = stats.largest
    .slice(0, 3)
    .map((l) => `${l.path} (${formatBytes(l.bytes)})`)
    .join(', ')
  return `the build context is ${formatBytes(stats.bytes)} (${stats.files} files); largest: ${top}. List what the image does not need in .dockerignore`
}
