/** An unknown command is a usage error (exit 2) with a "did you mean". */
import type { Hook } from '../vendor/oclif.js'
import { closest } from '../core/config/suggest.js'
import { ExitCode, SlsError } from '../errors.js'
import { errorEnvelope, formatError } from '../ui/errors.js'
import { detectTerminal, painter } from '../ui/terminal.js'

const hook: Hook.CommandNotFound = async function (options) {
  const ids = options.config.commandIDs.map((id) => id.replaceAll(':', ' '))
  const typed = options.id.replaceAll(':', ' ')
  const suggestion = closest(typed, ids)
  const error = new SlsError('USAGE', `"${typed}" is not a sls-run command${suggestion ? `; did you mean "${suggestion}"?` : ''}`, {
    exitCode: ExitCode.usage,
    hints: [`Commands: ${ids.sort().join(', ')}. Run sls-run --help for more.`],
  })
  if (options.argv?.includes('--json')) process.stdout.write(`${JSON.stringify(errorEnvelope(error, false), null, 2)}\n`)
  else process.stderr.write(`${formatError(error, painter(detectTerminal().color), false)}\n`)
  process.exit(ExitCode.usage)
}

export default hook
