/**
 * Fires Cloud-Scheduler-like jobs in the emulator: at each cron tick, one HTTP request to the service
 * through its gateway (`send`), with the headers Cloud Scheduler sends to HTTP targets and its retry
 * policy. One `ScheduleRunEvent` per try goes to `onEvent`.
 *
 * Overlap, as Cloud Scheduler documents it (Job.schedule,
 * https://cloud.google.com/scheduler/docs/reference/rest/v1/projects.locations.jobs#Job): "execution
 * n + 1 of a job will not begin until execution n has finished. Cloud Scheduler will never allow two
 * simultaneously outstanding executions … if the n+1th execution is scheduled to run at 16:00 but the
 * nth execution takes until 16:15, the n+1th execution will not start until 16:15"; and the retry page
 * (https://cloud.google.com/scheduler/docs/configuring/retry-jobs): "the next scheduled execution time
 * might be skipped if the retries continue through that time". So a tick that comes while an execution
 * (with its retries) is outstanding is delayed: it starts as soon as that execution ends, keeping its
 * own schedule time; further ticks during the same execution are skipped (at most one waits).
 * A manual run (`runNow`, Cloud Scheduler's jobs.run) is dispatched "even if the job is already
 * running" (https://cloud.google.com/scheduler/docs/reference/rest/v1/projects.locations.jobs/run);
 * while it is outstanding, ticks wait for it as for a scheduled execution.
 */
import type { Clock } from '../clock.js'
import { backoffMs } from './backoff.js'
import { nextRun } from '../cron.js'
import { retryable } from './types.js'
import type { OutgoingRequest, RetryPolicy, ScheduleRunEvent, Send, SendResult } from './types.js'

export interface ScheduledJob {
  service: string
  name: string
  cron: string
  timezone: string
  method: string
  path: string
  body?: string
  headers: Record<string, string>
  retry: RetryPolicy
}

export interface SchedulerDeps {
  jobs: ScheduledJob[]
  send: Send
  clock: Clock
  onEvent: (e: ScheduleRunEvent) => void
}

export interface ScheduleStatus {
  service: string
  name: string
  cron: string
  timezone: string
  nextRunAt: string | null
  lastRun: ScheduleRunEvent | null
}

/** Node timers overflow (and fire at once) above 2^31 - 1 ms: longer waits are armed in chunks. */
export const MAX_TIMER_MS = 2 ** 31 - 1

interface JobState {
  job: ScheduledJob
  timer: unknown
  /** The tick the timer is armed for (ms since the epoch), or null when the cron never fires again. */
  nextAt: number | null
  /** Executions outstanding (scheduled and manual). */
  active: number
  /** A tick that came while an execution was outstanding: it runs when that one ends. */
  delayed: number | null
  lastRun: ScheduleRunEvent | null
}

/** The headers Cloud Scheduler sets on requests to HTTP targets (HttpTarget.headers and AppEngineHttpTarget.headers in the v1 reference). */
export function schedulerHeaders(job: ScheduledJob, scheduleTime: number): Record<string, string> {
  const base: Record<string, string> = {
    'User-Agent': 'Google-Cloud-Scheduler',
    'X-CloudScheduler': 'true',
    'X-CloudScheduler-JobName': job.name,
    'X-CloudScheduler-ScheduleTime': new Date(scheduleTime).toISOString(),
  }
  if (job.body !== undefined) base['Content-Type'] = 'application/octet-stream'
  // The job's own headers win, whatever their case.
  const own = new Set(Object.keys(job.headers).map((h) => h.toLowerCase()))
  const merged: Record<string, string> = {}
  for (const [name, value] of Object.entries(base)) if (!own.has(name.toLowerCase())) merged[name] = value
  return { ...merged, ...job.headers }
}

export class Scheduler {
  private readonly states = new Map<string, JobState>()
  private readonly executions = new Set<Promise<ScheduleRunEvent>>()
  private readonly controllers = new Set<AbortController>()
  /** Pending retry waits: clearing one resolves it, so stop() ends its execution. */
  private readonly waits = new Map<unknown, () => void>()
  private started = false
  private stopped = false

  constructor(private readonly deps: SchedulerDeps) {
    for (const job of deps.jobs) {
      this.states.set(key(job.service, job.name), { job, timer: undefined, nextAt: null, active: 0, delayed: null, lastRun: null })
    }
  }

  /** Arms a timer for each job's next tick. */
  start(): void {
    if (this.started || this.stopped) return
    this.started = true
    const now = this.deps.clock.now()
    for (const state of this.states.values()) this.arm(state, now)
  }

  /** Fires one execution of a job now (manual), with the same headers and retries; resolves with its last try's event. */
  async runNow(service: string, name: string): Promise<ScheduleRunEvent> {
    const state = this.states.get(key(service, name))
    if (!state) {
      const jobs = [...this.states.keys()]
      throw new Error(`no scheduled job "${key(service, name)}" (jobs: ${jobs.length ? jobs.join(', ') : 'none'})`)
    }
    if (this.stopped) throw new Error('the scheduler is stopped')
    return this.execute(state, this.deps.clock.now(), true)
  }

