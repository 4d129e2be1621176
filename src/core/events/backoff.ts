/**
 * Cloud Scheduler's retry arithmetic (also used for event deliveries): the wait before retry n (1-based)
 * is minBackoff doubled (n - 1) times while n - 1 ≤ maxDoublings, then grows by the last doubled step
 * each time, always capped at maxBackoff.
 * https://cloud.google.com/scheduler/docs/reference/rest/v1/projects.locations.jobs#retryconfig
 */
import type { RetryPolicy } from './types.js'

export function backoffMs(retry: number, policy: RetryPolicy): number {
  const doublings = Math.min(retry - 1, policy.maxDoublings)
  const doubled = policy.minBackoff * 2 ** doublings
  const linear = retry - 1 > policy.maxDoublings ? (retry - 1 - policy.maxDoublings) * policy.minBackoff * 2 ** policy.maxDoublings : 0
  return Math.min(policy.maxBackoff, doubled + linear)
}
