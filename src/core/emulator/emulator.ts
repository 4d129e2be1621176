/**
 * The local platform: for each service a gateway in front of its revisions (router.ts; each revision a
 * pool of instances), plus an admin server (`/api/status`, `/metrics`, and what `adminRoutes` adds).
 * Services emit typed events; whoever runs it (core/dev/session.ts) decides how they look. It knows
 * nothing of schedules, the dev loop or the dashboard: those sit above it and use its public API.
 */
import { ExitCode, SlsError } from '../../errors.js'
import type { InstanceSpec, LogLine, Runtime } from '../../runtime/types.js'
import type { Config, ProviderId } from '../config/schema.js'
import { devImage } from '../image/targets.js'
import { systemClock, type Clock } from '../clock.js'
import { contractEnv, hostEnvironment, revisionName } from './contract.js'
import { Gateway, type RequestRecord } from './gateway.js'
import { EmulatorMetrics } from './metrics.js'
import { Pool, type PoolEvent } from './pool.js'
import { RevisionRouter, type RevisionEvent } from './router.js'
import { sendJson, startAdmin, type AdminServer, type Handler } from '../http/admin.js'
import { waitReady } from './readiness.js'
import { simulatedDelay } from './cold-start-profiles.js'
import { DebugSession, type DebuggerEvent, type InspectOptions } from './debugging.js'
import { inspectServiceRequired } from './inspect.js'
import { modelOf, PRODUCTION_MODEL, scalingSpec } from './scaling-spec.js'
import type { ScalingModel } from '../autoscaler/autoscaler.js'

export const SHUTDOWN_GRACE_MS = 10_000

export type EmulatorEvent =
  | PoolEvent
  | RevisionEvent
  | ({ type: 'log'; service: string } & LogLine)
  | RequestRecord
  | { type: 'listening'; service: string; url: string; revision: string }
  | { type: 'admin'; url: string }
  | DebuggerEvent
  | ScalingModelEvent

/** Which model a service scales with, and the deploy environments whose platform scales differently. */
export interface ScalingModelEvent {
  type: 'scaling-model'
  service: string
  model: ScalingModel
  /** Environments (deploy targets) whose provider's scaling this model does not reproduce. */
  differs: Array<{ environment: string; provider: string; model?: ScalingModel }>
}

export interface EmulatorOptions {
  config: Config
  /** Services to run (default: all). */
  services?: string[]
  /** Gateway port of the first service without dev.port; the next ones take the next free ports. */
  port: number
  adminPort: number
  host?: string
  /** One runtime for every service, or one per service (`dev.runtime`, `--runtime`). */
  runtime: Runtime | ((service: string) => Runtime)
  clock?: Clock
  graceMs?: number
  onEvent(event: EmulatorEvent): void
  /** More admin routes (the dashboard, the events' routes), given the emulator. */
  adminRoutes?: (emulator: Emulator) => Record<string, Handler>
  /** What `/api/status` adds per service (the events' schedules and subscriptions). */
  statusOf?: (service: string) => Record<string, unknown>
  /**
   * `--inspect`: one instance of this service with its debugger open (inspect.ts), pinned (min = max = 1),
   * with no request timeout, idle scale-down or startup deadline. service '' = the only service.
   */
  inspect?: InspectOptions
  /** The environment instances may take variables from (contract.ts hostEnvironment). Default: process.env. */
  hostEnv?: NodeJS.ProcessEnv
  /** The model of services without `scaling.model` (`dev --scaling-model`). Default: instant. */
  scalingModel?: ScalingModel
}

interface Running {
  name: string
  router: RevisionRouter
  gateway: Gateway
  generation: number
  /** The image a docker revision runs, pinned by id after a rebuild. */
  image?: string
}

