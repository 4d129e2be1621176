/**
 * The emulator's rules on a simulated clock: a discrete-event replay of a trace through the same
 * `Autoscaler` (core/autoscaler) and the pool's routing and queueing rules (core/emulator/pool.ts):
 * a request goes to the ready instance with the fewest in flight below `concurrency`, else waits; the
 * model is asked on its tick, when a request finds no room and when an idle instance's retention ends;
 * a waiting request gets 429 after `queueTimeout` unless an instance is starting (then it keeps
 * waiting, as in `dev`), 504 past `timeout` from its arrival, and the app keeps its slot until it has
 * finished (at most `timeout` + the stuck grace). Instances never crash here, and a start takes the
 * sampled cold start. No timers, no sockets, no promises in the hot path: millions of requests a second.
 */
import { Autoscaler, instanceView, LoadMeter, scaleInOrder, type ScaleInput, type ScalingSpec } from '../autoscaler/autoscaler.js'
import { EventHeap, type Timed } from './heap.js'
import { LatencyHistogram } from './latency.js'
import type { Arrival, TimelinePoint, TraceSource } from './types.js'

export interface SimSettings {
  concurrency: number
  minInstances: number
  maxInstances: number
  queueTimeoutMs: number
  timeoutMs: number
  /** After `timeout`, how long the app may still hold its slot before `dev` cuts it (the shutdown grace, 10 s). */
  stuckGraceMs: number
  scaling: ScalingSpec
  /** Start to ready of the next instance, in ms. */
  coldStartMs: () => number
}

/** What one replay measured; simulate.ts turns it into a SimResult. */
export interface SimOutcome {
  endMs: number
  requests: number
  coldStarts: number
  /** Requests that met a cold start, with the measured durations when a recording carried them. */
  recordedColdStarts: number[]
  status: Map<number, number>
  latency: LatencyHistogram
  peak: number
  /** Time-weighted mean of live (starting + ready) instances over [0, endMs]. */
  meanInstances: number
  timeline: TimelinePoint[]
  /** Summed over every instance: alive from start to stop, active (≥ 1 request in flight), billable (busy periods rounded up to 100 ms), and Fargate's (alive, at least 60 s a task). */
  usage: { instances: number; aliveMs: number; activeMs: number; billableMs: number; fargateMs: number }
}

interface Instance {
  state: 'starting' | 'ready' | 'draining'
  inFlight: number
  startedAt: number
  readySeq: number
  idleSince: number | undefined
  busySince: number
}

interface Waiter {
  a: Arrival
  enqueuedAt: number
  seq: number
  done: boolean
}

/** One shape for every event (monomorphic, for speed): `inst` for ready/free, `w` for queue. */
interface Event extends Timed {
  kind: 'ready' | 'free' | 'queue' | 'tick' | 'wake'
  inst: Instance | undefined
  w: Waiter | undefined
}

const ROUND_MS = 100
const FARGATE_MIN_MS = 60_000

export class Simulator {
  private now = 0
  private seq = 0
  private readonly events = new EventHeap<Event>()
  private readonly autoscaler: Autoscaler
  private readonly meter: LoadMeter
  private live: Instance[] = []
  private readonly queue: Waiter[] = []
  private queueHead = 0
  private queued = 0
  private inFlight = 0
  private desired = 0
  private warm = 0
  private wakeAt = Infinity
  private wakeSeq = -1
  private readonly out: SimOutcome
  private area = 0
  private lastLiveChange = 0
  private lastPoint: TimelinePoint | undefined
  private ticking = true
  private prewarm = false

  constructor(private readonly s: SimSettings) {
    this.autoscaler = new Autoscaler(s.scaling)
    this.meter = new LoadMeter(0, this.autoscaler.horizonMs)
    this.out = {
      endMs: 0,
      requests: 0,
      coldStarts: 0,
      recordedColdStarts: [],
      status: new Map(),
      latency: new LatencyHistogram(),
      peak: 0,
      meanInstances: 0,
      timeline: [],
      usage: { instances: 0, aliveMs: 0, activeMs: 0, billableMs: 0, fargateMs: 0 },
    }
  }

