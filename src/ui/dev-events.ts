/** How `sls-run dev` looks: log lines prefixed `service#n |`, lifecycle and request lines, or NDJSON with --json. */
import type { EmulatorEvent } from '../core/emulator/emulator.js'
import type { Paint, Style } from './terminal.js'

const PREFIX_STYLES: Style[] = ['cyan', 'green', 'yellow', 'bold']

export function devEventRenderer(paint: Paint, json: boolean, write: (text: string) => void) {
  if (json) return (event: EmulatorEvent) => write(`${JSON.stringify({ at: new Date().toISOString(), ...event })}\n`)
  const styles = new Map<string, Style>()
  const tag = (service: string, id: string) => {
    if (!styles.has(service)) styles.set(service, PREFIX_STYLES[styles.size % PREFIX_STYLES.length]!)
    return paint(styles.get(service)!, id)
  }
  const ms = (n: number) => `${Math.round(n)} ms`
  return (event: EmulatorEvent) => {
    switch (event.type) {
      case 'log':
        return write(`${tag(event.service, event.instanceId)} ${paint('dim', '|')} ${event.line}\n`)
      case 'listening':
        return write(`${paint('bold', event.service)} (${event.revision}) listening on ${event.url}\n`)
      case 'admin':
        return write(`admin: ${event.url}/api/status, ${event.url}/metrics\n`)
      case 'cold-start': {
        const c = event.coldStart
        const delay = c.delayMs ? `, simulated delay ${ms(c.delayMs)}` : ''
        return write(`${tag(event.service, event.id)} cold start ${ms(c.totalMs)} (spawn ${ms(c.spawnMs)}, boot ${ms(c.bootMs)}, ready ${ms(c.readyMs)}${delay})\n`)
      }
      case 'instance':
        return event.state === 'ready' ? undefined : write(`${tag(event.service, event.id)} ${event.state}${event.reason ? ` (${event.reason})` : ''}\n`)
      case 'scale':
        return write(`${paint('bold', event.service)} scaling up: starting ${event.starting} (${event.reason})\n`)
      case 'start-failed':
        return write(
          [`${tag(event.service, event.id)} ${paint('red', 'failed to start')}: ${event.message}; next start in ${ms(event.backoffMs)}`, ...event.lastLines.map((l) => `  ${paint('dim', '|')} ${l}`)].join('\n') + '\n',
        )
      case 'crash':
        return write(`${tag(event.service, event.id)} ${paint('red', 'crashed')} (code ${event.exit.code ?? '-'}, signal ${event.exit.signal ?? '-'}); next start in ${ms(event.backoffMs)}\n`)
      case 'request': {
        const status = event.status >= 500 ? paint('red', String(event.status)) : event.status >= 400 ? paint('yellow', String(event.status)) : String(event.status)
        return write(`${event.method} ${event.path} ${status} ${ms(event.durationMs)}${event.instanceId ? ` ${event.instanceId}` : ''}${event.coldStart ? ' (cold start)' : ''}\n`)
      }
    }
  }
}
