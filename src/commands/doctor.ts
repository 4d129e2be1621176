import { BaseCommand } from '../cli/base-command.js'
import { runDoctor } from '../core/doctor/doctor.js'
import { ExitCode, SlsError } from '../errors.js'
import { renderChecks } from '../ui/checks.js'

export default class Doctor extends BaseCommand {
  static override summary = 'Check that this machine can build, run and push serverless containers.'
  static override description =
    'Checks Node.js, the Docker engine (DOCKER_HOST or the local socket), its API version, BuildKit, registry credentials and free disk. Exits 3 when something required is missing.'
  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --json']

  async run() {
    await this.parse(Doctor)
    const report = await runDoctor({ env: process.env, cwd: process.cwd(), nodeVersion: process.versions.node, log: this.logger })
    this.print(renderChecks(report.checks, this.paint))
    if (!report.ok) {
      const failed = report.checks.filter((c) => c.required && c.status === 'fail')
      throw new SlsError('ENV_MISSING', `${failed.length} required check${failed.length === 1 ? '' : 's'} failed: ${failed.map((c) => c.id).join(', ')}`, {
        exitCode: ExitCode.environment,
        hints: failed.flatMap((c) => (c.fix ? [c.fix] : [])),
        details: report,
      })
    }
    return report
  }
}
