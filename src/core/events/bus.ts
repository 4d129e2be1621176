/**
 * The emulator's event broker (Eventarc / Knative Broker + Triggers, locally): a CloudEvent posted to
 * the admin port's `POST /events` is accepted with 202 (as a Knative broker's ingress answers) and
 * delivered in binary mode to every subscription whose `type` matches exactly (and `source`, when the
 * subscription names one), through the service's gateway (`send`).
 *
 * Each delivery: 2xx is done; 429, 5xx and no answer are retried after backoffMs(n, retry) while
 * `retry.count` retries remain; any other answer (a 400 will not get better) or the last failed try
 * dead-letters the event (appendDeadLetter). One EventDeliveryEvent per try goes to `onEvent`.
 * stop() lets no delivery start, aborts sends in flight and cancels pending retries; a delivery cut
 * short that way is dead-lettered with lastError 'emulator stopped', and one more event (outcome
 * dead-lettered, durationMs 0) reports it when it was waiting for a retry.
 */
import type http from 'node:http'
import type { Handler } from '../http/admin.js'
import type { Clock } from '../clock.js'
import { backoffMs } from './backoff.js'
import type { Event } from './cloudevents.js'
import { appendDeadLetter } from './dead-letter.js'
import { retryable } from './types.js'
import type { EventDeliveryEvent, OutgoingRequest, RetryPolicy, Send, SendResult } from './types.js'

/** Largest event body `POST /events` takes (413 above). */
export const MAX_EVENT_BYTES = 10 * 1024 * 1024
/** A subscription's `retry:` defaults (sls-run.yaml schema), for deliveries without a subscription. */
export const DEFAULT_EVENT_RETRY: RetryPolicy = { count: 3, minBackoff: 1_000, maxBackoff: 10_000, maxDoublings: 5 }
const STOPPED = 'emulator stopped'

export interface Subscription {
  service: string
  type: string
  source?: string
  path: string
  retry: RetryPolicy
}

export interface EventBusDeps {
  subscriptions: Subscription[]
  send: Send
  clock: Clock
  onEvent: (e: EventDeliveryEvent) => void
  deadLetterFile: string
}

export interface Published {
  /** Services the event goes to (once each, even with several matching subscriptions). */
  subscribers: string[]
  /** The last try's event of each delivery, in subscription order. */
  done: Promise<EventDeliveryEvent[]>
}

type Target = Pick<Subscription, 'service' | 'path' | 'retry'>

export class EventBus {
  private stopping = false
  private readonly abort = new AbortController()
  private readonly deliveries = new Set<Promise<EventDeliveryEvent>>()
  /** Pending retry waits: wake(false) ends the wait early (stop). */
  private readonly waits = new Set<{ handle: unknown; wake: (elapsed: boolean) => void }>()

  private subscriptions: Subscription[]

  constructor(private readonly deps: EventBusDeps) {
    this.subscriptions = deps.subscriptions
  }

  /** A reloaded config: new events follow these subscriptions; deliveries under way finish as they started. */
  setSubscriptions(subscriptions: Subscription[]): void {
    this.subscriptions = subscriptions
  }

  /** The admin route `POST /events`: 202 with the subscribers, 400/415 with the reason, 413 above 10 MiB. */
  handler(): Handler {
    return async (req, res) => {
      if (req.method !== 'POST') return reply(res, 405, { error: 'POST a CloudEvent (binary or structured mode) to /events' }, { allow: 'POST' })
      if (this.stopping) return reply(res, 503, { error: 'the emulator is stopping: no new deliveries' })
      let body: Buffer
      try {
        body = await readBody(req, MAX_EVENT_BYTES)
      } catch (error) {
        if (error instanceof BodyTooLarge) return reply(res, 413, { error: error.message }, { connection: 'close' })
        return reply(res, 400, { error: `could not read the request body: ${(error as Error).message}` })
      }
      // The cloudevents SDK (and ajv under it) loads with the first event, not with every `sls-run dev`.
      const { CloudEventError, parseIncoming } = await import('./cloudevents.js')
      let event: Event
      try {
        event = parseIncoming(req.headers, body)
      } catch (error) {
        if (error instanceof CloudEventError) return reply(res, error.status, { error: error.reason })
        throw error
      }
      if (this.stopping) return reply(res, 503, { error: 'the emulator is stopping: no new deliveries' })
      const { subscribers } = this.publish(event)
      reply(res, 202, { id: event.id, type: event.type, source: event.source, subscribers })
    }
  }

  /** Starts a delivery to each matching subscription; they run in the background. */
  publish(event: Event): Published {
    if (this.stopping) throw new Error('the event bus is stopped')
    const targets = this.subscriptions.filter((s) => s.type === event.type && (s.source === undefined || s.source === event.source))
    const done = Promise.all(targets.map((target) => this.track(target, event)))
    return { subscribers: [...new Set(targets.map((t) => t.service))], done }
  }

  /**
   * One delivery without routing (`sls-run invoke --event-type`), retried and dead-lettered the same way;
   * resolves with the last try's event. The retry policy: `retry`, else that of a subscription of the
   * service with this path and type, else the schema defaults.
   */
  deliverTo(service: string, path: string, event: Event, retry?: RetryPolicy): Promise<EventDeliveryEvent> {
    if (this.stopping) return Promise.reject(new Error('the event bus is stopped'))
    const policy = retry ?? this.subscriptions.find((s) => s.service === service && s.path === path && s.type === event.type)?.retry ?? DEFAULT_EVENT_RETRY
    return this.track({ service, path, retry: policy }, event)
  }

