/** How deploy results, status and confirmations look on a terminal. */
import type { DeployResult, StatusResult } from '../core/deploy/apply.js'
import type { Plan } from '../core/deploy/types.js'
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
    results.map((r) => [r.service, r.exists ? (r.ready ? paint('green', 'ready') : paint('yellow', `not ready: ${r.reason ?? 'unknown'}`)) : paint('dim', 'not deployed'), r.revision ?? '-', r.url ?? '-', r.image ?? '-']),
  )
}

async function confirm(question: string): Promise<void> {
  const asker = terminalAsker()
  try {
    const answer = await asker.text(`${question} [y/N]`, 'n')
    if (!/^y(es)?$/i.test(answer)) throw new SlsError('ABORTED', 'not confirmed; nothing was sent', { exitCode: ExitCode.usage, hints: ['Pass --yes to skip the question.'] })
  } finally {
    asker.close()
  }
}

export function confirmDeploy(plans: Plan[]): Promise<void> {
  const first = plans[0]!
  const where = Object.entries(first.target).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join(', ')
  return confirm(`Deploy ${plans.map((p) => p.service).join(', ')} to ${first.environment} (${first.provider}${where ? `: ${where}` : ''})?`)
}

export function confirmRemove(services: string[], env: string): Promise<void> {
  return confirm(`Remove ${services.join(', ')} from ${env}? This deletes the platform resources.`)
}
