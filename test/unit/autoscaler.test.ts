/**
 * The autoscaling models' pure decisions, table-driven, against worked examples computed by hand from
 * the platforms' published rules (docs/autoscaling.md has the sources). No pool, no clock: each call
 * gets the time and what was observed.
 */
import { describe, expect, it } from 'vitest'
import { Autoscaler, LoadMeter, type InstanceView, type ScaleInput, type ScalingSpec } from '../../src/core/autoscaler/autoscaler.js'

const T0 = 1_000_000
const KNATIVE: ScalingSpec = {
  model: 'knative',
  target: 100,
  targetUtilization: 70,
  stableWindowMs: 60_000,
  panicWindowPercentage: 10,
  panicThresholdPercentage: 200,
  tickMs: 2_000,
  scaleToZeroGracePeriodMs: 30_000,
  maxScaleUpRate: 1000,
  maxScaleDownRate: 2,
  initialScale: 1,
}
const CLOUD_RUN: ScalingSpec = { model: 'cloud-run', windowMs: 60_000, targetUtilization: 60, evaluateEveryMs: 5_000, idleRetentionMs: 60_000 }
const CONTAINER_APPS: ScalingSpec = { model: 'container-apps', concurrentRequests: 10, pollingIntervalMs: 30_000, cooldownPeriodMs: 300_000, scaleDownStabilizationMs: 300_000 }

const ready = (n: number, inFlight = 1): InstanceView[] => Array.from({ length: n }, () => ({ ready: true, inFlight }))

/** An input whose window averages are given per window length (ms → average); any other window: `fallback`. */
function input(over: Partial<Omit<ScaleInput, 'average'>> & { averages?: Record<number, number>; fallback?: number }): ScaleInput {
  const { averages = {}, fallback = 0, ...rest } = over
  return { now: T0, trigger: 'tick', average: (w) => averages[w] ?? fallback, concurrency: 0, queued: 0, instances: [], limit: 1000, minInstances: 0, maxInstances: 1000, ...rest }
}

