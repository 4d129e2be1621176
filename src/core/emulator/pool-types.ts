/** The pool's public shapes: settings, events, leases and the status of its instances (pool.ts). */
import type { ExitInfo, InstanceSpec, LogLine, Runtime, RuntimeInstance } from '../../runtime/types.js'
import type { ErrorCode } from '../../errors.js'
import type { Mode, ScalingModel, ScalingSpec } from '../autoscaler/autoscaler.js'
import type { Clock } from '../clock.js'

export type InstanceState = 'starting' | 'ready' | 'draining' | 'stopped' | 'failed'

/**
 * Why an instance did not start: the runtime's SlsError code (INSTANCE_SPAWN_FAILED, ENV_FILE_NOT_FOUND,
 * ENV_FILE_INVALID, IMAGE_NOT_FOUND…), or the pool's own: it exited before it was ready, or the startup
 * probe's deadline passed.
 */
export type StartFailure = ErrorCode

/** Phases of a cold start, in ms: decision → spawned → port open → ready (+ simulated delay). */
export interface ColdStart {
  totalMs: number
  spawnMs: number
  bootMs: number
  readyMs: number
  delayMs: number
}

export interface PoolSettings {
  service: string
  revision: string
  concurrency: number
  minInstances: number
  maxInstances: number
  idleTimeoutMs: number
  queueTimeoutMs: number
  startupTimeoutMs: number
  /** SIGTERM → SIGKILL grace (Cloud Run: 10 s). */
  graceMs: number
  /** Simulated extra cold-start delay for the next start, in ms (0 = off). */
  simulatedDelay?: () => number
  /** Request-based billing: an instance with nothing in flight is frozen (when its runtime can). */
  cpuThrottling?: boolean
  /** `--inspect`: its instances run under a debugger (shown as "debugging"; timeouts held by the caller's settings). */
  debugging?: boolean
  /** The autoscaling model and its parameters (default: instant with idleTimeoutMs). */
  scaling?: ScalingSpec
}

/**
 * A decision that changed the desired count (or started instances): the model, the count before and
 * after, the live instances at the time, and what the model observed (window averages, targets).
 */
export interface ScaleEvent {
  type: 'scale'
  service: string
  revision: string
  model: ScalingModel
  desired: number
  previous: number
  actual: number
  /** Instances started by this decision (0: none yet, e.g. during a back-off, or a scale-in). */
  starting: number
  mode: Mode
  reason: string
  observed: Record<string, number>
}

export type PoolEvent =
  | { type: 'instance'; service: string; id: string; state: InstanceState; reason?: string }
  | { type: 'cold-start'; service: string; id: string; coldStart: ColdStart }
  | { type: 'start-failed'; service: string; id: string; code: StartFailure; message: string; lastLines: string[]; backoffMs: number }
  | { type: 'crash'; service: string; id: string; exit: ExitInfo; backoffMs: number }
  | ScaleEvent

export interface PoolDeps {
  runtime: Runtime
  clock: Clock
  spec(instanceId: string): InstanceSpec
  /** Resolves with when the port opened once the instance is ready; rejects on timeout or abort. */
  waitReady(instance: RuntimeInstance, deadline: number, signal: AbortSignal): Promise<{ portOpenAt: number }>
  onEvent(event: PoolEvent): void
  onLog(line: LogLine): void
  /** Instance numbers shared by a service's revisions, so `api#7` names one instance for the whole session. */
  nextInstanceNumber?: () => number
}

export interface Lease {
  instanceId: string
  address: { host: string; port: number }
  queuedMs: number
  /** Set when this request waited for the instance's cold start. */
  coldStart?: ColdStart
  /** cpuThrottling: settles once the instance is thawed; the request is sent after it. */
  thawed?: Promise<void>
  /** How long the thaw took (set by the gateway, for Server-Timing). */
  thawMs?: number
  release(): void
}

export interface InstanceStatus {
  id: string
  state: InstanceState
  pid?: number
  container?: string
  /** cpuThrottling: frozen while nothing is in flight. */
  frozen?: boolean
  /** `--inspect`: runs under a debugger. */
  debugging?: boolean
  inFlight: number
  served: number
  startedAt: number
  readyAt?: number
  coldStartMs?: number
  exit?: ExitInfo
}
