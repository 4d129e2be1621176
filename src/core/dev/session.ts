/**
 * A `sls-run dev` run, from start to stop: the composition root of the local platform. From a resolved
 * config it chooses each service's runtime, sweeps what ended sessions left behind, builds what must be
 * built, and starts, in order, the emulator (gateways, pools, admin server), the events (schedules,
 * CloudEvents), the dashboard, the trace recorder and the dev loop; `stop()` takes them down in the
 * reverse order, draining requests. It renders nothing: every event goes to `onEvent`.
 */
import path from 'node:path'
import type Dockerode from 'dockerode'
import type { ScalingModel } from '../autoscaler/types.js'
import { systemClock, type Clock } from '../clock.js'
import type { LoadedConfig } from '../config/index.js'
import { dashboardRoutes, type Dashboard } from '../dashboard/routes.js'
import type { DevLoopEvent } from '../devloop/devloop.js'
import { DevLoop } from '../devloop/devloop.js'
import { buildStaleImages, standinNoticeEvent, type ImageAtStartEvent } from '../devloop/image-at-start.js'
import { OwnFiles } from '../devloop/own-files.js'
import { buildFirstRevisions, checkDependencies } from '../devloop/process-build.js'
import { Emulator, SHUTDOWN_GRACE_MS, type EmulatorEvent } from '../emulator/emulator.js'
import type { InspectOptions } from '../emulator/debugging.js'
import { gatewaySend } from '../events/send.js'
import { EventsSession } from '../events/session.js'
import type { EventsLogEvent, EventsSummaryEvent } from '../events/types.js'
import type { Builder } from '../image/build.js'
import { devImage } from '../image/targets.js'
import { TraceRecorder } from '../trace/recorder.js'
import { chooseRuntimes, type RuntimeKind } from './runtimes.js'
import { resolveEndpoint } from '../../runtime/docker/engine.js'
import { newSession } from '../../runtime/docker/labels.js'
import { stopAllSync } from '../../runtime/process/process-runtime.js'
import { reapContainers, startReaper } from '../../runtime/process/reaper.js'
import type { Runtime } from '../../runtime/types.js'

/** Everything a session tells its renderer. */
export type DevEvent =
  | EmulatorEvent
  | DevLoopEvent
  | ImageAtStartEvent
  | EventsLogEvent
  | EventsSummaryEvent
  | { type: 'runtime'; service: string; runtime: 'docker' | 'process'; reason: string }
  | { type: 'orphans-removed'; count: number; containers: string[]; processes: string[] }

export interface DevSessionOptions {
  loaded: Pick<LoadedConfig, 'config' | 'file' | 'dir'>
  services: string[]
  port: number
  adminPort: number
  /**
   * `--runtime` (each service's dev.runtime for auto), or a Runtime every service runs in: then there is
   * no runtime choice, no sweep of ended sessions and no process-wide guard (tests, embedding).
   */
  runtime: RuntimeKind | Runtime
  /** SIGTERM → SIGKILL grace of instances (default: Cloud Run's 10 s). */
  graceMs?: number
  /** Time for the emulator and the scheduler (default: the system clock; tests pass a fake one). */
  clock?: Clock
  watch: boolean
  /** false: `--no-schedules` (jobs never tick; `invoke --schedule` still fires them). */
  schedules: boolean
  /** Where undeliverable CloudEvents go (default: .sls-run/dead-letters.ndjson beside sls-run.yaml). */
  deadLetterFile?: string
  inspect?: InspectOptions
  scalingModel?: ScalingModel
  /** `--record FILE`: the request trace. */
  record?: string
  onEvent(event: DevEvent): void
  /** A problem worth a warning that does not stop the session. */
  warn(text: string): void
  /** An error nothing caught: rendered by the caller; the session then stops and the process exits 1. */
  onFatal(error: unknown): void
}

/** What a session needs of the runtime choice (runtimes.ts gives more: the decisions, the sweeps). */
interface Runtimes {
  runtimeFor(service: string): Runtime
  docker?: Dockerode | undefined
  builder?: Builder
}

export class DevSession {
  private emulator?: Emulator
  private loop?: DevLoop
  private events?: EventsSession
  private recorder?: TraceRecorder
  private dashboard?: Dashboard

  constructor(private readonly o: DevSessionOptions) {}

  /** The running emulator (status, metrics), once started. */
  get platform(): Emulator | undefined {
    return this.emulator
  }

  /** The dashboard's state and routes, once started. */
  get dashboardView(): Dashboard | undefined {
    return this.dashboard
  }

  /** Starts everything; returns the admin URL and each gateway's. */
  async start(): Promise<{ admin: string; gateways: Record<string, string> }> {
    const { loaded, services: names, onEvent } = this.o
    const runtimes = await this.runtimes()
    const kindOf = (name: string) => runtimes.runtimeFor(name).kind
    checkDependencies(loaded.config.services, names, kindOf)
    await buildFirstRevisions(loaded.config.services, names, kindOf, (service, durationMs) => onEvent({ type: 'rebuild', service, state: 'done', durationMs, cached: false, first: true }))
    const deadLetterFile = path.resolve(this.o.deadLetterFile ?? path.join(loaded.dir, '.sls-run', 'dead-letters.ndjson'))
    this.recorder = this.o.record ? new TraceRecorder(path.resolve(this.o.record), systemClock.now()) : undefined
    const emulator = this.startEmulator(deadLetterFile, runtimes)
    const { admin, gateways } = await emulator.start()
    const counts = this.events!.counts()
    if (counts.schedules || counts.subscriptions) this.publish({ type: 'events', ...counts, schedulesEnabled: this.o.schedules, deadLetterFile })
    this.events!.start()
    if (this.o.watch) {
      const own = OwnFiles.forSession([deadLetterFile, this.recorder?.file])
      this.loop = new DevLoop({
        emulator,
        configFile: loaded.file,
        runtimeOf: kindOf,
        ...(runtimes.docker ? { docker: runtimes.docker, builder: runtimes.builder } : {}),
        onEvent: (event) => this.publish(event),
        own,
        onConfig: (config) => this.reloadEvents(config),
      })
      await this.loop.start()
    }
    return { admin, gateways }
  }

