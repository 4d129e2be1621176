/**
 * `sls-run dev` logs as a user sees them: on a terminal each app line is prefixed `service#n |` in
 * colour; under CI=1 or through a pipe the same lines carry no ANSI codes. The terminal is a
 * pseudo-terminal from util-linux `script`; Ctrl-C is typed on it (the pty turns it into SIGINT).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { freePort } from '../../src/runtime/free-port.js'
import { processAlive, waitFor } from '../helpers/wait.js'
import { BIN } from '../helpers/cli.js'
import { useTempDir } from '../helpers/temp.js'
import { stripVTControlCharacters } from 'node:util'

const APP = fileURLToPath(new URL('../fixtures/apps/log-lines.mjs', import.meta.url))
const ESC = '\u001b'
const tempDir = useTempDir()
const children: ChildProcess[] = []
const pids: number[] = []
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
})

const alive = processAlive

const plain = (text: string) => stripVTControlCharacters(text)

/**
 * Runs `sls-run dev` (one service, `logs`), on a pseudo-terminal (tty) or with piped output, sends one
 * request to the gateway, waits for the app's line in the log, stops dev (Ctrl-C on the terminal,
 * SIGINT otherwise) and returns everything it printed, its exit code and the app's pid.
 */
async function devSession(tty: boolean, extraEnv: Record<string, string> = {}) {
  const dir = tempDir()
  writeFileSync(path.join(dir, 'sls-run.yaml'), `name: t\nservices:\n  logs:\n    dev: { command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(APP)}] }\n`)
  const [port, adminPort] = [await freePort(), await freePort()]
  const args = [BIN, 'dev', '--runtime', 'process', '--port', String(port), '--admin-port', String(adminPort)]
  // No CI, NO_COLOR or FORCE_COLOR unless a test adds them.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm-256color', ...extraEnv }
  const child = tty
    ? spawn('script', ['-qec', `exec ${[process.execPath, ...args].map((a) => `'${a}'`).join(' ')}`, '/dev/null'], { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(process.execPath, args, { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] })
  children.push(child)
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const res = await waitFor(
    () =>
      fetch(`http://127.0.0.1:${port}/hello`).then(
        (r) => r,
        () => undefined,
      ),
    15_000,
  )
  expect(res.status).toBe(200)
  const pid = Number((await waitFor(() => /hello from pid (\d+) for \/hello/.exec(plain(output)) ?? undefined, 15_000))[1])
  pids.push(pid)
  await waitFor(() => plain(output).includes(`warning from pid ${pid}`) || undefined, 15_000)
  if (tty)
    child.stdin!.write('\u0003') // Ctrl-C, typed on the terminal
  else child.kill('SIGINT')
  const code = await exited
  return { output, code, pid }
}

describe('sls-run dev logs on a terminal', () => {
  it('on a TTY each app line is prefixed service#n, in colour; Ctrl-C stops dev and the app', async () => {
    const { output, code, pid } = await devSession(true)
    expect(code).toBe(0)
    // `logs#1` in the service's colour, a dim `|`, then the line as the app wrote it (stdout and stderr).
    expect(output).toMatch(new RegExp(`${ESC}\\[3\\dmlogs#1${ESC}\\[39m ${ESC}\\[2m\\|${ESC}\\[22m hello from pid ${pid} for /hello\\r?\\n`))
    expect(output).toMatch(new RegExp(`${ESC}\\[3\\dmlogs#1${ESC}\\[39m ${ESC}\\[2m\\|${ESC}\\[22m warning from pid ${pid}\\r?\\n`))
    expect(output).toMatch(new RegExp(`${ESC}\\[3\\dmlogs#1${ESC}\\[39m cold start \\d+ ms`))
    expect(alive(pid)).toBe(false)
  })

  it('under CI=1 (on a TTY) and when piped the same lines carry no ANSI codes', async () => {
    for (const [tty, env] of [
      [true, { CI: '1' }],
      [false, {}],
    ] as const) {
      const { output, code, pid } = await devSession(tty, env)
      expect(code).toBe(0)
      expect(output).toMatch(new RegExp(`^logs#1 \\| hello from pid ${pid} for /hello\\r?$`, 'm'))
      expect(output).toMatch(new RegExp(`^logs#1 \\| warning from pid ${pid}\\r?$`, 'm'))
      expect(output).not.toContain(ESC)
      expect(alive(pid)).toBe(false)
    }
  })
})
