/**
 * The pool driven by each autoscaling model on a fake clock (the live emulator's code path, no
 * sockets): a step load raises the desired count, holds it, then lets it decay, as the model's
 * rules say; the hard concurrency limit holds throughout.
 */
import { describe, expect, it } from 'vitest'
import type { ScalingSpec } from '../../src/core/autoscaler/autoscaler.js'
import { Pool, type Lease, type PoolEvent, type PoolSettings } from '../../src/core/emulator/pool.js'
import type { ScaleEvent } from '../../src/core/emulator/pool-types.js'
import { FakeClock, FakeRuntime, settle } from '../helpers/fakes.js'

function setup(scaling: ScalingSpec, overrides: Partial<PoolSettings> = {}) {
  const clock = new FakeClock()
  const runtime = new FakeRuntime()
  runtime.autoReady = true
  const events: PoolEvent[] = []
  /** When each event happened, on the fake clock. */
  const at = new Map<PoolEvent, number>()
  const settings: PoolSettings = {
    service: 'api',
    revision: 'api-00001',
    concurrency: 1,
    minInstances: 0,
    maxInstances: 10,
    idleTimeoutMs: 60_000,
    queueTimeoutMs: 30_000,
    startupTimeoutMs: 240_000,
    graceMs: 1_000,
    scaling,
    ...overrides,
  }
  const pool = new Pool(settings, {
    runtime,
    clock,
    spec: (instanceId) => ({ service: 'api', revision: 'api-00001', instanceId, command: 'x', cwd: '/', env: {}, port: 8080 }),
    waitReady: async () => ({ portOpenAt: clock.now() }),
    onEvent: (event) => {
      events.push(event)
      at.set(event, clock.now())
    },
    onLog: () => {},
  })
  const live = () => pool.status().instances.filter((i) => i.state === 'starting' || i.state === 'ready')
  const scales = () => events.filter((e): e is ScaleEvent => e.type === 'scale')
  /** The hard limit, checked after every step. */
  const peak = { inFlight: 0 }
  /** Per instance, the last step it was seen busy (or became ready). */
  const busyAt = new Map<string, number>()
  const check = () => {
    for (const i of pool.status().instances) {
      peak.inFlight = Math.max(peak.inFlight, i.inFlight)
      if (i.inFlight > 0 || !busyAt.has(i.id)) busyAt.set(i.id, i.readyAt ?? clock.now())
      if (i.inFlight > 0) busyAt.set(i.id, clock.now())
    }
  }
  const hold = (n: number) => {
    const leases: Lease[] = []
    for (let i = 0; i < n; i++) void pool.acquire().then((lease) => leases.push(lease))
    return leases
  }
  /** Advances in steps of `step` ms, checking the limit after each. */
  const run = async (ms: number, step = 100) => {
    for (let t = 0; t < ms; t += step) {
      await clock.advance(step)
      check()
    }
  }
  return { clock, runtime, pool, events, at, live, scales, peak, busyAt, hold, run }
}

describe('knative model in the pool: panic on a step, hold, then decay to zero after the stable window plus grace', () => {
  const KPA: ScalingSpec = {
    model: 'knative',
    target: 100,
    targetUtilization: 70,
    stableWindowMs: 6_000,
    panicWindowPercentage: 10,
    panicThresholdPercentage: 200,
    tickMs: 200,
    scaleToZeroGracePeriodMs: 1_000,
    maxScaleUpRate: 1000,
    maxScaleDownRate: 2,
    initialScale: 1,
  }

  it('step of 5 held requests with concurrency 1 (TV 0.7)', async () => {
    const s = setup(KPA)
    s.pool.start()
    await settle()
    expect(s.live()).toHaveLength(1)
    expect(s.scales()[0]).toMatchObject({ desired: 1, starting: 1, reason: 'initialScale' })
    const leases = s.hold(5)
    await settle()
    expect(leases).toHaveLength(1) // the hard limit: 4 wait for the tick
    await s.run(200)
    // ceil(5 / 0.7) = 8 wanted, 8 / 1 ready ≥ 200 %: panic.
    expect(s.pool.scaling).toMatchObject({ model: 'knative', desiredInstances: 8, mode: 'panic' })
    expect(leases).toHaveLength(5)
    await s.run(1_800)
    expect(s.pool.scaling).toMatchObject({ desiredInstances: 8, mode: 'panic' }) // held: no scale-down in panic
    const stopAt = s.clock.now()
    for (const lease of leases) lease.release()
    await s.run(4_000)
    expect(s.pool.scaling).toMatchObject({ desiredInstances: 8, mode: 'panic' }) // panic lasts a stable window from its last crossing
    await s.run(10_000)
    expect(s.live()).toHaveLength(0)
    const toZero = s.scales().find((e) => e.desired === 0)!
    const zeroAt = s.events.indexOf(toZero)
    expect(toZero.reason).toContain('scale to zero')
    // Decreases only after panic ended, halving at most per tick, zero no earlier than stop + stable window + grace.
    const decreases = s.scales().filter((e) => e.desired < e.previous)
    expect(decreases.every((e) => e.mode === 'stable' && e.desired >= Math.floor(e.previous / 2))).toBe(true)
    expect(s.events.slice(zeroAt).some((e) => e.type === 'instance' && e.state === 'stopped')).toBe(true)
    expect(s.at.get(toZero)! - stopAt).toBeGreaterThanOrEqual(6_000 + 1_000)
    expect(s.peak.inFlight).toBe(1)
  })
})