  /** Replays the trace; `durationMs` (a generator's) extends the run past the last arrival. */
  async run(source: TraceSource, options: { service?: string; durationMs?: number } = {}): Promise<SimOutcome> {
    // The trace starts with the service deployed: its minInstances (and Knative's initialScale) are ready at t = 0.
    this.warm = this.autoscaler.initialScale
    this.prewarm = true
    this.reconcile('tick')
    this.prewarm = false
    this.warm = 0
    this.armTick()
    let last = 0
    for await (const batch of source.batches()) {
      for (const a of batch) {
        if (options.service && a.service && a.service !== options.service) continue
        this.advance(a.t)
        this.now = Math.max(this.now, a.t)
        last = a.t
        this.arrive(a)
      }
    }
    const end = Math.max(options.durationMs ?? 0, last)
    this.advance(end)
    this.now = Math.max(this.now, end)
    // Requests still in flight or waiting finish; the autoscaler's own clock stops at the end of the trace.
    this.ticking = false
    while (this.inFlight > 0 || this.queued > 0) {
      const e = this.events.pop()
      if (!e) break
      this.now = Math.max(this.now, e.at)
      this.handle(e)
    }
    return this.finish(Math.max(end, this.now))
  }

  private advance(t: number): void {
    for (let e = this.events.peek(); e && e.at <= t; e = this.events.peek()) {
      this.events.pop()
      this.now = Math.max(this.now, e.at)
      this.handle(e)
    }
  }

  private handle(e: Event): void {
    switch (e.kind) {
      case 'free':
        return this.free(e.inst!)
      case 'ready':
        return this.ready(e.inst!)
      case 'queue':
        return this.queueTimeout(e.w!)
      case 'tick':
        if (!this.ticking) return
        this.reconcile('tick')
        return this.armTick()
      case 'wake':
        if (e.seq !== this.wakeSeq) return // superseded by an earlier wake-up
        this.wakeAt = Infinity
        return this.reconcile('tick')
    }
  }

  private schedule(at: number, kind: Event['kind'], inst?: Instance, w?: Waiter): number {
    const seq = ++this.seq
    this.events.push({ at, seq, kind, inst, w })
    return seq
  }

  private arrive(a: Arrival): void {
    this.out.requests++
    const inst = this.pick()
    if (inst) {
      this.lease(inst, a, false)
      this.observe()
      return
    }
    const w: Waiter = { a, enqueuedAt: this.now, seq: ++this.seq, done: false }
    this.queue.push(w)
    this.queued++
    this.observe()
    this.schedule(this.now + this.s.queueTimeoutMs, 'queue', undefined, w)
    this.reconcile('arrival')
  }

  private pick(): Instance | undefined {
    let best: Instance | undefined
    for (const inst of this.live) {
      if (inst.state !== 'ready' || inst.inFlight >= this.s.concurrency) continue
      if (!best || inst.inFlight < best.inFlight) best = inst
    }
    return best
  }

  private lease(inst: Instance, a: Arrival, cold: boolean): void {
    if (inst.inFlight++ === 0) inst.busySince = this.now
    inst.idleSince = undefined
    this.inFlight++
    if (cold) {
      this.out.coldStarts++
      if (a.coldStartMs !== undefined) this.out.recordedColdStarts.push(a.coldStartMs)
    }
    const deadline = a.t + this.s.timeoutMs
    const finish = this.now + a.serviceMs
    const timedOut = finish > deadline
    this.respond(timedOut ? 504 : 200, (timedOut ? deadline : finish) - a.t)
    this.schedule(timedOut ? Math.min(finish, deadline + this.s.stuckGraceMs) : finish, 'free', inst)
  }

  private respond(status: number, latencyMs: number): void {
    this.out.status.set(status, (this.out.status.get(status) ?? 0) + 1)
    this.out.latency.add(latencyMs)
  }

  private free(inst: Instance): void {
    this.inFlight--
    if (--inst.inFlight === 0) {
      const busy = this.now - inst.busySince
      this.out.usage.activeMs += busy
      this.out.usage.billableMs += Math.ceil(busy / ROUND_MS - 1e-9) * ROUND_MS
      if (inst.state === 'draining') this.retire(inst, this.now)
      else this.markIdle(inst)
    }
    this.dispatch()
    this.observe()
  }

  private ready(inst: Instance): void {
    if (inst.state !== 'starting') return
    inst.state = 'ready'
    inst.readySeq = ++this.seq
    this.markIdle(inst)
    this.dispatch()
  }

  private dispatch(): void {
    while (this.queued > 0) {
      const inst = this.pick()
      if (!inst) return
      const w = this.nextWaiter()!
      this.lease(inst, w.a, inst.readySeq > w.seq)
    }
  }

