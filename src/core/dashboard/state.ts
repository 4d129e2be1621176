/**
 * What the dashboard shows, kept on the server so a page opened late still sees the session: the last
 * requests and events, instance counts over time (actual and desired), traffic (rate, latency
 * percentiles), the autoscaler's view (model, mode, observed concurrency, why) and the cost meter. Fed
 * by the emulator (subscribe) and by the dev loop (publish); every change goes to listeners (the live
 * stream in routes.ts) as a small message.
 */
import type { DevLoopEvent } from '../devloop/devloop.js'
import type { EventsLogEvent, EventsSummaryEvent } from '../events/types.js'
import { CostMeter, type CostReport } from '../emulator/billing.js'
import type { Emulator, EmulatorEvent } from '../emulator/emulator.js'
import type { RequestRecord } from '../emulator/gateway.js'

export const REQUESTS_KEPT = 200
export const EVENTS_KEPT = 300
export const ERRORS_KEPT = 100
export const SAMPLES_KEPT = 900
/** Scaling decisions kept per service, apart from the other events: a busy autoscaler does not push those out. */
export const DECISIONS_KEPT = 100
const RATE_WINDOW_MS = 10_000
const LATENCY_WINDOW_MS = 60_000
const WINDOW_MAX = 20_000

export type RequestRow = Omit<RequestRecord, 'type' | 'service'> & { at: number }
export interface Sample extends Omit<Traffic, 'window'> {
  at: number
  starting: number
  ready: number
  draining: number
  inFlight: number
  queued: number
  /** The count the autoscaler wants. */
  desired: number
}
export interface Traffic {
  /** Requests per second over the last 10 s. */
  rps: number
  /** Latency percentiles (ms) over the last 60 s; null without requests. */
  p50: number | null
  p95: number | null
  p99: number | null
  window: number
}
export interface RevisionRow {
  revision: string
  state: 'starting' | 'serving' | 'failed' | 'retired'
  at: number
  reason?: string
}
type Shown = Exclude<EmulatorEvent, { type: 'log' | 'request' | 'instance' | 'listening' | 'admin' }>
/** What the session passes on besides the emulator's own events: the dev loop's and the events'. */
export type Published = DevLoopEvent | EventsLogEvent | EventsSummaryEvent
export type Stamped = { at: number; event: Shown | Published }

export type Message =
  | { type: 'request'; service: string; row: RequestRow }
  | { type: 'event'; item: Stamped }
  | { type: 'sample'; service: string; sample: Sample }
  | { type: 'tick'; at: number; services: ServiceView[]; cost: CostReport }
  | { type: 'end'; at: number }

interface PerService {
  requests: RequestRow[]
  window: Array<{ at: number; ms: number }>
  samples: Sample[]
  revisions: RevisionRow[]
  /** `scale` events that changed the desired count, and the `scaling-model` line (kept apart from them). */
  decisions: Stamped[]
  model?: Stamped
}

export type ServiceView = ReturnType<DashboardState['services']>[number]

export class DashboardState {
  private readonly per = new Map<string, PerService>()
  private readonly events: Stamped[] = []
  /** Kept apart, so a busy session does not push them out. */
  private readonly errors: Stamped[] = []
  private readonly listeners = new Set<(message: Message) => void>()
  private readonly unsubscribe: () => void
  private readonly timer: NodeJS.Timeout
  readonly cost: CostMeter
  readonly startedAt: number
  private ended = false

  constructor(
    private readonly emulator: Emulator,
    private readonly now: () => number = Date.now,
    tickMs = 1000,
  ) {
    this.startedAt = now()
    this.cost = new CostMeter({
      startedAt: this.startedAt,
      services: emulator.services,
      resources: (service) => {
        const s = emulator.currentConfig.services[service]
        return { cpu: s?.resources.cpu ?? 1, memoryBytes: s?.resources.memory ?? 512 * 1024 ** 2, cpuThrottling: s?.cpuThrottling ?? false }
      },
    })
    for (const s of emulator.status().services) this.service(s.service).revisions.push({ revision: s.revision, state: 'serving', at: this.startedAt })
    this.unsubscribe = emulator.subscribe((event) => this.onEmulator(event))
    this.timer = setInterval(() => this.tick(), tickMs)
    this.timer.unref()
  }

