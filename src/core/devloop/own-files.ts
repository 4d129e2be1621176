/**
 * The files a `sls-run dev` session writes itself, which must never look like a source change: its
 * stdout and stderr when they are redirected to a regular file (`sls-run dev > dev.log 2>&1`, wherever
 * that file lies), the dead-letter file, recordings. Known by path and, for the redirected streams, by
 * device and inode too (a path is not always knowable from a file descriptor).
 */
import { fstatSync, readlinkSync, statSync, type Stats } from 'node:fs'
import path from 'node:path'

const key = (s: { dev: number; ino: number }) => `${s.dev}:${s.ino}`

export class OwnFiles {
  private readonly paths = new Set<string>()
  private readonly inodes = new Set<string>()

  /** The session's redirected standard streams (fds 1 and 2) and `files`. */
  static forSession(files: Array<string | undefined>): OwnFiles {
    const own = new OwnFiles()
    for (const fd of [1, 2]) own.addDescriptor(fd)
    for (const file of files) if (file) own.addPath(file)
    return own
  }

  addPath(file: string): void {
    this.paths.add(path.resolve(file))
  }

  addDescriptor(fd: number): void {
    try {
      const stats = fstatSync(fd)
      if (!stats.isFile()) return
      this.inodes.add(key(stats))
      this.addPath(readlinkSync(`/proc/self/fd/${fd}`)) // Linux; elsewhere the inode alone decides
    } catch {
      // not open, or no /proc: the inode (if any) is enough
    }
  }

  /** Whether `file` (absolute) is one of the session's own files; `stats` saves a stat call when known. */
  isOwn(file: string, stats?: Stats): boolean {
    if (this.paths.has(file)) return true
    if (this.inodes.size === 0) return false
    try {
      const s = stats ?? statSync(file)
      return s.isFile() && this.inodes.has(key(s))
    } catch {
      return false
    }
  }
}
