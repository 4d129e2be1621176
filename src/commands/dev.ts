import path from 'node:path'
import { Flags } from '@oclif/core'
import { NdjsonCommand } from '../cli/ndjson-command.js'
import { configFlag } from '../cli/flags.js'
import { loadConfig } from '../core/config/index.js'
import { Emulator, SHUTDOWN_GRACE_MS, unknownService } from '../core/emulator/emulator.js'
import { chooseRuntimes, type RuntimeKind } from '../runtime/choose.js'
import { resolveEndpoint } from '../runtime/docker/engine.js'
import { newSession } from '../runtime/docker/labels.js'
import { stopAllSync } from '../runtime/process/process-runtime.js'
import { reapContainers, startReaper } from '../runtime/process/reaper.js'
import { devEventRenderer } from '../ui/dev-events.js'
import { startHotkeys } from '../ui/hotkeys.js'
import { detectTerminal, painter } from '../ui/terminal.js'
import { DevLoop, type DevLoopEvent } from '../core/devloop/devloop.js'
import { OwnFiles } from '../core/devloop/own-files.js'
import { buildFirstRevisions, checkDependencies } from '../core/devloop/process-build.js'
import { buildStaleImages, standinNoticeEvent } from '../core/devloop/image-at-start.js'
import { devImage } from '../core/image/targets.js'
import type { Builder } from '../core/image/build.js'
import type Dockerode from 'dockerode'
import { dashboardRoutes, type Dashboard } from '../core/dashboard/routes.js'
import { formatError, normalizeError } from '../ui/errors.js'
import { SCALING_MODELS, type ScalingModel } from '../core/autoscaler/types.js'
import { TraceRecorder } from '../core/trace/recorder.js'
import { systemClock } from '../core/emulator/clock.js'

