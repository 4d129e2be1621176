/**
 * One service revision's instances: the router side of the emulator. A request goes to the ready
 * instance with the fewest in-flight requests below `concurrency` (the hard limit); when none has room it
 * waits in the queue; past `queueTimeout` with nothing starting → 429; a start that fails → 503 for the
 * requests that were waiting on it, with exponential back-off before the next start.
 *
 * How many instances exist is the autoscaler's decision (core/autoscaler: instant, cloud-run, knative,
 * container-apps), asked on its tick, when a request finds no room, and when an instance ends; the pool
 * starts or drains instances to match it (idle ones first), never below `minInstances`.
 *
 * No sockets and no timers of its own: the runtime, the readiness probe and the clock are injected,
 * so every transition is tested with fakes (test/unit/pool.test.ts).
 */
import type { ExitInfo, RuntimeInstance } from '../../runtime/types.js'
import { Autoscaler, instanceView, LoadMeter, scaleInOrder, type ScaleDecision, type ScaleInput } from '../autoscaler/autoscaler.js'
import { isErrorCode } from '../../error-codes.js'
import { type PlatformResponse, noRoom, unavailable } from './errors.js'
import type { ColdStart, InstanceState, InstanceStatus, Lease, PoolDeps, PoolSettings, StartFailure } from './pool-types.js'

export type { ColdStart, InstanceState, InstanceStatus, Lease, PoolDeps, PoolEvent, PoolSettings, StartFailure } from './pool-types.js'

interface Slot {
  id: string
  n: number
  state: InstanceState
  inFlight: number
  served: number
  startedAt: number
  readyAt?: number
  /** Event order of becoming ready (times can tie; this cannot). */
  readySeq?: number
  coldStart?: ColdStart
  handle?: RuntimeInstance
  exit?: ExitInfo
  /** Ready with nothing in flight since. */
  idleSince?: number
  abort: AbortController
  drained?: () => void
  /** Settles once the runtime has spawned it (or failed to). */
  spawning?: Promise<RuntimeInstance | undefined>
  /** Settles once a drain has stopped it: a second drain (shutdown during a hand-over) waits for the first. */
  stopping?: Promise<void>
  /** Gets no new request before this time (it cut a request off: it may be dying). */
  suspectUntil?: number
  frozen?: boolean
}

interface Waiter {
  enqueuedAt: number
  seq: number
  timer?: unknown
  resolve(lease: Lease): void
  reject(error: PlatformResponse): void
}

/** Why a rollout starts the new revision's instances and stops the old one's (the renderer folds them into one line). */
export const ROLLOUT_START = 'starting the new revision'
export const ROLLOUT_END = 'replaced by a newer revision'

const BACKOFF_BASE_MS = 200
/** How long an instance that cut a request off gets no new one (its exit, if it is dying, comes well within). */
const SUSPECT_MS = 250
const BACKOFF_MAX_MS = 10_000
/** An instance ready this long before it crashed resets the back-off: it was not a crash loop. */
const STABLE_MS = 10_000
const ENDED_KEPT = 20

export class Pool {
  private readonly slots = new Map<string, Slot>()
  private readonly ended: Slot[] = []
  private readonly queue: Waiter[] = []
  private counter = 0
  private seq = 0
  private failures = 0
  private nextStartAt = 0
  private retryTimer: unknown
  private closed = false
  /** A one-shot floor for the first scale (a new revision starts warm before traffic moves to it). */
  private warm = 0
  private inFlight = 0
  private readonly autoscaler: Autoscaler
  private readonly meter: LoadMeter
  /** The count the pool is working towards (the last decision, with the warm floor). */
  private desired = 0
  private tickTimer: unknown
  private wakeTimer: unknown
  private wakeAt = Infinity

