/**
 * What ships: the files whose change can change what a service runs, and so the only ones a save of
 * which rolls out a new revision (nodemon, `docker compose watch` and `wrangler dev` behave the same way).
 *
 * - Docker runtime with a `build:` section: exactly what the build context sends, decided by the same
 *   `.dockerignore` matcher `sls-run build` uses (image/dockerignore.ts), plus the Dockerfile.
 * - Process runtime (and images without a build): the service folder minus what its `.gitignore` files
 *   exclude (nested ones and those of parent folders up to the repository root, with git's semantics,
 *   through the `ignore` package), what `.dockerignore` excludes, `dev.ignore`, and DEFAULT_IGNORED.
 * - Both: never `.git`, never sls-run.yaml (saving it reloads the config instead), never a file the
 *   session itself writes (its redirected stdout/stderr wherever it lies, dead letters, `.sls-run/`).
 * `dev.watch`, when set, narrows what is left to the files it matches.
 */
import { existsSync, readFileSync, statSync, type Stats } from 'node:fs'
import path from 'node:path'
import ignore, { type Ignore } from 'ignore'
import type { ServiceConfig } from '../config/index.js'
import { DockerIgnore, parseDockerignore } from '../image/dockerignore.js'
import type { OwnFiles } from './own-files.js'

/** Never a reason to reload on the process runtime (gitignore syntax; documented in docs/dev-loop.md). */
export const DEFAULT_IGNORED = ['.git/', 'node_modules/', '.sls-run/', '__pycache__/', '*.pyc', '.venv/', 'coverage/', '*.log', '*.swp', '*.swo', '*~', '.#*', '4913', '.DS_Store']

export type RuntimeKind = 'docker' | 'process'

export interface ShipFilter {
  /** The folder watched. */
  readonly root: string
  /** Whether a change to this path (absolute) cannot change what runs. */
  ignored(absolute: string, stats?: Stats): boolean
  /** Whether this file (relative to root) is one of the ignore files the filter reads. */
  isIgnoreFile(rel: string): boolean
  /** Reads the ignore files again (one of them changed). */
  refresh(): void
}

export function sourceRoot(service: ServiceConfig, runtime: RuntimeKind): string {
  return runtime === 'docker' && service.build ? service.build.context : (service.dev.cwd ?? service.build?.context ?? process.cwd())
}

/** Patterns as a matcher (.dockerignore semantics: a pattern matching a folder matches what is inside). */
function dockerMatcher(patterns: readonly string[]): DockerIgnore | undefined {
  return patterns.length ? new DockerIgnore(parseDockerignore(patterns.join('\n'))) : undefined
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

function readDockerignore(root: string): DockerIgnore | undefined {
  const text = readText(path.join(root, '.dockerignore'))
  try {
    return text === undefined ? undefined : DockerIgnore.parse(text)
  } catch {
    return undefined // invalid: `sls-run build` reports that
  }
}

const posix = (p: string) => p.split(path.sep).join('/')

export function shipFilter(service: ServiceConfig, runtime: RuntimeKind, configFile: string, own: OwnFiles): ShipFilter {
  const root = path.resolve(sourceRoot(service, runtime))
  const config = path.resolve(configFile)
  const include = dockerMatcher(service.dev.watch)
  const exclude = dockerMatcher(service.dev.ignore)
  const image = runtime === 'docker' && service.build !== undefined
  const dockerfile = image ? path.resolve(root, service.build!.dockerfile) : undefined
  const defaults = ignore().add(DEFAULT_IGNORED)
  let dockerignore = readDockerignore(root)
  let git = image ? undefined : new GitIgnores(root)

  const ignoredRel = (rel: string, isDir: boolean): boolean => {
    if (rel.split('/')[0] === '.git') return true
    if (exclude?.excludes(rel)) return true
    if (image) return rel !== '.dockerignore' && Boolean(dockerignore?.excludes(rel))
    if (defaults.ignores(isDir ? `${rel}/` : rel) || dockerignore?.excludes(rel)) return true
    return git!.ignored(rel, isDir)
  }

  return {
    root,
    ignored(absolute, stats) {
      const file = path.resolve(absolute)
      if (file === config || own.isOwn(file, stats)) return true
      if (file === dockerfile) return false
      const rel = posix(path.relative(root, file))
      if (rel === '') return false
      if (rel.startsWith('..')) return true
      const isDir = stats ? stats.isDirectory() : isDirectory(file)
      if (ignoredRel(rel, isDir)) return true
      // dev.watch narrows files only: folders stay walked so that the files inside can match.
      return !isDir && include !== undefined && !include.excludes(rel)
    },
    isIgnoreFile: (rel) => rel === '.dockerignore' || (!image && path.posix.basename(rel) === '.gitignore'),
    refresh() {
      dockerignore = readDockerignore(root)
      if (!image) git = new GitIgnores(root)
    },
  }
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory()
  } catch {
    return false
  }
}

/**
 * The `.gitignore` files that apply under `root`, with git's semantics: a file's rules are relative to
 * its folder, a deeper file's rules win over a shallower one's, the last matching rule wins (a `!`
 * re-includes), and nothing under an ignored folder can be re-included. Parent folders' files count up
 * to the repository root (the nearest folder with `.git`); without a repository, only `root`'s own.
 */
export class GitIgnores {
  private readonly cache = new Map<string, Ignore | null>()
  /** Absolute folders from the repository root down to root's parent (empty without a repository). */
  private readonly parents: string[] = []

  constructor(private readonly root: string) {
    const chain: string[] = []
    for (let dir = path.dirname(root), last = root; dir !== last; last = dir, dir = path.dirname(dir)) {
      if (existsSync(path.join(last, '.git'))) {
        this.parents = chain.reverse()
        return
      }
      chain.push(dir)
    }
  }

  /** `rel`: a path under root, '/'-separated. */
  ignored(rel: string, isDir: boolean): boolean {
    const parts = rel.split('/')
    for (let i = 1; i < parts.length; i++) if (this.decide(parts.slice(0, i), true)) return true
    return this.decide(parts, isDir)
  }

  /** The verdict of the ignore files for one path (its parents not considered): the deepest match wins. */
  private decide(parts: string[], isDir: boolean): boolean {
    let verdict = false
    const check = (folder: string, fromFolder: string) => {
      const result = this.rules(folder)?.test(isDir ? `${fromFolder}/` : fromFolder)
      if (result?.ignored) verdict = true
      else if (result?.unignored) verdict = false
    }
    const absolute = path.join(this.root, ...parts)
    for (const folder of this.parents) check(folder, posix(path.relative(folder, absolute)))
    for (let i = 0; i < parts.length; i++) check(path.join(this.root, ...parts.slice(0, i)), parts.slice(i).join('/'))
    return verdict
  }

  private rules(folder: string): Ignore | null {
    let rules = this.cache.get(folder)
    if (rules === undefined) {
      const text = readText(path.join(folder, '.gitignore'))
      rules = text === undefined ? null : ignore().add(text)
      this.cache.set(folder, rules)
    }
    return rules
  }
}