describe('knative (KPA): knative/serving pkg/autoscaler/scaling/autoscaler.go, defaults from config-autoscaler', () => {
  // TV = min(target 100, containerConcurrency) × 70 % = 70 per instance; panic window = 10 % of 60 s = 6 s.
  const STABLE = 60_000
  const PANIC = 6_000
  it.each([
    // [what, ready, stable average, panic average, desired, mode]
    ['stable: ceil(140 / 70) = 2', 2, 140, 140, 2, 'stable'],
    ['stable: ceil(141 / 70) = 3 (one more as soon as the target is passed)', 2, 141, 141, 3, 'stable'],
    ['panic entered: ceil(150 / 70) = 3 needed, 3 / 1 ready ≥ 200 %', 1, 20, 150, 3, 'panic'],
    ['threshold is inclusive: ceil(280 / 70) = 4 = 2 × 2 ready', 2, 100, 280, 4, 'panic'],
    ['below the threshold: ceil(210 / 70) = 3 < 2 × 2 ready stays stable (stable average decides)', 2, 100, 210, 2, 'stable'],
    ['scale-down at most ÷ maxScaleDownRate per decision: 8 ready, nothing observed → 4', 8, 0, 0, 4, 'stable'],
  ] as const)('%s', (_what, readyCount, stable, panic, desired, mode) => {
    const scaler = new Autoscaler(KNATIVE)
    const decision = scaler.decide(input({ instances: ready(readyCount), averages: { [STABLE]: stable, [PANIC]: panic }, concurrency: 1 }))!
    expect(decision).toMatchObject({ desired, mode })
  })

  it('target is capped by containerConcurrency: 10 → TV 7; an average of 14 needs 2', () => {
    const decision = new Autoscaler(KNATIVE).decide(input({ limit: 10, instances: ready(2), averages: { [STABLE]: 14, [PANIC]: 14 } }))!
    expect(decision.desired).toBe(2)
    expect(decision.observed.targetPerInstance).toBe(7)
  })

  it('no scale-down in panic; panic ends only after a stable window without crossing the threshold', () => {
    const scaler = new Autoscaler(KNATIVE)
    // t0: a burst: 1 ready, the panic window sees 400 → ceil(400/70) = 6, 6 / 1 ≥ 2: panic at 6.
    expect(scaler.decide(input({ instances: ready(1), averages: { [STABLE]: 40, [PANIC]: 400 } }))).toMatchObject({ desired: 6, mode: 'panic' })
    // +2 s: load gone from the panic window (6 ready): 0 needed, but panic holds the maximum.
    expect(scaler.decide(input({ now: T0 + 2_000, instances: ready(6), averages: { [STABLE]: 40, [PANIC]: 0 } }))).toMatchObject({
      desired: 6,
      mode: 'panic',
      reason: 'panic: no scale-down in panic mode',
    })
    // +60 s exactly: panicTime + stable window is not yet *before* now: still panic.
    expect(scaler.decide(input({ now: T0 + 60_000, instances: ready(6), averages: { [STABLE]: 40, [PANIC]: 0 } }))).toMatchObject({ desired: 6, mode: 'panic' })
    // +62 s: stable again; the stable average 40 → 1, but at most ÷ 2 per decision: floor(6 / 2) = 3.
    expect(scaler.decide(input({ now: T0 + 62_000, instances: ready(6), averages: { [STABLE]: 40, [PANIC]: 0 } }))).toMatchObject({ desired: 3, mode: 'stable' })
  })

  it('panic extends while the threshold is crossed again', () => {
    const scaler = new Autoscaler(KNATIVE)
    scaler.decide(input({ instances: ready(1), averages: { [STABLE]: 10, [PANIC]: 400 } }))
    // +50 s: 6 ready, panic window needs 13 → 13 / 6 ≥ 2: panic renewed from here, count up to 13.
    expect(scaler.decide(input({ now: T0 + 50_000, instances: ready(6), averages: { [STABLE]: 100, [PANIC]: 900 } }))).toMatchObject({ desired: 13, mode: 'panic' })
    // +100 s (50 s after the renewal): still panic, still 13.
    expect(scaler.decide(input({ now: T0 + 100_000, instances: ready(13), averages: { [STABLE]: 100, [PANIC]: 0 } }))).toMatchObject({ desired: 13, mode: 'panic' })
  })

  it('scale to zero only after a whole stable window active, then scaleToZeroGracePeriod (kpa/scaler.go)', () => {
    const scaler = new Autoscaler(KNATIVE)
    const idle = (now: number) => scaler.decide(input({ now, instances: [{ ready: true, inFlight: 0, idleSince: T0 }] }))!
    expect(idle(T0).desired).toBe(1) // active since T0: at most 1 for the rest of the stable window
    expect(idle(T0 + 59_999).desired).toBe(1)
    expect(idle(T0 + 60_000)).toMatchObject({ desired: 1, reason: expect.stringContaining('scaleToZeroGracePeriod') }) // inactive from here
    expect(idle(T0 + 89_999).desired).toBe(1)
    expect(idle(T0 + 90_000)).toMatchObject({ desired: 0, reason: expect.stringContaining('scale to zero') })
  })

  it('a request at zero is held and starts instances at once (activator), panicking for a burst', () => {
    // Fresh after a quiet spell, both windows average what is waiting right now.
    expect(new Autoscaler(KNATIVE).decide(input({ trigger: 'arrival', concurrency: 1, queued: 1, fallback: 1 }))).toMatchObject({ desired: 1, mode: 'stable' })
    expect(new Autoscaler(KNATIVE).decide(input({ trigger: 'arrival', concurrency: 200, queued: 200, fallback: 200 }))).toMatchObject({ desired: 3, mode: 'panic' })
    // With instances ready, an arrival waits for the tick: no decision.
    expect(new Autoscaler(KNATIVE).decide(input({ trigger: 'arrival', instances: ready(1), concurrency: 2, queued: 1, fallback: 2 }))).toBeUndefined()
  })

  it('min and max instances bound every decision', () => {
    const bounded = new Autoscaler(KNATIVE)
    expect(bounded.decide(input({ instances: ready(1), averages: { [STABLE]: 2000, [PANIC]: 2000 }, maxInstances: 5 }))).toMatchObject({ desired: 5 })
    expect(bounded.decide(input({ now: T0 + 200_000, minInstances: 2, instances: ready(2, 0) }))).toMatchObject({ desired: 2, reason: 'minInstances' })
  })
})

describe('cloud-run: 60 % of concurrency over a 60 s window, every 5 s (cloud.google.com/run/docs/about-instance-autoscaling)', () => {
  // concurrency 80 → target 48 per instance.
  it.each([
    ['an average of 96 over the window needs ceil(96 / 48) = 2', 96, 2],
    ['an average of 100 needs ceil(100 / 48) = 3', 100, 3],
    ['an average of 48 needs exactly 1', 48, 1],
  ] as const)('%s', (_what, average, desired) => {
    expect(new Autoscaler(CLOUD_RUN).decide(input({ limit: 80, instances: ready(1), averages: { 60_000: average } }))!.desired).toBe(desired)
  })

  it('requests waiting at the hard limit scale out at once, sized so none waits', () => {
    // 1 instance with 80 in flight and 1 waiting; the window has barely moved.
    const d = new Autoscaler(CLOUD_RUN).decide(input({ trigger: 'arrival', limit: 80, instances: ready(1, 80), concurrency: 81, queued: 1, averages: { 60_000: 10 } }))!
    expect(d).toMatchObject({ desired: 2, reason: 'requests waiting at the hard limit: scale out at once' })
  })

  it('idle instances stay for idleRetention, then go; the earliest expiry is the next wake-up', () => {
    const instances: InstanceView[] = [
      { ready: true, inFlight: 3 },
      { ready: true, inFlight: 0, idleSince: T0 - 61_000 },
      { ready: true, inFlight: 0, idleSince: T0 - 10_000 },
    ]
    const d = new Autoscaler(CLOUD_RUN).decide(input({ limit: 80, instances, averages: { 60_000: 3 } }))!
    expect(d).toMatchObject({ desired: 2, reason: 'idle past idleRetention', wakeAt: T0 + 50_000 })
  })
})