  constructor(
    readonly settings: PoolSettings,
    private readonly deps: PoolDeps,
  ) {
    this.autoscaler = new Autoscaler(settings.scaling ?? { model: 'instant', idleTimeoutMs: settings.idleTimeoutMs })
    // 1 ms points: bounded history under any request rate (load.ts), averages within 1/window-ms of exact.
    this.meter = new LoadMeter(deps.clock.now(), this.autoscaler.horizonMs, 1)
  }

  /**
   * Starts the minInstances (or the model's initial scale), or `prewarm` instances if more (once: they
   * may scale in later), and the autoscaler's tick.
   */
  start(prewarm = 0): void {
    const initial = this.autoscaler.initialScale
    this.warm = Math.max(prewarm, initial)
    this.reconcile('tick', prewarm > this.settings.minInstances ? ROLLOUT_START : initial > this.settings.minInstances ? 'initialScale' : undefined)
    this.warm = 0
    this.armTick()
    // The runtime's share of the next cold start, done ahead (docker: a warm container). Not under a debugger.
    if (!this.settings.debugging) this.deps.runtime.prepare?.(this.deps.spec(`${this.settings.service}#warm`))
  }

  /** The autoscaler's view: its model, the count it wants, its mode and why. */
  get scaling(): { model: string; desiredInstances: number; mode: string; reason: string; concurrency: number; observed: Record<string, number> } {
    const last = this.autoscaler.last
    return { model: this.autoscaler.model, desiredInstances: this.desired, mode: last?.mode ?? '-', reason: last?.reason ?? '', concurrency: this.meter.concurrency, observed: last?.observed ?? {} }
  }

  /** Where this pool's instance listens (once spawned). */
  address(instanceId: string): { host: string; port: number } | undefined {
    return this.slots.get(instanceId)?.handle?.address
  }

  /** Whether an instance of this pool has this id (ids are unique across a service's revisions). */
  owns(instanceId: string): boolean {
    return this.slots.has(instanceId)
  }

  /** A slot on an instance, now or once one has room; rejects with 429 or 503 (PlatformResponse). */
  /** A slot on a ready instance now, or undefined (none has room, or shutting down: `acquire` says which). The gateway's common path: no promise. */
  tryAcquire(): Lease | undefined {
    if (this.closed) return undefined
    const slot = this.pick()
    if (!slot) return undefined
    const lease = this.lease(slot, 0)
    this.observe()
    return lease
  }

  acquire(signal?: AbortSignal): Promise<Lease> {
    if (this.closed) return Promise.reject(unavailable('the emulator is shutting down'))
    const lease = this.tryAcquire()
    if (lease) return Promise.resolve(lease)
    return new Promise<Lease>((resolve, reject) => {
      const waiter: Waiter = { enqueuedAt: this.deps.clock.now(), seq: ++this.seq, resolve, reject }
      this.queue.push(waiter)
      this.observe()
      this.armQueueTimeout(waiter)
      signal?.addEventListener('abort', () => this.dropWaiter(waiter, unavailable('the client went away')), { once: true })
      this.reconcile('arrival')
    })
  }

  /**
   * The gateway found this instance broken (it refused a connection: gone, whatever its exit event says
   * later; or a request outlived its timeout by the grace: stuck): it is replaced at once.
   */
  reportBroken(instanceId: string, message: string): void {
    const slot = this.slots.get(instanceId)
    if (slot?.state !== 'ready' || !slot.handle) return
    const backoffMs = this.fail(slot)
    this.deps.onEvent({ type: 'crash', service: this.settings.service, id: slot.id, exit: { code: null, signal: null, reason: 'exited', message }, backoffMs })
    void this.deps.runtime.stop(slot.handle, 0)
    this.reconcile('change', `replacing an instance that ${message}`)
  }

  /**
   * A request on this instance was cut off before any answer (connection reset): the instance may be
   * dying, its exit not yet seen. For SUSPECT_MS it gets no new request (they wait, or go to another
   * instance), so the request after a crash meets the replacement, not the dying process.
   */
  suspect(instanceId: string): void {
    const slot = this.slots.get(instanceId)
    if (slot?.state !== 'ready') return
    slot.suspectUntil = this.deps.clock.now() + SUSPECT_MS
    this.deps.clock.setTimeout(() => this.dispatch(), SUSPECT_MS)
  }

