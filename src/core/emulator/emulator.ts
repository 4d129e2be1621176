/**
 * `sls-run dev`: for each service a gateway and a pool, plus an admin server (`/api/status`,
 * `/metrics`). Services emit typed events; the command decides how they look.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { ExitCode, SlsError } from '../../errors.js'
import type { LogLine, Runtime } from '../../runtime/types.js'
import type { Config, ServiceConfig } from '../config/schema.js'
import { systemClock, type Clock } from './clock.js'
import { contractEnv, revisionName } from './contract.js'
import { Gateway, type RequestRecord } from './gateway.js'
import { EmulatorMetrics } from './metrics.js'
import { Pool, type PoolEvent } from './pool.js'
import { waitReady } from './readiness.js'
import { simulatedDelay } from './cold-start-profiles.js'

export const SHUTDOWN_GRACE_MS = 10_000

export type EmulatorEvent =
  | PoolEvent
  | ({ type: 'log'; service: string } & LogLine)
  | ({ type: 'request' } & RequestRecord)
  | { type: 'listening'; service: string; url: string; revision: string }
  | { type: 'admin'; url: string }

export interface EmulatorOptions {
  config: Config
  /** Services to run (default: all). */
  services?: string[]
  /** Gateway port of the first service without dev.port; the next ones take the next free ports. */
  port: number
  adminPort: number
  host?: string
  runtime: Runtime
  clock?: Clock
  graceMs?: number
  onEvent(event: EmulatorEvent): void
}

interface Running {
  name: string
  pool: Pool
  gateway: Gateway
}

export class Emulator {
  private readonly running: Running[] = []
  private admin?: http.Server
  readonly metrics = new EmulatorMetrics(() => this.running.map((r) => r.pool.status()))

  constructor(private readonly options: EmulatorOptions) {}

  async start(): Promise<{ gateways: Record<string, string>; admin: string }> {
    const { config, onEvent } = this.options
    const names = this.options.services?.length ? this.options.services : Object.keys(config.services)
    for (const name of names) if (!config.services[name]) throw unknownService(name, Object.keys(config.services))
    const host = this.options.host ?? '127.0.0.1'
    const clock = this.options.clock ?? systemClock
    try {
      let nextPort = this.options.port
      const gatewayUrls: Record<string, string> = {}
      const pending: Array<{ name: string; revision: string; pool: Pool; gateway: Gateway }> = []
      for (const name of names) {
        const service = config.services[name]!
        if (!service.dev.command) throw missingCommand(name)
        const revision = revisionName(name)
        const pool = this.pool(name, service, revision, gatewayUrls, clock)
        const onRequest = (record: RequestRecord) => {
          this.metrics.request(record)
          onEvent({ type: 'request', ...record })
        }
        const gatewayOptions = { service: name, host, timeoutMs: service.timeout, connections: service.scaling.concurrency, clock, onRequest }
        let gateway: Gateway
        if (service.dev.port !== undefined) {
          gateway = new Gateway(pool, { ...gatewayOptions, port: service.dev.port })
          await listenOrExplain(gateway, service.dev.port, `services.${name}.dev.port`)
        } else {
          ;({ gateway, port: nextPort } = await listenFrom(nextPort, (port) => new Gateway(pool, { ...gatewayOptions, port })))
          nextPort++
        }
        gatewayUrls[name] = gateway.url
        pending.push({ name, revision, pool, gateway })
        this.running.push({ name, pool, gateway })
      }
      this.admin = await this.startAdmin(host)
      const adminUrl = `http://${host}:${(this.admin.address() as AddressInfo).port}`
      onEvent({ type: 'admin', url: adminUrl })
      for (const { name, revision, pool, gateway } of pending) {
        onEvent({ type: 'listening', service: name, url: gateway.url, revision })
        pool.start()
      }
      return { gateways: gatewayUrls, admin: adminUrl }
    } catch (error) {
      await this.stop()
      throw error
    }
  }

  status() {
    return { services: this.running.map((r) => ({ ...r.pool.status(), url: r.gateway.url, connectedInstances: r.gateway.connectedInstances })) }
  }