  /** Rolls out a new revision of every service (the `r` hotkey). */
  reload(): void {
    this.loop?.rebuildAll()
  }

  /** Drains in-flight requests and stops everything, newest first. */
  async stop(): Promise<void> {
    await this.loop?.stop()
    await this.events?.stop()
    await this.emulator?.stop()
    await this.recorder?.close()
  }

  /** A second Ctrl-C: every instance's process group gets SIGKILL now. */
  kill(): void {
    stopAllSync()
  }

  /** Each service's runtime: chosen (docker when an engine answers…), with the sweeps and guards that go with it; or the one given. */
  private async runtimes(): Promise<Runtimes> {
    const { loaded, services: names, onEvent, runtime } = this.o
    if (typeof runtime !== 'string') return { runtimeFor: () => runtime }
    const session = newSession(loaded.file)
    const unrecorded = (error: Error) =>
      this.o.warn(`cannot record this session's process groups (${error.message}); should sls-run and its reaper both be killed, neither the next session nor \`sls-run clean\` will find them`)
    const buildAtStart = async (docker: Dockerode, service: string, builder: Builder) => void (await buildStaleImages(docker, loaded.config, [service], loaded.file, builder, onEvent))
    const chosen = await chooseRuntimes(loaded.config, names, runtime, session, process.env, unrecorded, buildAtStart)
    const [containers, processes] = [chosen.removed.map((c) => c.name), chosen.removedGroups.map((g) => `process group ${g.pgid} of ${g.instance}`)]
    if (containers.length || processes.length) onEvent({ type: 'orphans-removed', count: containers.length + processes.length, containers, processes })
    for (const decision of chosen.decisions) onEvent({ type: 'runtime', ...decision })
    this.guardProcess(session.id, Boolean(chosen.docker))
    for (const decision of chosen.decisions.filter((d) => d.runtime === 'docker')) {
      const notice = await standinNoticeEvent(chosen.docker!, decision.service, devImage(loaded.config, decision.service))
      if (notice) onEvent(notice)
    }
    return chosen
  }

  private startEmulator(deadLetterFile: string, runtimes: Runtimes): Emulator {
    const { loaded, services } = this.o
    const emulator: Emulator = new Emulator({
      config: loaded.config,
      services,
      port: this.o.port,
      adminPort: this.o.adminPort,
      runtime: runtimes.runtimeFor,
      ...(this.o.graceMs === undefined ? {} : { graceMs: this.o.graceMs }),
      ...(this.o.clock ? { clock: this.o.clock } : {}),
      onEvent: (event) => {
        if (event.type === 'request') this.recorder?.request(event)
        this.o.onEvent(event)
      },
      statusOf: (service) => this.events?.describe(service) ?? {},
      ...(this.o.inspect ? { inspect: this.o.inspect } : {}),
      ...(this.o.scalingModel ? { scalingModel: this.o.scalingModel } : {}),
      adminRoutes: (e) => {
        this.dashboard = dashboardRoutes(e, runtimes.docker ? { docker: runtimes.docker } : {})
        return { ...this.events!.routes(), ...this.dashboard.routes }
      },
    })
    this.emulator = emulator
    // Schedules and CloudEvents go to a service through its gateway, like real traffic.
    this.events = new EventsSession(loaded.config, {
      services,
      clock: this.o.clock ?? systemClock,
      send: gatewaySend((service) => emulator.gatewayUrl(service)),
      schedules: this.o.schedules,
      deadLetterFile,
      onEvent: (event) => this.publish(event),
    })
    return emulator
  }

  /** Events the emulator does not emit itself reach the renderer and the dashboard. */
  private publish(event: DevLoopEvent | EventsLogEvent | EventsSummaryEvent): void {
    this.o.onEvent(event)
    this.dashboard?.publish(event)
  }

  /** A reloaded sls-run.yaml: the events follow it. A scheduler that cannot restart is logged, never fatal. */
  private reloadEvents(config: LoadedConfig['config']): void {
    this.events
      ?.update(config)
      .catch((error: Error) => this.o.onEvent({ type: 'log', service: 'sls-run', instanceId: 'events', stream: 'stderr', line: `schedules not reloaded: ${error.message}`, at: systemClock.now() }))
  }

  /**
   * Layers against orphans: an orderly drain on a signal or an unexpected error (`onFatal`), SIGKILL of
   * every process group on exit, and the reaper for when sls-run itself is killed (SIGKILL, OOM): it
   * kills the groups and removes this session's containers.
   */
  private guardProcess(sessionId: string, docker: boolean): void {
    process.once('exit', stopAllSync)
    startReaper()
    const socket = resolveEndpoint().options.socketPath
    if (docker && socket) reapContainers(sessionId, socket)
    const crashed = (error: unknown) => {
      this.o.onFatal(error)
      setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS + 2000).unref()
      void this.stop().finally(() => process.exit(1))
    }
    process.once('uncaughtException', crashed)
    process.once('unhandledRejection', crashed)
  }
}