export class Emulator {
  private readonly running: Running[] = []
  private readonly subscribers = new Set<(event: EmulatorEvent) => void>()
  private admin?: AdminServer
  private debug?: DebugSession
  private config: Config
  private gatewayUrls: Record<string, string> = {}
  private readonly instanceNumbers = new Map<string, number>()
  readonly metrics = new EmulatorMetrics(() => this.running.flatMap((r) => r.router.pools.map((p) => p.status())))

  constructor(private readonly options: EmulatorOptions) {
    this.config = options.config
  }

  private get clock(): Clock {
    return this.options.clock ?? systemClock
  }

  /** Every event, to the command's renderer and to subscribers (the dashboard's live stream). */
  private emit(event: EmulatorEvent): void {
    this.options.onEvent(event)
    for (const subscriber of this.subscribers) subscriber(event)
  }

  subscribe(subscriber: (event: EmulatorEvent) => void): () => void {
    this.subscribers.add(subscriber)
    return () => this.subscribers.delete(subscriber)
  }

  async start(): Promise<{ gateways: Record<string, string>; admin: string }> {
    const { config } = this
    const names = this.options.services?.length ? this.options.services : Object.keys(config.services)
    for (const name of names) if (!config.services[name]) throw unknownService(name, Object.keys(config.services))
    const host = this.options.host ?? '127.0.0.1'
    try {
      if (this.options.inspect) await this.startDebugging(this.options.inspect, names)
      let nextPort = this.options.port
      const started: Array<{ name: string; revision: string; pool: Pool; gateway: Gateway }> = []
      for (const name of names) {
        const service = config.services[name]!
        const runtime = this.runtimeOf(name)
        if (runtime.kind === 'process' && !service.dev.command) throw missingCommand(name)
        const revision = revisionName(name)
        const pool = this.pool(name, revision)
        const router = new RevisionRouter(pool, { service: name, clock: this.clock, holdMs: service.scaling.queueTimeout, onEvent: (event) => this.emit(event) })
        const onRequest = (record: RequestRecord) => {
          this.metrics.request(record)
          this.emit(record) // the record is the event: no copy per request
        }
        const alsoOn = runtime.gatewayHosts ?? []
        const gatewayOptions = {
          service: name,
          host,
          timeoutMs: this.debug?.service === name ? Infinity : service.timeout,
          stuckGraceMs: this.options.graceMs ?? SHUTDOWN_GRACE_MS,
          connections: service.scaling.concurrency,
          clock: this.clock,
          onRequest,
          ...(alsoOn.length ? { alsoOn } : {}),
        }
        let gateway: Gateway
        if (service.dev.port !== undefined) {
          gateway = new Gateway(router, { ...gatewayOptions, port: service.dev.port })
          await listenOrExplain(gateway, service.dev.port, `services.${name}.dev.port`)
        } else {
          ;({ gateway, port: nextPort } = await listenFrom(nextPort, (port) => new Gateway(router, { ...gatewayOptions, port })))
          nextPort++
        }
        this.gatewayUrls[name] = gateway.url
        started.push({ name, revision, pool, gateway })
        this.running.push({ name, router, gateway, generation: 1 })
      }
      this.admin = await startAdmin(host, this.options.adminPort, {
        '/api/status': (_req, res) => sendJson(res, this.status()),
        '/metrics': async (_req, res) => {
          const text = await this.metrics.registry.metrics()
          res.writeHead(200, { 'content-type': this.metrics.registry.contentType })
          res.end(text)
        },
        ...this.options.adminRoutes?.(this),
      })
      this.emit({ type: 'admin', url: this.admin.url })
      for (const { name, revision, pool, gateway } of started) {
        this.emit({ type: 'listening', service: name, url: gateway.url, revision })
        this.emit(this.scalingModel(name))
        pool.start()
      }
      return { gateways: { ...this.gatewayUrls }, admin: this.admin.url }
    } catch (error) {
      await this.stop()
      throw error
    }
  }

  /** The services this session runs. */
  get services(): string[] {
    return this.running.map((r) => r.name)
  }

