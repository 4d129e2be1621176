/**
 * `knative`: the Knative Pod Autoscaler (KPA), as knative/serving implements it
 * (pkg/autoscaler/scaling/autoscaler.go, pkg/reconciler/autoscaling/kpa/scaler.go; docs/autoscaling.md):
 *
 * - per-instance target TV = min(target, concurrency) × targetUtilization;
 * - stable average over `stableWindow`, panic average over `panicWindowPercentage` of it;
 * - desired = ceil(average / TV), kept within [floor(ready / maxScaleDownRate), ceil(ready × maxScaleUpRate)];
 * - panic when ceil(panic average / TV) / ready ≥ panicThresholdPercentage / 100; in panic the count never
 *   goes down; panic ends once a stable window has passed without crossing the threshold;
 * - to zero only after the revision was active a whole stable window, then the last instance stays for
 *   `scaleToZeroGracePeriod` more;
 * - a request at zero is held (the activator) and starts instances at once, without waiting for a tick.
 */
import { ceil, type KnativeParams, type Model, type Mode } from '../types.js'

export interface KnativeState {
  panicSince?: number
  maxPanicPods: number
  activeSince?: number
  inactiveSince?: number
}

export const knative: Model<KnativeParams, KnativeState> = {
  name: 'knative',
  tickMs: (p) => p.tickMs,
  horizonMs: (p) => p.stableWindowMs,
  initialScale: (p) => p.initialScale,
  initial: () => ({ maxPanicPods: 0 }),
  decide(p, s, input) {
    const { now } = input
    const live = input.instances.length
    const readyCount = input.instances.filter((i) => i.ready).length
    // The activator pokes the autoscaler only for a revision at zero; otherwise requests wait for the tick.
    if (input.trigger === 'arrival' && readyCount > 0) return undefined
    const tv = Math.max(0.01, (Math.min(p.target, input.limit) * p.targetUtilization) / 100)
    const panicWindowMs = (p.stableWindowMs * p.panicWindowPercentage) / 100
    const stable = input.average(p.stableWindowMs)
    const panic = input.average(panicWindowMs)
    const ready = Math.max(1, readyCount)
    const maxUp = Math.ceil(p.maxScaleUpRate * ready)
    const maxDown = Math.floor(ready / p.maxScaleDownRate)
    const dspc = ceil(stable / tv)
    const dppc = ceil(panic / tv)
    const clamp = (n: number) => Math.min(Math.max(n, maxDown), maxUp)
    const over = dppc / ready >= p.panicThresholdPercentage / 100
    let { panicSince, maxPanicPods, activeSince, inactiveSince } = s
    if (over) panicSince = now
    else if (panicSince !== undefined && panicSince + p.stableWindowMs < now) {
      panicSince = undefined
      maxPanicPods = 0
    }
    let want = clamp(dspc)
    let reason = `stable window average ${round(stable)} → ${dspc} at ${round(tv)} per instance`
    if (panicSince !== undefined) {
      want = Math.max(want, clamp(dppc))
      if (want > maxPanicPods) {
        maxPanicPods = want
        reason = `panic: panic window average ${round(panic)} needs ${dppc}, ≥ ${p.panicThresholdPercentage} % of ${ready} ready`
      } else {
        want = maxPanicPods
        reason = 'panic: no scale-down in panic mode'
      }
    }
    // A request is waiting at zero: the activator holds it and the revision starts.
    if (want === 0 && input.concurrency > 0) want = 1
    const mode: Mode = panicSince !== undefined ? 'panic' : 'stable'
    const observed = { stableAverage: stable, panicAverage: panic, targetPerInstance: round(tv), stableDesired: dspc, panicDesired: dppc, ready: readyCount }
    const next = (desired: number, why: string, changes: Partial<KnativeState> = {}) => ({
      state: { panicSince, maxPanicPods, activeSince, inactiveSince, ...changes },
      decision: { desired, mode, reason: why, observed },
    })
    if (want > 0) return next(want, reason, { activeSince: activeSince === undefined || inactiveSince !== undefined ? now : activeSince, inactiveSince: undefined })
    if (live === 0) return next(0, 'no traffic', { activeSince: undefined, inactiveSince: undefined })
    activeSince ??= now
    if (inactiveSince === undefined) {
      if (now - activeSince >= p.stableWindowMs) return next(live, 'inactive: the last instance stays for scaleToZeroGracePeriod', { activeSince, inactiveSince: now })
      return next(1, 'no traffic: at most 1 until the revision has been active a whole stable window', { activeSince })
    }
    if (now - inactiveSince >= p.scaleToZeroGracePeriodMs)
      return next(0, 'scale to zero: a stable window without traffic, then scaleToZeroGracePeriod', { activeSince: undefined, inactiveSince: undefined })
    return next(live, 'inactive: the last instance stays for scaleToZeroGracePeriod', { activeSince })
  },
}

const round = (n: number) => Math.round(n * 100) / 100
