/** A fake clock and a fake runtime for the autoscaler's unit tests: time and instances move only when a test says so. */
import type { Clock } from '../../src/core/clock.js'
import type { ExitInfo, InstanceSpec, Runtime, RuntimeInstance } from '../../src/runtime/types.js'

export class FakeClock implements Clock {
  private time: number
  private timers: Array<{ at: number; fn: () => void; id: number }> = []
  private ids = 0
  /** Every wait asked of setTimeout, in order. */
  readonly requested: number[] = []
  /** The next timer fires this much late (a stalled event loop, a sleeping laptop). */
  stallNext = 0
  /** Timers of more than `early` ms fire this much early. */
  early = 0

  /** `start`: ms since the epoch, or an ISO date. */
  constructor(start: number | string = 1_000_000) {
    this.time = typeof start === 'string' ? Date.parse(start) : start
  }

  now(): number {
    return this.time
  }
  setTimeout(fn: () => void, ms: number): unknown {
    this.requested.push(ms)
    const wait = Math.max(0, ms)
    const timer = { at: this.time + wait + this.stallNext - (this.early && wait > this.early ? this.early : 0), fn, id: ++this.ids }
    this.stallNext = 0
    this.timers.push(timer)
    return timer.id
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle)
  }
  get pending(): number {
    return this.timers.length
  }
  /** Moves time forward, firing due timers in order and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms
    await settle()
    for (;;) {
      const next = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0]
      if (!next) break
      this.timers = this.timers.filter((t) => t !== next)
      this.time = Math.max(this.time, next.at)
      next.fn()
      await settle()
    }
    this.time = target
    await settle()
  }
  advanceTo(iso: string): Promise<void> {
    return this.advance(Date.parse(iso) - this.time)
  }
}

export const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve))
}

export class FakeInstance implements RuntimeInstance {
  readonly address: { host: string; port: number }
  readonly exited: Promise<ExitInfo>
  exit!: (info: ExitInfo) => void
  ready!: () => void
  readyFail!: (error: Error) => void
  readonly readyPromise: Promise<void>
  stoppedWith?: number
  /** cpuThrottling calls, in order. */
  readonly throttle: Array<'freeze' | 'thaw'> = []
  constructor(
    readonly id: string,
    readonly spec: InstanceSpec,
    port: number,
  ) {
    this.address = { host: '127.0.0.1', port }
    this.exited = new Promise((resolve) => (this.exit = resolve))
    this.readyPromise = new Promise((resolve, reject) => {
      this.ready = resolve
      this.readyFail = reject
    })
  }
  lastLines(count: number): string[] {
    return [`last line of ${this.id}`].slice(-count)
  }
  async freeze(): Promise<void> {
    this.throttle.push('freeze')
  }
  async thaw(): Promise<void> {
    this.throttle.push('thaw')
  }
}

/** Starts instances instantly; each becomes ready when the test calls `ready(id)` (or at once with autoReady). */
export class FakeRuntime implements Runtime {
  readonly kind = 'process' as const
  readonly instances = new Map<string, FakeInstance>()
  readonly stops: string[] = []
  autoReady = false
  failSpawn = false
  private port = 20000

  async start(spec: InstanceSpec): Promise<RuntimeInstance> {
    if (this.failSpawn) throw new Error('spawn failed')
    const instance = new FakeInstance(spec.instanceId, spec, ++this.port)
    this.instances.set(spec.instanceId, instance)
    if (this.autoReady) instance.ready()
    return instance
  }
  async stop(instance: RuntimeInstance, graceMs: number): Promise<ExitInfo> {
    const fake = instance as FakeInstance
    fake.stoppedWith = graceMs
    this.stops.push(instance.id)
    const info: ExitInfo = { code: 0, signal: 'SIGTERM', reason: 'stopped' }
    fake.exit(info)
    return info
  }
  get(id: string): FakeInstance {
    const instance = this.instances.get(id)
    if (!instance) throw new Error(`no instance ${id} (have ${[...this.instances.keys()].join(', ')})`)
    return instance
  }
}
