/** Runs the built CLI (bin/run.js) as a user would, in a given folder, with a clean CI-like environment. */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach } from 'vitest'

export const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? process.cwd(),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(options.input ?? '')
  })
}

/** stdout must be exactly one JSON document: parse it whole. */
export function envelope(result: CliResult): { status: string; result?: any; warnings?: string[]; error?: { code: string; message: string; hints: string[]; details?: any } } {
  return JSON.parse(result.stdout)
}

/**
 * Long-running `sls-run` children (a `dev` session) for one test file: spawned like runCli (clean CI-like
 * environment), each stopped with Ctrl-C and awaited after every test.
 */
export function useCliProcesses(): (args: string[], options: { cwd: string; stdio?: StdioOptions; env?: NodeJS.ProcessEnv }) => ChildProcess {
  const children: ChildProcess[] = []
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode !== null || child.signalCode !== null) continue
      child.kill('SIGINT')
      await new Promise((resolve) => child.once('exit', resolve))
    }
  })
  return (args, options) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', ...options.env },
      stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'],
    })
    children.push(child)
    return child
  }
}

/** The NDJSON events in a stream's text so far (`--json` output), skipping a partial last line. */
export function ndjsonEvents(text: string): Array<{ type: string; [key: string]: any }> {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{') && line.endsWith('}'))
    .map((line) => JSON.parse(line))
}
