import { describe, expect, it } from 'vitest'
import { CostMeter, MONTH_SECONDS, type BillingEvent } from '../../src/core/emulator/billing.js'
import { cloudRunPricing as P } from '../../src/core/emulator/pricing.js'

const GIB = 1024 ** 3
const T0 = 1_000_000

/** A meter for one service `api` (1 vCPU, 512 MiB unless given), fed `[at, event]` pairs. */
function meter(events: Array<[number, BillingEvent]>, resources = { cpu: 1, memoryBytes: GIB / 2 }) {
  const m = new CostMeter({ resources: () => resources, startedAt: T0 })
  for (const [at, event] of events) m.observe(event, T0 + at)
  return m
}
const start = (id: string): BillingEvent => ({ type: 'instance', service: 'api', id, state: 'starting' })
const ready = (id: string): BillingEvent => ({ type: 'instance', service: 'api', id, state: 'ready' })
const stop = (id: string, state = 'stopped'): BillingEvent => ({ type: 'instance', service: 'api', id, state })
/** A request record arriving at its end: `durationMs` in total, `queuedMs` of it before the instance had it. */
const req = (id: string | undefined, durationMs: number, queuedMs = 0): BillingEvent => ({ type: 'request', service: 'api', durationMs, queuedMs, ...(id ? { instanceId: id } : {}) })

describe('request-based billing', () => {
  it('rounds each busy period up to 100 ms and prices vCPU, memory and requests', () => {
    const m = meter([
      [0, start('api#1')],
      [500, ready('api#1')],
      [1000, req('api#1', 30)],
      [3000, req('api#1', 250)],
    ])
    const s = m.report(T0 + 4000).services[0]!
    expect(s.requestBased.seconds).toBeCloseTo(0.1 + 0.3)
    expect(s.requestBased.vcpuSeconds).toBeCloseTo(0.4)
    expect(s.requestBased.gibSeconds).toBeCloseTo(0.2)
    expect(s.requestBased.requests).toBe(2)
    expect(s.requestBased.cost.cpu).toBeCloseTo(0.4 * P.requestBased.vcpuSecond, 12)
    expect(s.requestBased.cost.memory).toBeCloseTo(0.2 * P.requestBased.gibSecond, 12)
    expect(s.requestBased.cost.requests).toBeCloseTo((2 / 1e6) * 0.4, 12)
    expect(s.requestBased.cost.total).toBeCloseTo(s.requestBased.cost.cpu + s.requestBased.cost.memory + s.requestBased.cost.requests, 12)
  })

  it('counts concurrent requests on one instance once (the union of their intervals)', () => {
    // Three overlapping requests: [900,1000], [950,1100], [1050,1150] → one busy period 900–1150 = 250 ms → 300 ms.
    const m = meter([
      [0, start('api#1')],
      [1000, req('api#1', 100)],
      [1100, req('api#1', 150)],
      [1150, req('api#1', 100)],
    ])
    expect(m.report(T0 + 2000).services[0]!.requestBased.seconds).toBeCloseTo(0.3)
  })

  it('a long request finishing last swallows the short ones it overlapped', () => {
    // Short ones at [100,110] and [300,310] (100 ms each, rounded); then one in flight 50–400 ends: 350 → 400 ms.
    const m = meter([
      [0, start('api#1')],
      [110, req('api#1', 10)],
      [310, req('api#1', 10)],
      [400, req('api#1', 350)],
    ])
    expect(m.report(T0 + 500).services[0]!.requestBased.seconds).toBeCloseTo(0.4)
    expect(m.billableSeconds(T0 + 500).get('api')).toBeCloseTo(0.4)
  })

  it('bills two instances busy at the same time separately', () => {
    const m = meter([
      [0, start('api#1')],
      [0, start('api#2')],
      [1000, req('api#1', 200)],
      [1000, req('api#2', 200)],
    ])
    expect(m.report(T0 + 1000).services[0]!.requestBased.seconds).toBeCloseTo(0.4)
  })

  it('does not bill the time a request waited in the queue or for a cold start', () => {
    const m = meter([
      [0, start('api#1')],
      [2000, req('api#1', 1950, 1900)],
    ])
    expect(m.report(T0 + 2000).services[0]!.requestBased.seconds).toBeCloseTo(0.1)
  })

  it('a request answered without an instance (429) pays the request fee but no instance time', () => {
    const m = meter([[30_000, req(undefined, 30_000, 30_000)]])
    const s = m.report(T0 + 30_000).services[0]!
    expect(s.requestBased.seconds).toBe(0)
    expect(s.requestBased.requests).toBe(1)
  })

  it('keeps the busy time of instances that stopped', () => {
    const m = meter([
      [0, start('api#1')],
      [1000, req('api#1', 500)],
      [2000, stop('api#1')],
      [3000, start('api#2')],
      [3200, req('api#2', 100)],
    ])
    expect(m.report(T0 + 10_000).services[0]!.requestBased.seconds).toBeCloseTo(0.6)
  })

  it('billable seconds never go down, even when a later long request merges rounded periods', () => {
    const m = meter([
      [0, start('api#1')],
      [10, req('api#1', 10)],
      [30, req('api#1', 10)],
    ])
    expect(m.billableSeconds(T0 + 30).get('api')).toBeCloseTo(0.2)
    m.observe(req('api#1', 35), T0 + 35)
    expect(m.report(T0 + 35).services[0]!.requestBased.seconds).toBeCloseTo(0.1)
    expect(m.billableSeconds(T0 + 35).get('api')).toBeCloseTo(0.2)
  })
})

