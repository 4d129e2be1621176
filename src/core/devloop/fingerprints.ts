/**
 * Content fingerprints of the files that ship, as the running revision has them, so that a save whose
 * bytes are what already runs (touch, an editor rewriting an unchanged buffer, `git checkout` of the same
 * tree) rolls out nothing. Seeded from the watcher's first scan; a rollout takes the new fingerprints.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'

/** Larger files are not hashed: any event on them counts as a change. */
const MAX_HASHED_BYTES = 64 * 1024 * 1024
const SEED_CONCURRENCY = 16
const GONE = 'gone'

async function fingerprint(file: string): Promise<string> {
  const hash = createHash('sha1')
  let bytes = 0
  try {
    for await (const chunk of createReadStream(file)) {
      bytes += (chunk as Buffer).length
      if (bytes > MAX_HASHED_BYTES) return `unhashed:${Math.random()}`
      hash.update(chunk as Buffer)
    }
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? GONE : `unreadable:${Math.random()}`
  }
  return hash.digest('hex')
}

export class Fingerprints {
  private readonly running = new Map<string, string>()
  private readonly seeding: Array<[string, string]> = []
  private seeded: Promise<void> = Promise.resolve()

  /** A file present when the session started (called for each file of the first scan). */
  seed(rel: string, absolute: string): void {
    this.seeding.push([rel, absolute])
  }

  /** Hashes what `seed` collected, a few files at a time. */
  finishSeeding(): Promise<void> {
    const queue = this.seeding.splice(0)
    const worker = async () => {
      for (let item = queue.pop(); item; item = queue.pop()) {
        const [rel, absolute] = item
        const digest = await fingerprint(absolute)
        if (!this.running.has(rel)) this.running.set(rel, digest)
      }
    }
    this.seeded = Promise.all(Array.from({ length: SEED_CONCURRENCY }, worker)).then(() => undefined)
    return this.seeded
  }

  /**
   * Which of `files` (relative path → absolute) differ from what runs, with their new fingerprints
   * (pass them to `take` when a revision with them rolls out).
   */
  async diff(files: Map<string, string>): Promise<{ changed: string[]; next: Map<string, string> }> {
    await this.seeded
    const next = new Map<string, string>()
    const changed: string[] = []
    await Promise.all(
      [...files].map(async ([rel, absolute]) => {
        const digest = await fingerprint(absolute)
        next.set(rel, digest)
        if ((this.running.get(rel) ?? GONE) !== digest) changed.push(rel)
      }),
    )
    return { changed: changed.sort(), next }
  }

  /** The new revision runs these contents. */
  take(next: Map<string, string>): void {
    for (const [rel, digest] of next) {
      if (digest === GONE) this.running.delete(rel)
      else this.running.set(rel, digest)
    }
  }

  /** Forget these files (a rollout with them failed: the next save of the same bytes must try again). */
  forget(files: Iterable<string>): void {
    for (const rel of files) this.running.set(rel, `failed:${Math.random()}`)
  }
}
