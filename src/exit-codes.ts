/** Process exit codes (a leaf: the error catalogue and the error type both use them); `sls-run --help` lists them. */
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
