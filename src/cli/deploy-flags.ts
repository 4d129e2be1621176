/** Flags and context the deploy commands share. */
import { Flags } from '../vendor/oclif.js'
import { parseDuration } from '../core/config/units.js'
import type { DeployContext } from '../core/deploy/types.js'
import { ExitCode, SlsError } from '../errors.js'
import { configFlag } from './flags.js'

export const deployFlags = {
  config: configFlag,
  env: Flags.string({ char: 'e', description: 'Environment (under environments: in sls-run.yaml).', required: true, helpValue: 'NAME' }),
  timeout: Flags.string({ description: 'Upper bound for waiting on the platform (ms, s, m, h).', default: '10m', helpValue: 'DURATION' }),
}

export function deployContext(flags: { timeout: string; wait?: boolean }, emit: DeployContext['emit']): DeployContext {
  const timeoutMs = parseDuration(flags.timeout)
  if (timeoutMs === undefined || timeoutMs <= 0) {
    throw new SlsError('USAGE', `--timeout ${flags.timeout} is not a duration`, { exitCode: ExitCode.usage, hints: ['Use a number with ms, s, m or h, e.g. --timeout 5m.'] })
  }
  const poll = Number(process.env.SLS_RUN_DEPLOY_POLL_MS)
  return { env: process.env, emit, wait: flags.wait ?? true, timeoutMs, pollIntervalMs: Number.isFinite(poll) && poll > 0 ? poll : 2000 }
}
