/** `sls-run dev` as a user runs it (the built bin): NDJSON events, Ctrl-C drains, and no process survives even a SIGKILL. */
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { freePort } from '../../src/runtime/free-port.js'
import { BIN, runCli } from '../helpers/cli.js'
import { useTempDir } from '../helpers/temp.js'
import { processAlive, waitFor } from '../helpers/wait.js'

const APP = fileURLToPath(new URL('../fixtures/apps/platform-probe.mjs', import.meta.url))
const tempDir = useTempDir()
const children: ChildProcess[] = []
const pidsToCheck: number[] = []
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
  for (const pid of pidsToCheck.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {}
  }
})

const alive = processAlive

async function startDev(json: boolean) {
  const dir = tempDir()
  writeFileSync(path.join(dir, 'sls-run.yaml'), `name: t\nservices:\n  probe:\n    scaling: { minInstances: 2 }\n    dev: { command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(APP)}] }\n`)
  const [port, adminPort] = [await freePort(), await freePort()]
  const child = spawn(process.execPath, [BIN, 'dev', '--port', String(port), '--admin-port', String(adminPort), ...(json ? ['--json'] : [])], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk) => (stdout += chunk))
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const pids = await waitFor(
    async () => {
      const status = await fetch(`http://127.0.0.1:${adminPort}/api/status`).then(
        (r) => r.json(),
        () => undefined,
      )
      const ready = status?.services[0].instances.filter((i: { state: string }) => i.state === 'ready') ?? []
      return ready.length === 2 ? (ready.map((i: { pid: number }) => i.pid) as number[]) : undefined
    },
    10_000,
    50,
    'two ready instances in /api/status',
  )
  pidsToCheck.push(...pids)
  return { child, pids, port, exited, output: () => ({ stdout, stderr }) }
}

describe('sls-run dev (built CLI)', () => {
  it('--json streams NDJSON events; Ctrl-C drains, stops every instance and exits 0', async () => {
    const { child, pids, port, exited, output } = await startDev(true)
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200)
    child.kill('SIGINT')
    expect(await exited).toBe(0)
    const events = output()
      .stdout.trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['admin', 'listening', 'scale', 'instance', 'cold-start', 'request']))
    expect(events.at(-1).type).toBe('stopped')
    expect(
      events
        .filter((e) => e.type === 'instance' && e.state === 'stopped')
        .map((e) => e.id)
        .sort(),
    ).toEqual(['probe#1', 'probe#2'])
    expect(pids.filter(alive)).toEqual([])
  })

  it('no instance survives a SIGKILL of sls-run (the reaper cleans up)', async () => {
    const { child, pids, exited } = await startDev(false)
    expect(pids.filter(alive)).toHaveLength(2)
    child.kill('SIGKILL')
    await exited
    await waitFor(() => pids.filter(alive).length === 0 || undefined, 8_000)
    expect(pids.filter(alive)).toEqual([])
  })

  it('human mode prints service#n-prefixed logs and cold starts on stderr', async () => {
    const { child, exited, output } = await startDev(false)
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(output().stderr).toMatch(/^probe#1 cold start \d+ ms \(spawn \d+ ms, boot \d+ ms, ready \d+ ms\)$/m)
    expect(output().stderr).toMatch(/probe \(probe-00001\) listening on http:\/\/127\.0\.0\.1:\d+/)
    expect(output().stderr).toMatch(/^dashboard: http:\/\/127\.0\.0\.1:\d+\/ \(status: http:\/\/127\.0\.0\.1:\d+\/api\/status, metrics: /m)
    expect(output().stdout).toBe('')
  })

  it('no engine: --runtime docker is DOCKER_UNAVAILABLE (exit 3, hint: doctor); auto falls back to the process runtime and says so', async () => {
    const dir = tempDir()
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n')
    writeFileSync(path.join(dir, 'sls-run.yaml'), `name: t\nservices:\n  probe:\n    build: { context: . }\n    dev: { command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(APP)}] }\n`)
    const noEngine = { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', DOCKER_HOST: `unix://${path.join(dir, 'no-docker.sock')}` }
    const docker = await runCli(['dev', '--runtime', 'docker', '--port', '0', '--admin-port', '0'], { cwd: dir, env: noEngine, timeoutMs: 20_000 })
    expect(docker.code).toBe(3)
    expect(docker.stderr).toMatch(/DOCKER_UNAVAILABLE/)
    expect(docker.stderr).toMatch(/sls-run doctor/)
    const [port, adminPort] = [await freePort(), await freePort()]
    const child = spawn(process.execPath, [BIN, 'dev', '--json', '--port', String(port), '--admin-port', String(adminPort)], { cwd: dir, env: noEngine, stdio: ['ignore', 'pipe', 'pipe'] })
    children.push(child)
    let stdout = ''
    child.stdout!.on('data', (chunk) => (stdout += chunk))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    const res = await waitFor(() =>
      fetch(`http://127.0.0.1:${port}/`).then(
        (r) => r,
        () => undefined,
      ),
    )
    expect(res.status).toBe(200)
    child.kill('SIGINT')
    expect(await exited).toBe(0)
    const runtime = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .find((e) => e.type === 'runtime')
    expect(runtime).toMatchObject({ service: 'probe', runtime: 'process', reason: expect.stringMatching(/no Docker engine answers/) })
  })
})