export default class Dev extends NdjsonCommand {
  static override summary = 'Run services locally the way Cloud Run / Knative would: scale to zero, concurrency, queueing, cold starts.'
  static override description = [
    'Each service gets a gateway on 127.0.0.1; instances start on demand (or minInstances at once) and stop when idle.',
    'Ctrl-C drains in-flight requests and stops every instance (a second Ctrl-C kills at once).',
    'With --json, stdout is a stream of NDJSON events, one per line.',
  ].join('\n')
  static override examples = ['<%= config.bin %> dev', '<%= config.bin %> dev api --port 9000', '<%= config.bin %> dev --json > events.ndjson']
  static override strict = false
  static override args = {}
  static override flags = {
    config: configFlag,
    port: Flags.integer({ char: 'p', description: 'Gateway port of the first service without dev.port; the next services take the next free ports.', default: 8080, min: 0, max: 65535 }),
    'admin-port': Flags.integer({ description: 'Port of the admin server (/api/status, /metrics).', default: 4280, min: 0, max: 65535 }),
    runtime: Flags.string({
      description: "How instances run. auto: each service's dev.runtime; for auto there, a container when an engine answers and the image is built, else dev.command as a process.",
      options: ['auto', 'docker', 'process'],
      default: 'auto',
    }),
    watch: Flags.boolean({ description: 'Watch the sources and sls-run.yaml; a save rolls out a new revision (--no-watch: off).', default: true, allowNo: true }),
    schedules: Flags.boolean({ description: "Fire the services' schedules: at their times (--no-schedules: only by hand, with `sls-run invoke --schedule`).", default: true, allowNo: true }),
    inspect: Flags.boolean({ description: "Debug a service: one instance with its language's debugger on --inspect-port (Node's inspector, debugpy, Delve), with no request timeout, idle scale-down or startup deadline while you step. --inspect=SERVICE when several run.", default: false }),
    'inspect-service': Flags.string({ hidden: true }),
    'inspect-port': Flags.integer({ description: 'Port on 127.0.0.1 debuggers attach to with --inspect (forwarded to the current instance).', default: 9229, min: 0, max: 65535 }),
    'scaling-model': Flags.string({ description: 'Autoscaling model of services without scaling.model: instant (default), cloud-run, knative, container-apps.', options: [...SCALING_MODELS] }),
    record: Flags.string({ description: 'Write one NDJSON line per request to FILE (arrival, service, path without query values, status, queue wait, service time, instance, cold start): a trace for `sls-run simulate`.', helpValue: 'FILE' }),
    'dead-letter': Flags.string({ description: 'NDJSON file for CloudEvents that could not be delivered (default: .sls-run/dead-letters.ndjson beside sls-run.yaml).', helpValue: 'FILE' }),
  }

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Dev, expandInspect(this.argv))
    const loaded = await loadConfig({ file: flags.config })
    const names = argv.length ? [...new Set(argv as string[])] : Object.keys(loaded.config.services)
    for (const name of names) if (!loaded.config.services[name]) throw unknownService(name, Object.keys(loaded.config.services))
    // Human output goes to stderr, so colour depends on stderr being a terminal (`sls-run dev 2>log` stays plain).
    const paint = this.jsonEnabled() ? this.paint : painter(detectTerminal(process.env, process.stderr).color)
    const render = devEventRenderer(paint, this.jsonEnabled(), (text) => (this.jsonEnabled() ? process.stdout : process.stderr).write(text))
    const session = newSession(loaded.file)
    const unrecorded = (error: Error) => this.warn(`cannot record this session's process groups (${error.message}); should sls-run and its reaper both be killed, neither the next session nor \`sls-run clean\` will find them`)
    const buildAtStart = async (docker: Dockerode, service: string, builder: Builder) => void (await buildStaleImages(docker, loaded.config, [service], loaded.file, builder, render))
    const runtimes = await chooseRuntimes(loaded.config, names, flags.runtime as RuntimeKind, session, process.env, unrecorded, buildAtStart)
    const [containers, processes] = [runtimes.removed.map((c) => c.name), runtimes.removedGroups.map((g) => `process group ${g.pgid} of ${g.instance}`)]
    if (containers.length || processes.length) render({ type: 'orphans-removed', count: containers.length + processes.length, containers, processes })
    for (const decision of runtimes.decisions) render({ type: 'runtime', ...decision })
    // Layers against orphans: orderly drain on a signal or an unexpected error, SIGKILL of every
    // process group on exit, and the reaper for when sls-run itself is killed (SIGKILL, OOM): it kills
    // the groups and removes this session's containers. `sls-run dev` also sweeps, at start, ended
    // sessions' containers and the process groups they recorded (for when the reaper was killed too).
    process.once('exit', stopAllSync)
    startReaper()
    const socket = resolveEndpoint().options.socketPath
    if (runtimes.docker && socket) reapContainers(session.id, socket)
    for (const decision of runtimes.decisions.filter((d) => d.runtime === 'docker')) {
      const notice = await standinNoticeEvent(runtimes.docker!, decision.service, devImage(loaded.config, decision.service))
      if (notice) render(notice)
    }
    const kindOf = (name: string) => runtimes.runtimeFor(name).kind
    checkDependencies(loaded.config.services, names, kindOf)
    await buildFirstRevisions(loaded.config.services, names, kindOf, (service, durationMs) => render({ type: 'rebuild', service, state: 'done', durationMs, cached: false, first: true }))
    let dashboard: Dashboard | undefined
    const deadLetterFile = path.resolve(flags['dead-letter'] ?? path.join(loaded.dir, '.sls-run', 'dead-letters.ndjson'))
    const recorder = flags.record ? new TraceRecorder(path.resolve(flags.record), systemClock.now()) : undefined
    const emulator = new Emulator({
      config: loaded.config,
      services: names,
      port: flags.port,
      adminPort: flags['admin-port'],
      runtime: runtimes.runtimeFor,
      schedules: flags.schedules,
      deadLetterFile,
      onEvent: (event) => {
        if (event.type === 'request') recorder?.request(event)
        render(event)
      },
      ...(flags['scaling-model'] ? { scalingModel: flags['scaling-model'] as ScalingModel } : {}),
      ...(flags.inspect || flags['inspect-service'] ? { inspect: { service: flags['inspect-service'] ?? '', port: flags['inspect-port'] } } : {}),
      adminRoutes: (e) => (dashboard = dashboardRoutes(e, runtimes.docker ? { docker: runtimes.docker } : {})).routes,
    })
    const crashed = (error: unknown) => {
      process.stderr.write(`${formatError(normalizeError(error as Error), this.paint, this.debugMode)}\n`)
      const forceExit = setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS + 2000)
      forceExit.unref()
      void emulator.stop().finally(() => process.exit(1))
    }
    process.once('uncaughtException', crashed)
    process.once('unhandledRejection', crashed)
    const { admin } = await emulator.start()
    const onLoopEvent = (event: DevLoopEvent) => {
      render(event)
      dashboard?.publish(event)
    }
    const loop = flags.watch
      ? new DevLoop({ emulator, configFile: loaded.file, runtimeOf: kindOf, ...(runtimes.docker ? { docker: runtimes.docker, builder: runtimes.builder } : {}), onEvent: onLoopEvent, own: OwnFiles.forSession([deadLetterFile, recorder?.file]) })
      : undefined
    await loop?.start()
    const stopKeys = startHotkeys({ rebuild: () => loop?.rebuildAll(), dashboardUrl: `${admin}/`, note: (text) => this.note(text) }, this.terminal.interactive && !this.jsonEnabled())
    await untilSignal(() => {
      stopAllSync()
      process.exit(130)
    })
    stopKeys()
    this.note('stopping: draining in-flight requests (Ctrl-C again to kill at once)')
    await loop?.stop()
    await emulator.stop()
    await recorder?.close()
    if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), type: 'stopped' })}\n`)
  }
}

/** `--inspect=api` (an optional value, which oclif flags do not have) → `--inspect --inspect-service api`. */
function expandInspect(argv: string[]): string[] {
  return argv.flatMap((arg) => (arg.startsWith('--inspect=') ? ['--inspect', '--inspect-service', arg.slice('--inspect='.length)] : [arg]))
}

/** Resolves on the first SIGINT/SIGTERM/SIGHUP; a second one calls `again`. */
function untilSignal(again: () => void): Promise<void> {
  return new Promise((resolve) => {
    let seen = false
    const onSignal = () => {
      if (seen) return again()
      seen = true
      resolve()
    }
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal)
  })
}
