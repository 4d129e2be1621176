/**
 * One request through the gateway, from arrival to the moment its instance slot is free again.
 *
 * What the client sees and what the instance's slot does are separate on purpose:
 * - The client gets the app's response, or the platform's: 429/503 from the queue, 504 at `timeout`
 *   (counted from arrival), 503 when the instance fails it. A client that leaves is recorded as 499.
 * - The slot stays taken until the app has finished the request, as a `concurrency: 1` app needs:
 *   after a 504 or a client that left, the app's response is still read to its end and dropped. If it
 *   has not ended `stuckGraceMs` after the timeout, the upstream request is cut, the slot freed and the
 *   instance, stuck, replaced. So no request outlives `timeout` + grace and no ended request holds a slot,
 *   whatever the upstream client library does.
 * (Knative's queue-proxy instead cancels the proxied request at its timeout or when the client leaves,
 * freeing its concurrency slot at once while the app may still be working; Cloud Run documents that an
 * instance may go on processing a request that timed out. docs/emulator.md, "Request lifecycle and concurrency slots".)
 *
 * A connection the instance refuses (it died an instant ago; its exit event is on its way) is not the
 * client's problem: when nothing of the request was sent yet, it goes to another instance, once.
 *
 * This runs for every request, so its common path allocates little (bench/emulator.ts compares it with a
 * bare proxy): a free slot is taken synchronously (no promise, no AbortController: those are made only
 * for a request that has to wait), the undici handler is one `Attempt` object with methods rather than a
 * bag of closures, the client's `close` listener is one shared function, and the timeout is armed with a
 * whole number of milliseconds, so that every request's timer joins the same Node timer list (a
 * fractional duration makes a list of its own each time; the timeout fires < 1 ms later for it).
 */
import type http from 'node:http'
import type { Dispatcher } from 'undici'
import type { Clock } from '../clock.js'
import { PlatformResponse, timedOut, unavailable } from './errors.js'
import { forwardHeaders, hasBody, responseHeaders } from './headers.js'
import type { Lease } from './pool.js'
import type { LeaseSource } from './router.js'

/** Connect errors that mean the instance is gone (the request never reached it). */
const REFUSED = new Set(['ECONNREFUSED', 'EHOSTUNREACH'])

/** The status recorded for a client that went away before its answer (nginx's convention). */
export const CLIENT_CLOSED = 499

export interface ProxyContext {
  pool: LeaseSource
  clock: Clock
  timeoutMs: number
  stuckGraceMs: number
  upstream(lease: Lease): Dispatcher
  /** Once per request, when the client's outcome is known. */
  record(req: http.IncomingMessage, started: number, status: number, lease?: Lease): void
}

export class ProxiedRequest {
  private readonly started: number
  /** The client has its answer, or has left. */
  clientDone = false
  lease?: Lease
  private timer: unknown
  /** Made only when the request has to wait for a slot: the client leaving aborts the wait. */
  private left?: AbortController
  /** The upstream attempt under way. */
  private attempt?: Attempt
  /** The upstream response, paused for a slow client. */
  paused?: Dispatcher.DispatchController

  constructor(
    readonly req: http.IncomingMessage,
    readonly res: http.ServerResponse,
    readonly ctx: ProxyContext,
  ) {
    this.started = ctx.clock.now()
    ;(res as WithRequest)[REQUEST] = this
    res.on('close', clientClosed)
  }

  run(): void {
    const lease = this.ctx.pool.tryAcquire()
    if (lease && !lease.thawed) this.begin(lease)
    else void this.acquire(lease).then((next) => next && this.begin(next))
  }

  /** The client's connection closed: before its answer, the client left. */
  clientClosed(): void {
    if (this.res.writableFinished || this.clientDone) return
    this.left?.abort()
    this.finishClient(CLIENT_CLOSED)
    this.paused?.resume() // nobody reads it now: let the app's response run to its end
  }

  private begin(lease: Lease): void {
    if (this.clientDone) return lease.release() // left while it was queued or thawing
    const remaining = this.ctx.timeoutMs - (this.ctx.clock.now() - this.started)
    if (remaining <= 0) {
      // Its whole timeout went by in the queue: the app never gets a request whose client has given up.
      this.platformAnswer(timedOut(this.ctx.timeoutMs), lease)
      return lease.release()
    }
    // No timer for Infinity (`--inspect`: a request may wait at a breakpoint for as long as it takes).
    if (Number.isFinite(remaining)) this.timer = this.ctx.clock.setTimeout(() => this.timedOut(), Math.ceil(remaining))
    this.send(lease, true)
  }

  /** A slot (`fast`: taken already, to thaw), or undefined when the platform answered (429/503) or the client left while queued. */
  private async acquire(fast?: Lease): Promise<Lease | undefined> {
    let lease = fast
    if (!lease) {
      this.left = new AbortController()
      try {
        lease = await this.ctx.pool.acquire(this.left.signal)
      } catch (error) {
        this.platformAnswer(error instanceof PlatformResponse ? error : unavailable((error as Error).message))
        return undefined
      }
    }
    if (lease.thawed) {
      const thawStarted = this.ctx.clock.now()
      await lease.thawed
      lease.thawMs = this.ctx.clock.now() - thawStarted
    }
    return lease
  }

