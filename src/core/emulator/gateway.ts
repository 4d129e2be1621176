/**
 * A service's front door, as Cloud Run's: every request takes a slot from the pool (queueing,
 * cold-starting or 429), is proxied to that instance with bodies streamed both ways over a
 * keep-alive pool (undici), and comes back with `x-sls-run-instance` and, when it waited for a
 * cold start, `x-sls-run-cold-start: 1` and `Server-Timing` for each phase. Past `timeout` → 504;
 * an instance that dies or refuses the connection → 503; a client that goes away aborts upstream.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Pool as HttpPool } from 'undici'
import type { Clock } from './clock.js'
import { PlatformResponse, timedOut, unavailable } from './errors.js'
import type { Lease } from './pool.js'
import type { LeaseSource } from './router.js'

/** Headers that belong to one connection, never forwarded (RFC 9110 7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'http2-settings'])

export interface RequestRecord {
  service: string
  method: string
  path: string
  status: number
  durationMs: number
  queuedMs: number
  instanceId?: string
  coldStart: boolean
}

export interface GatewayOptions {
  service: string
  host: string
  port: number
  timeoutMs: number
  /** Upstream connections kept per instance (its concurrency). */
  connections: number
  clock: Clock
  onRequest(record: RequestRecord): void
  /** More addresses to listen on at the same port (the Docker bridge's gateway, for containers). */
  alsoOn?: readonly string[]
}

export class Gateway {
  private readonly server: http.Server
  private readonly extraServers: http.Server[] = []
  private readonly upstreams = new Map<string, HttpPool>()

  constructor(
    private readonly pool: LeaseSource,
    private readonly options: GatewayOptions,
  ) {
    this.server = http.createServer({ keepAlive: true }, (req, res) => void this.handle(req, res))
  }

  async listen(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.options.port, this.options.host, () => resolve())
    })
    const { port } = this.server.address() as AddressInfo
    for (const host of this.options.alsoOn ?? []) {
      const extra = http.createServer({ keepAlive: true }, (req, res) => void this.handle(req, res))
      await new Promise<void>((resolve, reject) => {
        extra.once('error', reject)
        extra.listen(port, host, () => resolve())
      })
      this.extraServers.push(extra)
    }
    return { host: this.options.host, port }
  }

  get url(): string {
    const { port } = this.server.address() as AddressInfo
    return `http://${this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host}:${port}`
  }

  async close(): Promise<void> {
    await Promise.all(
      [this.server, ...this.extraServers.splice(0)].map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve())
            server.closeAllConnections()
          }),
      ),
    )
    await Promise.all([...this.upstreams.values()].map((upstream) => upstream.destroy()))
    this.upstreams.clear()
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { clock } = this.options
    const started = clock.now()
    const abort = new AbortController()
    res.once('close', () => {
      if (!res.writableFinished) abort.abort(new Error('client went away'))
    })

    let lease: Lease
    try {
      lease = await this.pool.acquire(abort.signal)
    } catch (error) {
      const answer = error instanceof PlatformResponse ? error : unavailable((error as Error).message)
      if (!abort.signal.aborted) this.platformAnswer(res, answer)
      this.record(req, started, answer.status)
      return
    }

    if (lease.thawed) {
      const thawStarted = clock.now()
      await lease.thawed
      lease.thawMs = clock.now() - thawStarted
    }
    const remaining = this.options.timeoutMs - (clock.now() - started)
    // No timer for Infinity (`--inspect`: a request may wait at a breakpoint for as long as it takes).
    const timer = Number.isFinite(remaining) ? clock.setTimeout(() => abort.abort(timedOut(this.options.timeoutMs)), Math.max(0, remaining)) : undefined
    let status = 0
    const done = (error: Error | null) => {
      clock.clearTimeout(timer)
      if (error) {
        if ((error as { code?: string }).code === 'ECONNREFUSED') this.pool.reportUnreachable(lease.instanceId)
        const reason = abort.signal.reason
        const answer = reason instanceof PlatformResponse ? reason : abort.signal.aborted ? undefined : unavailable(`${lease.instanceId} did not answer: ${error.message}`)
        if (answer && !res.headersSent) this.platformAnswer(res, answer, lease)
        else if (!res.writableEnded) res.destroy()
        status = answer?.status ?? 499
      }
      this.record(req, started, status, lease)
      lease.release()
    }
    try {
      // undici's stream() writes the upstream body straight into our response (no Readable in between);
      // its callback form (`done`, once our response has finished or failed) saves a promise per request.
      this.upstream(lease).stream(
        { path: req.url ?? '/', method: (req.method ?? 'GET') as 'GET', headers: forwardHeaders(req), body: hasBody(req) ? req : null, signal: abort.signal },
        ({ statusCode, headers }) => {
          status = statusCode
          res.writeHead(statusCode, responseHeaders(headers, lease))
          return res
        },
        done,
      )
    } catch (error) {
      done(error as Error)
    }
  }

  private record(req: http.IncomingMessage, started: number, status: number, lease?: Lease): void {
    const durationMs = this.options.clock.now() - started
    const { service } = this.options
    const [method, path] = [req.method ?? 'GET', req.url ?? '/']
    this.options.onRequest(
      lease
        ? { service, method, path, status, durationMs, queuedMs: lease.queuedMs, instanceId: lease.instanceId, coldStart: Boolean(lease.coldStart) }
        : { service, method, path, status, durationMs, queuedMs: durationMs, coldStart: false },
    )
  }

  /** Keep-alive connections to an instance, by instance id; dropped when the instance is retired. */
  private upstream(lease: Lease): HttpPool {
    let upstream = this.upstreams.get(lease.instanceId)
    if (!upstream) {
      upstream = new HttpPool(`http://${lease.address.host}:${lease.address.port}`, {
        connections: this.options.connections,
        keepAliveTimeout: 30_000,
        // The gateway's own timer is the only request timeout (undici's 300 s defaults would answer 503 first
        // for a longer `timeout:`, and cut a request held at a breakpoint under --inspect).
        headersTimeout: 0,
        bodyTimeout: 0,
      })
      this.upstreams.set(lease.instanceId, upstream)
    }
    return upstream
  }

  /** The instance is gone (stopped or failed): close its connection pool, so scale-to-zero cycles leak nothing. */
  forget(instanceId: string): void {
    const upstream = this.upstreams.get(instanceId)
    this.upstreams.delete(instanceId)
    void upstream?.destroy()
  }

  /** Instances with an open connection pool (for tests and status). */
  get connectedInstances(): string[] {
    return [...this.upstreams.keys()]
  }

  private platformAnswer(res: http.ServerResponse, answer: PlatformResponse, lease?: Lease): void {
    const body = `${answer.message}\n`
    res.writeHead(answer.status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...(lease ? { 'x-sls-run-instance': lease.instanceId } : {}) })
    res.end(body)
  }
}

