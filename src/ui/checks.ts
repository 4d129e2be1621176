import type { Check, CheckStatus } from '../core/doctor/doctor.js'
import { table } from './table.js'
import type { Paint } from './terminal.js'

const STATUS: Record<CheckStatus, Parameters<Paint>[0]> = { ok: 'green', warn: 'yellow', fail: 'red', skip: 'dim' }

export function renderChecks(checks: readonly Check[], paint: Paint): string {
  const rows = checks.map((c) => [c.title, paint(STATUS[c.status], c.status), c.detail])
  const fixes = checks.filter((c) => c.fix && c.status !== 'ok').map((c) => `  ${paint('cyan', 'fix')} ${c.title}: ${c.fix}`)
  return [table(['CHECK', 'STATUS', 'DETAIL'], rows), ...(fixes.length ? ['', ...fixes] : [])].join('\n')
}
