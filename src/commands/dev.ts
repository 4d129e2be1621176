import { Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { configFlag } from '../cli/flags.js'
import { loadConfig } from '../core/config/index.js'
import { Emulator } from '../core/emulator/emulator.js'
import { ExitCode, SlsError } from '../errors.js'
import { ProcessRuntime, stopAllSync } from '../runtime/process/process-runtime.js'
import { startReaper } from '../runtime/process/reaper.js'
import { devEventRenderer } from '../ui/dev-events.js'

export default class Dev extends BaseCommand {
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
    runtime: Flags.string({ description: 'How instances run. auto = process until the docker runtime lands.', options: ['auto', 'docker', 'process'], default: 'auto' }),
  }

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Dev)
    const loaded = await loadConfig({ file: flags.config })
    const wantsDocker = Object.entries(loaded.config.services).filter(([name, svc]) => svc.dev.runtime === 'docker' && (!argv.length || argv.includes(name)))
    if (flags.runtime === 'docker' || (flags.runtime === 'auto' && wantsDocker.length)) {
      throw new SlsError('RUNTIME_UNAVAILABLE', `the docker runtime for dev is not available yet${wantsDocker.length ? ` (dev.runtime: docker in ${wantsDocker.map(([n]) => n).join(', ')})` : ''}`, {
        exitCode: ExitCode.usage,
        hints: ['Use --runtime process, or set dev.runtime: auto or process.'],
      })
    }
    const render = devEventRenderer(this.paint, this.jsonEnabled(), (text) => (this.jsonEnabled() ? process.stdout : process.stderr).write(text))
    // Three layers against orphans: orderly drain on a signal, SIGKILL of every group on exit, and the
    // reaper for when sls-run itself is killed (SIGKILL, OOM) and neither of the first two can run.
    process.once('exit', stopAllSync)
    startReaper()
    const emulator = new Emulator({ config: loaded.config, services: argv as string[], port: flags.port, adminPort: flags['admin-port'], runtime: new ProcessRuntime(), onEvent: render })
    await emulator.start()
    await untilSignal(() => {
      stopAllSync()
      process.exit(130)
    })
    this.note('stopping: draining in-flight requests (Ctrl-C again to kill at once)')
    await emulator.stop()
    if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), type: 'stopped' })}\n`)
  }
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
