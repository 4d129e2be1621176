/**
 * A service's revisions behind its gateway, and a rollout that drops no request (Cloud Run's
 * 100 %-to-latest traffic move): the new revision starts warm; requests that arrive meanwhile are held
 * (at most `holdMs`, the queueTimeout; after that they go to the old revision); once its first
 * instance is ready, traffic moves to it, requests queued on the old one move with it, in-flight ones
 * finish, and the old instances drain and stop. If the new revision cannot start, it is dropped and the
 * old one keeps serving, with the reason.
 */
import type { Clock } from '../clock.js'
import type { Lease, Pool, PoolEvent } from './pool.js'

export interface LeaseSource {
  /** A slot now, or undefined: then `acquire` (queueing, cold start, 429/503). */
  tryAcquire(): Lease | undefined
  acquire(signal?: AbortSignal): Promise<Lease>
  /** The gateway found this instance broken: replace it (pool.ts). */
  reportBroken(instanceId: string, message: string): void
  /** A request on this instance was cut off before any answer: hold new ones back a moment (pool.ts). */
  suspect(instanceId: string): void
}

export type RevisionEvent =
  | { type: 'revision'; service: string; revision: string; state: 'starting' | 'serving'; reason?: string }
  | { type: 'revision'; service: string; revision: string; state: 'failed'; reason: string; lastLines: string[] }
  | { type: 'revision'; service: string; revision: string; state: 'retired'; reason?: string }

interface Candidate {
  pool: Pool
  settled: Promise<void>
  settle(): void
}

export class RevisionRouter implements LeaseSource {
  private current: Pool
  private candidate?: Candidate
  private readonly retiring = new Set<Pool>()

  constructor(
    initial: Pool,
    private readonly deps: { service: string; clock: Clock; holdMs: number; onEvent(event: RevisionEvent): void },
  ) {
    this.current = initial
  }

  /** The revision that serves. */
  get serving(): Pool {
    return this.current
  }

  /** Every revision with instances: serving, starting, or draining. */
  get pools(): Pool[] {
    return [this.current, ...(this.candidate ? [this.candidate.pool] : []), ...this.retiring]
  }

  get pending(): string | undefined {
    return this.candidate?.pool.settings.revision
  }

  tryAcquire(): Lease | undefined {
    return this.candidate ? undefined : this.current.tryAcquire() // during a rollout, requests are held (acquire)
  }

  acquire(signal?: AbortSignal): Promise<Lease> {
    return this.candidate ? this.held(this.candidate, signal) : this.current.acquire(signal) // no extra promise when no rollout runs
  }

  private async held(candidate: Candidate, signal?: AbortSignal): Promise<Lease> {
    let timer: unknown
    await Promise.race([candidate.settled, new Promise<void>((resolve) => (timer = this.deps.clock.setTimeout(resolve, this.deps.holdMs)))])
    this.deps.clock.clearTimeout(timer)
    return this.current.acquire(signal)
  }

  reportBroken(instanceId: string, message: string): void {
    this.pools.find((p) => p.owns(instanceId))?.reportBroken(instanceId, message)
  }

  suspect(instanceId: string): void {
    this.pools.find((p) => p.owns(instanceId))?.suspect(instanceId)
  }

  /** Starts `pool` (a new revision) warm; traffic moves when it is ready (see `observe`). A newer rollout replaces a pending one. */
  rollout(pool: Pool): void {
    if (this.candidate) this.abandon(this.candidate, 'superseded by a newer change')
    let settle!: () => void
    const settled = new Promise<void>((resolve) => (settle = resolve))
    this.candidate = { pool, settled, settle }
    this.deps.onEvent({ type: 'revision', service: this.deps.service, revision: pool.settings.revision, state: 'starting' })
    pool.start(Math.max(1, pool.settings.minInstances))
  }

  /** The emulator forwards every pool event here: a candidate's first ready instance or failed start decides the rollout. */
  observe(pool: Pool, event: PoolEvent): void {
    const candidate = this.candidate
    if (!candidate || candidate.pool !== pool) return
    if (event.type === 'instance' && event.state === 'ready') this.promote(candidate)
    else if (event.type === 'start-failed') this.abandon(candidate, event.message, event.lastLines)
  }

  /** Stops every revision (the emulator is shutting down). */
  async shutdown(): Promise<void> {
    const pools = this.pools
    this.candidate?.settle()
    this.candidate = undefined
    await Promise.all(pools.map((p) => p.shutdown()))
  }

  private promote(candidate: Candidate): void {
    const old = this.current
    this.current = candidate.pool
    this.candidate = undefined
    candidate.settle()
    this.deps.onEvent({ type: 'revision', service: this.deps.service, revision: candidate.pool.settings.revision, state: 'serving' })
    this.retire(old, `replaced by ${candidate.pool.settings.revision}`)
  }

  private abandon(candidate: Candidate, reason: string, lastLines: string[] = []): void {
    this.candidate = undefined
    candidate.settle()
    this.deps.onEvent({ type: 'revision', service: this.deps.service, revision: candidate.pool.settings.revision, state: 'failed', reason, lastLines })
    this.retire(candidate.pool)
  }

  private retire(pool: Pool, reason?: string): void {
    this.retiring.add(pool)
    void pool
      .handOver(() => this.current.acquire())
      .finally(() => {
        this.retiring.delete(pool)
        this.deps.onEvent({ type: 'revision', service: this.deps.service, revision: pool.settings.revision, state: 'retired', ...(reason ? { reason } : {}) })
      })
  }
}