  get currentConfig(): Config {
    return this.config
  }

  /** A reloaded sls-run.yaml: the next revisions (rollout) use it. */
  updateConfig(config: Config): void {
    this.config = config
  }

  /** A service's gateway URL (once started). */
  gatewayUrl(service: string): string | undefined {
    return this.gatewayUrls[service]
  }

  /**
   * A new revision of `name` (new code, a rebuilt image, or changed settings) that takes the traffic once
   * it is ready, dropping no request (router.ts). Returns the revision's name.
   */
  rollout(name: string, change: { image?: string } = {}): string {
    const running = this.running.find((r) => r.name === name)
    if (!running) throw unknownService(name, this.services)
    if (change.image) running.image = change.image
    running.generation++
    const revision = revisionName(name, running.generation)
    running.router.rollout(this.pool(name, revision, running.image))
    return revision
  }

  status() {
    return {
      services: this.running.map((r) => {
        const serving = r.router.serving.status()
        const sockets = r.gateway.webSockets
        const instances = r.router.pools.flatMap((p) => p.status().instances.map((i) => ({ ...i, revision: p.settings.revision, ...(sockets[i.id] ? { webSockets: sockets[i.id] } : {}) })))
        const { scaling, ...pool } = serving
        return {
          ...pool,
          ...scaling,
          instances,
          webSockets: Object.values(sockets).reduce((a, b) => a + b, 0),
          ...(r.router.pending ? { pendingRevision: r.router.pending } : {}),
          url: r.gateway.url,
          connectedInstances: r.gateway.connectedInstances,
          ...this.options.statusOf?.(r.name),
        }
      }),
    }
  }

  private scalingModel(name: string): ScalingModelEvent {
    const model = modelOf(this.config.services[name]!.scaling, this.options.scalingModel)
    const differs = Object.entries(this.config.environments).flatMap(([environment, env]) => {
      const provider = (env as { provider: string }).provider
      if (!(provider in PRODUCTION_MODEL)) return [] // a plugin's provider: its scaling is unknown here
      const production = PRODUCTION_MODEL[provider as ProviderId]
      return production === model ? [] : [{ environment, provider, ...(production ? { model: production } : {}) }]
    })
    return { type: 'scaling-model', service: name, model, differs }
  }

  /** Drains every service (in-flight requests finish within the grace), stops every instance, closes the ports. */
  async stop(): Promise<void> {
    await Promise.all(this.running.map((r) => r.router.shutdown()))
    await Promise.all(this.running.map((r) => r.gateway.close()))
    await Promise.all([...new Set(this.running.map((r) => this.runtimeOf(r.name)))].map((runtime) => runtime.close?.()))
    this.running.length = 0
    await this.debug?.close()
    this.debug = undefined
    const admin = this.admin
    this.admin = undefined
    await admin?.close()
  }

  private async startDebugging(inspect: InspectOptions, names: string[]): Promise<void> {
    if (!inspect.service && names.length > 1) throw inspectServiceRequired(names)
    const name = inspect.service || names[0]!
    if (!names.includes(name)) throw unknownService(name, names)
    const service = this.config.services[name]!
    const kind = this.runtimeOf(name).kind
    this.debug = await DebugSession.start({ ...inspect, service: name }, kind === 'process' ? service.dev.command : service.command, kind, (event) => this.emit(event))
  }

  private runtimeOf(service: string): Runtime {
    const { runtime } = this.options
    return typeof runtime === 'function' ? runtime(service) : runtime
  }

