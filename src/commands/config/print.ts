import { Flags } from '../../vendor/oclif.js'
import { stringify } from '../../vendor/yaml.js'
import { BaseCommand } from '../../cli/base-command.js'
import { configFlag } from '../../cli/flags.js'
import { loadConfig } from '../../core/config/index.js'

export default class ConfigPrint extends BaseCommand {
  static override summary = 'Print the resolved configuration: defaults filled in, environment overrides applied.'
  static override description = 'Durations are printed in milliseconds, sizes in bytes and paths as absolute paths: exactly what the other commands use.'
  static override examples = ['<%= config.bin %> config print', '<%= config.bin %> config print --env prod --json']
  static override flags = {
    config: configFlag,
    env: Flags.string({ char: 'e', description: "Apply this environment's overrides.", helpValue: 'NAME' }),
  }

  async run() {
    const { flags } = await this.parse(ConfigPrint)
    const loaded = await loadConfig({ file: flags.config })
    const result = flags.env ? (({ name, settings, config }) => ({ ...config, environment: { name, ...settings } }))(loaded.environment(flags.env)) : loaded.config
    this.print(stringify(result).trimEnd())
    return result
  }
}