  status(): { service: string; revision: string; queued: number; instances: InstanceStatus[]; scaling: Pool['scaling'] } {
    const view = (s: Slot): InstanceStatus => ({
      id: s.id,
      state: s.state,
      ...(s.handle?.pid === undefined ? {} : { pid: s.handle.pid }),
      ...(s.handle?.containerId === undefined ? {} : { container: s.handle.containerId }),
      ...(s.frozen ? { frozen: true } : {}),
      ...(this.settings.debugging ? { debugging: true } : {}),
      inFlight: s.inFlight,
      served: s.served,
      startedAt: s.startedAt,
      ...(s.readyAt === undefined ? {} : { readyAt: s.readyAt }),
      ...(s.coldStart ? { coldStartMs: s.coldStart.totalMs } : {}),
      ...(s.exit ? { exit: s.exit } : {}),
    })
    return { service: this.settings.service, revision: this.settings.revision, queued: this.queue.length, instances: [...this.ended, ...this.slots.values()].map(view), scaling: this.scaling }
  }

  /** Refuses new requests, fails the queued ones with 503, lets in-flight ones finish, stops every instance. */
  async shutdown(): Promise<void> {
    return this.close('shutdown')
  }

  /**
   * A newer revision took over: queued requests move to it (`reroute`), in-flight ones finish, then every
   * instance stops. Nothing is dropped.
   */
  async handOver(reroute: () => Promise<Lease>): Promise<void> {
    return this.close(ROLLOUT_END, reroute)
  }

  private async close(reason: string, reroute?: () => Promise<Lease>): Promise<void> {
    this.closed = true
    this.deps.clock.clearTimeout(this.retryTimer)
    this.deps.clock.clearTimeout(this.tickTimer)
    this.deps.clock.clearTimeout(this.wakeTimer)
    for (const waiter of this.queue.splice(0)) {
      this.deps.clock.clearTimeout(waiter.timer)
      if (reroute) reroute().then(waiter.resolve, waiter.reject)
      else this.rejectWaiter(waiter, unavailable('the emulator is shutting down'))
    }
    this.observe()
    await Promise.all([...this.slots.values()].map((slot) => this.drain(slot, reason)))
  }

  private pick(): Slot | undefined {
    let best: Slot | undefined
    const now = this.deps.clock.now()
    for (const slot of this.slots.values()) {
      if (slot.state !== 'ready' || slot.inFlight >= this.settings.concurrency || (slot.suspectUntil ?? 0) > now) continue
      if (!best || slot.inFlight < best.inFlight) best = slot
    }
    return best
  }

  private lease(slot: Slot, queuedMs: number, coldStart?: ColdStart): Lease {
    slot.inFlight++
    slot.served++
    this.inFlight++
    slot.idleSince = undefined
    const thawed = slot.inFlight === 1 ? this.thaw(slot) : undefined
    let released = false
    const lease: Lease = {
      instanceId: slot.id,
      address: slot.handle!.address,
      queuedMs,
      release: () => {
        if (released) return
        released = true
        slot.inFlight--
        this.inFlight--
        if (slot.inFlight === 0) {
          slot.drained?.()
          this.markIdle(slot)
        }
        this.dispatch()
        this.observe()
        this.freezeIfIdle(slot)
      },
    }
    if (coldStart) lease.coldStart = coldStart
    if (thawed) lease.thawed = thawed
    return lease
  }

  /** cpuThrottling: nothing in flight → frozen (as Cloud Run throttles CPU outside requests). */
  private freezeIfIdle(slot: Slot): void {
    if (!this.settings.cpuThrottling || !slot.handle?.freeze || slot.state !== 'ready' || slot.inFlight > 0 || slot.frozen) return
    slot.frozen = true
    void slot.handle.freeze()
  }

