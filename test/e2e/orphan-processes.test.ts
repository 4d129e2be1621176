/**
 * When `sls-run dev` and its reaper are both SIGKILLed, the process-runtime instances survive (their
 * parent is gone, their ports stay open): the session's record (src/runtime/process/records.ts) lets
 * `sls-run clean` and the next `sls-run dev` find and kill them, and only them.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { freePort } from '../../src/runtime/free-port.js'
import { BIN, envelope, ndjsonEvents, runCli } from '../helpers/cli.js'
import { useTempDir } from '../helpers/temp.js'
import { processAlive, waitFor } from '../helpers/wait.js'

const APP = fileURLToPath(new URL('../fixtures/apps/platform-probe.mjs', import.meta.url))
const tempDir = useTempDir('sls-run-orphans-')
const children: ChildProcess[] = []
const groups: number[] = []
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  for (const pgid of groups.splice(0)) {
    try {
      process.kill(-pgid, 'SIGKILL')
    } catch {}
  }
})

/** Each test's own state folder, and no engine: nothing here looks at Docker or at the user's records. */
function environment(): NodeJS.ProcessEnv {
  const dir = tempDir()
  return { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', XDG_STATE_HOME: path.join(dir, 'state'), DOCKER_HOST: `unix://${path.join(dir, 'no-docker.sock')}` }
}

const numeric = (a: number, b: number) => a - b

const records = (env: NodeJS.ProcessEnv) => {
  try {
    return readdirSync(path.join(env.XDG_STATE_HOME!, 'sls-run', 'sessions')).filter((name) => name.endsWith('.json'))
  } catch {
    return []
  }
}

async function startDev(env: NodeJS.ProcessEnv) {
  const dir = tempDir()
  writeFileSync(path.join(dir, 'sls-run.yaml'), `name: t\nservices:\n  probe:\n    scaling: { minInstances: 2 }\n    dev: { command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(APP)}] }\n`)
  const adminPort = await freePort()
  const child = spawn(process.execPath, [BIN, 'dev', '--json', '--runtime', 'process', '--no-watch', '--port', '0', '--admin-port', String(adminPort)], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let stdout = ''
  child.stdout!.on('data', (chunk) => (stdout += chunk))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const pids = await waitFor(async () => {
    const status = await fetch(`http://127.0.0.1:${adminPort}/api/status`).then(
      (r) => r.json(),
      () => undefined,
    )
    const ready = status?.services[0].instances.filter((i: { state: string }) => i.state === 'ready') ?? []
    return ready.length === 2 ? (ready.map((i: { pid: number }) => i.pid) as number[]).sort(numeric) : undefined
  }, 15_000)
  groups.push(...pids)
  return { child, pids, exited, events: () => ndjsonEvents(stdout) }
}

/** The session's reaper: the node child of `dev` running reaper-main.js. */
function reaperOf(devPid: number): number | undefined {
  const table = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' })
  for (const line of table.split('\n')) {
    const [pid, ppid, ...args] = line.trim().split(/\s+/)
    if (Number(ppid) === devPid && args.join(' ').includes('reaper-main.js')) return Number(pid)
  }
  return undefined
}

/** SIGKILL for the reaper first (so it cannot act when dev's pipe closes), then for dev. */
async function killSessionAndReaper(session: Awaited<ReturnType<typeof startDev>>): Promise<void> {
  const reaper = await waitFor(() => reaperOf(session.child.pid!))
  process.kill(reaper, 'SIGKILL')
  await waitFor(() => !processAlive(reaper))
  session.child.kill('SIGKILL')
  await session.exited
  expect(session.pids.filter(processAlive)).toEqual(session.pids) // orphaned: nothing left to kill them
}

describe('process groups of a session killed with its reaper', () => {
  it('sls-run clean kills them (--json: processes.removed) and keeps those of a running session', async () => {
    const env = environment()
    const live = await startDev(env)
    const dead = await startDev(env)
    await waitFor(() => records(env).length === 2)
    await killSessionAndReaper(dead)

    const r = await runCli(['clean', '--json'], { env })
    expect(r.code, r.stderr).toBe(0)
    const result = envelope(r).result
    expect(result.processes.removed.map((g: { pgid: number }) => g.pgid).sort(numeric)).toEqual(dead.pids)
    expect(result.processes.removed[0]).toMatchObject({ service: 'probe', instance: expect.stringMatching(/^probe#\d+$/), command: expect.stringContaining('platform-probe.mjs') })
    expect(result.processes.kept.map((g: { pgid: number }) => g.pgid).sort(numeric)).toEqual(live.pids)
    expect(envelope(r).warnings).toEqual([expect.stringMatching(/no Docker engine answers.*containers were not checked/)])
    await waitFor(() => dead.pids.every((pid) => !processAlive(pid)) || undefined)
    expect(live.pids.filter(processAlive)).toEqual(live.pids)
    expect(records(env)).toHaveLength(1) // the ended session's record is gone

    const human = await runCli(['clean'], { env })
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).not.toMatch(/^removed/m)
    expect(human.stdout).toMatch(new RegExp(`^kept process group ${live.pids[0]} of probe#\\d+: its session is running \\(pid ${live.child.pid}\\)$`, 'm'))

    live.child.kill('SIGINT')
    expect(await live.exited).toBe(0)
    expect(records(env)).toEqual([]) // a session that ends normally leaves no record
  })

  it('a new sls-run dev kills them first and says so (orphans-removed)', async () => {
    const env = environment()
    const dead = await startDev(env)
    await waitFor(() => records(env).length === 1)
    await killSessionAndReaper(dead)

    const next = await startDev(env)
    const removed = next.events().find((e) => e.type === 'orphans-removed')
    expect(removed?.count).toBe(2)
    expect(removed!.containers).toEqual([])
    expect(removed!.processes.map((name: string) => Number(/^process group (\d+) of probe#\d+$/.exec(name)?.[1])).sort(numeric)).toEqual(dead.pids)
    await waitFor(() => dead.pids.every((pid) => !processAlive(pid)) || undefined)
    next.child.kill('SIGINT')
    expect(await next.exited).toBe(0)
    expect(records(env)).toEqual([])
  })
})
