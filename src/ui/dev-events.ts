/** How `sls-run dev` looks: log lines prefixed `service#n |`, lifecycle and request lines, or NDJSON with --json. */
import type { DevLoopEvent } from '../core/devloop/devloop.js'
import type { EmulatorEvent } from '../core/emulator/emulator.js'
import type { Paint, Style } from './terminal.js'

const PREFIX_STYLES: Style[] = ['cyan', 'green', 'yellow', 'bold']

export function devEventRenderer(paint: Paint, json: boolean, write: (text: string) => void) {
  if (json) return (event: EmulatorEvent | DevLoopEvent) => write(`${JSON.stringify({ at: new Date().toISOString(), ...event })}\n`)
  const styles = new Map<string, Style>()
  const tag = (service: string, id: string) => {
    if (!styles.has(service)) styles.set(service, PREFIX_STYLES[styles.size % PREFIX_STYLES.length]!)
    return paint(styles.get(service)!, id)
  }
  const ms = (n: number) => `${Math.round(n)} ms`
  return (event: EmulatorEvent | DevLoopEvent) => {
    switch (event.type) {
      case 'change':
        return write(`${paint('bold', event.service)} changed: ${event.files.length ? event.files.slice(0, 3).join(', ') + (event.files.length > 3 ? ` and ${event.files.length - 3} more` : '') : 'rebuild requested'}\n`)
      case 'rebuild':
        if (event.state === 'started') return write(`${paint('bold', event.service)} rebuilding the image\n`)
        if (event.state === 'done') return write(`${paint('bold', event.service)} built ${event.image.slice(7, 19)} in ${ms(event.durationMs)}${event.cached ? ' (every step cached)' : ''}\n`)
        return write(`${paint('bold', event.service)} ${paint('red', 'build failed')}${event.code ? ` ${event.code}` : ''}: ${event.message}\n  the last good revision keeps serving; save again to retry\n`)
      case 'config':
        if (event.state === 'invalid') return write(`${paint('red', 'sls-run.yaml is invalid')}: ${event.message}\n${event.diagnostics.map((d) => `  ${d.code} ${d.path ?? ''} ${d.message}`).join('\n')}${event.diagnostics.length ? '\n' : ''}  everything keeps running with the last good config\n`)
        return write(`sls-run.yaml reloaded${event.changed.length ? `: new revisions for ${event.changed.join(', ')}` : ', nothing changed for the running services'}${event.restartNeeded.length ? `; restart sls-run dev for ${event.restartNeeded.join(', ')}` : ''}\n`)
      case 'revision':
        if (event.state === 'starting') return write(`${paint('bold', event.service)} ${event.revision} starting\n`)
        if (event.state === 'serving') return write(`${paint('bold', event.service)} ${paint('green', `${event.revision} serving`)}\n`)
        if (event.state === 'failed') return write([`${paint('bold', event.service)} ${paint('red', `${event.revision} failed`)}: ${event.reason}; the last good revision keeps serving`, ...event.lastLines.map((l) => `  ${paint('dim', '|')} ${l}`)].join('\n') + '\n')
        return write(`${paint('bold', event.service)} ${event.revision} retired${event.reason ? ` (${event.reason})` : ''}\n`)
      case 'log':
        return write(`${tag(event.service, event.instanceId)} ${paint('dim', '|')} ${event.line}\n`)
      case 'listening':
        return write(`${paint('bold', event.service)} (${event.revision}) listening on ${event.url}\n`)
      case 'admin':
        return write(`admin: ${event.url}/api/status, ${event.url}/metrics\n`)
      case 'runtime':
        return write(`${paint('bold', event.service)} runs as a ${event.runtime === 'docker' ? 'container' : 'process'}: ${event.reason}\n`)
      case 'orphans-removed':
        return write(`removed ${event.count} container${event.count === 1 ? '' : 's'} left by ended sls-run sessions (${event.containers.join(', ')})\n`)
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
        return write(`${tag(event.service, event.id)} ${paint('red', event.exit.reason === 'oom-killed' ? 'OOMKilled' : 'crashed')} (code ${event.exit.code ?? '-'}, signal ${event.exit.signal ?? '-'}${event.exit.message ? `: ${event.exit.message}` : ''}); next start in ${ms(event.backoffMs)}\n`)
      case 'events':
        return write(`events: ${event.schedules} schedule${event.schedules === 1 ? '' : 's'}${event.schedulesEnabled ? '' : ' (off: --no-schedules)'}, ${event.subscriptions} subscription${event.subscriptions === 1 ? '' : 's'}; undeliverable events go to ${event.deadLetterFile}\n`)
      case 'schedule': {
        const how = event.outcome === 'ok' ? paint('green', 'ok') : event.outcome === 'retry' ? paint('yellow', `retry in ${ms(event.nextInMs ?? 0)}`) : paint('red', 'failed')
        return write(`${paint('bold', event.service)} schedule ${event.name}${event.manual ? ' (by hand)' : ''} try ${event.attempt}: ${event.status || event.error} ${ms(event.durationMs)} ${how}${event.coldStart ? ' (cold start)' : ''}\n`)
      }
      case 'event-delivery': {
        const how = event.outcome === 'ok' ? paint('green', 'ok') : event.outcome === 'retry' ? paint('yellow', `retry in ${ms(event.nextInMs ?? 0)}`) : paint('red', `dead-lettered to ${event.deadLetterFile}`)
        return write(`${paint('bold', event.service)} event ${event.eventType} ${event.eventId} try ${event.attempt}: ${event.status || event.error} ${ms(event.durationMs)} ${how}${event.coldStart ? ' (cold start)' : ''}\n`)
      }
      case 'request': {
        const status = event.status >= 500 ? paint('red', String(event.status)) : event.status >= 400 ? paint('yellow', String(event.status)) : String(event.status)
        return write(`${event.method} ${event.path} ${status} ${ms(event.durationMs)}${event.instanceId ? ` ${event.instanceId}` : ''}${event.coldStart ? ' (cold start)' : ''}\n`)
      }
    }
  }
}