  private thaw(slot: Slot): Promise<void> | undefined {
    if (!slot.frozen || !slot.handle?.thaw) return undefined
    slot.frozen = false
    return slot.handle.thaw()
  }

  /** Hands queued requests, oldest first, to instances with room. */
  private dispatch(): void {
    while (this.queue.length) {
      const slot = this.pick()
      if (!slot) return
      const waiter = this.queue.shift()!
      this.deps.clock.clearTimeout(waiter.timer)
      const waitedForStart = slot.readySeq !== undefined && slot.readySeq > waiter.seq
      waiter.resolve(this.lease(slot, this.deps.clock.now() - waiter.enqueuedAt, waitedForStart ? slot.coldStart : undefined))
    }
  }

  private live(): Slot[] {
    return [...this.slots.values()].filter((s) => s.state === 'starting' || s.state === 'ready')
  }

  /** In flight + waiting, and the live instances, as the autoscaler's meter sees them. */
  private observe(): void {
    // On every acquire and release: count without building the list (the request path stays allocation-free here).
    let live = 0
    for (const slot of this.slots.values()) if (slot.state === 'starting' || slot.state === 'ready') live++
    this.meter.set(this.deps.clock.now(), this.inFlight + this.queue.length, live)
  }

  /**
   * Asks the autoscaler (or, for a tick model on an event, re-applies its last decision: a crashed
   * instance is replaced, not re-decided) and starts or drains instances to match. `why` names an
   * event's cause (a crash, a rollout) in the `scale` event instead of the model's reason.
   */
  private reconcile(trigger: ScaleInput['trigger'], why?: string): void {
    if (this.closed) return
    const { clock } = this.deps
    const now = clock.now()
    const live = this.live()
    const reapply = trigger === 'change' && this.autoscaler.tickMs !== undefined ? this.autoscaler.last : undefined
    const decision = reapply ?? this.decide(trigger, now, live)
    if (!decision) return // the model waits for its tick
    if (!reapply && decision.wakeAt !== undefined) this.armWake(decision.wakeAt)
    const target = reapply ? this.desired : Math.min(Math.max(decision.desired, this.warm), this.settings.maxInstances)
    const previous = this.desired
    this.desired = target
    const count = target - live.length
    if (count > 0) {
      const wait = this.nextStartAt - now
      if (wait > 0) {
        clock.clearTimeout(this.retryTimer)
        this.retryTimer = clock.setTimeout(() => this.reconcile('change', why), wait)
        if (target !== previous) this.emitScale(decision, previous, live.length, 0, why)
        return
      }
      this.emitScale(decision, previous, live.length, count, why)
      for (let i = 0; i < count; i++) void this.startInstance(why ?? decision.reason)
    } else {
      if (target !== previous) this.emitScale(decision, previous, live.length, 0, why)
      if (count < 0) for (const slot of scaleInOrder(live).slice(0, -count)) void this.drain(slot, decision.reason)
    }
  }

  private decide(trigger: ScaleInput['trigger'], now: number, live: Slot[]): ScaleDecision | undefined {
    const { concurrency: limit, minInstances, maxInstances } = this.settings
    const instances = live.map(instanceView)
    return this.autoscaler.decide({
      now,
      trigger,
      average: (w) => this.meter.average(w, now),
      concurrency: this.meter.concurrency,
      queued: this.queue.length,
      instances,
      limit,
      minInstances,
      maxInstances,
    })
  }

  private emitScale(decision: ScaleDecision, previous: number, actual: number, starting: number, why?: string): void {
    this.deps.onEvent({
      type: 'scale',
      service: this.settings.service,
      revision: this.settings.revision,
      model: this.autoscaler.model,
      desired: this.desired,
      previous,
      actual,
      starting,
      mode: decision.mode,
      reason: why ?? decision.reason,
      observed: { concurrency: this.meter.concurrency, queued: this.queue.length, ...decision.observed },
    })
  }

