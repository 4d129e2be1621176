/**
 * The build context: a tar stream of `build.context` filtered by `.dockerignore` exactly as the Docker
 * CLI does, produced while the engine reads it (one file open at a time, backpressure respected), so a
 * context of any size costs a flat amount of memory.
 *
 * Like the Docker CLI: the Dockerfile and `.dockerignore` are always sent (the engine needs them; COPY
 * still skips them when they are ignored), a Dockerfile outside the context is added under a private
 * name, symlinks are sent as links (never followed), and every entry is owned by root.
 */
import { createReadStream } from 'node:fs'
import { lstat, readdir, readFile, readlink } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import tar from 'tar-stream'
import { ExitCode, SlsError } from '../../errors.js'
import { DockerIgnore } from './dockerignore.js'

export interface VirtualFile {
  /** Path inside the context (forward slashes). */
  name: string
  content: Buffer
  mode?: number
}

export interface ContextOptions {
  root: string
  /** Absolute path of the Dockerfile (inside or outside root). */
  dockerfile: string
  /** Files that exist only in the stream (an outside Dockerfile, an extra CA bundle). */
  extra?: VirtualFile[]
}

export interface ContextStats {
  files: number
  bytes: number
  /** Top-level entries of the context by bytes sent, largest first (at most 5). */
  largest: Array<{ path: string; bytes: number }>
  /** The Dockerfile's name inside the context (what the engine's `dockerfile` parameter gets). */
  dockerfile: string
  durationMs: number
}

export interface BuildContext {
  stream: Readable
  /** The Dockerfile's name inside the context (what the engine's `dockerfile` parameter gets). */
  dockerfile: string
  /** Settles when the whole context has been produced (or failed). */
  done: Promise<ContextStats>
}

export const LARGE_CONTEXT_BYTES = 100 * 1024 * 1024
const OUTSIDE_DOCKERFILE = '.sls-run.Dockerfile'
const LSTAT_BATCH = 64
const SMALL_FILE = 64 * 1024

