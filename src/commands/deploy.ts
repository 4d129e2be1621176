import { Args, Flags } from '../vendor/oclif.js'
import { BaseCommand } from '../cli/base-command.js'
import { deployContext, deployFlags } from '../cli/deploy-flags.js'
import { loadPluginProviders } from '../cli/plugin-providers.js'
import { loadConfig } from '../core/config/index.js'
import type { DeployResult } from '../core/deploy/apply.js'
import type { Plan } from '../core/deploy/types.js'
import { confirmDeploy, formatDeployResult } from '../ui/deploy-output.js'

export default class Deploy extends BaseCommand {
  static override summary = 'Deploy services through the provider adapter of an environment, by digest, and wait until ready.'
  static override description = [
    'Images: --image <repo>@sha256:… per service, else the digest the engine recorded when `sls-run push` sent <image>:<git sha>;',
    'an image built but never pushed is pushed first (and built first when missing). Then each service goes to the provider of',
    '--env (knative, cloud-run, azure-container-apps, aws-ecs, or a plugin), waits until the new revision is ready (--timeout)',
    'and prints its URL. Deploying the same digest again makes no new revision. --dry-run prints the exact manifests or API',
    'requests and sends nothing. On an interactive terminal it asks first (--yes skips); under CI it never asks.',
  ].join('\n')
  static override examples = [
    '<%= config.bin %> deploy --env prod',
    '<%= config.bin %> deploy --env prod --dry-run --image ghcr.io/acme/api@sha256:<digest>',
    '<%= config.bin %> deploy api --env prod --yes --json',
  ]
  static override strict = false
  static override args = { service: Args.string({ description: 'Services to deploy (default: every service).' }) }
  static override flags = {
    ...deployFlags,
    'dry-run': Flags.boolean({ description: 'Print the plan; send nothing (no push either).' }),
    yes: Flags.boolean({ char: 'y', description: 'Do not ask for confirmation.' }),
    wait: Flags.boolean({ description: 'Wait until the new revision is ready (--no-wait: return once accepted).', default: true, allowNo: true }),
    image: Flags.string({ description: 'Image by digest: <repo>@sha256:…, or <service>=<repo>@sha256:… per service; repeatable.', multiple: true, helpValue: 'REF' }),
    platform: Flags.string({ description: 'Platform of --image when known (e.g. linux/amd64); Cloud Run warns about others.' }),
    'allow-standin': Flags.boolean({ description: 'Deploy an image built FROM an offline test stand-in base (labelled dev.sls-run.standin=true); refused otherwise.' }),
    format: Flags.string({ description: 'How --dry-run prints the plan without --json.', options: ['yaml', 'json'], default: 'yaml' }),
    'allow-local-image': Flags.boolean({
      description: "Deploy an image from a registry only this machine can reach (localhost, 127.0.0.0/8…) with a warning, for clusters whose nodes mirror it (kind's localhost:5001).",
    }),
  }

  async run(): Promise<Plan[] | DeployResult[]> {
    const { flags, argv } = await this.parse(Deploy)
    const loaded = await loadConfig({ file: flags.config })
    await loadPluginProviders(this.config)
    const { deployTarget, planDeploy } = await import('../core/deploy/plan.js')
    const { applyPlans, registryTokens } = await import('../core/deploy/apply.js')
    const { engineImages } = await import('../core/deploy/publish.js')
    const ctx = deployContext(flags, (e) => this.note(`${e.service}: ${e.message}`))
    // Once for the whole command: the environment, the services, the provider and its settings.
    const target = await deployTarget(loaded, flags.env, argv as string[])
    const dryRun = flags['dry-run']
    if (!dryRun && !flags.yes && this.terminal.interactive && !this.jsonEnabled()) await confirmDeploy(target.names, flags.env, target.provider.id)
    const resolveImages = engineImages(loaded.config, { env: process.env, readOnly: dryRun, allowStandin: flags['allow-standin'], emit: ctx.emit!, platformCredentials: registryTokens(target, ctx) })
    const allowLocalImages = dryRun || flags['allow-local-image']
    const plans = await planDeploy(loaded, { environment: flags.env, services: target.names, target, images: flags.image ?? [], platform: flags.platform, resolveImages, allowLocalImages })
    for (const plan of plans) for (const w of plan.warnings) this.logger.warn(`${plan.service}: ${w.message} [${w.code}]`)
    if (dryRun) {
      const { renderPlans } = await import('../core/deploy/render.js')
      this.print(renderPlans(plans, flags.format as 'yaml' | 'json'))
      return plans
    }
    const results = await applyPlans(plans, target, ctx)
    for (const result of results) this.print(formatDeployResult(result, this.paint))
    return results
  }
}
