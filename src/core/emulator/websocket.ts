/**
 * WebSockets (any HTTP/1.1 `Upgrade`) through the gateway, as Cloud Run and Knative carry them: the
 * handshake takes a slot like a request (queueing, cold start, 429/503), the connection then holds that
 * slot for its whole lifetime (it counts against `concurrency`), and the request `timeout` bounds it
 * (Cloud Run closes a WebSocket at the request timeout). After the handshake the bytes are piped both
 * ways untouched; the gateway records one request per connection, with the upstream's status (101) and
 * the connection's lifetime as its duration.
 */
import type http from 'node:http'
import net from 'node:net'
import type { Duplex } from 'node:stream'
import type { Clock } from '../clock.js'
import { PlatformResponse, unavailable } from './errors.js'
import { forwardHeaders } from './headers.js'
import type { Lease } from './pool.js'
import { CLIENT_CLOSED } from './proxy-request.js'
import type { LeaseSource } from './router.js'

export interface UpgradeContext {
  pool: LeaseSource
  clock: Clock
  timeoutMs: number
  record(req: http.IncomingMessage, started: number, status: number, lease?: Lease): void
  /** +1 when a connection opens on an instance, -1 when it closes. */
  count(instanceId: string, delta: 1 | -1): void
}

const STATUS_TEXT: Record<number, string> = { 429: 'Too Many Requests', 503: 'Service Unavailable' }

export async function proxyUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, ctx: UpgradeContext): Promise<void> {
  const started = ctx.clock.now()
  let recorded = false
  const record = (status: number, lease?: Lease) => {
    if (recorded) return
    recorded = true
    ctx.record(req, started, status, lease)
  }
  const left = new AbortController()
  socket.on('error', () => undefined)
  socket.once('close', () => left.abort())
  let lease: Lease
  try {
    lease = await ctx.pool.acquire(left.signal)
    if (lease.thawed) await lease.thawed
  } catch (error) {
    if (left.signal.aborted) return record(CLIENT_CLOSED)
    const answer = error instanceof PlatformResponse ? error : unavailable((error as Error).message)
    refuse(socket, answer)
    return record(answer.status)
  }
  if (left.signal.aborted) {
    lease.release()
    return record(CLIENT_CLOSED)
  }

  const upstream = net.connect(lease.address)
  let status = 0
  let open = false
  let timer: unknown
  const close = () => {
    ctx.clock.clearTimeout(timer)
    if (!socket.writableEnded) socket.destroy() // a refusal being written ends the socket by itself
    upstream.destroy()
  }
  upstream.once('error', (error: NodeJS.ErrnoException) => {
    if (status !== 0) return
    if (error.code === 'ECONNREFUSED') ctx.pool.reportBroken(lease.instanceId, 'refused a connection')
    refuse(socket, unavailable(`${lease.instanceId} did not answer: ${error.message}`))
  })
  upstream.once('connect', () => {
    upstream.write(requestHead(req))
    if (head.length) upstream.write(head)
    socket.pipe(upstream)
    upstream.pipe(socket)
    ctx.count(lease.instanceId, 1)
    open = true
  })
  upstream.once('data', (chunk: Buffer) => {
    status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(chunk.toString('latin1', 0, 16))?.[1] ?? 502)
  })
  if (Number.isFinite(ctx.timeoutMs)) timer = ctx.clock.setTimeout(close, Math.max(0, ctx.timeoutMs - (ctx.clock.now() - started)))
  let ended = false
  const end = () => {
    if (ended) return
    ended = true
    close()
    if (open) ctx.count(lease.instanceId, -1)
    lease.release()
    record(status || (left.signal.aborted ? CLIENT_CLOSED : 503), lease)
  }
  socket.once('close', end)
  upstream.once('close', end)
}

/** The handshake as the instance gets it: the client's request line, its headers (Upgrade kept) and the platform's. */
function requestHead(req: http.IncomingMessage): string {
  let text = `${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1\r\n`
  for (const [name, value] of Object.entries(forwardHeaders(req, true))) {
    for (const one of Array.isArray(value) ? value : [value]) text += `${name}: ${one}\r\n`
  }
  return `${text}\r\n`
}

function refuse(socket: Duplex, answer: PlatformResponse): void {
  if (socket.destroyed) return
  const body = `${answer.message}\n`
  socket.end(
    `HTTP/1.1 ${answer.status} ${STATUS_TEXT[answer.status] ?? 'Error'}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  )
}