  /** No new deliveries; pending retries are cancelled and sends in flight aborted (both dead-lettered); resolves when all have settled. */
  async stop(): Promise<void> {
    this.stopping = true
    for (const wait of [...this.waits]) {
      this.deps.clock.clearTimeout(wait.handle)
      wait.wake(false)
    }
    this.abort.abort()
    await Promise.allSettled([...this.deliveries])
  }

  private track(target: Target, event: Event): Promise<EventDeliveryEvent> {
    const delivery = this.deliver(target, event).finally(() => this.deliveries.delete(delivery))
    this.deliveries.add(delivery)
    return delivery
  }

  private async deliver(target: Target, event: Event): Promise<EventDeliveryEvent> {
    let request: OutgoingRequest
    try {
      const { toBinary } = await import('./cloudevents.js')
      const { headers, body } = toBinary(event)
      request = { method: 'POST', path: target.path, headers, ...(body === undefined ? {} : { body }) }
    } catch (error) {
      const reason = `could not encode the event: ${(error as Error).message}`
      const never: EventDeliveryEvent = {
        type: 'event-delivery',
        service: target.service,
        eventId: String(event.id),
        eventType: String(event.type),
        source: String(event.source),
        attempt: 0,
        outcome: 'dead-lettered',
        status: 0,
        durationMs: 0,
        coldStart: false,
        error: reason,
      }
      return this.deadLetter(target, event, never, reason)
    }
    for (let attempt = 1; ; attempt++) {
      const result = await this.sendOnce(target.service, request)
      const tried: EventDeliveryEvent = {
        type: 'event-delivery',
        service: target.service,
        eventId: event.id,
        eventType: event.type,
        source: event.source,
        attempt,
        outcome: 'ok',
        status: result.status,
        durationMs: result.durationMs,
        coldStart: result.coldStart,
        ...(result.error === undefined ? {} : { error: result.error }),
      }
      if (result.status >= 200 && result.status < 300) return this.emit(tried)
      if (!retryable(result.status) || attempt > target.retry.count) return this.deadLetter(target, event, tried, lastErrorOf(result))
      if (this.stopping) return this.deadLetter(target, event, { ...tried, error: STOPPED }, STOPPED)
      const nextInMs = backoffMs(attempt, target.retry)
      this.emit({ ...tried, outcome: 'retry', nextInMs })
      if (!(await this.wait(nextInMs))) {
        return this.deadLetter(target, event, { ...tried, durationMs: 0, coldStart: false, error: STOPPED }, STOPPED)
      }
    }
  }

  private async sendOnce(service: string, request: OutgoingRequest): Promise<SendResult> {
    const started = this.deps.clock.now()
    try {
      return await this.deps.send(service, request, this.abort.signal)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      return { status: 0, headers: {}, body: Buffer.alloc(0), durationMs: this.deps.clock.now() - started, coldStart: false, error: message }
    }
  }

  /** Resolves true once `ms` have passed, false when stop() cut the wait short. */
  private wait(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const entry = {
        handle: undefined as unknown,
        wake: (elapsed: boolean) => {
          this.waits.delete(entry)
          resolve(elapsed)
        },
      }
      entry.handle = this.deps.clock.setTimeout(() => entry.wake(true), ms)
      this.waits.add(entry)
    })
  }

  private async deadLetter(target: Target, event: Event, last: EventDeliveryEvent, lastError: string | undefined): Promise<EventDeliveryEvent> {
    const file = this.deps.deadLetterFile
    const record = {
      time: new Date(this.deps.clock.now()).toISOString(),
      service: target.service,
      path: target.path,
      attempts: last.attempt,
      lastStatus: last.status,
      ...(lastError ? { lastError } : {}),
      event,
    }
    try {
      await appendDeadLetter(file, record)
      return this.emit({ ...last, outcome: 'dead-lettered', deadLetterFile: file })
    } catch (error) {
      const failure = `could not write the dead letter to ${file}: ${(error as Error).message}`
      return this.emit({ ...last, outcome: 'dead-lettered', error: last.error ? `${last.error}; ${failure}` : failure })
    }
  }

  private emit(event: EventDeliveryEvent): EventDeliveryEvent {
    try {
      this.deps.onEvent(event)
    } catch {
      // A failing observer must not break deliveries.
    }
    return event
  }
}

/** What the dead letter says went wrong: the transport error, else the start of the answer's body. */
function lastErrorOf(result: SendResult): string | undefined {
  if (result.error) return result.error
  if (result.status === 0) return 'no answer'
  const text = result.body.subarray(0, 500).toString('utf8').trim()
  return text || undefined
}

export class BodyTooLarge extends Error {
  override readonly name = 'BodyTooLarge'
}

/** Reads a request body up to `limit` bytes; above it (declared or streamed) rejects with BodyTooLarge and drains the rest. */
export function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new BodyTooLarge(`the event is larger than ${limit / 1024 / 1024} MiB`)
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > limit) {
    req.resume()
    return Promise.reject(tooLarge())
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) return void chunks.push(chunk)
      cleanup()
      req.resume()
      reject(tooLarge())
    }
    const onEnd = () => {
      cleanup()
      resolve(Buffer.concat(chunks, size))
    }
    const onError = (error: Error) => {
      cleanup()
      reject(error)
    }
    const cleanup = () => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
  })
}

function reply(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers })
  res.end(JSON.stringify(body))
}
