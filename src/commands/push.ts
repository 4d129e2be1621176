import { Args, Flags, type Config } from '../vendor/oclif.js'
import { loadPluginProviders } from '../cli/plugin-providers.js'
import { NdjsonCommand } from '../cli/ndjson-command.js'
import { configFlag } from '../cli/flags.js'
import { loadConfig, type LoadedConfig } from '../core/config/index.js'
import { pushServices, type PushEvent, type PushResult } from '../core/registry/push.js'
import { selectServices } from '../core/image/targets.js'
import { connect, probeEngine } from '../runtime/docker/engine.js'
import { formatPushResult, plainPushRenderer, runPushTasks } from '../ui/push-output.js'

async function providerTokens(config: Config, loaded: LoadedConfig, env: string) {
  await loadPluginProviders(config)
  const { deployTarget } = await import('../core/deploy/plan.js')
  const { registryTokens } = await import('../core/deploy/apply.js')
  return registryTokens(await deployTarget(loaded, env, []), { env: process.env, wait: true, timeoutMs: 60_000, pollIntervalMs: 2000 })
}

export default class Push extends NdjsonCommand {
  static override summary = "Push each service's built image to its image: repository through the Docker engine."
  static override description = [
    'Pushes <image>:<git short sha> (the tag `sls-run build` wrote) or --tag. Credentials, first match wins:',
    'SLS_RUN_REGISTRY_USERNAME/PASSWORD, then the Docker config (auths, credHelpers, credsStore); the output',
    'names the source, never the secret. With --env, the deploy provider of that environment supplies a token for its own',
    'registry (ECR, Artifact Registry, ACR) right after the env variables. Transient failures are retried; an auth failure is not.',
    'With --json, stdout is NDJSON progress events; the last line is the result envelope.',
  ].join('\n')
  static override examples = ['<%= config.bin %> push', '<%= config.bin %> push api --tag v1.4.0 --json | tail -n 1']
  static override strict = false
  static override args = { service: Args.string({ description: 'Services to push (default: every service with a build: section).' }) }
  static override flags = {
    config: configFlag,
    tag: Flags.string({ char: 't', description: 'Tag to push (default: the git short sha tag from `sls-run build`).' }),
    'allow-standin': Flags.boolean({ description: 'Push an image built FROM an offline test stand-in base (labelled dev.sls-run.standin=true); refused otherwise.' }),
    env: Flags.string({ char: 'e', description: "Use this environment's deploy provider token for its own registry (ECR, Artifact Registry, ACR).", helpValue: 'NAME' }),
  }

  async run(): Promise<PushResult[]> {
    const { flags, argv } = await this.parse(Push)
    const loaded = await loadConfig({ file: flags.config })
    const names = selectServices(loaded.config, argv as string[]).targets.map((t) => t.name)
    const platformCredentials = flags.env ? await providerTokens(this.config, loaded, flags.env) : undefined
    await probeEngine(process.env, 5000)
    const { docker } = await connect(process.env, 0)
    const push = (service: string, emit: (e: PushEvent) => void) =>
      pushServices(docker, loaded.config, { services: [service], tag: flags.tag, platformCredentials, allowStandin: flags['allow-standin'] }, emit).then((r) => r[0]!)
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