  private nextWaiter(): Waiter | undefined {
    while (this.queueHead < this.queue.length) {
      const w = this.queue[this.queueHead++]!
      if (w.done) continue
      w.done = true
      this.queued--
      if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue.splice(0, this.queueHead)
        this.queueHead = 0
      }
      return w
    }
    return undefined
  }

  private queueTimeout(w: Waiter): void {
    if (w.done) return
    const deadline = w.a.t + this.s.timeoutMs
    // A request waiting on a cold start keeps waiting (as in dev), up to its own timeout: then 504.
    if (this.now < deadline && this.live.some((i) => i.state === 'starting')) {
      this.schedule(Math.min(this.now + this.s.queueTimeoutMs, deadline), 'queue', undefined, w)
      return
    }
    w.done = true
    this.queued--
    this.respond(this.now >= deadline ? 504 : 429, this.now - w.a.t)
    this.observe()
  }

  private markIdle(inst: Instance): void {
    inst.idleSince = this.now
    const retention = this.autoscaler.idleRetentionMs
    if (retention !== undefined && Number.isFinite(retention)) this.armWake(this.now + retention)
  }

  private armWake(at: number): void {
    if (at >= this.wakeAt) return
    this.wakeAt = at
    this.wakeSeq = this.schedule(at, 'wake')
  }

  private armTick(): void {
    const tickMs = this.autoscaler.tickMs
    if (tickMs !== undefined) this.schedule(this.now + tickMs, 'tick')
  }

  /** As Pool.reconcile: ask the model, then start the missing instances or drain the surplus (idle first). */
  private reconcile(trigger: ScaleInput['trigger']): void {
    const now = this.now
    const instances = this.live.map(instanceView)
    const { concurrency: limit, minInstances, maxInstances } = this.s
    const decision = this.autoscaler.decide({
      now,
      trigger,
      average: (w) => this.meter.average(w, now),
      concurrency: this.meter.concurrency,
      queued: this.queued,
      instances,
      limit,
      minInstances,
      maxInstances,
    })
    if (!decision) return
    if (decision.wakeAt !== undefined) this.armWake(decision.wakeAt)
    this.desired = Math.min(Math.max(decision.desired, this.warm), maxInstances)
    const count = this.desired - this.live.length
    for (let i = 0; i < count; i++) this.start()
    if (count < 0) for (const inst of scaleInOrder(this.live).slice(0, -count)) this.drain(inst)
    this.point()
  }

  private start(): void {
    const inst: Instance = { state: 'starting', inFlight: 0, startedAt: this.now, readySeq: Infinity, idleSince: undefined, busySince: 0 }
    this.setLive([...this.live, inst])
    this.out.usage.instances++
    this.schedule(this.now + (this.prewarm ? 0 : Math.max(0, this.s.coldStartMs())), 'ready', inst)
  }

  private drain(inst: Instance): void {
    inst.state = 'draining'
    this.setLive(this.live.filter((i) => i !== inst))
    if (inst.inFlight === 0) this.retire(inst, this.now)
  }

  private retire(inst: Instance, at: number): void {
    const alive = at - inst.startedAt
    this.out.usage.aliveMs += alive
    this.out.usage.fargateMs += Math.max(FARGATE_MIN_MS, alive)
  }

  private setLive(live: Instance[]): void {
    this.area += this.live.length * (this.now - this.lastLiveChange)
    this.lastLiveChange = this.now
    this.live = live
    this.out.peak = Math.max(this.out.peak, live.length)
    this.observe()
  }

  private observe(): void {
    this.meter.set(this.now, this.inFlight + this.queued, this.live.length)
  }

  private point(): void {
    const last = this.lastPoint
    if (last && last.desired === this.desired && last.actual === this.live.length) return
    this.lastPoint = { t: this.now, desired: this.desired, actual: this.live.length }
    this.out.timeline.push(this.lastPoint)
  }

  private finish(end: number): SimOutcome {
    this.now = end
    for (const inst of this.live) this.retire(inst, end)
    this.area += this.live.length * (end - this.lastLiveChange)
    this.out.endMs = end
    this.out.meanInstances = end > 0 ? this.area / end : 0
    this.out.timeline.push({ t: end, desired: this.desired, actual: this.live.length })
    return this.out
  }
}
