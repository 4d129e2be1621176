/**
 * `cloud-run`: Cloud Run's published rules (docs/autoscaling.md). Every `evaluateEvery` (5 s) the
 * autoscaler aims at `targetUtilization` (60 %) of `concurrency` for the concurrency averaged over
 * `window` (60 s). Between evaluations, a request that finds every instance at the hard limit scales out
 * at once, by as many instances as the waiting requests need (the window is not re-averaged then). Idle instances are kept up to
 * `idleRetention` (Cloud Run: up to 15 min), `minInstances` always.
 */
import { ceil, idleBeyond, nextIdleExpiry, type CloudRunParams, type Model } from '../types.js'

/** The window's verdict, from the last evaluation (arrivals between evaluations do not re-average). */
export interface CloudRunState {
  windowAverage: number
  windowDesired: number
}

export const cloudRun: Model<CloudRunParams, CloudRunState> = {
  name: 'cloud-run',
  tickMs: (p) => p.evaluateEveryMs,
  horizonMs: (p) => p.windowMs,
  idleRetentionMs: (p) => p.idleRetentionMs,
  initialScale: () => 0,
  initial: () => ({ windowAverage: 0, windowDesired: 0 }),
  decide(p, last, input) {
    const live = input.instances.length
    const target = (input.limit * p.targetUtilization) / 100
    const evaluate = input.trigger === 'tick'
    const average = evaluate ? input.average(p.windowMs) : last.windowAverage
    const windowed = evaluate ? ceil(average / target) : last.windowDesired
    const state = { windowAverage: average, windowDesired: windowed }
    // Only requests that wait count here: in flight ones already have an instance.
    const atLimit = input.queued > 0 ? ceil(input.concurrency / input.limit) : 0
    const retained = live - idleBeyond(input.instances, p.idleRetentionMs, input.now)
    const desired = Math.max(windowed, atLimit, retained)
    let reason: string
    if (desired > live) reason = atLimit >= windowed ? 'requests waiting at the hard limit: scale out at once' : `window average above the ${p.targetUtilization} % target`
    else if (desired < live) reason = windowed >= retained ? `window average below the ${p.targetUtilization} % target` : 'idle past idleRetention'
    else reason = retained > windowed ? 'idle instances retained' : 'on target'
    const wakeAt = nextIdleExpiry(input.instances, p.idleRetentionMs, input.now)
    const observed = { windowAverage: average, targetPerInstance: target, windowDesired: windowed, atLimitDesired: atLimit, retained }
    return { state, decision: { desired, mode: '-', reason, observed, ...(wakeAt === undefined ? {} : { wakeAt }) } }
  },
}
