/**
 * Runs an instance as a local process (execa). The process gets its own process group so that
 * stopping it also stops whatever it spawned (a shell-form command is `sh -c`, plus its children).
 */
import { statSync } from 'node:fs'
import type { Readable } from 'node:stream'
import { execa } from 'execa'
import { SlsError } from '../../errors.js'
import { freePort } from '../free-port.js'
import { reap } from './reaper.js'
import type { GroupInfo } from './records.js'
import { forEachLine } from '../lines.js'
import type { ExitInfo, InstanceSpec, LogLine, Runtime, RuntimeInstance } from '../types.js'

const MAX_LINES = 200
/** After the main process exits, how long its pipes may stay open (held by an escaped descendant). */
const DRAIN_MS = 1000

/** Where a runtime records its groups for the next session and `sls-run clean` (records.ts SessionRecorder). */
export interface GroupRecorder {
  track(pgid: number, info: GroupInfo): void
  forget(pgid: number): void
}

/** Process groups that may still have members, with their recorder; `stopAllSync` kills them. */
const liveGroups = new Map<number, GroupRecorder | undefined>()

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal)
  } catch (error) {
    // ESRCH: the group is gone. EPERM: macOS refuses to signal a group whose only members are zombies.
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'ESRCH' && code !== 'EPERM') throw error
  }
}

/** Last resort for a `process.on('exit')` handler: SIGKILL every group still alive, synchronously. */
export function stopAllSync(): void {
  for (const pgid of liveGroups.keys()) {
    signalGroup(pgid, 'SIGKILL')
    release(pgid)
  }
}

/** The group is gone (or just got SIGKILL): off the session record, the reaper's list and `liveGroups`. */
function release(pgid: number): void {
  liveGroups.get(pgid)?.forget(pgid)
  liveGroups.delete(pgid)
  reap(pgid, false)
}

class ProcessInstance implements RuntimeInstance {
  readonly exited: Promise<ExitInfo>
  readonly flushers: Array<() => void> = []
  private readonly lines: string[] = []
  private ended = false
  private stopDeadline: number | undefined
  private sigkillSent = false
  private stopping: Promise<ExitInfo> | undefined
  private readonly mainExit: Promise<[number | null, NodeJS.Signals | null]>
  private readonly drained: Promise<void>

  constructor(
    readonly id: string,
    readonly address: { host: string; port: number },
    readonly pid: number,
    private readonly streams: Readable[],
    subprocess: NodeJS.EventEmitter,
  ) {
    this.mainExit = new Promise((resolve) => subprocess.once('exit', (code, signal) => resolve([code, signal])))
    this.drained = new Promise((resolve) => subprocess.once('close', () => resolve()))
    this.exited = this.lifecycle()
  }

  lastLines(count: number): string[] {
    return count > 0 ? this.lines.slice(-count) : []
  }

  remember(line: string): void {
    this.lines.push(line)
    if (this.lines.length > MAX_LINES) this.lines.shift()
  }

  stop(graceMs: number): Promise<ExitInfo> {
    this.stopping ??= this.terminate(graceMs)
    return this.stopping
  }

  private async terminate(graceMs: number): Promise<ExitInfo> {
    if (this.ended) return this.exited
    this.stopDeadline = Date.now() + graceMs
    signalGroup(this.pid, 'SIGTERM')
    let timer: NodeJS.Timeout | undefined
    const exitedInTime = await Promise.race([this.mainExit.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)))])
    clearTimeout(timer)
    if (!exitedInTime && !this.ended) {
      this.sigkillSent = true
      signalGroup(this.pid, 'SIGKILL')
    }
    return this.exited
  }

  private async lifecycle(): Promise<ExitInfo> {
    const [code, signal] = await this.mainExit
    this.ended = true
    // While stopping, the rest of the group (the app under `sh -c`) keeps the grace to shut down; its
    // open pipes say it still runs. (Polling the group would count zombies that PID 1 has not reaped.)
    const grace = this.stopDeadline === undefined ? 0 : Math.max(0, this.stopDeadline - Date.now())
    let drained = await this.drainedWithin(grace)
    if (!drained && this.stopDeadline !== undefined) this.sigkillSent = true
    signalGroup(this.pid, 'SIGKILL')
    release(this.pid)
    if (!drained) drained = await this.drainedWithin(DRAIN_MS)
    for (const stream of this.streams) stream.destroy()
    for (const flush of this.flushers) flush()
    const reason = this.sigkillSent ? 'killed' : this.stopDeadline !== undefined ? 'stopped' : 'exited'
    return { code, signal, reason }
  }

  private async drainedWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const drained = await Promise.race([this.drained.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))])
    clearTimeout(timer)
    return drained
  }
}

function commandText(command: InstanceSpec['command']): string {
  return typeof command === 'string' ? command : (command ?? []).join(' ')
}

function spawnFailed(spec: InstanceSpec, reason: string): SlsError {
  return new SlsError('INSTANCE_SPAWN_FAILED', `${spec.instanceId}: cannot start ${commandText(spec.command)}: ${reason}`, {
    hints: ['Check dev.command and dev.cwd in sls-run.yaml.'],
  })
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory()
  } catch {
    return false
  }
}

export class ProcessRuntime implements Runtime {
  readonly kind = 'process' as const

  /** `recorder`: where the session records its groups (`sls-run dev`); without one, only the reaper knows them. */
  constructor(private readonly recorder?: GroupRecorder) {}

  async start(spec: InstanceSpec, onLog: (line: LogLine) => void): Promise<RuntimeInstance> {
    const port = await freePort()
    const [file, ...args] = typeof spec.command === 'string' ? [spec.command] : (spec.command ?? [])
    if (file === undefined || file.trim() === '') throw spawnFailed(spec, 'the command is empty')
    const subprocess = execa(file, args, {
      cwd: spec.cwd,
      env: { ...spec.env, PORT: String(port) }, // what it may take from the host is already in spec.env (emulator/contract.ts)
      extendEnv: false,
      shell: typeof spec.command === 'string',
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      detached: true,
      // execa skips cleanup for detached processes; stopAllSync is the real last resort.
      cleanup: true,
      forceKillAfterDelay: false,
    })
    const { pid, stdout, stderr } = subprocess
    if (pid === undefined) {
      const result = await subprocess
      const cause = result.cause as NodeJS.ErrnoException | undefined
      const reason = !isDirectory(spec.cwd)
        ? `the directory ${spec.cwd} does not exist`
        : cause?.code === 'ENOENT'
          ? `${file} was not found`
          : (cause?.message ?? result.shortMessage ?? 'unknown error')
      throw spawnFailed(spec, reason)
    }
    void subprocess.catch(() => undefined)
    liveGroups.set(pid, this.recorder)
    this.recorder?.track(pid, { service: spec.service, instance: spec.instanceId, command: commandText(spec.command) })
    reap(pid, true)
    const instance = new ProcessInstance(spec.instanceId, { host: '127.0.0.1', port }, pid, [stdout, stderr], subprocess)
    for (const [stream, name] of [
      [stdout, 'stdout'],
      [stderr, 'stderr'],
    ] as const) {
      const flush = forEachLine(stream, (line) => {
        instance.remember(line)
        onLog({ instanceId: spec.instanceId, stream: name, line, at: Date.now() })
      })
      instance.flushers.push(flush)
    }
    return instance
  }

  async stop(instance: RuntimeInstance, graceMs: number): Promise<ExitInfo> {
    if (!(instance instanceof ProcessInstance)) throw new TypeError(`${instance.id} is not a process instance`)
    return instance.stop(graceMs)
  }
}
