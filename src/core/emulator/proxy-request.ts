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
  private clientDone = false
  private lease?: Lease
  private timer: unknown
  private readonly left = new AbortController()
  /** Set while the upstream request runs: cuts it (the instance is stuck). */
  private cut?: (reason: Error) => void
  /** The upstream response, paused for a slow client. */
  private paused?: Dispatcher.DispatchController

  constructor(
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
    private readonly ctx: ProxyContext,
  ) {
    this.started = ctx.clock.now()
    res.once('close', () => {
      if (res.writableFinished || this.clientDone) return
      this.left.abort()
      this.finishClient(CLIENT_CLOSED)
      this.paused?.resume() // nobody reads it now: let the app's response run to its end
    })
  }

  async run(): Promise<void> {
    const lease = await this.acquire()
    if (!lease) return
    if (this.clientDone) return lease.release() // left while it was queued or thawing
    const remaining = this.ctx.timeoutMs - (this.ctx.clock.now() - this.started)
    if (remaining <= 0) {
      // Its whole timeout went by in the queue: the app never gets a request whose client has given up.
      this.platformAnswer(timedOut(this.ctx.timeoutMs), lease)
      return lease.release()
    }
    // No timer for Infinity (`--inspect`: a request may wait at a breakpoint for as long as it takes).
    if (Number.isFinite(remaining)) this.timer = this.ctx.clock.setTimeout(() => this.timedOut(), remaining)
    this.send(lease, true)
  }

  /** A slot, or undefined when the platform answered (429/503) or the client left while queued. */
  private async acquire(): Promise<Lease | undefined> {
    let lease: Lease
    try {
      lease = await this.ctx.pool.acquire(this.left.signal)
    } catch (error) {
      this.platformAnswer(error instanceof PlatformResponse ? error : unavailable((error as Error).message))
      return undefined
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
    const { req, res } = this
    let controller: Dispatcher.DispatchController | undefined
    let status = 0
    let ended = false
    const end = (error?: Error) => {
      if (ended) return
      ended = true
      this.cut = undefined
      this.paused = undefined
      const code = (error as { code?: string } | undefined)?.code ?? ''
      if (error && status === 0 && !REFUSED.has(code)) this.ctx.pool.suspect(lease.instanceId) // reset mid-request: dying?
      if (REFUSED.has(code) && status === 0) {
        this.ctx.pool.reportBroken(lease.instanceId, 'refused a connection')
        if (retry && !this.clientDone && (!hasBody(req) || !req.readableDidRead)) {
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
    this.cut = (reason) => (controller ? controller.abort(reason) : end(reason))
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart: (c) => {
        controller = c
      },
      onResponseStart: (_c, statusCode, headers) => {
        if (statusCode < 200) return // 1xx from the app: Node already answered the client's Expect
        status = statusCode
        if (!this.clientDone) res.writeHead(statusCode, responseHeaders(headers, lease))
      },
      onResponseData: (c, chunk) => {
        if (this.clientDone) return // the client has its answer: the app still finishes, unheard
        if (!res.write(chunk)) {
          c.pause()
          this.paused = c
          res.once('drain', () => {
            this.paused = undefined
            c.resume()
          })
        }
      },
      onResponseEnd: () => end(),
      onResponseError: (_c, error) => end(error),
    }
    try {
      this.ctx
        .upstream(lease)
        .dispatch(
          { path: req.url ?? '/', method: (req.method ?? 'GET') as Dispatcher.HttpMethod, headers: forwardHeaders(req), body: hasBody(req) ? req : null, headersTimeout: 0, bodyTimeout: 0 },
          handler,
        )
    } catch (error) {
      end(error as Error)
    }
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
    if (!this.cut) return
    this.timer = this.ctx.clock.setTimeout(() => {
      if (!this.cut || !this.lease) return
      this.ctx.pool.reportBroken(this.lease.instanceId, `did not finish a request within timeout + ${this.ctx.stuckGraceMs} ms`)
      this.cut(new Error('stuck'))
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