  /** Every message from now on; returns the unsubscribe function. */
  listen(listener: (message: Message) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  get done(): boolean {
    return this.ended
  }

  /** A dev-loop event (file change, rebuild, config reload or invalid config) or an events one (schedules, CloudEvents). */
  publish(event: Published): void {
    this.remember({ at: this.now(), event })
  }

  snapshot() {
    const at = this.now()
    return {
      at,
      startedAt: this.startedAt,
      services: this.services(),
      history: Object.fromEntries([...this.per].map(([name, p]) => [name, p.samples])),
      requests: Object.fromEntries([...this.per].map(([name, p]) => [name, p.requests])),
      events: [...this.errors, ...this.events, ...[...this.per.values()].flatMap((p) => [...(p.model ? [p.model] : []), ...p.decisions])].sort((a, b) => a.at - b.at),
      cost: this.cost.report(at),
    }
  }

  services() {
    const config = this.emulator.currentConfig
    return this.emulator.status().services.map((s) => {
      const live = s.instances.filter((i) => i.state !== 'stopped' && i.state !== 'failed')
      const settings = config.services[s.service]
      return {
        service: s.service,
        url: s.url,
        revision: s.revision,
        pendingRevision: s.pendingRevision ?? null,
        queued: s.queued,
        inFlight: live.reduce((n, i) => n + i.inFlight, 0),
        // The autoscaler: its model, the count it wants against the starting + ready instances, its mode, why, and what it observed.
        model: s.model,
        desiredInstances: s.desiredInstances,
        actualInstances: live.filter((i) => i.state === 'starting' || i.state === 'ready').length,
        mode: s.mode,
        reason: s.reason,
        concurrency: s.concurrency,
        observed: s.observed,
        webSockets: s.webSockets,
        instances: s.instances.map((i) => ({
          id: i.id,
          revision: i.revision,
          state: i.state,
          inFlight: i.inFlight,
          served: i.served,
          startedAt: i.startedAt,
          coldStartMs: i.coldStartMs ?? null,
          frozen: Boolean(i.frozen),
          debugging: Boolean(i.debugging),
          exit: i.exit ?? null,
        })),
        settings: settings
          ? {
              concurrency: settings.scaling.concurrency,
              minInstances: settings.scaling.minInstances,
              maxInstances: settings.scaling.maxInstances,
              cpu: settings.resources.cpu,
              memoryBytes: settings.resources.memory,
              cpuThrottling: settings.cpuThrottling,
            }
          : null,
        traffic: this.traffic(s.service),
        revisions: this.service(s.service).revisions,
      }
    })
  }

  traffic(service: string): Traffic {
    const now = this.now()
    const window = this.trim(this.service(service), now)
    const recent = window.filter((r) => r.at >= now - RATE_WINDOW_MS).length
    const sorted = window.map((r) => r.ms).sort((a, b) => a - b)
    const pick = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : null)
    return { rps: recent / (RATE_WINDOW_MS / 1000), p50: pick(0.5), p95: pick(0.95), p99: pick(0.99), window: sorted.length }
  }

  /** Stops listening to the emulator and tells every listener the session ended. */
  dispose(): void {
    if (this.ended) return
    this.ended = true
    clearInterval(this.timer)
    this.unsubscribe()
    this.send({ type: 'end', at: this.now() })
    this.listeners.clear()
  }

  private onEmulator(event: EmulatorEvent): void {
    const at = this.now()
    this.cost.observe(event, at)
    if (event.type === 'log') return
    if (event.type === 'request') {
      const { service, type: _type, ...record } = event
      const row: RequestRow = { at, ...record }
      const p = this.service(service)
      push(p.requests, row, REQUESTS_KEPT)
      p.window.push({ at, ms: record.durationMs })
      if (p.window.length > WINDOW_MAX + WINDOW_MAX / 4) p.window.splice(0, p.window.length - WINDOW_MAX) // amortized: no O(n) shift per request
      this.send({ type: 'request', service, row })
      return
    }
    if (event.type === 'revision') {
      const rows = this.service(event.service).revisions
      const row = rows.find((r) => r.revision === event.revision)
      const next: RevisionRow = { revision: event.revision, state: event.state, at, ...(event.reason ? { reason: event.reason } : {}) }
      if (row) Object.assign(row, next)
      else push(rows, next, 50)
    }
    if (event.type === 'instance') return this.sample(event.service, at)
    if (event.type === 'listening' || event.type === 'admin') return
    if (event.type === 'scale') {
      if (event.desired === event.previous) return // instances started for the count it already wanted
      this.sample(event.service, at) // the desired line steps when the decision is made
    }
    this.remember({ at, event })
  }

  private remember(item: Stamped): void {
    const e = item.event
    if (e.type === 'scale') push(this.service(e.service).decisions, item, DECISIONS_KEPT)
    else if (e.type === 'scaling-model') this.service(e.service).model = item
    else if (isError(e)) push(this.errors, item, ERRORS_KEPT)
    else push(this.events, item, EVENTS_KEPT)
    this.send({ type: 'event', item })
  }

  private tick(): void {
    if (!this.emulator.services.length) return this.dispose()
    const at = this.now()
    for (const name of this.emulator.services) this.sample(name, at)
    this.send({ type: 'tick', at, services: this.services(), cost: this.cost.report(at) })
  }

  private sample(service: string, at: number): void {
    const pool = this.emulator.status().services.find((s) => s.service === service)
    if (!pool) return
    const count = (state: string) => pool.instances.filter((i) => i.state === state).length
    const { window: _window, ...traffic } = this.traffic(service)
    const sample: Sample = {
      at,
      starting: count('starting'),
      ready: count('ready'),
      draining: count('draining'),
      inFlight: pool.instances.reduce((n, i) => n + i.inFlight, 0),
      queued: pool.queued,
      desired: pool.desiredInstances,
      ...traffic,
    }
    push(this.service(service).samples, sample, SAMPLES_KEPT)
    this.send({ type: 'sample', service, sample })
  }

  private service(name: string): PerService {
    let p = this.per.get(name)
    if (!p) this.per.set(name, (p = { requests: [], window: [], samples: [], revisions: [], decisions: [] }))
    return p
  }

  private trim(p: PerService, now: number) {
    let drop = 0
    while (drop < p.window.length && p.window[drop]!.at < now - LATENCY_WINDOW_MS) drop++
    if (drop) p.window.splice(0, drop)
    return p.window
  }

  private send(message: Message): void {
    for (const listener of this.listeners) listener(message)
  }
}

function isError(e: Stamped['event']): boolean {
  return (
    e.type === 'start-failed' ||
    e.type === 'crash' ||
    e.type === 'reload-paused' ||
    ((e.type === 'revision' || e.type === 'rebuild') && e.state === 'failed') ||
    (e.type === 'config' && e.state === 'invalid')
  )
}

function push<T>(list: T[], item: T, max: number): void {
  list.push(item)
  if (list.length > max) list.splice(0, list.length - max)
}
