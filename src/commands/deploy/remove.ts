import { Args, Flags } from '../../vendor/oclif.js'
import { BaseCommand } from '../../cli/base-command.js'
import { deployContext, deployFlags } from '../../cli/deploy-flags.js'
import { loadPluginProviders } from '../../cli/plugin-providers.js'
import { loadConfig } from '../../core/config/index.js'
import { ExitCode, SlsError } from '../../errors.js'
import { confirmRemove } from '../../ui/deploy-output.js'

export default class DeployRemove extends BaseCommand {
  static override summary = 'Delete deployed services from an environment (the platform resources sls-run deploy made).'
  static override description = 'Asks first on an interactive terminal; anywhere else it needs --yes. A service that is not deployed is reported as removed: false.'
  static override examples = ['<%= config.bin %> deploy remove api --env staging', '<%= config.bin %> deploy remove --env preview-42 --yes --json']
  static override strict = false
  static override args = { service: Args.string({ description: 'Services (default: every service).' }) }
  static override flags = { ...deployFlags, yes: Flags.boolean({ char: 'y', description: 'Do not ask; required when not on an interactive terminal.' }) }

  async run(): Promise<Array<{ service: string; env: string; provider: string; removed: boolean }>> {
    const { flags, argv } = await this.parse(DeployRemove)
    const loaded = await loadConfig({ file: flags.config })
    await loadPluginProviders(this.config)
    const { deployTarget } = await import('../../core/deploy/plan.js')
    const { removeServices } = await import('../../core/deploy/apply.js')
    const target = await deployTarget(loaded, flags.env, argv as string[])
    if (!flags.yes) {
      if (!this.terminal.interactive || this.jsonEnabled()) {
        throw new SlsError('CONFIRMATION_REQUIRED', `removing ${target.names.join(', ')} from ${flags.env} needs --yes here (no interactive terminal to ask on)`, {
          exitCode: ExitCode.usage,
          hints: ['Add --yes to confirm.'],
        })
      }
      await confirmRemove(target.names, flags.env)
    }
    const results = await removeServices(
      target,
      deployContext(flags, (e) => this.note(`${e.service}: ${e.message}`)),
    )
    for (const r of results) this.print(`${r.service}: ${r.removed ? 'removed' : 'was not deployed'} (${r.env}, ${r.provider})`)
    return results
  }
}
