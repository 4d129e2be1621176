/**
 * Watching a service's sources (chokidar). The folder is the service's build.context for an image and
 * dev.cwd for a process; `dev.watch` narrows it to patterns and `dev.ignore` takes paths out, both in
 * .dockerignore syntax relative to that folder (`src`, `**\/*.ts`, `*.md`). Always ignored: `.git`,
 * `node_modules`, and what the folder's .dockerignore excludes (it cannot change the image).
 * An empty `dev.watch` watches the whole folder, as nodemon and friends do.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { watch } from 'chokidar'
import type { ServiceConfig } from '../config/index.js'
import { DockerIgnore, parseDockerignore } from '../image/dockerignore.js'

export interface ServiceWatcher {
  close(): Promise<void>
}

const ALWAYS_IGNORED = new Set(['.git', 'node_modules'])

export function sourceRoot(service: ServiceConfig, runtime: 'docker' | 'process'): string {
  return runtime === 'docker' && service.build ? service.build.context : (service.dev.cwd ?? service.build?.context ?? process.cwd())
}

/** Patterns as a matcher (.dockerignore semantics: a pattern matching a folder matches what is inside). */
function matcher(patterns: readonly string[]): DockerIgnore | undefined {
  return patterns.length ? new DockerIgnore(parseDockerignore(patterns.join('\n'))) : undefined
}

function readDockerignore(root: string): DockerIgnore | undefined {
  try {
    return DockerIgnore.parse(readFileSync(path.join(root, '.dockerignore'), 'utf8'))
  } catch {
    return undefined // none (or invalid: `sls-run build` reports that)
  }
}

/** Calls `onChange()` when sls-run.yaml is saved. */
export async function watchConfigFile(file: string, onChange: () => void): Promise<ServiceWatcher> {
  const watcher = watch(file, { ignoreInitial: true })
  watcher.on('all', () => onChange())
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()))
  return { close: () => watcher.close() }
}

/** Calls `onChange(relativePath)` for every file added, changed or removed under the service's folder that the patterns let through. */
export async function watchService(service: ServiceConfig, runtime: 'docker' | 'process', configFile: string, onChange: (relPath: string) => void): Promise<ServiceWatcher> {
  const root = sourceRoot(service, runtime)
  const include = matcher(service.dev.watch)
  const exclude = matcher(service.dev.ignore)
  const dockerignore = readDockerignore(root)
  const config = path.resolve(configFile)
  const ignored = (absolute: string): boolean => {
    const rel = path.relative(root, absolute).split(path.sep).join('/')
    if (rel === '' || rel.startsWith('..')) return false
    if (rel.split('/').some((part) => ALWAYS_IGNORED.has(part))) return true
    if (path.resolve(absolute) === config) return true // sls-run.yaml reloads the config instead
    return Boolean(exclude?.excludes(rel) || dockerignore?.excludes(rel))
  }
  const watcher = watch(root, { ignoreInitial: true, ignored })
  watcher.on('all', (event, absolute) => {
    if (event === 'addDir' || event === 'unlinkDir') return
    const rel = path.relative(root, absolute).split(path.sep).join('/')
    if (include && !include.excludes(rel)) return
    onChange(rel)
  })
  watcher.on('error', () => undefined) // a folder that disappears: nothing to rebuild from
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()))
  return { close: () => watcher.close() }
}