  private armTick(): void {
    const tickMs = this.autoscaler.tickMs
    if (tickMs === undefined || this.closed) return
    this.tickTimer = this.deps.clock.setTimeout(() => {
      this.reconcile('tick')
      this.armTick()
    }, tickMs)
  }

  /** Decide again at `at` (an idle instance's retention ends), unless an earlier wake-up is set. */
  private armWake(at: number): void {
    if (this.closed || at >= this.wakeAt) return
    const { clock } = this.deps
    clock.clearTimeout(this.wakeTimer)
    this.wakeAt = at
    this.wakeTimer = clock.setTimeout(() => {
      this.wakeAt = Infinity
      this.reconcile('tick')
    }, at - clock.now())
  }

  private markIdle(slot: Slot): void {
    slot.idleSince = this.deps.clock.now()
    const retention = this.autoscaler.idleRetentionMs
    if (retention !== undefined && Number.isFinite(retention)) this.armWake(slot.idleSince + retention)
  }

  private async startInstance(reason: string): Promise<void> {
    const { clock } = this.deps
    const n = this.deps.nextInstanceNumber?.() ?? ++this.counter
    const slot: Slot = { id: `${this.settings.service}#${n}`, n, state: 'starting', inFlight: 0, served: 0, startedAt: clock.now(), abort: new AbortController() }
    this.slots.set(slot.id, slot)
    this.observe()
    this.emitState(slot, reason)
    try {
      const spawning = this.deps.runtime.start(this.deps.spec(slot.id), this.deps.onLog)
      slot.spawning = spawning.catch(() => undefined)
      const handle = await spawning
      slot.handle = handle
      const spawnedAt = clock.now()
      void handle.exited.then((exit) => this.onExit(slot, exit))
      if (slot.state !== 'starting') return // drained or shut down while it was being spawned: the drain stops it
      const { portOpenAt } = await this.deps.waitReady(handle, slot.startedAt + this.settings.startupTimeoutMs, slot.abort.signal)
      const probedAt = clock.now()
      const delayMs = this.settings.simulatedDelay?.() ?? 0
      if (delayMs > 0) await new Promise((resolve) => clock.setTimeout(() => resolve(undefined), delayMs))
      if (slot.state !== 'starting') return
      slot.readyAt = clock.now()
      slot.readySeq = ++this.seq
      slot.coldStart = { totalMs: slot.readyAt - slot.startedAt, spawnMs: spawnedAt - slot.startedAt, bootMs: portOpenAt - spawnedAt, readyMs: probedAt - portOpenAt, delayMs }
      slot.state = 'ready'
      this.emitState(slot)
      this.deps.onEvent({ type: 'cold-start', service: this.settings.service, id: slot.id, coldStart: slot.coldStart })
      this.markIdle(slot)
      this.dispatch()
      this.freezeIfIdle(slot)
    } catch (error) {
      const own = (error as { code?: unknown }).code
      const code = isErrorCode(own) ? own : slot.handle ? 'STARTUP_PROBE_TIMEOUT' : 'INSTANCE_SPAWN_FAILED'
      if (slot.state === 'starting') this.failStart(slot, code, (error as Error).message)
    }
  }

  private failStart(slot: Slot, code: StartFailure, message: string): void {
    const backoffMs = this.fail(slot)
    slot.abort.abort()
    this.deps.onEvent({ type: 'start-failed', service: this.settings.service, id: slot.id, code, message, lastLines: slot.handle?.lastLines(20) ?? [], backoffMs })
    if (slot.handle) void this.deps.runtime.stop(slot.handle, 0)
    if (!this.live().length) {
      for (const waiter of this.queue.splice(0)) this.rejectWaiter(waiter, unavailable(`${slot.id} failed to start: ${message}`))
      this.observe()
    }
    this.reconcile('change', 'replacing a failed start')
  }