  /** Drains every service (in-flight requests finish within the grace), stops every instance, closes the ports. */
  async stop(): Promise<void> {
    await Promise.all(this.running.map((r) => r.pool.shutdown()))
    await Promise.all(this.running.map((r) => r.gateway.close()))
    this.running.length = 0
    if (this.admin) {
      const admin = this.admin
      this.admin = undefined
      await new Promise<void>((resolve) => {
        admin.close(() => resolve())
        admin.closeAllConnections()
      })
    }
  }

  private pool(name: string, service: ServiceConfig, revision: string, gatewayUrls: Record<string, string>, clock: Clock): Pool {
    const { runtime, onEvent } = this.options
    const delay = simulatedDelay(service.dev.coldStart)
    return new Pool(
      {
        service: name,
        revision,
        concurrency: service.scaling.concurrency,
        minInstances: service.scaling.minInstances,
        maxInstances: service.scaling.maxInstances,
        idleTimeoutMs: service.scaling.idleTimeout,
        queueTimeoutMs: service.scaling.queueTimeout,
        startupTimeoutMs: service.startupProbe.timeout,
        graceMs: this.options.graceMs ?? SHUTDOWN_GRACE_MS,
        ...(delay ? { simulatedDelay: delay } : {}),
      },
      {
        runtime,
        clock,
        // Gateways all listen before any instance starts, so every URL is known here.
        spec: (instanceId) => ({ service: name, revision, instanceId, command: service.dev.command!, cwd: service.dev.cwd!, env: contractEnv(name, service, revision, gatewayUrls), port: service.port }),
        waitReady: (instance, deadline, signal) => waitReady(instance, service.startupProbe, deadline, signal),
        onEvent: (event) => {
          if (event.type === 'cold-start') this.metrics.coldStart(name, event.coldStart)
          if (event.type === 'instance' && (event.state === 'stopped' || event.state === 'failed')) {
            this.running.find((r) => r.name === name)?.gateway.forget(event.id)
          }
          onEvent(event)
        },
        onLog: (line) => onEvent({ type: 'log', service: name, ...line }),
      },
    )
  }

  private async startAdmin(host: string): Promise<http.Server> {
    const server = http.createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]
      if (req.method === 'GET' && path === '/api/status') {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify(this.status()))
      } else if (req.method === 'GET' && path === '/metrics') {
        void this.metrics.registry.metrics().then((text) => {
          res.writeHead(200, { 'content-type': this.metrics.registry.contentType })
          res.end(text)
        })
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' })
        res.end('not found: try /api/status or /metrics\n')
      }
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'EADDRINUSE' ? portInUse(this.options.adminPort, '--admin-port') : error),
      )
      server.listen(this.options.adminPort, host, () => resolve())
    })
    return server
  }
}

async function listenOrExplain(gateway: Gateway, port: number, setting: string): Promise<void> {
  try {
    await gateway.listen()
  } catch (error) {
    throw (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? portInUse(port, setting) : error
  }
}

/** Listens on the first free port from `port` upwards (at most 100 tries). */
async function listenFrom(port: number, make: (port: number) => Gateway): Promise<{ gateway: Gateway; port: number }> {
  for (let candidate = port; candidate < port + 100; candidate++) {
    const gateway = make(candidate)
    try {
      await gateway.listen()
      return { gateway, port: candidate }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0) throw error
    }
  }
  throw portInUse(port, '--port')
}

const portInUse = (port: number, setting: string) =>
  new SlsError('PORT_IN_USE', `port ${port} is already in use`, { exitCode: ExitCode.usage, hints: [`Stop what listens there, or choose another port with ${setting}.`] })

const unknownService = (name: string, known: string[]) =>
  new SlsError('UNKNOWN_SERVICE', `no service "${name}" in sls-run.yaml`, { exitCode: ExitCode.usage, hints: [`Services: ${known.join(', ')}.`] })

const missingCommand = (name: string) =>
  new SlsError('DEV_COMMAND_MISSING', `service ${name} has no dev.command, which the process runtime runs`, {
    exitCode: ExitCode.usage,
    hints: [`Add services.${name}.dev.command to sls-run.yaml, e.g. \`command: node server.js\`.`],
  })
