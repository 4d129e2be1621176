/**
 * Offline stand-in base images. Where no registry is reachable, sls-run's tests build look-alikes of the
 * bases the templates name (a glibc Node from the host, BusyBox) under their own namespace, labelled
 * `dev.sls-run.standin=true`. Docker copies a base image's labels into every image built FROM it, so the
 * label tells, for any image, that it was built on a stand-in. Such an image must never ship: build, push
 * and deploy refuse it (STANDIN_IMAGE) unless given --allow-standin; dev runs it with a notice (see
 * standinNotice); doctor lists the stand-ins the engine holds.
 */
import type Dockerode from 'dockerode'
import { ExitCode, SlsError } from '../../errors.js'
import { LABEL } from '../../runtime/docker/labels.js'

export const STANDIN_LABEL = LABEL.standin
/** `dev.sls-run.standin.for`: the real image a stand-in imitates (node:22-alpine). */
export const STANDIN_FOR_LABEL = `${STANDIN_LABEL}.for`
/** `dev.sls-run.standin.image`: the stand-in's own name (sls-run-standin/node:22-alpine-<run>). */
export const STANDIN_IMAGE_LABEL = `${STANDIN_LABEL}.image`
/** Stand-ins are named `sls-run-standin/<real name>…`, never like a real image. */
export const STANDIN_NAMESPACE = 'sls-run-standin'

export interface Standin {
  /** The real image it imitates, when the stand-in recorded it. */
  for?: string
  /** The stand-in's own name, when recorded. */
  standin?: string
}

type Labels = Record<string, string> | null | undefined

/** The stand-in an image was built on (its own labels or inherited ones), or undefined for a real image. */
export function standinOf(labels: Labels): Standin | undefined {
  if (labels?.[STANDIN_LABEL] !== 'true') return undefined
  return { ...(labels[STANDIN_FOR_LABEL] ? { for: labels[STANDIN_FOR_LABEL] } : {}), ...(labels[STANDIN_IMAGE_LABEL] ? { standin: labels[STANDIN_IMAGE_LABEL] } : {}) }
}

/** Is `ref` (a name or an id) on the engine a stand-in or built on one? Undefined when it is not, or absent. */
export async function detectStandin(docker: Dockerode, ref: string): Promise<Standin | undefined> {
  try {
    return standinOf((await docker.getImage(ref).inspect()).Config?.Labels)
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined
    throw error
  }
}

/** `an offline stand-in for node:22-alpine (sls-run-standin/node:22-alpine-x1)` */
export function describeStandin(standin: Standin): string {
  return `an offline stand-in${standin.for ? ` for ${standin.for}` : ''}${standin.standin ? ` (${standin.standin})` : ''}`
}

/** STANDIN_IMAGE (exit 1). `action` is what was refused: `not tagged`, `not pushed`, `not deployed`. */
export function standinError(standin: Standin, where: { service: string; image: string; action: string }): SlsError {
  const real = standin.for ?? 'the real base image'
  return new SlsError('STANDIN_IMAGE', `${where.service}: ${where.image} is built FROM ${describeStandin(standin)}, a test image that is not the real base: ${where.action}`, {
    exitCode: ExitCode.failure,
    details: { service: where.service, image: where.image, standinFor: standin.for, standin: standin.standin },
    hints: [
      `Stand-ins are built by sls-run's tests where no registry is reachable (a host glibc Node, BusyBox); an image on one must not ship. Get the real base and build again: \`docker pull ${real}\` while online, or \`docker load -i base.tar\` (written elsewhere with \`docker save ${real} -o base.tar\`), or a mirror (docs/build.md, "Offline: getting base images in").`,
      'To go ahead with the stand-in on purpose (tests, offline experiments), pass --allow-standin.',
    ],
  })
}

/** Throws STANDIN_IMAGE when `labels` (an image's Config.Labels) show a stand-in base. */
export function refuseStandin(labels: Labels, where: { service: string; image: string; action: string }): void {
  const standin = standinOf(labels)
  if (standin) throw standinError(standin, where)
}

/** The line `sls-run dev` prints when it runs `image` of `service` and that image is on a stand-in. */
export function standinNotice(service: string, image: string, standin: Standin): string {
  return `${service}: ${image} is built FROM ${describeStandin(standin)}; fine for a local run, but build, push and deploy refuse it without --allow-standin`
}

export interface StandinImage {
  id: string
  /** Its tags (empty for an untagged image). */
  tags: string[]
  for?: string
  /** `standin`: a stand-in itself; `derived`: an image built FROM one. */
  kind: 'standin' | 'derived'
  /** A stand-in tagged with the real image's name (older test runs did that): it hides the real image. */
  realName: boolean
}

/** Every image on the engine that carries the stand-in label: the stand-ins, then the images built on them. */
export async function listStandins(docker: Dockerode): Promise<StandinImage[]> {
  const images = await docker.listImages({ filters: { label: [`${STANDIN_LABEL}=true`] } })
  const out = images.map((image): StandinImage => {
    const tags = (image.RepoTags ?? []).filter((t) => t !== '<none>:<none>')
    const real = image.Labels?.[STANDIN_FOR_LABEL]
    const realName = Boolean(real && tags.includes(real))
    const ownName = image.Labels?.[STANDIN_IMAGE_LABEL]
    const own = tags.some((t) => t.startsWith(`${STANDIN_NAMESPACE}/`) || t === ownName)
    return { id: image.Id, tags, ...(real ? { for: real } : {}), kind: own || realName ? 'standin' : 'derived', realName }
  })
  return out.sort((a, b) => Number(a.kind === 'derived') - Number(b.kind === 'derived'))
}
