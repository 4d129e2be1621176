/** How `sls-run invoke` shows an answer: status line, headers and timing (stderr); the body goes to stdout. */
import type { ScheduleRunEvent } from '../core/events/types.js'
import type { InvokeResult } from '../core/invoke/invoke.js'
import type { Paint } from './terminal.js'

export function formatInvoke(r: InvokeResult, paint: Paint): string {
  const colour = r.status >= 500 ? 'red' : r.status >= 400 ? 'yellow' : 'green'
  const phases = Object.entries(r.timing)
    .map(([k, v]) => `${k} ${Math.round(v)} ms`)
    .join(', ')
  const cold = r.coldStart ? paint('yellow', `cold start${phases ? ` (${phases})` : ''}`) : 'warm'
  const lines = [`${r.method} ${r.url} → ${paint(colour, String(r.status))} in ${Math.round(r.durationMs)} ms, ${cold}${r.instance ? ` on ${r.instance}` : ''}`]
  if (r.event) lines.push(paint('dim', `CloudEvent ${r.event.type} from ${r.event.source}, id ${r.event.id}`))
  for (const [name, value] of Object.entries(r.headers)) lines.push(paint('dim', `${name}: ${value}`))
  return `${lines.join('\n')}\n`
}

export function formatScheduleRun(e: ScheduleRunEvent, paint: Paint): string {
  const colour = e.outcome === 'ok' ? 'green' : 'red'
  return `${e.service}/${e.name}: ${paint(colour, e.outcome)} — status ${e.status} after ${e.attempt} ${e.attempt === 1 ? 'try' : 'tries'}, last ${Math.round(e.durationMs)} ms${e.coldStart ? ', cold start' : ''}${e.error ? ` (${e.error})` : ''}`
}
