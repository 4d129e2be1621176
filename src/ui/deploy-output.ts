/** How deploy results, status and confirmations look on a terminal. */
import type { DeployResult, StatusResult } from '../core/deploy/apply.js'
import { ExitCode, SlsError } from '../errors.js'
import { terminalAsker } from './prompt.js'
import { table } from './table.js'
import type { Paint } from './terminal.js'

export function formatDeployResult(r: DeployResult, paint: Paint): string {
  const what = r.unchanged ? paint('dim', 'unchanged') : r.ready ? paint('green', 'deployed') : paint('yellow', 'accepted (not waited for)')
  return [`${r.service}:`, what, r.revision, r.url ?? '(no URL)', paint('dim', r.image)].filter(Boolean).join(' ')
}

export function formatStatus(results: StatusResult[], paint: Paint): string {
  return table(
    ['SERVICE', 'STATE', 'REVISION', 'URL', 'IMAGE'],
    results.map((r) => [
      r.service,
      r.exists ? (r.ready ? paint('green', 'ready') : paint('yellow', `not ready: ${r.reason ?? 'unknown'}`)) : paint('dim', 'not deployed'),
      r.revision ?? '-',
      r.url ?? '-',
      r.image ?? '-',
    ]),
  )
}

async function confirm(question: string): Promise<void> {
  const asker = terminalAsker()
  try {
    if (!(await asker.confirm(question)))
      throw new SlsError('ABORTED', 'not confirmed; nothing was built, pushed, deployed or removed', { exitCode: ExitCode.usage, hints: ['Pass --yes to skip the question.'] })
  } finally {
    asker.close()
  }
}

/** Asked before anything happens (no build, no push, no deploy yet). */
export function confirmDeploy(services: string[], env: string, provider: string): Promise<void> {
  return confirm(`Deploy ${services.join(', ')} to ${env} (${provider})?`)
}

export function confirmRemove(services: string[], env: string): Promise<void> {
  return confirm(`Remove ${services.join(', ')} from ${env}? This deletes the platform resources.`)
}