describe('cloud-run model in the pool: at once at the hard limit, towards 60 % on the tick, idle instances kept for idleRetention', () => {
  const CLOUD_RUN: ScalingSpec = { model: 'cloud-run', windowMs: 6_000, targetUtilization: 60, evaluateEveryMs: 500, idleRetentionMs: 2_000 }

  it('step of 3 held requests with concurrency 2 (target 1.2 per instance)', async () => {
    const s = setup(CLOUD_RUN, { concurrency: 2 })
    s.pool.start()
    const leases = s.hold(3)
    await settle()
    // No tick needed: requests waiting at the hard limit start ceil(3 / 2) = 2 at once.
    expect(s.live()).toHaveLength(2)
    expect(leases).toHaveLength(3)
    await s.run(3_000)
    // On the tick: the window average 3 / 1.2 → 3 wanted.
    expect(s.pool.scaling).toMatchObject({ model: 'cloud-run', desiredInstances: 3, mode: '-' })
    expect(s.live()).toHaveLength(3)
    for (const lease of leases) lease.release()
    await s.run(12_000)
    expect(s.live()).toHaveLength(0)
    // Nothing drained before it had been idle for idleRetention (busy last seen a step of 100 ms before going idle).
    const drains = s.events.filter((e) => e.type === 'instance' && e.state === 'draining') as Array<PoolEvent & { id: string }>
    expect(drains).toHaveLength(3)
    for (const drain of drains) expect(s.at.get(drain)! - s.busyAt.get(drain.id)!).toBeGreaterThanOrEqual(2_000 - 100)
    expect(s.peak.inFlight).toBeLessThanOrEqual(2)
  })
})

describe('container-apps model in the pool: activation, steps of 4 then doubling, cooldown to zero', () => {
  const ACA: ScalingSpec = { model: 'container-apps', concurrentRequests: 1, pollingIntervalMs: 1_000, cooldownPeriodMs: 3_000, scaleDownStabilizationMs: 3_000 }

  it('step of 6 held requests with concurrency 1 and one request per replica', async () => {
    const s = setup(ACA)
    s.pool.start()
    const leases = s.hold(6)
    await settle()
    expect(s.live()).toHaveLength(1) // the ingress holds the requests and starts one replica
    await s.run(1_000)
    expect(s.live()).toHaveLength(4) // ceil(6 / 1) = 6, at most max(4, 2 × 1)
    await s.run(1_000)
    expect(s.live()).toHaveLength(6)
    expect(leases).toHaveLength(6)
    await s.run(1_000)
    const releasedAt = s.clock.now()
    for (const lease of leases) lease.release()
    await s.run(2_000)
    expect(s.live()).toHaveLength(6) // the 6 recommended within the stabilization window hold
    await s.run(4_000)
    expect(s.live()).toHaveLength(0)
    const toZero = s.scales().find((e) => e.desired === 0)!
    expect(toZero.reason).toBe('scale to zero: cooldownPeriod since the last request')
    expect(s.at.get(toZero)! - releasedAt).toBeGreaterThanOrEqual(3_000)
    expect(s.peak.inFlight).toBe(1)
  })
})

describe('every model keeps the hard limit under a burst', () => {
  const models: ScalingSpec[] = [
    { model: 'instant', idleTimeoutMs: 1_000 },
    { model: 'cloud-run', windowMs: 2_000, targetUtilization: 60, evaluateEveryMs: 200, idleRetentionMs: 500 },
    {
      model: 'knative',
      target: 100,
      targetUtilization: 70,
      stableWindowMs: 2_000,
      panicWindowPercentage: 10,
      panicThresholdPercentage: 200,
      tickMs: 100,
      scaleToZeroGracePeriodMs: 300,
      maxScaleUpRate: 1000,
      maxScaleDownRate: 2,
      initialScale: 1,
    },
    { model: 'container-apps', concurrentRequests: 2, pollingIntervalMs: 300, cooldownPeriodMs: 1_000, scaleDownStabilizationMs: 1_000 },
  ]
  it.each(models.map((m) => [m.model, m] as const))('%s: 40 requests on concurrency 3, max 4 instances', async (_name, scaling) => {
    const s = setup(scaling, { concurrency: 3, maxInstances: 4 })
    s.pool.start()
    const leases = s.hold(40)
    let served = 0
    for (let step = 0; step < 100; step++) {
      await s.run(100)
      // Served requests take about 100 ms each: release what has been leased so far.
      for (const lease of leases.splice(0)) {
        lease.release()
        served++
      }
    }
    expect(served).toBe(40)
    expect(s.peak.inFlight).toBeLessThanOrEqual(3)
    expect(Math.max(...s.scales().map((e) => e.desired))).toBeLessThanOrEqual(4)
  })
})
