/**
 * Watching (chokidar): sls-run.yaml, and each service's files that ship (ships.ts). Folders the filter
 * ignores are not even walked, so an app writing its database, uploads or logs into its own folder
 * costs the watcher nothing. The first scan seeds the content fingerprints (fingerprints.ts).
 */
import path from 'node:path'
import { watch } from 'chokidar'
import type { ServiceConfig } from '../config/index.js'
import type { Fingerprints } from './fingerprints.js'
import type { OwnFiles } from './own-files.js'
import { shipFilter, type RuntimeKind } from './ships.js'

export interface ServiceWatcher {
  close(): Promise<void>
}

/** Calls `onChange()` when sls-run.yaml is saved. */
export async function watchConfigFile(file: string, onChange: () => void): Promise<ServiceWatcher> {
  const watcher = watch(file, { ignoreInitial: true })
  watcher.on('all', () => onChange())
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()))
  return { close: () => watcher.close() }
}

export interface ServiceWatch {
  service: ServiceConfig
  runtime: RuntimeKind
  configFile: string
  own: OwnFiles
  fingerprints: Fingerprints
  /** A file that ships was added, changed or removed (relative to the watched folder, and absolute). */
  onChange(rel: string, absolute: string): void
}

export async function watchService(options: ServiceWatch): Promise<ServiceWatcher> {
  const filter = shipFilter(options.service, options.runtime, options.configFile, options.own)
  const { root } = filter
  let ready = false
  const watcher = watch(root, { ignoreInitial: false, ignored: (file, stats) => filter.ignored(file, stats) })
  watcher.on('all', (event, absolute) => {
    if (event === 'addDir' || event === 'unlinkDir') return
    const rel = path.relative(root, absolute).split(path.sep).join('/')
    if (!ready) return options.fingerprints.seed(rel, absolute)
    if (filter.isIgnoreFile(rel)) {
      filter.refresh()
      // .dockerignore goes into the build context; .gitignore does not change what a process runs.
      if (options.runtime === 'process' || !options.service.build) return
    }
    if (!filter.ignored(absolute)) options.onChange(rel, absolute) // rules may have changed since the walk
  })
  watcher.on('error', () => undefined) // a folder that disappears: nothing to rebuild from
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()))
  ready = true
  void options.fingerprints.finishSeeding()
  return { close: () => watcher.close() }
}
