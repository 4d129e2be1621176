/**
 * The docker runtime on the real engine: the emulator's behavioural suite in containers (the probe app
 * in an image FROM this run's node:22-alpine stand-in), then what only containers have: labels, limits, OOM,
 * cpuThrottling (docker pause), graceful stop, readiness failure, and no orphans.
 */
import Docker from 'dockerode'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import { Emulator, type EmulatorEvent } from '../../src/core/emulator/emulator.js'
import { configSchema } from '../../src/core/config/schema.js'
import { DockerRuntime, HOST_ALIAS } from '../../src/runtime/docker/docker-runtime.js'
import { LABEL, newSession, type Session } from '../../src/runtime/docker/labels.js'
import { emulatorSuite, json, until } from '../helpers/emulator-suite.js'
import { buildProbeImage } from '../helpers/probe-image.js'

const docker = new Docker()
const run = Date.now().toString(36)
const PROBE_IMAGE = `sls-run-test/probe:${run}`

const managedCount = async (session: Session) => (await docker.listContainers({ all: true, filters: { label: [`${LABEL.session}=${session.id}`] } })).length

describe.skipIf(!inject('engine'))('sls-run dev emulator (docker runtime)', () => {
  const session = newSession(`/tmp/sls-run-test-${run}/sls-run.yaml`)
  let runtime: DockerRuntime
  beforeAll(async () => {
    await buildProbeImage(docker, PROBE_IMAGE)
    runtime = await DockerRuntime.create(docker, session)
  }, 120_000)
  afterAll(async () => {
    expect(await managedCount(session)).toBe(0) // every container of the suite is gone
    await docker
      .getImage(PROBE_IMAGE)
      .remove({ force: true })
      .catch(() => undefined)
  })

  emulatorSuite(() => ({ runtime, service: { image: PROBE_IMAGE }, instanceUrl: (url) => url.replace('127.0.0.1', HOST_ALIAS) }))

  describe('what only containers have', () => {
    const running: Emulator[] = []
    afterEach(async () => {
      await Promise.all(running.splice(0).map((e) => e.stop()))
    })
    async function emulate(service: Record<string, unknown>, graceMs = 2000) {
      const config = configSchema.parse({ name: 't', services: { probe: { image: PROBE_IMAGE, ...service } } })
      const events: EmulatorEvent[] = []
      const emulator = new Emulator({ config, port: 0, adminPort: 0, runtime, graceMs, onEvent: (e) => events.push(e) })
      running.push(emulator)
      const { gateways, admin } = await emulator.start()
      return { url: gateways.probe!, admin, events, emulator }
    }
    const containerOf = async (emulator: Emulator, id = 'probe#1') => docker.getContainer(emulator.status().services[0]!.instances.find((i) => i.id === id)!.container!).inspect()

    it('--inspect in a container: the stable port forwards to the inspector on the container; no 504 while debugging', async () => {
      const config = configSchema.parse({ name: 't', services: { probe: { image: PROBE_IMAGE, timeout: '1s' } } })
      const events: EmulatorEvent[] = []
      const emulator = new Emulator({ config, port: 0, adminPort: 0, runtime, graceMs: 2000, inspect: { service: 'probe', port: 0 }, onEvent: (e) => events.push(e) })
      running.push(emulator)
      const { gateways } = await emulator.start()
      await until(() => events.some((e) => e.type === 'debugger'), 30_000)
      const announced = events.find((e) => e.type === 'debugger') as Extract<EmulatorEvent, { type: 'debugger' }>
      expect(announced).toMatchObject({ id: 'probe#1', kind: 'node', state: 'listening' })
      const url = new URL((announced as { url: string }).url)
      const list = (await (await fetch(`http://${url.host}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>
      expect(list.map((t) => t.webSocketDebuggerUrl)).toEqual([(announced as { url: string }).url])
      const slow = await fetch(`${gateways.probe}/?ms=1500`) // past the 1 s timeout: held while debugging
      expect(slow.status).toBe(200)
      expect(emulator.status().services[0]!.instances).toEqual([expect.objectContaining({ id: 'probe#1', debugging: true })])
    })

    it('labels every container with the session, and applies resources.cpu and resources.memory', async () => {
      const { url, emulator } = await emulate({ resources: { cpu: 0.5, memory: '256Mi' } })
      expect((await fetch(url)).status).toBe(200)
      const info = await containerOf(emulator)
      expect(info.Config.Labels).toMatchObject({
        [LABEL.managed]: 'true',
        [LABEL.session]: session.id,
        [LABEL.project]: session.project,
        [LABEL.service]: 'probe',
        [LABEL.pid]: String(process.pid),
        [LABEL.host]: session.host,
      })
      expect(info.HostConfig.NanoCpus).toBe(500_000_000)
      expect(info.HostConfig.Memory).toBe(256 * 1024 * 1024)
    })

    it('warm containers: one created (not started) ahead of the cold start, which uses it; replaced; removed at a new revision and at stop', async () => {
      const sessionContainers = () => docker.listContainers({ all: true, filters: { label: [`${LABEL.session}=${session.id}`, `${LABEL.service}=probe`] } })
      const warmOnes = async () => (await sessionContainers()).filter((c) => c.Names.some((n) => /^\/sls-run-probe-warm\d+-/.test(n)))
      const { url, emulator, events } = await emulate({})
      await until(async () => (await warmOnes()).length === 1, 15_000)
      const [warm] = await warmOnes()
      expect(warm!.State).toBe('created') // nothing runs in it yet
      expect(warm!.Labels[LABEL.session]).toBe(session.id)
      expect(warm!.Labels[LABEL.managed]).toBe('true')

      expect((await fetch(url)).status).toBe(200)
      const used = emulator.status().services[0]!.instances.find((i) => i.id === 'probe#1')!
      expect(used.container).toBe(warm!.Id) // the cold start took the warm container
      await until(async () => /^\/sls-run-probe-1-/.test((await docker.getContainer(warm!.Id).inspect()).Name), 15_000) // renamed after its start
      const renamed = await docker.getContainer(warm!.Id).inspect()
      const cold = events.find((e) => e.type === 'cold-start') as Extract<EmulatorEvent, { type: 'cold-start' }>
      expect(cold.coldStart.bootMs).toBeGreaterThan(0) // the app's boot is still measured, from its start
      await until(async () => (await warmOnes()).length === 1, 15_000) // the next one, made after the start
      const next = (await warmOnes())[0]!
      expect(next.Id).not.toBe(warm!.Id)

      emulator.rollout('probe') // a new revision: the old revision's warm container goes, one for the new revision comes
      await until(async () => (await warmOnes()).every((c) => c.Id !== next.Id) && (await warmOnes()).length === 1, 15_000)
      const revision = (await docker.getContainer((await warmOnes())[0]!.Id).inspect()).Config.Env.find((e) => e.startsWith('K_REVISION='))
      expect(revision).toMatch(/^K_REVISION=/)
      expect(revision).not.toBe(renamed.Config.Env.find((e) => e.startsWith('K_REVISION=')))

      await emulator.stop()
      expect(await sessionContainers()).toEqual([]) // no warm container outlives the emulator
    })

    it('memory 32Mi and an app that allocates more: OOMKilled (event, status, metric), 503, replaced', async () => {
      const { url, admin, events, emulator } = await emulate({ resources: { memory: '32Mi' } })
      expect((await fetch(url)).status).toBe(200)
      const res = await fetch(`${url}/alloc`, { signal: AbortSignal.timeout(30_000) })
      expect(res.status).toBe(503)
      await until(() => events.some((e) => e.type === 'crash'), 10_000)
      expect(events).toContainEqual(expect.objectContaining({ type: 'crash', id: 'probe#1', exit: expect.objectContaining({ reason: 'oom-killed', code: 137 }) }))
      const status = await json(await fetch(`${admin}/api/status`))
      expect(status.services[0].instances).toContainEqual(
        expect.objectContaining({ id: 'probe#1', state: 'failed', exit: expect.objectContaining({ reason: 'oom-killed', message: expect.stringContaining('OOMKilled') }) }),
      )
      expect(await (await fetch(`${admin}/metrics`)).text()).toMatch(/slsrun_instance_crashes_total\{service="probe",reason="oom-killed"\} 1/)
      const next = await fetch(url, { signal: AbortSignal.timeout(20_000) })
      expect(next.status).toBe(200)
      expect(next.headers.get('x-sls-run-instance')).toBe('probe#2')
      expect(emulator.status().services[0]!.instances.find((i) => i.id === 'probe#1')!.state).toBe('failed')
    })

    it('cpuThrottling: idle → paused (background timers stop), the next request thaws it (Server-Timing thaw)', async () => {
      const { url, emulator } = await emulate({ cpuThrottling: true })
      const firstRes = await fetch(`${url}/ticks`)
      const firstText = await firstRes.text()
      expect(firstRes.status, firstText).toBe(200)
      const first = JSON.parse(firstText)
      await until(() => emulator.status().services[0]!.instances[0]?.frozen === true)
      await until(async () => (await containerOf(emulator)).State.Paused) // settle: the pause call has landed
      expect((await containerOf(emulator)).State.Paused).toBe(true)
      await new Promise((resolve) => setTimeout(resolve, 1000)) // ~20 ticks if it were running
      const res = await fetch(`${url}/ticks`)
      const text = await res.text()
      expect(res.status, text).toBe(200)
      const second = JSON.parse(text)
      expect(res.headers.get('server-timing')).toMatch(/thaw;dur=[\d.]+/)
      expect(second.ticks - first.ticks).toBeLessThan(8) // frozen for ~1 s of the gap: the timer did not run
      await until(() => emulator.status().services[0]!.instances[0]?.frozen === true)
      const unthrottled = await emulate({})
      const a = await json(await fetch(`${unthrottled.url}/ticks`))
      await new Promise((resolve) => setTimeout(resolve, 1000))
      const b = await json(await fetch(`${unthrottled.url}/ticks`))
      expect(b.ticks - a.ticks).toBeGreaterThanOrEqual(12) // the same gap, not throttled
    })

    it('graceful stop: SIGTERM, then SIGKILL after the grace; the exit code and reason are kept', async () => {
      const spec = (instanceId: string, command?: string[]) => ({
        service: 'probe',
        revision: 'probe-00001',
        instanceId,
        cwd: '/',
        env: {},
        port: 8080,
        image: PROBE_IMAGE,
        ...(command ? { command } : {}),
      })
      const polite = await runtime.start(spec('probe#91'), () => undefined)
      const stubborn = await runtime.start(spec('probe#92', ['node', 'ignore-sigterm.mjs']), () => undefined)
      await until(() => stubborn.lastLines(1)[0] === 'listening' && polite.lastLines(0).length === 0, 10_000)
      await new Promise((resolve) => setTimeout(resolve, 300)) // let the probe app install its SIGTERM handler
      const started = Date.now()
      const [a, b] = await Promise.all([runtime.stop(polite, 1500), runtime.stop(stubborn, 1500)])
      expect(a).toEqual({ code: 0, signal: null, reason: 'stopped' })
      expect(b).toEqual({ code: 137, signal: 'SIGKILL', reason: 'killed' })
      expect(Date.now() - started).toBeGreaterThanOrEqual(1400)
      expect(stubborn.lastLines(5)).toContain('ignoring SIGTERM')
      expect(await runtime.stop(stubborn, 1500)).toEqual(b) // safe to call twice
    })

    it("through a published port (Docker Desktop's way): readiness waits for the app, not for docker-proxy", async () => {
      const published = await DockerRuntime.create(docker, session, { address: 'published' })
      const config = configSchema.parse({ name: 't', services: { probe: { image: PROBE_IMAGE, command: 'sleep 0.7; exec node app.mjs' } } })
      const events: EmulatorEvent[] = []
      const emulator = new Emulator({ config, port: 0, adminPort: 0, runtime: published, graceMs: 2000, onEvent: (e) => events.push(e) })
      running.push(emulator)
      const { gateways } = await emulator.start()
      const res = await fetch(gateways.probe!)
      expect(res.status).toBe(200)
      const cold = events.find((e) => e.type === 'cold-start') as Extract<EmulatorEvent, { type: 'cold-start' }>
      expect(cold.coldStart.bootMs).toBeGreaterThanOrEqual(600) // the 0.7 s sleep is boot time, seen through the proxy
      expect(emulator.status().services[0]!.connectedInstances).toEqual(['probe#1'])
    })

    it('an instance that never gets ready: killed, container removed, its last log lines in the event', async () => {
      const { url, events } = await emulate({ command: 'echo booting; echo "still booting" >&2; sleep 60', startupProbe: { timeout: '1s' } })
      const res = await fetch(url, { signal: AbortSignal.timeout(20_000) })
      expect(res.status).toBe(503)
      const failed = events.find((e) => e.type === 'start-failed') as Extract<EmulatorEvent, { type: 'start-failed' }>
      expect(failed.message).toMatch(/did not open in time/)
      expect(failed.lastLines).toEqual(['booting', 'still booting'])
      // Every container that ran (a warm one, made for the next start, is only 'created'; the instance's own
      // container may be a warm one it took, whose label and, for a moment, name say warm).
      const left = async () => (await docker.listContainers({ all: true, filters: { label: [`${LABEL.session}=${session.id}`] } })).filter((c) => c.State !== 'created')
      await until(async () => (await left()).length === 0, 15_000) // removed once its stop completes
      expect(await left()).toEqual([])
    })
  })
})
