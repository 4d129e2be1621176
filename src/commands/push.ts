import { Args, Flags } from '@oclif/core'
import { NdjsonCommand } from '../cli/ndjson-command.js'
import { configFlag } from '../cli/flags.js'
import { loadConfig } from '../core/config/index.js'
import { pushServices, type PushEvent, type PushResult } from '../core/registry/push.js'
import { selectServices } from '../core/image/targets.js'
import { connect, probeEngine } from '../runtime/docker/engine.js'
import { formatPushResult, plainPushRenderer, runPushTasks } from '../ui/push-output.js'

export default class Push extends NdjsonCommand {
  static override summary = "Push each service's built image to its image: repository through the Docker engine."
  static override description = [
    'Pushes <image>:<git short sha> (the tag `sls-run build` wrote) or --tag. Credentials, first match wins:',
    'SLS_RUN_REGISTRY_USERNAME/PASSWORD, then the Docker config (auths, credHelpers, credsStore); the output',
    'names the source, never the secret. Transient failures are retried; an auth failure is not.',
    'With --json, stdout is NDJSON progress events; the last line is the result envelope.',
  ].join('\n')
  static override examples = ['<%= config.bin %> push', '<%= config.bin %> push api --tag v1.4.0 --json | tail -n 1']
  static override strict = false
  static override args = { service: Args.string({ description: 'Services to push (default: every service with a build: section).' }) }
  static override flags = {
    config: configFlag,
    tag: Flags.string({ char: 't', description: 'Tag to push (default: the git short sha tag from `sls-run build`).' }),
  }

  async run(): Promise<PushResult[]> {
    const { flags, argv } = await this.parse(Push)
    const loaded = await loadConfig({ file: flags.config })
    const names = selectServices(loaded.config, argv as string[]).targets.map((t) => t.name)
    await probeEngine(process.env, 5000)
    const { docker } = await connect(process.env, 0)
    const push = (service: string, emit: (e: PushEvent) => void) => pushServices(docker, loaded.config, { services: [service], tag: flags.tag }, emit).then((r) => r[0]!)
    let results: PushResult[] = []
    if (this.terminal.interactive && !this.jsonEnabled()) results = await runPushTasks(names, push)
    else {
      const emit = this.jsonEnabled() ? this.ndjson<PushEvent>() : plainPushRenderer(this.paint, (text) => process.stderr.write(text))
      for (const name of names) results.push(await push(name, emit))
    }
    for (const result of results) this.print(formatPushResult(result))
    return results
  }
}
