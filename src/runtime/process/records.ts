/**
 * Session records: the process groups a `sls-run dev` session runs, written where the next session and
 * `sls-run clean` find them if this one is killed together with its reaper (the processes' counterpart
 * of the containers' labels). One JSON file per session in a per-user folder:
 *
 *   $XDG_STATE_HOME/sls-run/sessions/<session>.json  (XDG_STATE_HOME defaults to ~/.local/state)
 *
 * State rather than a temp folder: it is per user by construction (no shared /tmp to race in) and a
 * record made before a reboot is harmless (its start times cannot match). The folder is created with
 * mode 0700 and each file is written whole (temp file + rename), so a reader never sees half of one.
 * A file lists the groups that may still have members, each with its leader's start time; it is
 * removed when the session's last group ends (and so when the session ends normally).
 */
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Session } from '../docker/labels.js'
import { processStartTime } from './start-time.js'

export interface RecordedGroup {
  /** The process group, whose id is its leader's pid (the process sls-run spawned). */
  pgid: number
  service: string
  instance: string
  command: string
  /** The leader's start time (start-time.ts): a group is only ever signalled while it matches. */
  startTime: string
}

export interface SessionRecord {
  version: 1
  session: string
  project: string
  host: string
  /** The `sls-run dev` process and its start time: the session has ended once that process is gone. */
  pid: number
  startTime?: string
  groups: RecordedGroup[]
}

/** What a group is recorded with, besides its pgid and start time. */
export type GroupInfo = Pick<RecordedGroup, 'service' | 'instance' | 'command'>

/** Where session records live (see the top of this file). */
export function sessionsDir(env: NodeJS.ProcessEnv = process.env): string {
  const state = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(env.HOME || os.homedir(), '.local', 'state')
  return path.join(state, 'sls-run', 'sessions')
}

/** Keeps one session's record file in step with the groups it runs; never throws (`onError`, once). */
export class SessionRecorder {
  readonly file: string
  private readonly groups = new Map<number, RecordedGroup>()
  private readonly pending = new Set<number>()
  private readonly ownerStart: Promise<string | undefined>
  private ownerStartTime: string | undefined
  private dirReady = false
  private failed = false

  constructor(
    private readonly session: Session,
    readonly dir: string,
    private readonly onError: (error: Error) => void = () => undefined,
  ) {
    this.file = path.join(dir, `${session.id}.json`)
    this.ownerStart = processStartTime(session.pid)
  }

  /** A group started: recorded once its leader's start time is read (unless it has ended by then). */
  track(pgid: number, info: GroupInfo): void {
    this.pending.add(pgid)
    void Promise.all([this.ownerStart, processStartTime(pgid)]).then(([ownerStartTime, startTime]) => {
      if (!this.pending.delete(pgid) || startTime === undefined) return // ended already, or unreadable: nothing to sweep
      this.ownerStartTime = ownerStartTime
      this.groups.set(pgid, { pgid, ...info, startTime })
      this.write()
    })
  }

  /** A group ended (or was killed): off the record; the file goes with the last group. */
  forget(pgid: number): void {
    this.pending.delete(pgid)
    if (this.groups.delete(pgid)) this.write()
  }

  /** Synchronous, so that it also works from a `process.on('exit')` handler. */
  private write(): void {
    try {
      if (!this.groups.size) return rmSync(this.file, { force: true })
      if (!this.dirReady) {
        mkdirSync(this.dir, { recursive: true, mode: 0o700 })
        chmodSync(this.dir, 0o700)
        this.dirReady = true
      }
      const { id, project, host, pid } = this.session
      const record: SessionRecord = { version: 1, session: id, project, host, pid, ...(this.ownerStartTime ? { startTime: this.ownerStartTime } : {}), groups: [...this.groups.values()] }
      const temp = path.join(this.dir, `.${id}.json.tmp`)
      writeFileSync(temp, `${JSON.stringify(record)}\n`, { mode: 0o600 })
      renameSync(temp, this.file)
    } catch (error) {
      if (!this.failed) this.onError(error as Error)
      this.failed = true
    }
  }
}

function isRecord(value: unknown): value is SessionRecord {
  const r = value as SessionRecord
  return (
    typeof r === 'object' &&
    r !== null &&
    r.version === 1 &&
    typeof r.session === 'string' &&
    typeof r.host === 'string' &&
    Number.isInteger(r.pid) &&
    Array.isArray(r.groups) &&
    r.groups.every((g) => Number.isInteger(g?.pgid) && g.pgid > 1 && typeof g.startTime === 'string')
  )
}

/** Every readable record in `dir` with its file (a missing folder is no records; unreadable files are skipped). */
export async function readRecords(dir: string): Promise<Array<{ file: string; record: SessionRecord }>> {
  const names = await readdir(dir).catch(() => [] as string[])
  const records = await Promise.all(
    names
      .filter((name) => name.endsWith('.json') && !name.startsWith('.'))
      .map(async (name) => {
        const file = path.join(dir, name)
        try {
          const record: unknown = JSON.parse(await readFile(file, 'utf8'))
          return isRecord(record) ? { file, record } : undefined
        } catch {
          return undefined // gone meanwhile (its session ended), or not ours to judge
        }
      }),
  )
  return records.filter((r) => r !== undefined)
}
