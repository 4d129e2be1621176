/**
 * The one error type users see. A `SlsError` is an expected failure (bad input, missing engine,
 * registry refused...): it is printed as `error CODE message` plus hints, never with a stack.
 * Anything else that reaches the top is a bug and is printed as such (see src/cli/render-error.ts).
 */

/** Process exit codes; `sls-run --help` lists them. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  environment: 3,
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

export const EXIT_CODE_HELP: ReadonlyArray<[ExitCode, string]> = [
  [ExitCode.ok, 'success'],
  [ExitCode.failure, 'the operation failed (build, push, deploy, or a bug)'],
  [ExitCode.usage, 'usage or configuration error (bad flag, invalid sls-run.yaml)'],
  [ExitCode.environment, 'environment missing (no Docker engine, no credentials, Node too old)'],
]

export interface SlsErrorOptions {
  hints?: string[]
  exitCode?: ExitCode
  cause?: unknown
  /** Structured data for `--json` consumers (diagnostics, failed checks...). */
  details?: unknown
}

export class SlsError extends Error {
  readonly code: string
  readonly hints: string[]
  readonly exitCode: ExitCode
  readonly details: unknown

  constructor(code: string, message: string, options: SlsErrorOptions = {}) {
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