  private onExit(slot: Slot, exit: ExitInfo): void {
    slot.exit = exit
    if (slot.state === 'starting') {
      this.failStart(slot, 'INSTANCE_EXITED_BEFORE_READY', exit.signal ? `ended by ${exit.signal} before it was ready` : `exited with code ${exit.code} before it was ready`)
    } else if (slot.state === 'ready') {
      const backoffMs = this.fail(slot)
      this.deps.onEvent({ type: 'crash', service: this.settings.service, id: slot.id, exit, backoffMs })
      this.reconcile('change', 'replacing a crashed instance')
    } else if (slot.state === 'draining') {
      this.retire(slot, 'stopped')
    }
  }

  /** Marks a slot failed and pushes the next start back exponentially; returns the back-off. */
  private fail(slot: Slot): number {
    if (slot.readyAt !== undefined && this.deps.clock.now() - slot.readyAt >= STABLE_MS) this.failures = 0
    this.retire(slot, 'failed')
    this.failures++
    const backoffMs = Math.min(BACKOFF_BASE_MS * 2 ** (this.failures - 1), BACKOFF_MAX_MS)
    this.nextStartAt = this.deps.clock.now() + backoffMs
    return backoffMs
  }

  private retire(slot: Slot, state: 'stopped' | 'failed', reason?: string): void {
    if (slot.state === 'stopped' || slot.state === 'failed') return
    slot.state = state
    this.slots.delete(slot.id)
    this.observe()
    this.ended.push(slot)
    if (this.ended.length > ENDED_KEPT) this.ended.shift()
    this.emitState(slot, reason)
  }

  /** No new requests; in-flight ones finish (bounded by the grace); then SIGTERM → SIGKILL. */
  private drain(slot: Slot, reason: string): Promise<void> {
    if (slot.state === 'draining') return slot.stopping ?? Promise.resolve()
    if (slot.state === 'stopped' || slot.state === 'failed') return Promise.resolve()
    slot.stopping = this.stop(slot, reason)
    return slot.stopping
  }

  private async stop(slot: Slot, reason: string): Promise<void> {
    slot.abort.abort()
    slot.state = 'draining'
    this.observe()
    this.emitState(slot, reason)
    if (slot.inFlight > 0) {
      await new Promise<void>((resolve) => {
        slot.drained = resolve
        this.deps.clock.setTimeout(resolve, this.settings.graceMs)
      })
    }
    // Still being spawned: wait for it, so that nothing the runtime creates outlives a shutdown.
    const handle = slot.handle ?? (await slot.spawning)
    if (handle) slot.exit = await this.deps.runtime.stop(handle, slot.readyAt === undefined ? 0 : this.settings.graceMs) // never ready: nothing to finish
    this.retire(slot, 'stopped', reason)
  }

  private armQueueTimeout(waiter: Waiter): void {
    waiter.timer = this.deps.clock.setTimeout(() => {
      // A request waiting on a cold start keeps waiting: the start either serves it or fails it (503).
      if (this.live().some((s) => s.state === 'starting')) return this.armQueueTimeout(waiter)
      this.dropWaiter(waiter, noRoom())
    }, this.settings.queueTimeoutMs)
  }

  private dropWaiter(waiter: Waiter, error: PlatformResponse): void {
    const index = this.queue.indexOf(waiter)
    if (index === -1) return
    this.queue.splice(index, 1)
    this.observe()
    this.rejectWaiter(waiter, error)
  }

  private rejectWaiter(waiter: Waiter, error: PlatformResponse): void {
    this.deps.clock.clearTimeout(waiter.timer)
    waiter.reject(error)
  }

  private emitState(slot: Slot, reason?: string): void {
    this.deps.onEvent({ type: 'instance', service: this.settings.service, id: slot.id, state: slot.state, ...(reason ? { reason } : {}) })
  }
}
