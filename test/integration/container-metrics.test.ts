/** Container CPU and memory in /metrics, from the real engine's stats (docker runtime, dashboard wired). */
import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { configSchema } from '../../src/core/config/schema.js'
import { dashboardRoutes } from '../../src/core/dashboard/routes.js'
import { Emulator } from '../../src/core/emulator/emulator.js'
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js'
import { newSession } from '../../src/runtime/docker/labels.js'
import { buildProbeImage } from '../helpers/probe-image.js'
import { parsePrometheus, sum } from '../helpers/prometheus.js'

const docker = new Docker()
const run = Date.now().toString(36)
const PROBE_IMAGE = `sls-run-test/probe-metrics:${run}`

describe.skipIf(!inject('engine'))('container metrics (docker runtime)', () => {
  let emulator: Emulator | undefined
  beforeAll(async () => {
    await buildProbeImage(docker, PROBE_IMAGE)
  }, 120_000)
  afterAll(async () => {
    await emulator?.stop()
    await docker
      .getImage(PROBE_IMAGE)
      .remove({ force: true })
      .catch(() => undefined)
  })

  it('exports slsrun_container_cpu_seconds_total and slsrun_container_memory_bytes per instance', async () => {
    const runtime = await DockerRuntime.create(docker, newSession(`/tmp/sls-run-test-${run}/sls-run.yaml`))
    const config = configSchema.parse({ name: 't', services: { probe: { image: PROBE_IMAGE, resources: { memory: '256Mi' } } } })
    emulator = new Emulator({ config, port: 0, adminPort: 0, runtime, graceMs: 2000, onEvent: () => {}, adminRoutes: (e) => dashboardRoutes(e, { docker }).routes })
    const { gateways, admin } = await emulator.start()
    for (let i = 0; i < 5; i++) expect((await fetch(`${gateways.probe}/?ms=20`)).status).toBe(200)
    const started = Date.now()
    const { samples } = parsePrometheus(await (await fetch(`${admin}/metrics`)).text())
    expect(Date.now() - started).toBeLessThan(3000)
    const labels = { service: 'probe', instance: 'probe#1' }
    expect(sum(samples, 'slsrun_container_cpu_seconds_total', labels)).toBeGreaterThan(0)
    const memory = sum(samples, 'slsrun_container_memory_bytes', labels)
    expect(memory).toBeGreaterThan(1024 * 1024)
    expect(memory).toBeLessThan(256 * 1024 * 1024)
    expect(sum(samples, 'slsrun_billable_seconds_total', { service: 'probe' })).toBeGreaterThanOrEqual(0.5)
  })
})
