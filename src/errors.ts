/**
 * The one error type users see. A `SlsError` is an expected failure (bad input, missing engine,
 * registry refused...): it is printed as `error CODE message` plus hints, never with a stack.
 * Anything else that reaches the top is a bug and is printed as such (see src/ui/errors.ts).
 * Its code is one of the catalogue's (src/error-codes.ts, docs/errors.md): a misspelt code does not compile.
 */
import type { ErrorCode } from './error-codes.js'

export type { ErrorCode } from './error-codes.js'

export { EXIT_CODE_HELP, ExitCode } from './exit-codes.js'
import { ExitCode } from './exit-codes.js'

export interface SlsErrorOptions {
  hints?: string[]
  exitCode?: ExitCode
  cause?: unknown
  /** Structured data for `--json` consumers (diagnostics, failed checks...). */
  details?: unknown
}

export class SlsError extends Error {
  readonly code: ErrorCode
  readonly hints: string[]
  readonly exitCode: ExitCode
  readonly details: unknown

  constructor(code: ErrorCode, message: string, options: SlsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SlsError'
    this.code = code
    this.hints = options.hints ?? []
    this.exitCode = options.exitCode ?? ExitCode.failure
    this.details = options.details
  }
}

export function isSlsError(value: unknown): value is SlsError {
  return value instanceof SlsError
}
