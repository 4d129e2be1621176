/**
 * Finding and killing the process groups ended sessions left running (records.ts), the way
 * ../docker/sweep.ts removes their containers: only for sessions whose `sls-run dev` is gone on this
 * host, and only a group whose leader is still the process sls-run started (same pid, same start time).
 * A pid that has since been given to another process is never signalled. Groups of running sessions
 * are only listed, never touched (`sls-run clean --all` is about containers).
 */
import { rm } from 'node:fs/promises'
import os from 'node:os'
import { pidAlive } from '../docker/sweep.js'
import { readRecords, type RecordedGroup, type SessionRecord } from './records.js'
import { processStartTime } from './start-time.js'

export interface ManagedGroup extends RecordedGroup {
  session: string
  /** The `sls-run dev` that started it, and its host. */
  pid: number
  host: string
  /** Its session has ended (its process is gone on this host). */
  orphan: boolean
}

export interface RecordedSession {
  file: string
  /** Hash of the session's sls-run.yaml path (docker/labels.ts projectHash). */
  project: string
  orphan: boolean
  groups: ManagedGroup[]
}

/** Gone on this host, or its pid now names a later process (the recorded start time differs). */
async function sessionEnded(record: SessionRecord, hostname: string): Promise<boolean> {
  if (record.host !== hostname) return false
  if (!pidAlive(record.pid)) return true
  if (record.startTime === undefined) return false
  const now = await processStartTime(record.pid)
  return now !== undefined && now !== record.startTime
}

export async function listRecorded(dir: string, hostname = os.hostname()): Promise<RecordedSession[]> {
  return Promise.all(
    (await readRecords(dir)).map(async ({ file, record }) => {
      const orphan = await sessionEnded(record, hostname)
      return { file, project: record.project, orphan, groups: record.groups.map((g) => ({ ...g, session: record.session, pid: record.pid, host: record.host, orphan })) }
    }),
  )
}

/** SIGKILL to the group, if its leader is still the process that was recorded; true when sent. */
async function killVerified(group: RecordedGroup): Promise<boolean> {
  if ((await processStartTime(group.pgid)) !== group.startTime) return false // gone, or the pid was reused
  try {
    process.kill(-group.pgid, 'SIGKILL')
    return true
  } catch {
    return false // ESRCH: ended meanwhile; EPERM: not ours
  }
}

/** Kills the groups of the given sessions that have ended and removes their records; returns the groups killed. */
export async function removeGroups(sessions: RecordedSession[]): Promise<ManagedGroup[]> {
  const killed = await Promise.all(
    sessions
      .filter((session) => session.orphan) // a running session's groups are never touched
      .map(async (session) => {
        const groups = await Promise.all(session.groups.map(async (g) => ((await killVerified(g)) ? g : undefined)))
        await rm(session.file, { force: true })
        return groups.filter((g) => g !== undefined)
      }),
  )
  return killed.flat()
}

/** What ended sessions on this host left running, killed (the process half of layer 3). */
export async function sweepProcessOrphans(dir: string): Promise<ManagedGroup[]> {
  const ended = (await listRecorded(dir)).filter((s) => s.orphan)
  return ended.length ? removeGroups(ended) : []
}