  /** One attempt on one instance; `retry`: a refused connection may move to another instance. */
  private send(lease: Lease, retry: boolean): void {
    this.lease = lease
    const { req } = this
    const attempt = (this.attempt = new Attempt(this, lease, retry))
    try {
      this.ctx
        .upstream(lease)
        .dispatch(
          { path: req.url ?? '/', method: (req.method ?? 'GET') as Dispatcher.HttpMethod, headers: forwardHeaders(req), body: hasBody(req) ? req : null, headersTimeout: 0, bodyTimeout: 0 },
          attempt,
        )
    } catch (error) {
      this.ended(attempt, error as Error)
    }
  }

  /** The app's status line and headers. */
  responseStart(statusCode: number, headers: Record<string, string | string[] | undefined>, lease: Lease): void {
    if (!this.clientDone) this.res.writeHead(statusCode, responseHeaders(headers, lease))
  }

  /** A chunk of the app's body. */
  responseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.clientDone) return // the client has its answer: the app still finishes, unheard
    if (!this.res.write(chunk)) {
      controller.pause()
      this.paused = controller
      this.res.once('drain', () => {
        this.paused = undefined
        controller.resume()
      })
    }
  }

  /** An attempt is over: the app's response ended (no error) or the attempt failed. */
  ended(attempt: Attempt, error?: Error): void {
    if (attempt.done) return
    attempt.done = true
    if (this.attempt === attempt) this.attempt = undefined
    this.paused = undefined
    const { lease, status } = attempt
    const { req, res } = this
    const code = (error as { code?: string } | undefined)?.code ?? ''
    if (error && status === 0 && !REFUSED.has(code)) this.ctx.pool.suspect(lease.instanceId) // reset mid-request: dying?
    if (REFUSED.has(code) && status === 0) {
      this.ctx.pool.reportBroken(lease.instanceId, 'refused a connection')
      if (attempt.retry && !this.clientDone && (!hasBody(req) || !req.readableDidRead)) {
        lease.release()
        void this.acquire().then((next) => (next && !this.clientDone ? this.send(next, false) : next?.release()))
        return
      }
    }
    if (!this.clientDone) {
      if (!error) {
        res.end()
        this.finishClient(status)
      } else if (!res.headersSent) this.platformAnswer(unavailable(`${lease.instanceId} did not answer: ${error.message}`), lease)
      else {
        res.destroy()
        this.finishClient(status)
      }
    }
    this.ctx.clock.clearTimeout(this.timer)
    lease.release()
  }

  /** `timeout` reached: the client gets its 504 now; the app gets `stuckGraceMs` more to finish. */
  private timedOut(): void {
    if (!this.clientDone) {
      if (!this.res.headersSent) this.platformAnswer(timedOut(this.ctx.timeoutMs), this.lease)
      else {
        this.res.destroy()
        this.finishClient(504)
      }
    }
    if (!this.attempt) return
    this.timer = this.ctx.clock.setTimeout(() => {
      const attempt = this.attempt
      if (!attempt) return
      this.ctx.pool.reportBroken(attempt.lease.instanceId, `did not finish a request within timeout + ${this.ctx.stuckGraceMs} ms`)
      attempt.cut(new Error('stuck'))
    }, this.ctx.stuckGraceMs)
  }

  private platformAnswer(answer: PlatformResponse, lease?: Lease): void {
    if (this.clientDone) return
    const body = `${answer.message}\n`
    this.res.writeHead(answer.status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...(lease ? { 'x-sls-run-instance': lease.instanceId } : {}) })
    this.res.end(body)
    this.finishClient(answer.status, lease)
  }

  private finishClient(status: number, lease = this.lease): void {
    if (this.clientDone) return
    this.clientDone = true
    this.ctx.record(this.req, this.started, status, lease)
  }
}

const REQUEST = Symbol('sls-run.request')
type WithRequest = http.ServerResponse & { [REQUEST]: ProxiedRequest }

/** The `close` listener of every response (one function for all: `this` is the response). */
function clientClosed(this: http.ServerResponse): void {
  ;(this as WithRequest)[REQUEST].clientClosed()
}

/** One upstream attempt: undici's handler, its methods hand each event to the request. */
class Attempt implements Dispatcher.DispatchHandler {
  private controller?: Dispatcher.DispatchController
  status = 0
  done = false

  constructor(
    private readonly request: ProxiedRequest,
    readonly lease: Lease,
    readonly retry: boolean,
  ) {}

  /** Ends the attempt from our side (the instance is stuck). */
  cut(reason: Error): void {
    if (this.controller) this.controller.abort(reason)
    else this.request.ended(this, reason)
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return // 1xx from the app: Node already answered the client's Expect
    this.status = statusCode
    this.request.responseStart(statusCode, headers, this.lease)
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.request.responseData(controller, chunk)
  }

  onResponseEnd(): void {
    this.request.ended(this)
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.request.ended(this, error)
  }
}
