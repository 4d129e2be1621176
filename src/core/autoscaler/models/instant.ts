/**
 * `instant`: the fast-feedback development model (no platform scales this way). Requests that find no
 * room start ceil(waiting / concurrency) instances at once (minus those already starting), and an
 * instance idle for `idleTimeout` is stopped. Decided on every event, no tick.
 */
import { ceil, idleBeyond, nextIdleExpiry, type InstantParams, type Model } from '../types.js'

export const instant: Model<InstantParams, null> = {
  name: 'instant',
  tickMs: () => undefined,
  horizonMs: () => 60_000,
  idleRetentionMs: (p) => p.idleTimeoutMs,
  initialScale: () => 0,
  initial: () => null,
  decide(params, state, input) {
    const live = input.instances.length
    const starting = input.instances.filter((i) => !i.ready).length
    const need = Math.max(0, ceil(input.queued / input.limit) - starting)
    const idle = Number.isFinite(params.idleTimeoutMs) ? idleBeyond(input.instances, params.idleTimeoutMs, input.now) : 0
    const desired = live + need - idle
    const reason = need > 0 ? 'queued requests' : idle > 0 ? 'idle' : live < input.minInstances ? 'minInstances' : 'steady'
    const wakeAt = Number.isFinite(params.idleTimeoutMs) ? nextIdleExpiry(input.instances, params.idleTimeoutMs, input.now) : undefined
    return { state, decision: { desired, mode: '-', reason, observed: { concurrency: input.concurrency, queued: input.queued }, ...(wakeAt === undefined ? {} : { wakeAt }) } }
  },
}
