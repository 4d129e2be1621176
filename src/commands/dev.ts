import { Flags } from '../vendor/oclif.js'
import { configFlag } from '../cli/flags.js'
import { NdjsonCommand } from '../cli/ndjson-command.js'
import { SCALING_MODELS, type ScalingModel } from '../core/autoscaler/types.js'
import { loadConfig } from '../core/config/index.js'
import { DevSession } from '../core/dev/session.js'
import { unknownService } from '../core/emulator/emulator.js'
import type { RuntimeKind } from '../core/dev/runtimes.js'
import { devEventRenderer } from '../ui/dev-events.js'
import { formatError, normalizeError } from '../ui/errors.js'
import { startHotkeys } from '../ui/hotkeys.js'
import { detectTerminal, painter } from '../ui/terminal.js'

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
    inspect: Flags.boolean({
      description:
        "Debug a service: one instance with its language's debugger on --inspect-port (Node's inspector, debugpy, Delve), with no request timeout, idle scale-down or startup deadline while you step. --inspect=SERVICE when several run.",
      default: false,
    }),
    'inspect-service': Flags.string({ hidden: true }),
    'inspect-port': Flags.integer({ description: 'Port on 127.0.0.1 debuggers attach to with --inspect (forwarded to the current instance).', default: 9229, min: 0, max: 65535 }),
    'scaling-model': Flags.string({ description: 'Autoscaling model of services without scaling.model: instant (default), cloud-run, knative, container-apps.', options: [...SCALING_MODELS] }),
    record: Flags.string({
      description: 'Write one NDJSON line per request to FILE (arrival, service, path without query values, status, queue wait, service time, instance, cold start): a trace for `sls-run simulate`.',
      helpValue: 'FILE',
    }),
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
    const session = new DevSession({
      loaded,
      services: names,
      port: flags.port,
      adminPort: flags['admin-port'],
      runtime: flags.runtime as RuntimeKind,
      watch: flags.watch,
      schedules: flags.schedules,
      ...(flags['dead-letter'] ? { deadLetterFile: flags['dead-letter'] } : {}),
      ...(flags.inspect || flags['inspect-service'] ? { inspect: { service: flags['inspect-service'] ?? '', port: flags['inspect-port'] } } : {}),
      ...(flags['scaling-model'] ? { scalingModel: flags['scaling-model'] as ScalingModel } : {}),
      ...(flags.record ? { record: flags.record } : {}),
      onEvent: render,
      warn: (text) => this.warn(text),
      onFatal: (error) => process.stderr.write(`${formatError(normalizeError(error as Error), this.paint, this.debugMode)}\n`),
    })
    const { admin } = await session.start()
    const stopKeys = startHotkeys({ rebuild: () => session.reload(), dashboardUrl: `${admin}/`, note: (text) => this.note(text) }, this.terminal.interactive && !this.jsonEnabled())
    await untilSignal(() => {
      session.kill()
      process.exit(130)
    })
    stopKeys()
    this.note('stopping: draining in-flight requests (Ctrl-C again to kill at once)')
    await session.stop()
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
