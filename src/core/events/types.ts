/**
 * Events in the emulator: scheduled requests (Cloud Scheduler) and CloudEvents deliveries (Eventarc /
 * Knative Eventing). Both go to a service through its gateway — so they scale it from zero like real
 * traffic — by way of a `Send` function the emulator provides.
 */

/** A request to one service, sent to its gateway. */
export interface OutgoingRequest {
  method: string
  /** Path and query, starting with `/`. */
  path: string
  headers: Record<string, string>
  body?: string | Buffer
}

/** How the gateway answered (or did not). */
export interface SendResult {
  /** HTTP status; 0 when no answer came (connection refused or reset, timeout). */
  status: number
  headers: Record<string, string>
  body: Buffer
  durationMs: number
  /** The response waited for a cold start (`x-sls-run-cold-start: 1`). */
  coldStart: boolean
  /** `service#n` that answered (`x-sls-run-instance`). */
  instance?: string
  /** Why there was no answer (status 0). */
  error?: string
}

export type Send = (service: string, request: OutgoingRequest, signal?: AbortSignal) => Promise<SendResult>

/** Resolved `retry:` of a schedule or subscription (durations in ms). */
export interface RetryPolicy {
  count: number
  minBackoff: number
  maxBackoff: number
  maxDoublings: number
}

/** What gets retried: 429, 5xx (Cloud Scheduler and Eventarc retry these), and no answer at all. */
export const retryable = (status: number): boolean => status === 0 || status === 429 || status >= 500

/** One try of a scheduled job (an NDJSON event of `sls-run dev --json`, and a dashboard row). */
export interface ScheduleRunEvent {
  type: 'schedule'
  service: string
  name: string
  /** The tick this run belongs to (ISO 8601), or the time `invoke --schedule` fired it. */
  scheduledAt: string
  attempt: number
  /** ok: 2xx; retry: another try follows; failed: no more tries. */
  outcome: 'ok' | 'retry' | 'failed'
  status: number
  durationMs: number
  coldStart: boolean
  /** Wait before the next try (outcome retry). */
  nextInMs?: number
  manual?: boolean
  error?: string
}

/** One delivery try of a CloudEvent to one subscriber. */
export interface EventDeliveryEvent {
  type: 'event-delivery'
  service: string
  eventId: string
  eventType: string
  source: string
  attempt: number
  outcome: 'ok' | 'retry' | 'dead-lettered'
  status: number
  durationMs: number
  coldStart: boolean
  nextInMs?: number
  /** outcome dead-lettered: where the event was written. */
  deadLetterFile?: string
  error?: string
}

export type EventsLogEvent = ScheduleRunEvent | EventDeliveryEvent

/** At start, when the services have schedules or subscriptions: how many, and where dead letters go. */
export interface EventsSummaryEvent {
  type: 'events'
  schedules: number
  subscriptions: number
  schedulesEnabled: boolean
  deadLetterFile: string
}