function hasBody(req: http.IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0
}

/** The client's headers, minus hop-by-hop ones, plus what a platform's front end adds. */
function forwardHeaders(req: http.IncomingMessage): Record<string, string | string[]> {
  const source = req.headers
  const headers: Record<string, string | string[]> = {}
  for (const name in source) {
    const value = source[name]
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value
  }
  const client = req.socket.remoteAddress ?? 'unknown'
  const forwardedFor = source['x-forwarded-for']
  headers['x-forwarded-for'] = forwardedFor ? `${forwardedFor}, ${client}` : client
  headers['x-forwarded-proto'] = 'http'
  const node = client.includes(':') ? `"[${client}]"` : client
  const entry = `for=${node};proto=http${source.host ? `;host="${source.host}"` : ''}`
  headers.forwarded = source.forwarded ? `${source.forwarded}, ${entry}` : entry
  return headers
}

/**
 * The instance's headers minus hop-by-hop ones, then the platform's: `x-sls-run-instance`,
 * `Server-Timing` and, after a cold start, `x-sls-run-cold-start` (these replace the app's own).
 * One flat [name, value, …] list, which writeHead takes as it is.
 */
function responseHeaders(headers: Record<string, string | string[] | undefined>, lease: Lease): Array<string | string[]> {
  const out: Array<string | string[]> = []
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined || HOP_BY_HOP.has(name) || name === 'x-sls-run-instance' || name === 'server-timing' || (lease.coldStart && name === 'x-sls-run-cold-start')) continue
    out.push(name, value)
  }
  let timing = `queue;dur=${lease.queuedMs.toFixed(1)}`
  if (lease.thawMs !== undefined) timing += `, thaw;dur=${lease.thawMs.toFixed(1)}`
  out.push('x-sls-run-instance', lease.instanceId)
  if (lease.coldStart) {
    const c = lease.coldStart
    timing += `, cold-start;dur=${c.totalMs.toFixed(1)}, spawn;dur=${c.spawnMs.toFixed(1)}, boot;dur=${c.bootMs.toFixed(1)}, ready;dur=${c.readyMs.toFixed(1)}`
    if (c.delayMs) timing += `, simulated-delay;dur=${c.delayMs.toFixed(1)}`
    out.push('x-sls-run-cold-start', '1')
  }
  out.push('server-timing', timing)
  return out
}
