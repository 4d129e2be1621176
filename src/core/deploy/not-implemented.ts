import { ExitCode, SlsError } from '../../errors.js'

/** `deploy` of every built-in adapter until the apply slice lands. */
export async function notImplemented(): Promise<never> {
  throw new SlsError('DEPLOY_NOT_IMPLEMENTED', 'applying a deploy plan is not implemented yet; only --dry-run works', {
    exitCode: ExitCode.failure,
    hints: ['Run `sls-run deploy --env <name> --dry-run --image <repo>@sha256:…` to print the plan.'],
  })
}