  private pool(name: string, revision: string, image?: string): Pool {
    const service = this.config.services[name]!
    const config = this.config
    const clock = this.clock
    const runtime = this.runtimeOf(name)
    const delay = simulatedDelay(service.dev.coldStart)
    const debug = this.debug?.service === name ? this.debug : undefined
    const pool: Pool = new Pool(
      {
        service: name,
        revision,
        concurrency: service.scaling.concurrency,
        minInstances: debug ? 1 : service.scaling.minInstances,
        maxInstances: debug ? 1 : service.scaling.maxInstances,
        idleTimeoutMs: debug ? Infinity : service.scaling.idleTimeout,
        queueTimeoutMs: service.scaling.queueTimeout,
        startupTimeoutMs: debug ? Infinity : service.startupProbe.timeout,
        ...(debug ? { debugging: true } : {}),
        scaling: debug ? { model: 'instant', idleTimeoutMs: Infinity } : scalingSpec(service.scaling, this.options.scalingModel),
        graceMs: this.options.graceMs ?? SHUTDOWN_GRACE_MS,
        cpuThrottling: service.cpuThrottling,
        ...(delay ? { simulatedDelay: delay } : {}),
      },
      {
        runtime,
        clock,
        // Gateways all listen before any instance starts, so every URL is known here.
        spec: (instanceId) => {
          const spec = instanceSpec(runtime, config, name, instanceId, revision, this.gatewayUrls, this.options.hostEnv ?? process.env, image)
          return debug ? debug.wrap(spec) : spec
        },
        waitReady: (instance, deadline, signal) => waitReady(instance, service.startupProbe, deadline, signal),
        nextInstanceNumber: () => {
          const n = (this.instanceNumbers.get(name) ?? 0) + 1
          this.instanceNumbers.set(name, n)
          return n
        },
        onEvent: (event) => {
          if (event.type === 'cold-start') this.metrics.coldStart(name, event.coldStart)
          if (event.type === 'cold-start' && debug) debug.ready(event.id, pool.address(event.id)!)
          if (event.type === 'crash') this.metrics.crash(name, event.exit.reason)
          if (event.type === 'instance' && (event.state === 'stopped' || event.state === 'failed')) {
            this.running.find((r) => r.name === name)?.gateway.forget(event.id)
            debug?.forget(event.id)
          }
          this.running.find((r) => r.name === name)?.router.observe(pool, event)
          this.emit(event)
        },
        onLog: (line) => {
          debug?.observe(line)
          this.emit({ type: 'log', service: name, ...line })
        },
      },
    )
    return pool
  }
}

/** What an instance of `name` runs with, in `runtime`'s terms (gateway URLs as the instance reaches them). */
function instanceSpec(
  runtime: Runtime,
  config: Config,
  name: string,
  instanceId: string,
  revision: string,
  gatewayUrls: Record<string, string>,
  hostEnv: NodeJS.ProcessEnv,
  image?: string,
): InstanceSpec {
  const service = config.services[name]!
  const urls = runtime.instanceUrl ? Object.fromEntries(Object.entries(gatewayUrls).map(([n, url]) => [n, runtime.instanceUrl!(url)])) : gatewayUrls
  const env = contractEnv(name, service, revision, urls, hostEnvironment(runtime.kind, service.dev.inheritEnv, hostEnv))
  const base = { service: name, revision, instanceId, cwd: service.dev.cwd ?? '/', env, port: service.port }
  if (runtime.kind === 'process') return { ...base, command: service.dev.command! }
  return { ...base, ...(service.command ? { command: service.command } : {}), image: image ?? devImage(config, name), cpu: service.resources.cpu, memoryBytes: service.resources.memory }
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

export const unknownService = (name: string, known: string[]) =>
  new SlsError('UNKNOWN_SERVICE', `no service "${name}" in sls-run.yaml`, { exitCode: ExitCode.usage, hints: [`Services: ${known.join(', ')}.`] })

const missingCommand = (name: string) =>
  new SlsError('DEV_COMMAND_MISSING', `service ${name} has no dev.command, which the process runtime runs`, {
    exitCode: ExitCode.usage,
    hints: [`Add services.${name}.dev.command to sls-run.yaml, e.g. \`command: node server.js\`.`],
  })
