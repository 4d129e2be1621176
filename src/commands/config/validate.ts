import path from 'node:path'
import { BaseCommand } from '../../cli/base-command.js'
import { configFlag } from '../../cli/flags.js'
import { loadConfig } from '../../core/config/index.js'
import { summarize } from '../../core/config/summary.js'
import { formatDiagnostics } from '../../ui/diagnostics.js'

export default class ConfigValidate extends BaseCommand {
  static override summary = 'Check sls-run.yaml and report every problem at once.'
  static override description = 'Exits 0 when the file is valid (warnings are printed), 2 with compiler-style diagnostics when it is not.'
  static override examples = ['<%= config.bin %> config validate', '<%= config.bin %> config validate -c services/shop/sls-run.yaml --json']
  static override flags = { config: configFlag }

  async run() {
    const { flags } = await this.parse(ConfigValidate)
    const summary = summarize(await loadConfig({ file: flags.config }))
    for (const d of summary.diagnostics) this.warnings.push(`${d.file}:${d.line}:${d.column} ${d.code} ${d.message}`)
    if (summary.diagnostics.length) this.note(formatDiagnostics(summary.diagnostics, this.paint))
    const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`
    this.print(
      `${this.paint('green', 'valid')} ${path.relative(process.cwd(), summary.file) || summary.file}: project ${summary.name}, ${count(summary.services.length, 'service')} (${summary.services.join(', ')}), ` +
        `${count(summary.environments.length, 'environment')}${summary.environments.length ? ` (${summary.environments.join(', ')})` : ''}`,
    )
    return summary
  }
}
