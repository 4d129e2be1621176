/**
 * How many instances a service should have: one pure decision per model (instant, cloud-run, knative,
 * container-apps). A model owns no timers and no I/O; it is given what was observed and the time, and
 * returns the desired count, its mode and its reason, plus the small state it carries to the next call.
 * The live pool calls it on its tick with the system clock; `simulate` with a simulated one.
 * Which instance gets a request, the hard concurrency limit and the queue are the router's (pool.ts).
 */
export const SCALING_MODELS = ['instant', 'cloud-run', 'knative', 'container-apps'] as const
export type ScalingModel = (typeof SCALING_MODELS)[number]

export type Mode = 'stable' | 'panic' | '-'

/** A live instance as the autoscaler sees it. */
export interface InstanceView {
  ready: boolean
  inFlight: number
  /** Ready with nothing in flight since this time. */
  idleSince?: number
}

export interface ScaleInput {
  now: number
  /** tick: the model's own evaluation period; arrival: a request found no instance with room; change: anything else (a start failed, an instance ended). */
  trigger: 'tick' | 'arrival' | 'change'
  /** Time-weighted average of in-flight + queued requests over the last `windowMs`. */
  average(windowMs: number): number
  /** In flight + queued right now. */
  concurrency: number
  queued: number
  /** Live instances: starting and ready (not draining). */
  instances: readonly InstanceView[]
  /** The hard per-instance limit. */
  limit: number
  minInstances: number
  maxInstances: number
}

export interface ScaleDecision {
  desired: number
  mode: Mode
  reason: string
  /** What the model looked at: window averages, targets (the `scale` event's inputs). */
  observed: Record<string, number>
  /** Decide again at this time even if nothing else happens (an idle instance's retention ends). */
  wakeAt?: number
}

export interface Model<P, S> {
  name: ScalingModel
  /** Evaluation period (undefined: only on events and `wakeAt`). */
  tickMs(params: P): number | undefined
  /** The longest window the model averages over. */
  horizonMs(params: P): number
  /** How long an idle instance is kept before the model may remove it (the pool wakes the model then). */
  idleRetentionMs?(params: P): number
  /** Instances a new revision starts with (Knative's initial-scale), before any traffic. */
  initialScale(params: P): number
  initial(): S
  /** Unclamped: the caller bounds `desired` by min/max instances. */
  decide(params: P, state: S, input: ScaleInput): { state: S; decision: ScaleDecision } | undefined
}

/** Parameters, resolved (durations in ms, percentages as given: 60 = 60 %). */
export interface InstantParams {
  idleTimeoutMs: number
}
export interface CloudRunParams {
  windowMs: number
  targetUtilization: number
  evaluateEveryMs: number
  idleRetentionMs: number
}
export interface KnativeParams {
  target: number
  targetUtilization: number
  stableWindowMs: number
  panicWindowPercentage: number
  panicThresholdPercentage: number
  tickMs: number
  scaleToZeroGracePeriodMs: number
  maxScaleUpRate: number
  maxScaleDownRate: number
  initialScale: number
}
export interface ContainerAppsParams {
  concurrentRequests: number
  pollingIntervalMs: number
  cooldownPeriodMs: number
  scaleDownStabilizationMs: number
}

export type ScalingSpec =
  ({ model: 'instant' } & InstantParams) | ({ model: 'cloud-run' } & CloudRunParams) | ({ model: 'knative' } & KnativeParams) | ({ model: 'container-apps' } & ContainerAppsParams)

/** ceil that forgives float noise (0.7 × 100 = 70.00000000000001 needs 70, not 71). */
export const ceil = (x: number): number => Math.ceil(x - 1e-9)

/** Instances ready and idle past `retentionMs` at `now`, longest idle first. */
export const idleBeyond = (instances: readonly InstanceView[], retentionMs: number, now: number): number =>
  instances.filter((i) => i.ready && i.inFlight === 0 && i.idleSince !== undefined && now - i.idleSince >= retentionMs).length

/** The earliest time an idle instance passes `retentionMs`, if any is idle and not yet past it. */
export function nextIdleExpiry(instances: readonly InstanceView[], retentionMs: number, now: number): number | undefined {
  let next: number | undefined
  for (const i of instances) {
    if (!i.ready || i.inFlight > 0 || i.idleSince === undefined) continue
    const at = i.idleSince + retentionMs
    if (at > now && (next === undefined || at < next)) next = at
  }
  return next
}
