/**
 * A real registry for push tests: Debian's docker-registry (distribution 2.8, `scripts/provision.sh
 * registry`) on a free 127.0.0.1 port, htpasswd (bcrypt) auth, storage in a temp folder. The engine
 * treats 127.0.0.0/8 as an insecure registry, so it pushes over plain HTTP without any daemon
 * configuration. Never the package's own service on :5000.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { freePort } from '../../src/runtime/free-port.js'
import { waitFor } from './wait.js'

export const REGISTRY_BINARY = '/usr/bin/docker-registry'
const START_TIMEOUT_MS = 10_000
const STOP_GRACE_MS = 3_000

export interface TestRegistry {
  /** `127.0.0.1:PORT`, the registry part of an image reference. */
  host: string
  /** `http://127.0.0.1:PORT` */
  url: string
  username: string
  password: string
  /** Temp folder with config.yml, htpasswd, registry.log and data/ (the storage). */
  dir: string
  /** SIGTERM (SIGKILL after 3 s), then removes `dir`. Idempotent. */
  stop(): Promise<void>
  /** Stops it if running and starts it again on the same port with the same storage. */
  restart(): Promise<void>
  /** SIGKILL, at once: the registry goes away mid-whatever ("registry down" tests). */
  kill(): void
}

// Every registry child still running in this process; killed when the process exits or is signalled,
// since they run in their own process group and a Ctrl-C on the terminal would not reach them. The temp
// folders of registries never stopped go with them.
const running = new Set<ChildProcess>()
const folders = new Set<string>()

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, signal) // the whole (detached) process group
  } catch {
    child.kill(signal)
  }
}

function killAll(): void {
  for (const child of running) signalGroup(child, 'SIGKILL')
  running.clear()
  for (const dir of folders) rmSync(dir, { recursive: true, force: true })
  folders.clear()
}

process.once('exit', killAll)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killAll()
    // Keep the default behaviour (die of the signal) unless someone else handles it.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
  })
}

const yamlString = (value: string) => JSON.stringify(value) // a JSON string is a YAML double-quoted scalar

function logTail(file: string, chars = 2000): string {
  try {
    return readFileSync(file, 'utf8').slice(-chars) || '(empty log)'
  } catch {
    return '(no log)'
  }
}

export async function startRegistry(options: { username?: string; password?: string } = {}): Promise<TestRegistry> {
  if (!existsSync(REGISTRY_BINARY)) throw new Error(`${REGISTRY_BINARY} is missing: run \`bash scripts/provision.sh registry\``)
  const username = options.username ?? 'pusher'
  const password = options.password ?? `Pw-${Math.random().toString(36).slice(2, 10)}-S3cret`
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sls-run-registry-'))
  folders.add(dir)
  const logFile = path.join(dir, 'registry.log')
  const configFile = path.join(dir, 'config.yml')

  try {
    const htpasswd = spawnSync('htpasswd', ['-Bbn', username, password], { encoding: 'utf8' })
    if (htpasswd.error || htpasswd.status !== 0) {
      throw new Error(`htpasswd -Bbn failed (run \`bash scripts/provision.sh registry\`): ${htpasswd.error?.message ?? htpasswd.stderr}`)
    }
    writeFileSync(path.join(dir, 'htpasswd'), htpasswd.stdout.trim() + '\n')
    mkdirSync(path.join(dir, 'data'))
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    folders.delete(dir)
    throw error
  }

  let port = 0
  let child: ChildProcess | undefined

  const writeConfig = () =>
    writeFileSync(
      configFile,
      [
        'version: 0.1',
        'log:',
        '  level: warn',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${yamlString(path.join(dir, 'data'))}`,
        '  delete:',
        '    enabled: true',
        'http:',
        `  addr: ${yamlString(`127.0.0.1:${port}`)}`,
        'auth:',
        '  htpasswd:',
        '    realm: sls-run-test',
        `    path: ${yamlString(path.join(dir, 'htpasswd'))}`,
        '',
      ].join('\n'),
    )

  /** Waits for the registry to exit (SIGTERM, then SIGKILL after the grace period). */
  const halt = async (signal: NodeJS.Signals) => {
    const c = child
    if (!c) return
    if (c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((resolve) => c.once('exit', resolve))
      signalGroup(c, signal)
      const timer = setTimeout(() => signalGroup(c, 'SIGKILL'), STOP_GRACE_MS)
      await exited
      clearTimeout(timer)
    }
    running.delete(c)
  }

  /** Starts the child and waits until `GET /v2/` answers 401; false when it exited early (port taken?). */
  const start = async (): Promise<boolean> => {
    const url = `http://127.0.0.1:${port}`
    const fd = openSync(logFile, 'a')
    let c: ChildProcess
    try {
      c = spawn(REGISTRY_BINARY, ['serve', configFile], { cwd: dir, stdio: ['ignore', fd, fd], detached: true })
    } finally {
      closeSync(fd) // the child has its own copy
    }
    child = c
    running.add(c)
    c.unref()
    let spawnError: Error | undefined
    c.once('error', (error) => (spawnError = error))
    let last = 'no answer'
    const outcome = await waitFor(
      async () => {
        if (spawnError) throw new Error(`could not start ${REGISTRY_BINARY}: ${spawnError.message}`)
        if (c.exitCode !== null || c.signalCode !== null) return 'exited'
        try {
          const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) })
          await res.arrayBuffer()
          if (res.status === 401) return 'up'
          last = `HTTP ${res.status}`
        } catch (error) {
          last = (error as Error).message
        }
        return undefined
      },
      START_TIMEOUT_MS,
      50,
      () => `docker-registry on ${url} to answer GET /v2/ with 401 (last: ${last}); log tail:\n${logTail(logFile)}`,
    ).catch(async (error: unknown) => {
      if (!spawnError) await halt('SIGKILL') // timed out: it runs, but does not serve
      throw error
    })
    if (outcome === 'exited') running.delete(c)
    return outcome === 'up'
  }

  try {
    // freePort() is racy: if another process grabbed the port in between, the registry exits at once.
    for (let attempt = 1; ; attempt++) {
      port = await freePort()
      writeConfig()
      if (await start()) break
      if (attempt >= 3) throw new Error(`docker-registry exited during start-up (${attempt} attempts); log tail:\n${logTail(logFile)}`)
    }
  } catch (error) {
    await halt('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
    folders.delete(dir)
    throw error
  }

  let stopped = false
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    username,
    password,
    dir,
    async stop() {
      if (stopped) return
      stopped = true
      await halt('SIGTERM')
      rmSync(dir, { recursive: true, force: true })
      folders.delete(dir)
    },
    async restart() {
      if (stopped) throw new Error('restart() after stop(): the storage is gone')
      await halt('SIGTERM')
      if (!(await start())) throw new Error(`docker-registry exited on restart (port ${port} taken?); log tail:\n${logTail(logFile)}`)
    },
    kill() {
      if (child && child.exitCode === null && child.signalCode === null) signalGroup(child, 'SIGKILL')
    },
  }
}