export async function createContext(options: ContextOptions): Promise<BuildContext> {
  const root = path.resolve(options.root)
  const ignore = DockerIgnore.parse(await readOptional(path.join(root, '.dockerignore')))
  const inside = path.relative(root, options.dockerfile)
  const outside = inside.startsWith('..') || path.isAbsolute(inside)
  const dockerfileName = outside ? OUTSIDE_DOCKERFILE : inside.split(path.sep).join('/')
  const extra = [...(options.extra ?? [])]
  if (outside) extra.push({ name: OUTSIDE_DOCKERFILE, content: await readFile(options.dockerfile) })
  const always = new Set([dockerfileName, '.dockerignore'])

  const pack = tar.pack()
  const started = performance.now()
  const stats = { files: 0, bytes: 0, top: new Map<string, number>() }
  const count = (rel: string, bytes: number) => {
    stats.files++
    stats.bytes += bytes
    const top = rel.split('/')[0]!
    stats.top.set(top, (stats.top.get(top) ?? 0) + bytes)
  }

  const walk = async (dirRel: string): Promise<void> => {
    const dirAbs = dirRel ? path.join(root, dirRel) : root
    const entries = (await readdir(dirAbs, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (let i = 0; i < entries.length; i += LSTAT_BATCH) {
      // lstat a batch at once (the syscalls overlap), then add the batch in order.
      const batch = entries.slice(i, i + LSTAT_BATCH).map((entry) => {
        const rel = dirRel ? `${dirRel}/${entry.name}` : entry.name
        return { entry, rel, abs: path.join(dirAbs, entry.name), excluded: ignore.excludes(rel) && !always.has(rel) }
      })
      const infos = await Promise.all(batch.map((b) => (b.excluded && !b.entry.isDirectory() ? undefined : lstat(b.abs))))
      // Small files of the batch are read at once too (at most LSTAT_BATCH × SMALL_FILE bytes held).
      const contents = batch.map((b, k) => (!b.excluded && infos[k]?.isFile() && infos[k]!.size <= SMALL_FILE ? readFile(b.abs) : undefined))
      for (const c of contents) void c?.catch(() => {}) // awaited in order below; a failure surfaces there
      for (const [k, { entry, rel, abs, excluded }] of batch.entries()) {
        const info = infos[k]
        if (entry.isDirectory()) {
          // An excluded folder is skipped whole unless a `!` rule (or the Dockerfile) may bring back
          // something inside it; then it is walked and only what is re-included is sent.
          if (excluded && !ignore.mayReinclude(rel) && !dockerfileName.startsWith(`${rel}/`)) continue
          if (!excluded) await add(pack, { name: `${rel}/`, type: 'directory', mode: info!.mode & 0o7777, mtime: info!.mtime })
          await walk(rel)
          continue
        }
        if (excluded || !info) continue
        if (info.isSymbolicLink()) {
          await add(pack, { name: rel, type: 'symlink', linkname: await readlink(abs), mode: info.mode & 0o7777, mtime: info.mtime })
          count(rel, 0)
        } else if (info.isFile()) {
          const header = { name: rel, type: 'file' as const, size: info.size, mode: info.mode & 0o7777, mtime: info.mtime }
          // Small files in one read; large ones streamed, so memory stays flat whatever the context holds.
          const content = contents[k]
          if (content) await add(pack, header, await content)
          else await addFile(pack, abs, header)
          count(rel, info.size)
        }
        // Sockets, FIFOs and devices are skipped, as the Docker CLI does.
      }
    }
  }

  const done = (async (): Promise<ContextStats> => {
    try {
      await walk('')
      for (const file of extra) {
        await add(pack, { name: file.name, type: 'file', mode: file.mode ?? 0o644, mtime: new Date(0) }, file.content)
        count(file.name, file.content.length)
      }
      pack.finalize()
    } catch (error) {
      const wrapped = contextError(root, error)
      pack.destroy(wrapped)
      throw wrapped
    }
    const largest = [...stats.top.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([p, bytes]) => ({ path: p, bytes }))
    return { files: stats.files, bytes: stats.bytes, largest, dockerfile: dockerfileName, durationMs: Math.round(performance.now() - started) }
  })()
  done.catch(() => {}) // the caller awaits it; this only keeps an early failure from being "unhandled"
  const stream = Readable.from(pack as unknown as AsyncIterable<Buffer>)
  stream.on('error', () => {}) // reported through `done`; the consumer aborts its request on it
  return { stream, dockerfile: dockerfileName, done }
}

type Entry = Pick<tar.Header, 'name' | 'type' | 'mode' | 'mtime'> & Partial<Pick<tar.Header, 'size' | 'linkname'>>

function add(pack: tar.Pack, header: Entry, content?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error | null) => (error ? reject(error) : resolve())
    if (content) pack.entry({ ...header, uid: 0, gid: 0 }, content, done)
    else pack.entry({ ...header, uid: 0, gid: 0 }, done)
  })
}

/** One file, streamed from disk into its entry (the pack holds one entry open at a time). */
function addFile(pack: tar.Pack, abs: string, header: Entry): Promise<void> {
  return new Promise((resolve, reject) => {
    const sink = pack.entry({ ...header, uid: 0, gid: 0 }, (error) => (error ? reject(error) : resolve()))
    const source = createReadStream(abs)
    source.on('error', (error) => {
      sink.destroy(error)
      reject(error)
    })
    source.pipe(sink as unknown as NodeJS.WritableStream)
  })
}

async function readOptional(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return ''
    throw error
  }
}

function contextError(root: string, error: unknown): SlsError {
  if (error instanceof SlsError) return error
  const e = error as NodeJS.ErrnoException
  return new SlsError('CONTEXT_UNREADABLE', `cannot read the build context ${root}: ${e.code ?? ''} ${e.path ?? e.message}`.replace(/\s+/g, ' ').trim(), {
    exitCode: ExitCode.failure,
    cause: error,
    hints: [
      e.code === 'ENOENT' && e.path === root
        ? 'Check build.context in sls-run.yaml (relative to its folder).'
        : 'Fix the permissions of that path, or list it in .dockerignore if the image does not need it.',
    ],
  })
}