  list(): ScheduleStatus[] {
    const now = this.deps.clock.now()
    return [...this.states.values()].map(({ job, nextAt, lastRun }) => {
      const next = this.started ? nextAt : (nextRun(job.cron, job.timezone, new Date(now))?.getTime() ?? null)
      return {
        service: job.service,
        name: job.name,
        cron: job.cron,
        timezone: job.timezone,
        nextRunAt: this.stopped || next === null ? null : new Date(next).toISOString(),
        lastRun,
      }
    })
  }

  /** Clears timers, aborts in-flight sends and resolves when the executions have settled; no tick after. */
  async stop(): Promise<void> {
    this.stopped = true
    for (const state of this.states.values()) {
      if (state.timer !== undefined) this.deps.clock.clearTimeout(state.timer)
      state.timer = undefined
      state.delayed = null
    }
    for (const [handle, resolve] of this.waits) {
      this.deps.clock.clearTimeout(handle)
      resolve()
    }
    this.waits.clear()
    for (const controller of this.controllers) controller.abort()
    await Promise.allSettled([...this.executions])
  }

  /** Arms the timer for the first tick strictly after `from`. */
  private arm(state: JobState, from: number): void {
    const next = nextRun(state.job.cron, state.job.timezone, new Date(from))
    state.nextAt = next ? next.getTime() : null
    state.timer = undefined
    if (state.nextAt !== null) this.armTimer(state, state.nextAt)
  }

  private armTimer(state: JobState, at: number): void {
    const wait = at - this.deps.clock.now()
    if (wait > MAX_TIMER_MS) {
      state.timer = this.deps.clock.setTimeout(() => this.armTimer(state, at), MAX_TIMER_MS)
      return
    }
    state.timer = this.deps.clock.setTimeout(
      () => {
        // A timer that fired early (drift) waits for the rest instead of firing before the tick.
        if (this.deps.clock.now() < at) return this.armTimer(state, at)
        this.tick(state, at)
      },
      Math.max(0, wait),
    )
  }

  private tick(state: JobState, at: number): void {
    if (this.stopped) return
    // Next tick from this tick + 1 ms, not from now: a late timer neither skips a tick nor fires one twice.
    this.arm(state, at + 1)
    if (state.active > 0) {
      state.delayed ??= at
      return
    }
    void this.execute(state, at, false)
  }

  private execute(state: JobState, scheduledAt: number, manual: boolean): Promise<ScheduleRunEvent> {
    state.active++
    const run = this.tries(state, scheduledAt, manual).finally(() => {
      this.executions.delete(run)
      state.active--
      if (state.active === 0 && state.delayed !== null && !this.stopped) {
        const delayed = state.delayed
        state.delayed = null
        void this.execute(state, delayed, false)
      }
    })
    this.executions.add(run)
    return run
  }

  private async tries(state: JobState, scheduledAt: number, manual: boolean): Promise<ScheduleRunEvent> {
    const { job } = state
    const request: OutgoingRequest = { method: job.method, path: job.path, headers: schedulerHeaders(job, scheduledAt) }
    if (job.body !== undefined) request.body = job.body
    for (let attempt = 1; ; attempt++) {
      const result = await this.sendOnce(job.service, request)
      const ok = result.status >= 200 && result.status < 300
      const retry = !ok && !this.stopped && retryable(result.status) && attempt <= job.retry.count
      const event: ScheduleRunEvent = {
        type: 'schedule',
        service: job.service,
        name: job.name,
        scheduledAt: new Date(scheduledAt).toISOString(),
        attempt,
        outcome: ok ? 'ok' : retry ? 'retry' : 'failed',
        status: result.status,
        durationMs: result.durationMs,
        coldStart: result.coldStart,
      }
      if (retry) event.nextInMs = backoffMs(attempt, job.retry)
      if (manual) event.manual = true
      if (result.error !== undefined) event.error = result.error
      state.lastRun = event
      if (!this.stopped) this.deps.onEvent(event)
      if (!retry) return event
      await this.wait(event.nextInMs ?? 0)
      if (this.stopped) return event
    }
  }

  private async sendOnce(service: string, request: OutgoingRequest): Promise<SendResult> {
    const controller = new AbortController()
    this.controllers.add(controller)
    const started = this.deps.clock.now()
    try {
      return await this.deps.send(service, request, controller.signal)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      return { status: 0, headers: {}, body: Buffer.alloc(0), durationMs: this.deps.clock.now() - started, coldStart: false, error: message }
    } finally {
      this.controllers.delete(controller)
    }
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.deps.clock.setTimeout(() => {
        this.waits.delete(handle)
        resolve()
      }, ms)
      this.waits.set(handle, resolve)
    })
  }
}

const key = (service: string, name: string) => `${service}/${name}`
