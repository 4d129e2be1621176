import { Args } from '../../vendor/oclif.js'
import { BaseCommand } from '../../cli/base-command.js'
import { deployContext, deployFlags } from '../../cli/deploy-flags.js'
import { loadPluginProviders } from '../../cli/plugin-providers.js'
import { loadConfig } from '../../core/config/index.js'
import type { StatusResult } from '../../core/deploy/apply.js'
import { formatStatus } from '../../ui/deploy-output.js'

export default class DeployStatus extends BaseCommand {
  static override summary = 'Show what runs in an environment: URL, serving revision, image digest, readiness.'
  static override description = 'Reads each service back from its platform. A service that is not deployed there is listed with exists: false (exit 0).'
  static override examples = ['<%= config.bin %> deploy status --env prod', '<%= config.bin %> deploy status api --env prod --json']
  static override strict = false
  static override args = { service: Args.string({ description: 'Services (default: every service).' }) }
  static override flags = { ...deployFlags }

  async run(): Promise<StatusResult[]> {
    const { flags, argv } = await this.parse(DeployStatus)
    const loaded = await loadConfig({ file: flags.config })
    await loadPluginProviders(this.config)
    const { deployTarget } = await import('../../core/deploy/plan.js')
    const { statusOf } = await import('../../core/deploy/apply.js')
    const results = await statusOf(
      await deployTarget(loaded, flags.env, argv as string[]),
      deployContext(flags, (e) => this.note(`${e.service}: ${e.message}`)),
    )
    this.print(formatStatus(results, this.paint))
    return results
  }
}