describe('container-apps: KEDA HTTP rule + HPA behaviour (learn.microsoft.com/azure/container-apps/scale-app)', () => {
  const poll = (scaler: Autoscaler, now: number, live: number, average: number, concurrency = average) =>
    scaler.decide(input({ now, instances: ready(live, 0), averages: { 30_000: average }, concurrency }))!

  it('a request at zero replicas starts one at once; the next polls step up 4, then at most doubling', () => {
    const scaler = new Autoscaler(CONTAINER_APPS)
    expect(scaler.decide(input({ trigger: 'arrival', concurrency: 1, queued: 1 }))).toMatchObject({ desired: 1 })
    // 160 concurrent / 10 per replica = 16 wanted: min(16, max(4, 2 × 1)) = 4, then min(16, 8) = 8, then 16.
    expect(poll(scaler, T0 + 30_000, 1, 160).desired).toBe(4)
    expect(poll(scaler, T0 + 60_000, 4, 160).desired).toBe(8)
    expect(poll(scaler, T0 + 90_000, 8, 160).desired).toBe(16)
  })

  it('a scale-down waits out the 300 s stabilization window; the last replica goes 300 s (cooldown) after the last request', () => {
    const scaler = new Autoscaler(CONTAINER_APPS)
    expect(poll(scaler, T0, 5, 50).desired).toBe(5)
    expect(poll(scaler, T0 + 30_000, 5, 10).desired).toBe(5) // 1 wanted, 5 wanted within 300 s: hold
    expect(poll(scaler, T0 + 270_000, 5, 10).desired).toBe(5)
    expect(poll(scaler, T0 + 300_000, 5, 10).desired).toBe(1) // the 5 left the window
    expect(poll(scaler, T0 + 330_000, 1, 0, 0).desired).toBe(1) // quiet since 300 s: cooldown runs
    expect(poll(scaler, T0 + 599_000, 1, 0, 0).desired).toBe(1)
    expect(poll(scaler, T0 + 600_000, 1, 0, 0)).toMatchObject({ desired: 0, reason: 'scale to zero: cooldownPeriod since the last request' })
  })
})

describe('instant: the development model', () => {
  const INSTANT: ScalingSpec = { model: 'instant', idleTimeoutMs: 60_000 }
  it('starts ceil(waiting / concurrency) at once, minus those starting', () => {
    expect(new Autoscaler(INSTANT).decide(input({ limit: 2, queued: 7, concurrency: 7 }))!.desired).toBe(4)
    expect(new Autoscaler(INSTANT).decide(input({ limit: 2, queued: 7, concurrency: 7, instances: [{ ready: false, inFlight: 0 }] }))!.desired).toBe(4)
  })
  it('stops an instance idle for idleTimeout, and wakes for the next one', () => {
    const instances: InstanceView[] = [
      { ready: true, inFlight: 0, idleSince: T0 - 60_000 },
      { ready: true, inFlight: 0, idleSince: T0 - 1_000 },
    ]
    expect(new Autoscaler(INSTANT).decide(input({ instances }))).toMatchObject({ desired: 1, reason: 'idle', wakeAt: T0 + 59_000 })
  })
})

describe('LoadMeter: the time-weighted concurrency the models average', () => {
  it('averages exactly over a window', () => {
    const meter = new LoadMeter(0, 60_000)
    meter.set(0, 0, 1)
    meter.set(10_000, 4, 1)
    meter.set(40_000, 0, 1)
    expect(meter.average(60_000, 60_000)).toBe(2) // 4 × 30 s / 60 s
    expect(meter.average(30_000, 60_000)).toBeCloseTo((4 * 10) / 30, 5) // 4 × 10 s / 30 s
    expect(meter.average(6_000, 60_000)).toBe(0)
  })
  it('before a window has passed, averages over the time since observation began', () => {
    const meter = new LoadMeter(0, 60_000)
    meter.set(0, 3, 1)
    expect(meter.average(60_000, 6_000)).toBe(3)
  })
  it('after a quiet spell (no instance, no request) as long as the window, a burst is averaged from its start', () => {
    const meter = new LoadMeter(0, 60_000)
    meter.set(0, 0, 0)
    meter.set(100_000, 50, 0)
    expect(meter.average(60_000, 100_000)).toBe(50) // at once: what waits now
    meter.set(101_000, 50, 2)
    expect(meter.average(60_000, 102_000)).toBe(50) // not diluted by the quiet minute before
    expect(meter.average(6_000, 102_000)).toBe(50)
  })
  it('keeps memory bounded by the horizon under a long run', () => {
    const meter = new LoadMeter(0, 1_000)
    for (let i = 1; i <= 100_000; i++) meter.set(i, i % 3, 1)
    expect(meter.average(1_000, 100_000)).toBeCloseTo(1, 2)
    expect((meter as unknown as { at: number[] }).at.length).toBeLessThan(10_000)
  })
})
