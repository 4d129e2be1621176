/**
 * `sls-run dev --inspect[=service]`: one instance of the service runs with its language's debugger
 * open, reached through a stable port on 127.0.0.1 (debug-proxy.ts), while the platform's timers (request
 * timeout, idle scale-down, startup deadline) are held for that service.
 *
 * Which debugger, from the command an instance runs:
 * - Node (node, npm, npx, pnpm, yarn, tsx, ts-node, nodemon, or anything else: the fallback):
 *   `NODE_OPTIONS=--inspect=<host>:0`. Every Node process of the command (npm, a compiler, the app)
 *   opens an inspector on a port of its own and says so on stderr ("Debugger listening on ws://…");
 *   the last one to announce itself is the app. Works in containers too (host 0.0.0.0, reached on the
 *   container's bridge address).
 * - Python (python, python3, python3.12…): `python -m debugpy --listen 127.0.0.1:<port> …` when debugpy
 *   is importable by that interpreter (process runtime).
 * - Go (`go run …`): `dlv debug … --headless --listen=127.0.0.1:0 --api-version=2 --accept-multiclient
 *   --continue` when `dlv` is on PATH (process runtime); dlv announces its port ("API server listening at:").
 */
import path from 'node:path'
import { ExitCode, SlsError } from '../../errors.js'

export type DebuggerKind = 'node' | 'python' | 'go'

export interface InspectLaunch {
  kind: DebuggerKind
  command?: string | readonly string[]
  env: Record<string, string>
  /** Known in advance (debugpy); otherwise announced on the instance's output. */
  port?: number
}

const PYTHON = /^python(\d+(\.\d+)?)?$/

/** The program a command starts (its first word, without a folder). */
function program(command: string | readonly string[] | undefined): string {
  const first = typeof command === 'string' ? command.trim().split(/\s+/)[0] : command?.[0]
  return first ? path.basename(first) : ''
}

export function debuggerKind(command: string | readonly string[] | undefined, runtime: 'process' | 'docker'): DebuggerKind {
  if (runtime === 'docker') return 'node'
  const name = program(command)
  if (PYTHON.test(name)) return 'python'
  if (name === 'go' && /^\s*go\s+run\b/.test(typeof command === 'string' ? command : (command ?? []).join(' '))) return 'go'
  return 'node' // node, npm, npx, tsx… and anything else that may start Node (a script)
}

/** How an instance of the debugged service starts: its command and env with the debugger added. */
export function inspectLaunch(kind: DebuggerKind, command: string | readonly string[] | undefined, env: Record<string, string>, runtime: 'process' | 'docker', pythonPort?: number): InspectLaunch {
  const host = runtime === 'docker' ? '0.0.0.0' : '127.0.0.1'
  if (kind === 'node') {
    const options = [env.NODE_OPTIONS, `--inspect=${host}:0`].filter(Boolean).join(' ')
    return { kind, ...(command === undefined ? {} : { command }), env: { ...env, NODE_OPTIONS: options } }
  }
  if (kind === 'python') {
    const args = ['-m', 'debugpy', '--listen', `${host}:${pythonPort}`]
    const next = typeof command === 'string' ? command.replace(/^\s*(\S+)/, (python) => `${python} ${args.join(' ')}`) : [command![0]!, ...args, ...command!.slice(1)]
    return { kind, command: next, env, port: pythonPort! }
  }
  // go run [build flags] <package> [program args]: dlv debug takes the package and `--` program args.
  const words = typeof command === 'string' ? command.trim().split(/\s+/) : [...command!]
  const rest = words.slice(2)
  const target = rest.find((w) => !w.startsWith('-')) ?? '.'
  const programArgs = rest.slice(rest.indexOf(target) + 1)
  const dlv = ['dlv', 'debug', target, '--headless', `--listen=${host}:0`, '--api-version=2', '--accept-multiclient', '--continue', ...(programArgs.length ? ['--', ...programArgs] : [])]
  return { kind, command: dlv, env }
}

/** The port a debugger announced on a line of the instance's output (Node, dlv), if this line is that. */
export function announcedPort(line: string): { port: number; path: string } | undefined {
  const node = /Debugger listening on ws:\/\/[^:\s]+:(\d+)(\/\S*)/.exec(line)
  if (node) return { port: Number(node[1]), path: node[2]! }
  const dlv = /API server listening at: \S+:(\d+)/.exec(line)
  return dlv ? { port: Number(dlv[1]), path: '' } : undefined
}

export const inspectUnavailable = (what: string, hint: string) =>
  new SlsError('INSPECT_UNAVAILABLE', `--inspect needs ${what}, which is not available here`, { exitCode: ExitCode.environment, hints: [hint] })

export const inspectServiceRequired = (services: string[]) =>
  new SlsError('INSPECT_SERVICE_REQUIRED', `--inspect needs a service name when several run (${services.join(', ')})`, {
    exitCode: ExitCode.usage,
    hints: [`Name one: --inspect=${services[0]}.`],
  })
