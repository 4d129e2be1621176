/**
 * What every command shares: the output contract (results on stdout, everything else on stderr,
 * `--json` prints exactly one envelope), --verbose, and how errors look and exit.
 */
import { Command, Flags, type Interfaces } from '../vendor/oclif.js'
import type { Logger } from '../core/logger.js'
import { errorEnvelope, exitCodeOf, formatError, normalizeError } from '../ui/errors.js'
import { debugEnabled, stderrLogger } from '../ui/logger.js'
import { detectTerminal, painter, type Paint, type TerminalInfo } from '../ui/terminal.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>

export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    verbose: Flags.boolean({ description: 'Print debug output to stderr (same as SLS_RUN_LOG=debug).', helpGroup: 'GLOBAL' }),
  }

  protected terminal: TerminalInfo = detectTerminal()
  protected paint: Paint = painter(this.terminal.color)
  protected warnings: string[] = []
  protected logger!: Logger

  protected get debugMode(): boolean {
    return debugEnabled(this.argv.includes('--verbose'))
  }

  override async init(): Promise<void> {
    await super.init()
    this.logger = stderrLogger(this.paint, this.debugMode, this.warnings)
  }

  /** Human output: the result, on stdout, only when not in --json mode. */
  protected print(text: string): void {
    if (!this.jsonEnabled()) process.stdout.write(`${text}\n`)
  }

  /** Progress and notes: stderr, only when not in --json mode. */
  protected note(text: string): void {
    if (!this.jsonEnabled()) process.stderr.write(`${text}\n`)
  }

  protected override toSuccessJson(result: unknown): unknown {
    return { status: 'ok', result: result ?? null, warnings: this.warnings }
  }

  override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`)
  }

  protected override async catch(raw: Error & { exitCode?: number }): Promise<void> {
    const error = normalizeError(raw)
    process.exitCode = exitCodeOf(error)
    if (this.jsonEnabled()) this.logJson(errorEnvelope(error, this.debugMode))
    else process.stderr.write(`${formatError(error, this.paint, this.debugMode)}\n`)
  }
}
