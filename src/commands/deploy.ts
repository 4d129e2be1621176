import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { configFlag } from '../cli/flags.js'
import { loadConfig } from '../core/config/index.js'
import type { Plan } from '../core/deploy/types.js'
import { ExitCode, SlsError } from '../errors.js'

export default class Deploy extends BaseCommand {
  static override summary = 'Deploy services through the provider adapter of an environment (today: --dry-run only).'
  static override description = [
    'Loads sls-run.yaml with the environment applied and prints the plan: the exact Knative manifest, or the Cloud Run,',
    'Azure Resource Manager or ECS API requests, plus a warning for every setting the platform cannot honour and what happens instead.',
    'Deploys are by digest: --image <repo>@sha256:… (from `sls-run push --json | tail -n 1`); a tag alone is refused.',
    'Applying the plan is not implemented yet: without --dry-run the command fails with DEPLOY_NOT_IMPLEMENTED (exit 1).',
    'Providers with an adapter: knative, cloud-run, azure-container-apps, aws-ecs.',
  ].join('\n')
  static override examples = [
    '<%= config.bin %> deploy --env prod --dry-run --image ghcr.io/acme/api@sha256:<digest>',
    '<%= config.bin %> deploy api worker --env prod --dry-run --image api=ghcr.io/acme/api@sha256:<digest> --image worker=ghcr.io/acme/worker@sha256:<digest> --json',
  ]
  static override strict = false
  static override args = { service: Args.string({ description: 'Services to deploy (default: every service).' }) }
  static override flags = {
    config: configFlag,
    env: Flags.string({ char: 'e', description: 'Environment (under environments: in sls-run.yaml).', required: true, helpValue: 'NAME' }),
    'dry-run': Flags.boolean({ description: 'Print the plan; send nothing.' }),
    image: Flags.string({ description: 'Image by digest: <repo>@sha256:…, or <service>=<repo>@sha256:… per service; repeatable.', multiple: true, helpValue: 'REF' }),
    platform: Flags.string({ description: 'Platform of the image when known (e.g. linux/amd64); Cloud Run warns about others.' }),
    format: Flags.string({ description: 'How the plan prints without --json.', options: ['yaml', 'json'], default: 'yaml' }),
  }

  async run(): Promise<Plan[]> {
    const { flags, argv } = await this.parse(Deploy)
    if (!flags['dry-run']) {
      throw new SlsError('DEPLOY_NOT_IMPLEMENTED', 'applying a deploy is not implemented yet; only --dry-run works', {
        exitCode: ExitCode.failure,
        hints: ['Add --dry-run to print the plan (the exact manifest or API requests) without sending it.'],
      })
    }
    const loaded = await loadConfig({ file: flags.config })
    const { planDeploy } = await import('../core/deploy/plan.js')
    const { renderPlans } = await import('../core/deploy/render.js')
    const plans = await planDeploy(loaded, { environment: flags.env, services: argv as string[], images: flags.image ?? [], platform: flags.platform })
    for (const plan of plans) for (const w of plan.warnings) this.logger.warn(`${plan.service}: ${w.message} [${w.code}]`)
    this.print(renderPlans(plans, flags.format as 'yaml' | 'json'))
    return plans
  }
}
