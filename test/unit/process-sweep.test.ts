/**
 * The process half of the orphan sweep (src/runtime/process/records.ts, sweep.ts) against real
 * processes: a group is only killed while its leader is the very process that was recorded (same pid,
 * same start time), and only when its session has ended.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { newSession } from '../../src/runtime/docker/labels.js'
import { SessionRecorder, sessionsDir, type SessionRecord } from '../../src/runtime/process/records.js'
import { processStartTime } from '../../src/runtime/process/start-time.js'
import { listRecorded, sweepProcessOrphans } from '../../src/runtime/process/sweep.js'
import { useTempDir } from '../helpers/temp.js'
import { processAlive, waitFor } from '../helpers/wait.js'

const tempDir = useTempDir('sls-run-sweep-')
const groups: number[] = []
afterEach(() => {
  for (const pgid of groups.splice(0)) {
    try {
      process.kill(-pgid, 'SIGKILL')
    } catch {}
  }
})

/** A harmless process in its own group (its pid is the group's id). */
function sleeper(): number {
  const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' })
  child.unref()
  groups.push(child.pid!)
  return child.pid!
}

/** A pid that is gone: a process that ran and was reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await new Promise((resolve) => child.once('exit', resolve))
  return child.pid!
}

async function record(dir: string, owner: { pid: number; startTime?: string }, group: { pgid: number; startTime: string }, host = os.hostname()): Promise<string> {
  mkdirSync(dir, { recursive: true })
  const body: SessionRecord = { version: 1, session: crypto.randomUUID(), project: 'p', host, ...owner, groups: [{ ...group, service: 'api', instance: 'api#1', command: 'sleep 30' }] }
  const file = path.join(dir, `${body.session}.json`)
  writeFileSync(file, JSON.stringify(body))
  return file
}

/** The same kind of token, for another start (the pid was reused by a later process). */
const otherStart = (token: string) => token.replace(/\d+$/, (n) => String(Number(n) + 1))

describe('process orphan sweep', () => {
  it('does not kill a recorded pid whose start time does not match (a reused pid), and drops the record', async () => {
    const dir = tempDir()
    const pid = sleeper()
    const startTime = (await processStartTime(pid))!
    expect(startTime).toBeTruthy()
    const file = await record(dir, { pid: await deadPid() }, { pgid: pid, startTime: otherStart(startTime) })
    expect(await sweepProcessOrphans(dir)).toEqual([])
    expect(processAlive(pid)).toBe(true)
    expect(existsSync(file)).toBe(false)
  })

  it('kills the group when its leader is still the recorded process and its session has ended', async () => {
    const dir = tempDir()
    const pid = sleeper()
    const file = await record(dir, { pid: await deadPid() }, { pgid: pid, startTime: (await processStartTime(pid))! })
    expect((await sweepProcessOrphans(dir)).map((g) => [g.pgid, g.instance])).toEqual([[pid, 'api#1']])
    await waitFor(() => !processAlive(pid), 5000)
    expect(existsSync(file)).toBe(false)
  })

  it('never touches a running session (alive, same start time) nor a session of another host; a reused owner pid means the session ended', async () => {
    const dir = tempDir()
    const [running, remote, reusedOwner] = [sleeper(), sleeper(), sleeper()]
    const self = { pid: process.pid, startTime: (await processStartTime(process.pid))! }
    const files = [
      await record(dir, self, { pgid: running, startTime: (await processStartTime(running))! }),
      await record(dir, { pid: await deadPid() }, { pgid: remote, startTime: (await processStartTime(remote))! }, 'another-host'),
    ]
    await record(dir, { pid: self.pid, startTime: otherStart(self.startTime) }, { pgid: reusedOwner, startTime: (await processStartTime(reusedOwner))! })
    expect((await sweepProcessOrphans(dir)).map((g) => g.pgid)).toEqual([reusedOwner])
    expect(processAlive(running) && processAlive(remote)).toBe(true)
    expect(files.filter(existsSync)).toEqual(files)
    expect((await listRecorded(dir)).map((s) => s.orphan)).toEqual([false, false])
  })

  it('SessionRecorder: a 0700 folder, one 0600 file per session written whole, gone with its last group', async () => {
    const dir = path.join(tempDir(), 'state', 'sls-run', 'sessions')
    const session = newSession('/tmp/project/sls-run.yaml')
    const recorder = new SessionRecorder(session, dir)
    const pid = sleeper()
    recorder.track(pid, { service: 'api', instance: 'api#1', command: 'sleep 30' })
    const file = path.join(dir, `${session.id}.json`)
    await waitFor(() => existsSync(file), 5000)
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readdirSync(dir)).toEqual([`${session.id}.json`]) // no temp file left over
    const written = JSON.parse(readFileSync(file, 'utf8')) as SessionRecord
    expect(written).toMatchObject({ version: 1, session: session.id, pid: process.pid, startTime: await processStartTime(process.pid) })
    expect(written.groups).toEqual([{ pgid: pid, service: 'api', instance: 'api#1', command: 'sleep 30', startTime: await processStartTime(pid) }])
    recorder.forget(pid)
    expect(existsSync(file)).toBe(false)
  })

  it('SessionRecorder: a folder it cannot create is reported (onError), never thrown', async () => {
    const blocked = path.join(tempDir(), 'a-file')
    writeFileSync(blocked, '')
    const errors: Error[] = []
    const recorder = new SessionRecorder(newSession('/tmp/project/sls-run.yaml'), path.join(blocked, 'sessions'), (error) => errors.push(error))
    const pid = sleeper()
    expect(() => recorder.track(pid, { service: 'api', instance: 'api#1', command: 'sleep 30' })).not.toThrow()
    await waitFor(() => errors.length > 0, 5000)
    expect(errors[0]!.message).toMatch(/ENOTDIR|EEXIST/)
    expect(() => recorder.forget(pid)).not.toThrow()
  })

  it('lives in $XDG_STATE_HOME/sls-run/sessions, else ~/.local/state/sls-run/sessions', () => {
    expect(sessionsDir({ XDG_STATE_HOME: '/x/state', HOME: '/home/u' })).toBe('/x/state/sls-run/sessions')
    expect(sessionsDir({ XDG_STATE_HOME: 'relative', HOME: '/home/u' })).toBe('/home/u/.local/state/sls-run/sessions')
    expect(sessionsDir({ HOME: '/home/u' })).toBe('/home/u/.local/state/sls-run/sessions')
  })
})
