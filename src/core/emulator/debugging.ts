/**
 * The debug session of `sls-run dev --inspect=<service>` (inspect.ts says which debugger runs): wraps
 * each instance's spec with the debugger, follows which instance's debugger the stable port forwards
 * to, and reports the attach URL.
 */
import { spawnSync } from 'node:child_process'
import type { InstanceSpec, LogLine } from '../../runtime/types.js'
import { freePort } from '../../runtime/free-port.js'
import { ExitCode, SlsError } from '../../errors.js'
import { DebugProxy, type DebugTarget } from './debug-proxy.js'
import { announcedPort, debuggerKind, inspectLaunch, inspectUnavailable, type DebuggerKind } from './inspect.js'

export type DebuggerEvent =
  | { type: 'debugger'; service: string; id: string; kind: DebuggerKind; state: 'listening'; url: string }
  | { type: 'debugger'; service: string; id: string; kind: DebuggerKind; state: 'missing'; message: string }

export interface InspectOptions {
  service: string
  /** The stable port on 127.0.0.1 debuggers attach to (default 9229, as Node's). */
  port: number
}

export class DebugSession {
  private readonly proxy = new DebugProxy()
  private readonly announced = new Map<string, { port: number; path: string }>()
  private pythonPorts: number[] = []
  private instances = 0
  private url = ''

  private constructor(
    readonly service: string,
    readonly kind: DebuggerKind,
    private readonly runtime: 'process' | 'docker',
    private readonly onEvent: (event: DebuggerEvent) => void,
  ) {}

  static async start(options: InspectOptions, command: InstanceSpec['command'], runtime: 'process' | 'docker', onEvent: (event: DebuggerEvent) => void): Promise<DebugSession> {
    const session = new DebugSession(options.service, debuggerKind(command, runtime), runtime, onEvent)
    session.checkAvailable(command)
    if (session.kind === 'python') session.pythonPorts = [await freePort(), await freePort()]
    try {
      const port = await session.proxy.listen(options.port)
      session.url = `127.0.0.1:${port}`
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error
      throw new SlsError('PORT_IN_USE', `debugger port ${options.port} is already in use`, {
        exitCode: ExitCode.usage,
        hints: ['Another debugger target (or sls-run session) holds it: choose another with --inspect-port.'],
      })
    }
    return session
  }

  /** An instance's spec with the debugger added (python: the two ports alternate, so a new revision can start beside the old). */
  wrap(spec: InstanceSpec): InstanceSpec {
    const port = this.pythonPorts[this.instances++ % 2]
    const launch = inspectLaunch(this.kind, spec.command, spec.env, this.runtime, port)
    if (launch.port !== undefined) this.announced.set(spec.instanceId, { port: launch.port, path: '' })
    return { ...spec, env: launch.env, ...(launch.command === undefined ? {} : { command: launch.command }) }
  }

  /** Every log line of the service: the last debugger an instance announces is its app's. */
  observe(line: LogLine): void {
    const found = announcedPort(line.line)
    if (found) this.announced.set(line.instanceId, found)
  }

  /** The instance is ready: the stable port now forwards to its debugger. */
  ready(instanceId: string, address: DebugTarget): void {
    const found = this.announced.get(instanceId)
    if (!found) {
      return this.onEvent({
        type: 'debugger',
        service: this.service,
        id: instanceId,
        kind: this.kind,
        state: 'missing',
        message: `${instanceId} is ready but no debugger announced itself on its output (does its command start ${this.kind === 'node' ? 'Node' : this.kind}?)`,
      })
    }
    this.proxy.retarget({ host: this.runtime === 'docker' ? address.host : '127.0.0.1', port: found.port })
    const url = this.kind === 'node' ? `ws://${this.url}${found.path}` : this.url
    this.onEvent({ type: 'debugger', service: this.service, id: instanceId, kind: this.kind, state: 'listening', url })
  }

  forget(instanceId: string): void {
    this.announced.delete(instanceId)
  }

  close(): Promise<void> {
    return this.proxy.close()
  }

  private checkAvailable(command: InstanceSpec['command']): void {
    if (this.kind === 'python') {
      const python = typeof command === 'string' ? command.trim().split(/\s+/)[0]! : command![0]!
      const probe = spawnSync(python, ['-c', 'import debugpy'], { stdio: 'ignore', timeout: 10_000 })
      if (probe.status !== 0) throw inspectUnavailable(`debugpy for ${python}`, `Install it where the app's interpreter finds it: ${python} -m pip install debugpy`)
    }
    if (this.kind === 'go' && spawnSync('dlv', ['version'], { stdio: 'ignore', timeout: 10_000 }).status !== 0) {
      throw inspectUnavailable('Delve (dlv) on PATH', 'Install it: go install github.com/go-delve/delve/cmd/dlv@latest')
    }
  }
}
