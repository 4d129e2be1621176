/**
 * What git says about the build context: the revision for tags and OCI labels. A context outside any
 * git work tree, or a machine without git, gives `undefined` (builds still work; only the sha tag and
 * the revision label are left out, and the build says so).
 */
import { execa } from 'execa'

export interface GitInfo {
  /** Full commit id of HEAD. */
  revision: string
  /** Short id as `git rev-parse --short` gives it, with `-dirty` when the work tree has changes. */
  tag: string
  dirty: boolean
  /** The `origin` remote as an https URL, when there is one. */
  source?: string
  /** `git describe --tags --always --dirty`. */
  version: string
  /** Commit time of HEAD (ISO 8601, UTC). */
  committedAt: string
}

export async function gitInfo(cwd: string): Promise<GitInfo | undefined> {
  const git = (...args: string[]) => execa('git', args, { cwd, reject: false, stdin: 'ignore' })
  const head = await git('log', '-1', '--format=%H%n%h%n%ct')
  if (head.exitCode !== 0) return undefined
  const [revision, short, seconds] = head.stdout.split('\n')
  const [status, remote, describe] = await Promise.all([git('status', '--porcelain', '--untracked-files=normal'), git('remote', 'get-url', 'origin'), git('describe', '--tags', '--always', '--dirty')])
  const dirty = status.stdout.trim() !== ''
  return {
    revision: revision!,
    tag: `${short}${dirty ? '-dirty' : ''}`,
    dirty,
    source: remote.exitCode === 0 ? httpsRemote(remote.stdout.trim()) : undefined,
    version: describe.exitCode === 0 ? describe.stdout.trim() : `${short}${dirty ? '-dirty' : ''}`,
    committedAt: new Date(Number(seconds) * 1000).toISOString(),
  }
}

/** `git@github.com:acme/api.git` → `https://github.com/acme/api`; credentials in a URL are dropped. */
export function httpsRemote(remote: string): string | undefined {
  const scp = /^[\w.-]+@([\w.-]+):(.+?)(\.git)?$/.exec(remote)
  if (scp) return `https://${scp[1]}/${scp[2]}`
  try {
    const url = new URL(remote)
    if (!['https:', 'http:', 'ssh:', 'git:'].includes(url.protocol)) return undefined
    return `https://${url.hostname}${url.pathname.replace(/\.git$/, '')}`
  } catch {
    return undefined
  }
}
