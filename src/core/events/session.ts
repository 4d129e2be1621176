/**
 * The events side of a `sls-run dev` session: the scheduler (services' `schedules:`) and the CloudEvents
 * bus (services' `events:`), both sending through the gateways, plus their admin routes:
 *
 * - `POST /events`: a CloudEvent (binary or structured), delivered to every subscribed service (202);
 * - `GET /api/schedules`: each job with its next run and last outcome;
 * - `POST /api/schedules/<service>/<name>/run`: fire one job now (`sls-run invoke --schedule`).
 */
import type http from 'node:http'
import type { Config } from '../config/schema.js'
import type { Clock } from '../clock.js'
import { sendJson, type Handler } from '../http/admin.js'
import { EventBus, type Subscription } from './bus.js'
import { Scheduler, type ScheduledJob } from './scheduler.js'
import type { EventsLogEvent, Send } from './types.js'

export interface EventsOptions {
  services: string[]
  clock: Clock
  send: Send
  /** false: `sls-run dev --no-schedules` (jobs are listed and can be fired by hand, but never tick). */
  schedules: boolean
  deadLetterFile: string
  onEvent(event: EventsLogEvent): void
}

export class EventsSession {
  private scheduler: Scheduler
  private readonly bus: EventBus
  private started = false

  constructor(
    private config: Config,
    private readonly options: EventsOptions,
  ) {
    this.scheduler = this.makeScheduler(config)
    const { send, clock, onEvent, deadLetterFile } = options
    this.bus = new EventBus({ subscriptions: subscriptionsOf(config, options.services), send, clock, onEvent, deadLetterFile })
  }

  get deadLetterFile(): string {
    return this.options.deadLetterFile
  }

  counts(): { schedules: number; subscriptions: number } {
    return { schedules: jobsOf(this.config, this.options.services).length, subscriptions: subscriptionsOf(this.config, this.options.services).length }
  }

  start(): void {
    this.started = true
    if (this.options.schedules) this.scheduler.start()
  }

  /**
   * A reloaded sls-run.yaml. Subscriptions: new events follow the new ones, deliveries under way finish.
   * Schedules: untouched when the jobs did not change (a save of an unrelated key keeps their timers,
   * runs and last outcomes); otherwise the old scheduler stops (a run under way is aborted, as when a
   * Cloud Scheduler job is updated) and the new jobs start ticking.
   */
  async update(config: Config): Promise<void> {
    const before = JSON.stringify(jobsOf(this.config, this.options.services))
    this.config = config
    this.bus.setSubscriptions(subscriptionsOf(config, this.options.services))
    if (JSON.stringify(jobsOf(config, this.options.services)) === before) return
    const old = this.scheduler
    this.scheduler = this.makeScheduler(config)
    await old.stop()
    if (this.started && this.options.schedules) this.scheduler.start()
  }

  /** What /api/status shows per service. */
  describe(service: string) {
    return {
      schedules: this.scheduler.list().filter((j) => j.service === service),
      subscriptions: subscriptionsOf(this.config, [service]).map(({ type, source, path }) => ({ type, ...(source ? { source } : {}), path })),
    }
  }

  routes(): Record<string, Handler> {
    return {
      'POST /events': (req, res) => this.bus.handler()(req, res),
      '/api/schedules': (_req, res) => sendJson(res, { enabled: this.options.schedules, jobs: this.scheduler.list() }),
      'POST /api/schedules/*': (req, res) => this.fire(req, res),
    }
  }

  async stop(): Promise<void> {
    await this.scheduler.stop()
    await this.bus.stop()
  }

  private async fire(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const match = /^\/api\/schedules\/([^/]+)\/([^/]+)\/run$/.exec((req.url ?? '').split('?')[0]!)
    if (!match) {
      res.writeHead(404, { 'content-type': 'application/json' })
      return void res.end(JSON.stringify({ error: 'use POST /api/schedules/<service>/<name>/run' }))
    }
    try {
      sendJson(res, await this.scheduler.runNow(decodeURIComponent(match[1]!), decodeURIComponent(match[2]!)))
    } catch (error) {
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: (error as Error).message }))
    }
  }

  private makeScheduler(config: Config): Scheduler {
    const { send, clock, onEvent } = this.options
    return new Scheduler({ jobs: jobsOf(config, this.options.services), send, clock, onEvent })
  }
}

function jobsOf(config: Config, services: string[]): ScheduledJob[] {
  return services.flatMap((service) =>
    config.services[service]!.schedules.map((s) => ({
      service,
      name: s.name,
      cron: s.cron,
      timezone: s.timezone,
      method: s.method,
      path: s.path,
      ...(s.body === undefined ? {} : { body: s.body }),
      headers: s.headers,
      retry: s.retry,
    })),
  )
}

function subscriptionsOf(config: Config, services: string[]): Subscription[] {
  return services.flatMap((service) => config.services[service]!.events.map((e) => ({ service, type: e.type, ...(e.source ? { source: e.source } : {}), path: e.path, retry: e.retry })))
}
