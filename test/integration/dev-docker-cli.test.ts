/**
 * `sls-run dev` with the docker runtime as a user runs it (the built bin), and the layers against
 * orphaned containers: Ctrl-C removes them; a SIGKILLed session's containers are removed by the reaper;
 * a new session sweeps what ended sessions left; `sls-run clean` lists and removes them.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Docker from 'dockerode'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import { freePort } from '../../src/runtime/free-port.js'
import { LABEL, projectHash } from '../../src/runtime/docker/labels.js'
import { BIN, envelope, runCli } from '../helpers/cli.js'
import { buildProbeImage } from '../helpers/probe-image.js'
import { useTempDir } from '../helpers/temp.js'
import { waitFor } from '../helpers/wait.js'

const docker = new Docker()
const run = Date.now().toString(36)
const IMAGE = `sls-run-test/probe-cli-${run}`
const tempDir = useTempDir('sls-run-dev-docker-')
const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
})

const env = () => ({ PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}) })
const sessionContainers = async (session: string) => docker.listContainers({ all: true, filters: { label: [`${LABEL.session}=${session}`] } })

function project(image = IMAGE): string {
  const dir = tempDir()
  writeFileSync(path.join(dir, 'sls-run.yaml'), `name: t\nservices:\n  probe:\n    image: ${image}\n    scaling: { minInstances: 2 }\n    dev: { runtime: docker }\n`)
  return dir
}

async function startDev(dir: string) {
  const [port, adminPort] = [await freePort(), await freePort()]
  const child = spawn(process.execPath, [BIN, 'dev', '--json', '--port', String(port), '--admin-port', String(adminPort)], { cwd: dir, env: env(), stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let [stdout, stderr] = ['', '']
  child.stdout!.on('data', (chunk) => (stdout += chunk))
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const containers = await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`sls-run dev exited ${child.exitCode}: ${stderr}${stdout}`)
      const status = await fetch(`http://127.0.0.1:${adminPort}/api/status`).then(
        (r) => r.json(),
        () => undefined,
      )
      const ready = status?.services[0].instances.filter((i: { state: string }) => i.state === 'ready') ?? []
      return ready.length === 2 ? (ready.map((i: { container: string }) => i.container) as string[]) : undefined
    },
    20_000,
    50,
    'two ready instances in /api/status',
  )
  const session = (await docker.getContainer(containers[0]!).inspect()).Config.Labels[LABEL.session]!
  const events = () =>
    stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
  return { child, port, containers, session, exited, events, stderr: () => stderr }
}

/** A managed container whose session's pid is dead: what a crashed sls-run of the past would leave. */
async function orphan(pid: number, project = `test-${run}`): Promise<string> {
  const container = await docker.createContainer({
    Image: inject('standins').alpine,
    Cmd: ['sleep', '600'],
    Labels: { [LABEL.managed]: 'true', [LABEL.session]: `orphan-${run}`, [LABEL.project]: project, [LABEL.service]: 'old', [LABEL.pid]: String(pid), [LABEL.host]: os.hostname() },
  })
  await container.start()
  return container.id
}

/** A pid that is not running: a short-lived child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''])
  await new Promise((resolve) => child.on('exit', resolve))
  return child.pid!
}

describe.skipIf(!inject('engine'))('sls-run dev --runtime docker (built CLI) and sls-run clean', () => {
  beforeAll(() => buildProbeImage(docker, `${IMAGE}:latest`), 120_000)
  afterAll(async () => {
    for (const c of await docker.listContainers({ all: true, filters: { label: [`${LABEL.session}=orphan-${run}`] } })) await docker.getContainer(c.Id).remove({ force: true })
    await docker
      .getImage(`${IMAGE}:latest`)
      .remove({ force: true })
      .catch(() => undefined)
  })

  it('Ctrl-C drains and removes every container; exit 0', async () => {
    const { child, port, session, exited, events } = await startDev(project())
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200)
    // The two instances, and the warm container made for the next cold start (docs/runtimes.md).
    const warm = (c: Docker.ContainerInfo) => c.Names.some((n) => /^\/sls-run-probe-warm\d+-/.test(n))
    expect((await sessionContainers(session)).filter((c) => !warm(c))).toHaveLength(2)
    await waitFor(async () => (await sessionContainers(session)).some(warm) || undefined, 15_000, 50, 'the warm container')
    child.kill('SIGINT')
    expect(await exited).toBe(0)
    expect(await sessionContainers(session)).toEqual([])
    expect(events()).toContainEqual(expect.objectContaining({ type: 'runtime', service: 'probe', runtime: 'docker' }))
  })

  it('SIGKILL of sls-run: the reaper removes the containers of that session', async () => {
    const { child, session, exited } = await startDev(project())
    child.kill('SIGKILL')
    await exited
    await waitFor(async () => (await sessionContainers(session)).length === 0 || undefined, 15_000)
    expect(await sessionContainers(session)).toEqual([])
  })

  it('a new session first removes the containers of ended sessions, and says how many', async () => {
    const id = await orphan(await deadPid())
    const { child, exited, events } = await startDev(project())
    expect(events()).toContainEqual(expect.objectContaining({ type: 'orphans-removed', count: expect.any(Number) }))
    expect(events().find((e) => e.type === 'orphans-removed').count).toBeGreaterThanOrEqual(1)
    await expect(docker.getContainer(id).inspect()).rejects.toMatchObject({ statusCode: 404 })
    child.kill('SIGINT')
    expect(await exited).toBe(0)
  })

  it("sls-run clean --project removes this project's orphans and keeps its live sessions; --all --project those too; other projects untouched", async () => {
    const dir = project()
    const mine = projectHash(path.join(dir, 'sls-run.yaml'))
    const id = await orphan(await deadPid(), mine)
    const live = await orphan(process.pid, mine) // this test process is alive: a running session
    const other = await orphan(process.pid) // another project's running session: never ours to stop
    try {
      const r = await runCli(['clean', '--json', '--project'], { cwd: dir, env: env() })
      expect(r.code, r.stderr).toBe(0)
      const result = envelope(r).result
      expect(result.removed.map((c: { id: string }) => c.id)).toEqual([id.slice(0, 12)])
      expect(result.kept.map((c: { id: string }) => c.id)).toEqual([live.slice(0, 12)])
      await expect(docker.getContainer(id).inspect()).rejects.toMatchObject({ statusCode: 404 })
      const all = await runCli(['clean', '--all', '--project'], { cwd: dir, env: env() })
      expect(all.code, all.stderr).toBe(0)
      expect(all.stdout).toMatch(/^removed \S+ \(old, session orphan-/m)
      await expect(docker.getContainer(live).inspect()).rejects.toMatchObject({ statusCode: 404 })
      expect((await docker.getContainer(other).inspect()).State.Running).toBe(true)
    } finally {
      await docker.getContainer(other).remove({ force: true })
    }
  })

  it('an image that is not built: IMAGE_NOT_FOUND, exit 3, the hint to run sls-run build; nothing started', async () => {
    const dir = project(`sls-run-test/never-built-${run}`)
    const r = await runCli(['dev', '--port', '0', '--admin-port', '0'], { cwd: dir, env: env(), timeoutMs: 30_000 })
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/IMAGE_NOT_FOUND/)
    expect(r.stderr).toMatch(/sls-run build probe/)
    expect(r.stderr).not.toMatch(/\n\s+at /) // no stack trace
  })
})
