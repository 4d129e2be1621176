/** /metrics on the admin port is valid Prometheus text and counts what was sent (process runtime, dashboard wired). */
import { fileURLToPath } from 'node:url'
import { afterEach, expect, it } from 'vitest'
import { configSchema } from '../../src/core/config/schema.js'
import { dashboardRoutes } from '../../src/core/dashboard/routes.js'
import { Emulator } from '../../src/core/emulator/emulator.js'
import { ProcessRuntime } from '../../src/runtime/process/process-runtime.js'
import { parsePrometheus, sum } from '../helpers/prometheus.js'

const APP = fileURLToPath(new URL('../fixtures/apps/platform-probe.mjs', import.meta.url))
let emulator: Emulator | undefined
afterEach(async () => {
  await emulator?.stop()
  emulator = undefined
})

it('parses as Prometheus text; requests, latency, queue wait and billable time match the requests sent', async () => {
  const config = configSchema.parse({ name: 't', services: { probe: { dev: { command: [process.execPath, APP], cwd: '/' }, scaling: { concurrency: 3, maxInstances: 3 } } } })
  emulator = new Emulator({ config, port: 0, adminPort: 0, runtime: new ProcessRuntime(), graceMs: 2000, onEvent: () => {}, adminRoutes: (e) => dashboardRoutes(e).routes })
  const { gateways, admin } = await emulator.start()
  const SENT = 25
  for (let wave = 0; wave < 5; wave++) {
    const answers = await Promise.all(Array.from({ length: SENT / 5 }, (_, i) => fetch(`${gateways.probe}/w${wave}?i=${i}&ms=40`, { signal: AbortSignal.timeout(15_000) })))
    expect(answers.map((r) => r.status)).toEqual(Array(SENT / 5).fill(200))
    await Promise.all(answers.map((r) => r.arrayBuffer()))
  }

  const res = await fetch(`${admin}/metrics`)
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
  const { types, samples } = parsePrometheus(await res.text())
  for (const [name, type] of [
    ['slsrun_instances', 'gauge'],
    ['slsrun_queue_depth', 'gauge'],
    ['slsrun_cold_start_seconds', 'histogram'],
    ['slsrun_request_duration_seconds', 'histogram'],
    ['slsrun_queue_wait_seconds', 'histogram'],
    ['slsrun_requests_total', 'counter'],
    ['slsrun_instance_crashes_total', 'counter'],
    ['slsrun_billable_seconds_total', 'counter'],
    ['slsrun_container_cpu_seconds_total', 'counter'],
    ['slsrun_container_memory_bytes', 'gauge'],
  ]) {
    expect(types.get(name!), name).toBe(type)
  }
  expect(sum(samples, 'slsrun_requests_total', { service: 'probe' })).toBe(SENT)
  expect(sum(samples, 'slsrun_requests_total', { service: 'probe', code: '200' })).toBe(SENT)
  expect(sum(samples, 'slsrun_requests_total', { service: 'probe', cold_start: 'true' })).toBeGreaterThanOrEqual(1)
  expect(sum(samples, 'slsrun_request_duration_seconds_count', { service: 'probe' })).toBe(SENT)
  expect(sum(samples, 'slsrun_queue_wait_seconds_count', { service: 'probe' })).toBe(SENT)
  expect(sum(samples, 'slsrun_queue_wait_seconds_bucket', { service: 'probe', le: '+Inf' })).toBe(SENT)
  expect(sum(samples, 'slsrun_instances', { service: 'probe', state: 'ready' })).toBeGreaterThanOrEqual(1)

  // Billable time: each wave kept instances busy ≥ 40 ms, rounded up to 100 ms per busy period.
  const billable = sum(samples, 'slsrun_billable_seconds_total', { service: 'probe' })
  expect(billable).toBeGreaterThanOrEqual(0.5)
  const cost = (await (await fetch(`${admin}/api/cost`)).json()) as { services: Array<{ requestBased: { seconds: number; requests: number } }> }
  expect(cost.services[0]!.requestBased.seconds).toBeCloseTo(billable, 6)
  expect(cost.services[0]!.requestBased.requests).toBe(SENT)
  // The process runtime has no containers: the families are declared, with no samples.
  expect(samples.filter((s) => s.name.startsWith('slsrun_container_'))).toEqual([])
})
