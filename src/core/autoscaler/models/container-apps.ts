/**
 * `container-apps`: Azure Container Apps' HTTP scale rule on KEDA and the Kubernetes HPA
 * (docs/autoscaling.md). Every `pollingInterval` (30 s): desired = ceil(concurrent requests /
 * `concurrentRequests`), where concurrent requests is the average over the last polling interval; a
 * scale-up takes at most max(4, 2 × current) at once; a scale-down waits until no higher recommendation
 * was made within `scaleDownStabilization` (300 s); the last replica goes only `cooldownPeriod` (300 s)
 * after the last request. A request at zero replicas starts one at once (the ingress holds it).
 */
import { ceil, type ContainerAppsParams, type Model } from '../types.js'

export interface ContainerAppsState {
  /** Recommendations within the stabilization window: [time, count]. */
  recommendations: Array<[number, number]>
  lastActiveAt?: number
}

export const containerApps: Model<ContainerAppsParams, ContainerAppsState> = {
  name: 'container-apps',
  tickMs: (p) => p.pollingIntervalMs,
  horizonMs: (p) => p.pollingIntervalMs,
  initialScale: () => 0,
  initial: () => ({ recommendations: [] }),
  decide(p, s, input) {
    const { now } = input
    const live = input.instances.length
    if (input.trigger === 'arrival' && live > 0) return undefined
    const average = input.average(p.pollingIntervalMs)
    const raw = ceil(average / p.concurrentRequests)
    const active = average > 0 || input.concurrency > 0
    const lastActiveAt = active ? now : s.lastActiveAt
    const recommendations = [...s.recommendations.filter(([at]) => at > now - p.scaleDownStabilizationMs), [now, raw] as [number, number]]
    const observed = { pollingAverage: average, perReplicaTarget: p.concurrentRequests, recommended: raw }
    const next = (desired: number, reason: string) => ({
      state: { recommendations, ...(lastActiveAt === undefined ? {} : { lastActiveAt }) },
      decision: { desired, mode: '-' as const, reason, observed },
    })
    if (live === 0) return input.concurrency > 0 ? next(1, 'activation: a request arrived at zero replicas') : next(0, 'no traffic')
    if (raw > live) return next(Math.min(raw, Math.max(4, 2 * live)), 'scale up: ceil(concurrent requests / concurrentRequests)')
    if (lastActiveAt === undefined || now - lastActiveAt >= p.cooldownPeriodMs) return next(0, 'scale to zero: cooldownPeriod since the last request')
    const stabilized = Math.max(1, Math.min(live, Math.max(...recommendations.map(([, n]) => n))))
    return next(
      stabilized,
      stabilized < live ? 'scale down: no higher recommendation within the stabilization window' : stabilized > raw ? 'holding: a higher recommendation within the stabilization window' : 'on target',
    )
  },
}