describe('instance-based and always-on billing', () => {
  it('bills each instance from start to stop (or to now), idle time included, with no request fee', () => {
    const m = meter([
      [0, start('api#1')],
      [1000, req('api#1', 100)],
      [5000, stop('api#1')],
      [6000, start('api#2')],
      [7000, stop('api#2', 'failed')],
      [8000, start('api#3')],
    ])
    const s = m.report(T0 + 10_000).services[0]!
    expect(s.instanceBased.seconds).toBeCloseTo(5 + 1 + 2)
    expect(s.instanceBased.vcpuSeconds).toBeCloseTo(8)
    expect(s.instanceBased.gibSeconds).toBeCloseTo(4)
    expect(s.instanceBased.cost.requests).toBe(0)
    expect(s.instanceBased.cost.total).toBeCloseTo(8 * P.instanceBased.vcpuSecond + 4 * P.instanceBased.gibSecond, 12)
  })

  it('always-on is one instance for the whole session, at the instance-based price', () => {
    const m = meter([[1000, req(undefined, 1, 1)]], { cpu: 2, memoryBytes: GIB })
    const s = m.report(T0 + 60_000).services[0]!
    expect(s.alwaysOn.seconds).toBeCloseTo(60)
    expect(s.alwaysOn.cost.total).toBeCloseTo(60 * (2 * P.instanceBased.vcpuSecond + P.instanceBased.gibSecond), 12)
  })

  it('prices the session services from the start, before any event', () => {
    const m = new CostMeter({ resources: () => ({ cpu: 1, memoryBytes: GIB }), startedAt: T0, services: ['api', 'worker'] })
    const r = m.report(T0 + 10_000)
    expect(r.services.map((s) => [s.service, s.alwaysOn.seconds, s.requestBased.seconds])).toEqual([
      ['api', 10, 0],
      ['worker', 10, 0],
    ])
    expect(r.total.alwaysOn.seconds).toBe(20)
  })

  it('takes each instance resources when it starts (a rollout can change them)', () => {
    let resources = { cpu: 1, memoryBytes: GIB }
    const m = new CostMeter({ resources: () => resources, startedAt: T0 })
    m.observe(start('api#1'), T0)
    resources = { cpu: 4, memoryBytes: GIB }
    m.observe(start('api#2'), T0)
    expect(m.report(T0 + 1000).services[0]!.instanceBased.vcpuSeconds).toBeCloseTo(1 + 4)
  })
})

describe('projection and free tier', () => {
  it('projects a month at the observed rate and shows the free tier beside it, not subtracted', () => {
    // 10 requests of 1 s each (1 vCPU, 1 GiB) in 100 s: 10 % busy.
    const events: Array<[number, BillingEvent]> = [[0, start('api#1')]]
    for (let i = 1; i <= 10; i++) events.push([i * 10_000, req('api#1', 1000)])
    const r = meter(events, { cpu: 1, memoryBytes: GIB }).report(T0 + 100_000)
    const rb = r.services[0]!.requestBased
    expect(r.elapsedSeconds).toBe(100)
    expect(rb.monthly).toBeCloseTo((rb.cost.total / 100) * MONTH_SECONDS, 9)
    expect(r.total.requestBased.monthly).toBeCloseTo(rb.monthly, 9)
    // A month of this: 259 200 vCPU-s (144 % of the free 180 000), 259 200 GiB-s (72 %), 259 200 requests (13 %).
    const free = r.freeTier.requestBased
    expect(free.used.vcpuSeconds).toBeCloseTo(259_200 / 180_000)
    expect(free.used.gibSeconds).toBeCloseTo(259_200 / 360_000)
    expect(free.used.requests).toBeCloseTo(259_200 / 2_000_000)
    expect(free.monthlyAfterFreeTier).toBeCloseTo((259_200 - 180_000) * P.requestBased.vcpuSecond, 9)
    expect(free.monthlyAfterFreeTier).toBeLessThan(rb.monthly)
  })

  it('names the selected model from cpuThrottling and the source of the prices', () => {
    const m = new CostMeter({ resources: () => ({ cpu: 1, memoryBytes: GIB, cpuThrottling: true }), startedAt: T0 })
    m.observe(start('api#1'), T0)
    const r = m.report(T0)
    expect(r.services[0]!.selected).toBe('requestBased')
    expect(r.pricing.source).toMatch(/cloud\.google\.com\/run\/pricing/)
    expect(r.pricing.retrieved).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    expect(r.services[0]!.requestBased.monthly).toBe(0)
  })
})
