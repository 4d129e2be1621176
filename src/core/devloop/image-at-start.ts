/**
 * `sls-run dev` on the docker runtime builds what it is about to run, as `docker compose up --build`,
 * Skaffold and Tilt do: a service with a `build:` section whose image is missing, or older than a file
 * its build context sends (ships.ts decides which files those are), is built before its first revision,
 * with the build's steps shown. An image without a build (`image:` only) is used as it is.
 */
import { readdirSync, statSync, type Dirent } from 'node:fs'
import path from 'node:path'
import type Dockerode from 'dockerode'
import type { Config } from '../config/index.js'
import { buildServices, type Builder } from '../image/build.js'
import { detectStandin, standinNotice } from '../image/standin.js'
import { devImage } from '../image/targets.js'
import { OwnFiles } from './own-files.js'
import { shipFilter } from './ships.js'

export type ImageAtStartEvent =
  | { type: 'image-build'; service: string; state: 'started'; image: string; reason: string }
  | { type: 'image-build'; service: string; state: 'step'; step: string; status: string }
  | { type: 'image-build'; service: string; state: 'done'; image: string; durationMs: number; cached: boolean }
  | { type: 'standin-image'; service: string; image: string; standinFor?: string; message: string }

/** An image built on an offline stand-in runs locally with a notice (image/standin.ts); undefined for a real one. */
export type StandinNotice = Extract<ImageAtStartEvent, { type: 'standin-image' }>

export async function standinNoticeEvent(docker: Dockerode, service: string, image: string): Promise<StandinNotice | undefined> {
  const standin = await detectStandin(docker, image).catch(() => undefined)
  return standin ? { type: 'standin-image', service, image, ...(standin.for ? { standinFor: standin.for } : {}), message: standinNotice(service, image, standin) } : undefined
}

/** Why `name`'s image must be built before it runs, or undefined when it is current. */
export async function staleImage(docker: Dockerode, config: Config, name: string, configFile: string): Promise<string | undefined> {
  const service = config.services[name]!
  if (!service.build) return undefined
  const info = await docker
    .getImage(devImage(config, name))
    .inspect()
    .catch(() => undefined)
  if (!info) return 'not built yet'
  const newer = newerThan(shipFilter(service, 'docker', configFile, new OwnFiles()), Date.parse(info.Created))
  return newer ? `older than ${newer}` : undefined
}

/** Builds every docker-runtime service whose image is missing or stale; returns the services built. */
export async function buildStaleImages(docker: Dockerode, config: Config, names: string[], configFile: string, builder: Builder, onEvent: (event: ImageAtStartEvent) => void): Promise<string[]> {
  const built: string[] = []
  for (const name of names) {
    const reason = await staleImage(docker, config, name, configFile)
    if (!reason) continue
    const image = devImage(config, name)
    onEvent({ type: 'image-build', service: name, state: 'started', image, reason })
    const [result] = await buildServices(docker, config, { services: [name], tags: [], noCache: false, pull: false, buildArgs: {}, builder, strict: false }, (event) => {
      if (event.type === 'step' && !event.step.internal && event.step.status !== 'running')
        onEvent({ type: 'image-build', service: name, state: 'step', step: event.step.name, status: event.step.status })
    })
    onEvent({ type: 'image-build', service: name, state: 'done', image, durationMs: result!.durationMs, cached: result!.cached })
    built.push(name)
  }
  return built
}

/** The first file under the filter's root (not ignored) modified after `time`, relative; undefined if none. */
function newerThan(filter: ReturnType<typeof shipFilter>, time: number): string | undefined {
  const walk = (dir: string): string | undefined => {
    let entries: Dirent[]
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch {
      return undefined
    }
    for (const entry of entries) {
      const file = path.join(dir, entry.name)
      if (entry.isDirectory()) {
        if (filter.ignored(file)) continue
        const found = walk(file)
        if (found) return found
      } else if (entry.isFile() && !filter.ignored(file)) {
        if ((statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0) > time) return path.relative(filter.root, file)
      }
    }
    return undefined
  }
  return walk(filter.root)
}
