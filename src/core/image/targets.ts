/** Which services a command acts on: the named ones (all when none is named), split by whether they have a `build:` section. */
import type { Config, ServiceConfig } from '../config/index.js'
import { ExitCode, SlsError } from '../../errors.js'

export interface BuildTarget {
  name: string
  service: ServiceConfig
  /** The repository the image is tagged in: `image:`, else `<project>-<service>` (as docker compose names images). */
  image: string
}

export function imageName(config: Config, name: string): string {
  return config.services[name]?.image ?? `${config.name}-${name}`
}

/** The image the docker runtime runs: `image:` as given when it names a tag or digest, else `<image>:latest` (what `sls-run build` tagged last). */
export function devImage(config: Config, name: string): string {
  const image = imageName(config, name)
  const last = image.split('/').pop()!
  return last.includes(':') || last.includes('@') ? image : `${image}:latest`
}

export function selectServices(config: Config, names: string[]): { targets: BuildTarget[]; skipped: string[] } {
  const known = Object.keys(config.services)
  const unknown = names.filter((n) => !known.includes(n))
  if (unknown.length) {
    throw new SlsError('UNKNOWN_SERVICE', `no service ${unknown.map((n) => `"${n}"`).join(', ')} in sls-run.yaml`, { exitCode: ExitCode.usage, hints: [`Services: ${known.join(', ')}.`] })
  }
  const chosen = names.length ? [...new Set(names)] : known
  const targets = chosen.filter((n) => config.services[n]!.build).map((name) => ({ name, service: config.services[name]!, image: imageName(config, name) }))
  const skipped = chosen.filter((n) => !config.services[n]!.build)
  if (!targets.length) {
    throw new SlsError('NOTHING_TO_BUILD', names.length ? `${skipped.join(', ')} ha${skipped.length > 1 ? 've' : 's'} no build: section` : 'no service in sls-run.yaml has a build: section', {
      exitCode: ExitCode.usage,
      hints: ['Add `build: { context: . }` to a service (the Dockerfile is read from build.context/Dockerfile).'],
    })
  }
  return { targets, skipped }
}
