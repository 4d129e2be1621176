/**
 * A service's front door, as Cloud Run's: every request takes a slot from the pool (queueing,
 * cold-starting or 429), is proxied to that instance with bodies streamed both ways over a
 * keep-alive pool (undici), and comes back with `x-sls-run-instance` and, when it waited for a
 * cold start, `x-sls-run-cold-start: 1` and `Server-Timing` for each phase (headers.ts). Past
 * `timeout` → 504; an instance that dies → 503; a client that leaves → 499; the slot stays taken
 * until the app has finished (proxy-request.ts). WebSocket upgrades hold a slot for their lifetime
 * (websocket.ts).
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { Pool as HttpPool } from 'undici'
import type { Clock } from '../clock.js'
import type { Lease } from './pool.js'
import { ProxiedRequest, type ProxyContext } from './proxy-request.js'
import { proxyUpgrade, type UpgradeContext } from './websocket.js'
import type { LeaseSource } from './router.js'

/** One answered request, as the gateway records it; it is also the emulator's `request` event, as it is. */
export interface RequestRecord {
  type: 'request'
  service: string
  method: string
  path: string
  status: number
  /** When the request arrived (epoch ms, the emulator's clock). */
  startedAt: number
  durationMs: number
  queuedMs: number
  instanceId?: string
  coldStart: boolean
  /** The cold start this request waited for, start to ready. */
  coldStartMs?: number
}

export interface GatewayOptions {
  service: string
  host: string
  port: number
  timeoutMs: number
  /** After `timeout`, how long the app may still take to finish a request before its instance counts as stuck. */
  stuckGraceMs: number
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
  private readonly proxy: ProxyContext
  private readonly upgrades: UpgradeContext
  /** Open WebSocket connections by instance. */
  private readonly sockets = new Map<string, number>()

  constructor(
    pool: LeaseSource,
    private readonly options: GatewayOptions,
  ) {
    this.server = this.createServer()
    this.upgrades = {
      pool,
      clock: options.clock,
      timeoutMs: options.timeoutMs,
      record: (req, started, status, lease) => this.record(req, started, status, lease),
      count: (id, delta) => {
        const open = (this.sockets.get(id) ?? 0) + delta
        if (open > 0) this.sockets.set(id, open)
        else this.sockets.delete(id)
      },
    }
    this.proxy = {
      pool,
      clock: options.clock,
      timeoutMs: options.timeoutMs,
      stuckGraceMs: options.stuckGraceMs,
      upstream: (lease) => this.upstream(lease),
      record: (req, started, status, lease) => this.record(req, started, status, lease),
    }
  }

  async listen(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.options.port, this.options.host, () => resolve())
    })
    const { port } = this.server.address() as AddressInfo
    for (const host of this.options.alsoOn ?? []) {
      const extra = this.createServer()
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

  private createServer(): http.Server {
    const server = http.createServer({ keepAlive: true }, (req, res) => void new ProxiedRequest(req, res, this.proxy).run())
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void proxyUpgrade(req, socket, head, this.upgrades))
    return server
  }

  /** Open WebSocket connections, by instance (those with at least one). */
  get webSockets(): Record<string, number> {
    return Object.fromEntries(this.sockets)
  }

  private record(req: http.IncomingMessage, started: number, status: number, lease?: Lease): void {
    const durationMs = this.options.clock.now() - started
    const { service } = this.options
    const [method, path] = [req.method ?? 'GET', req.url ?? '/']
    // One object per request (this runs on every request): no intermediate spreads.
    const record: RequestRecord = lease
      ? { type: 'request', service, method, path, status, startedAt: started, durationMs, queuedMs: lease.queuedMs, instanceId: lease.instanceId, coldStart: lease.coldStart !== undefined }
      : { type: 'request', service, method, path, status, startedAt: started, durationMs, queuedMs: durationMs, coldStart: false }
    if (lease?.coldStart) record.coldStartMs = lease.coldStart.totalMs
    this.options.onRequest(record)
  }

  /** Keep-alive connections to an instance, by instance id; dropped when the instance is retired. */
  private upstream(lease: Lease): HttpPool {
    let upstream = this.upstreams.get(lease.instanceId)
    if (!upstream) {
      upstream = new HttpPool(`http://${lease.address.host}:${lease.address.port}`, {
        connections: this.options.connections,
        keepAliveTimeout: 30_000,
        // The gateway's own timers are the only request timeout (proxy-request.ts): undici's 300 s defaults
        // would answer 503 first for a longer `timeout:`, and cut a request held at a breakpoint under --inspect.
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
}
