/** How `sls-run dev` looks: log lines prefixed `service#n |`, lifecycle and request lines, or NDJSON with --json. */
import type { DevEvent } from '../core/dev/session.js'
import type { EmulatorEvent } from '../core/emulator/emulator.js'
import { ROLLOUT_END, ROLLOUT_START } from '../core/emulator/pool.js'
import type { Paint, Style } from './terminal.js'

const PREFIX_STYLES: Style[] = ['cyan', 'green', 'yellow', 'bold']

export function devEventRenderer(paint: Paint, json: boolean, write: (text: string) => void) {
  // NDJSON: `at` is always an ISO 8601 string, first; a log line's own time (epoch ms) becomes one too.
  if (json)
    return (event: DevEvent) => {
      const { at: own, ...rest } = event as { at?: unknown }
      write(`${JSON.stringify({ at: typeof own === 'number' ? new Date(own).toISOString() : new Date().toISOString(), ...rest })}\n`)
    }
  const styles = new Map<string, Style>()
  const tag = (service: string, id: string) => {
    if (!styles.has(service)) styles.set(service, PREFIX_STYLES[styles.size % PREFIX_STYLES.length]!)
    return paint(styles.get(service)!, id)
  }
  const ms = (n: number) => `${Math.round(n)} ms`
  // A reload is one line (`reload`): the steps of its rollout (the new revision's instances starting,
  // the old ones draining) are not printed one by one; --json has every event.
  const rollout = new Set<string>()
  const quiet = (event: EmulatorEvent): boolean => {
    if (event.type === 'scale') return event.reason === ROLLOUT_START
    if (event.type === 'cold-start') return rollout.delete(event.id)
    if (event.type !== 'instance') return false
    if (event.reason === ROLLOUT_START) rollout.add(event.id)
    return event.reason === ROLLOUT_START || event.reason === ROLLOUT_END
  }
  return (event: DevEvent) => {
    if (quiet(event as EmulatorEvent)) return
    switch (event.type) {
      case 'change':
        return // the reload line says it; unchanged and paused saves are --json only
      case 'reload': {
        const files = event.fileCount ? `: ${event.files.join(', ')}${event.fileCount > event.files.length ? ` and ${event.fileCount - event.files.length} more` : ''}` : ''
        const build = event.buildMs === undefined ? '' : `, build ${ms(event.buildMs)}`
        return write(`${paint('bold', event.service)} ${paint('green', `reloaded → ${event.revision}`)} in ${ms(event.savedToServingMs)}${build} (${event.reason}${files})\n`)
      }
      case 'image-build':
        if (event.state === 'started') return write(`${paint('bold', event.service)} building ${event.image} (${event.reason})\n`)
        if (event.state === 'step')
          return write(
            `${paint('bold', event.service)} ${paint('dim', '|')} ${event.step}${event.status === 'cached' ? paint('dim', ' (cached)') : event.status === 'failed' ? paint('red', ' (failed)') : ''}\n`,
          )
        return write(`${paint('bold', event.service)} built ${event.image} in ${ms(event.durationMs)}${event.cached ? ' (every step cached)' : ''}\n`)
      case 'standin-image':
        return write(`${paint('yellow', 'notice')}: ${event.message}\n`)
      case 'reload-paused':
        return write(`${paint('yellow', `warning ${event.code}`)}: ${event.message}\n  ${event.hint}\n`)
      case 'reload-resumed':
        return write(`${paint('bold', event.service)} reloads resumed (${event.files.join(', ')} saved)\n`)
      case 'rebuild':
        if (event.state === 'done' && event.first) return write(`${paint('bold', event.service)} built by dev.build in ${ms(event.durationMs)}\n`)
        if (event.state !== 'failed') return // the reload line carries the build time
        return write(
          `${paint('bold', event.service)} ${paint('red', 'build failed')}${event.code ? ` ${event.code}` : ''}: ${event.message}\n  the last good revision keeps serving; save again to retry\n`,
        )
      case 'config':
        if (event.state === 'invalid')
          return write(
            `${paint('red', 'sls-run.yaml is invalid')}: ${event.message}\n${event.diagnostics.map((d) => `  ${d.code} ${d.path ?? ''} ${d.message}`).join('\n')}${event.diagnostics.length ? '\n' : ''}  everything keeps running with the last good config\n`,
          )
        return write(
          `sls-run.yaml reloaded${event.changed.length ? `: new revisions for ${event.changed.join(', ')}` : ', nothing changed for the running services'}${event.restartNeeded.length ? `; restart sls-run dev for ${event.restartNeeded.join(', ')}` : ''}\n`,
        )
      case 'revision':
        if (event.state === 'starting' || event.state === 'serving') return // the reload line says it
        if (event.state === 'failed')
          return write(
            [
              `${paint('bold', event.service)} ${paint('red', `${event.revision} failed`)}: ${event.reason}; the last good revision keeps serving`,
              ...event.lastLines.map((l) => `  ${paint('dim', '|')} ${l}`),
            ].join('\n') + '\n',
          )
        return // retired: the reload line said which revision serves now
      case 'debugger': {
        if (event.state === 'missing') return write(`${tag(event.service, event.id)} ${paint('yellow', 'no debugger')}: ${event.message}\n`)
        const how = event.kind === 'node' ? 'Chrome: chrome://inspect; VS Code: "attach"' : event.kind === 'python' ? 'VS Code: "attach" (debugpy)' : 'dlv connect, or VS Code: "attach" (remote)'
        return write(`${tag(event.service, event.id)} ${paint('green', 'debugger')} on ${event.url} (${how}); request timeout, idle scale-down and startup deadline are held while debugging\n`)
      }
      case 'log':
        return write(`${tag(event.service, event.instanceId)} ${paint('dim', '|')} ${event.line}\n`)
      case 'listening':
        return write(`${paint('bold', event.service)} (${event.revision}) listening on ${event.url}\n`)
      case 'admin':
        return write(`dashboard: ${event.url}/ (status: ${event.url}/api/status, metrics: ${event.url}/metrics)\n`)
      case 'runtime':
        return write(`${paint('bold', event.service)} runs as a ${event.runtime === 'docker' ? 'container' : 'process'}: ${event.reason}\n`)
      case 'orphans-removed': {
        const what = [
          [event.containers.length, 'container'],
          [event.processes.length, 'process group'],
        ]
          .filter(([n]) => n)
          .map(([n, noun]) => `${n} ${noun}${n === 1 ? '' : 's'}`)
        return write(`removed ${what.join(' and ')} left by ended sls-run sessions (${[...event.containers, ...event.processes].join(', ')})\n`)
      }
      case 'cold-start': {
        const c = event.coldStart
        const delay = c.delayMs ? `, simulated delay ${ms(c.delayMs)}` : ''
        return write(`${tag(event.service, event.id)} cold start ${ms(c.totalMs)} (spawn ${ms(c.spawnMs)}, boot ${ms(c.bootMs)}, ready ${ms(c.readyMs)}${delay})\n`)
      }
      case 'instance':
        return event.state === 'ready' ? undefined : write(`${tag(event.service, event.id)} ${event.state}${event.reason ? ` (${event.reason})` : ''}\n`)
      case 'scale': {
        if (event.model === 'instant' && event.starting === 0) return // the instance lines say it
        const mode = event.mode === 'panic' ? `, ${paint('yellow', 'panic')}` : ''
        if (event.starting > 0)
          return write(`${paint('bold', event.service)} scaling up: starting ${event.starting} (${event.reason})${event.model === 'instant' ? '' : ` → ${event.desired} wanted${mode}`}\n`)
        return write(`${paint('bold', event.service)} ${event.desired < event.previous ? 'scaling in' : 'wants'} ${event.previous} → ${event.desired} (${event.reason}${mode})\n`)
      }
      case 'scaling-model': {
        const line = `${paint('bold', event.service)} scales with the ${event.model} model${event.model === 'instant' ? ' (development: starts at once, stops after idleTimeout)' : ''}\n`
        const differs = event.differs.map(
          (d) =>
            `${paint('yellow', 'warning')}: environment ${d.environment} deploys to ${d.provider}, which ${d.model ? `scales like the ${d.model} model: set scaling.model: ${d.model} (or dev --scaling-model ${d.model}) to see it here` : 'does not scale per request (no local model reproduces it)'}\n`,
        )
        return write(line + differs.join(''))
      }
      case 'start-failed':
        return write(
          [
            `${tag(event.service, event.id)} ${paint('red', 'failed to start')} ${event.code}: ${event.message}; next start in ${ms(event.backoffMs)}`,
            ...event.lastLines.map((l) => `  ${paint('dim', '|')} ${l}`),
          ].join('\n') + '\n',
        )
      case 'crash':
        return write(
          `${tag(event.service, event.id)} ${paint('red', event.exit.reason === 'oom-killed' ? 'OOMKilled' : 'crashed')} (code ${event.exit.code ?? '-'}, signal ${event.exit.signal ?? '-'}${event.exit.message ? `: ${event.exit.message}` : ''}); next start in ${ms(event.backoffMs)}\n`,
        )
      case 'events':
        return write(
          `events: ${event.schedules} schedule${event.schedules === 1 ? '' : 's'}${event.schedulesEnabled ? '' : ' (off: --no-schedules)'}, ${event.subscriptions} subscription${event.subscriptions === 1 ? '' : 's'}; undeliverable events go to ${event.deadLetterFile}\n`,
        )
      case 'schedule': {
        const how = event.outcome === 'ok' ? paint('green', 'ok') : event.outcome === 'retry' ? paint('yellow', `retry in ${ms(event.nextInMs ?? 0)}`) : paint('red', 'failed')
        return write(
          `${paint('bold', event.service)} schedule ${event.name}${event.manual ? ' (by hand)' : ''} try ${event.attempt}: ${event.status || event.error} ${ms(event.durationMs)} ${how}${event.coldStart ? ' (cold start)' : ''}\n`,
        )
      }
      case 'event-delivery': {
        const how =
          event.outcome === 'ok' ? paint('green', 'ok') : event.outcome === 'retry' ? paint('yellow', `retry in ${ms(event.nextInMs ?? 0)}`) : paint('red', `dead-lettered to ${event.deadLetterFile}`)
        return write(
          `${paint('bold', event.service)} event ${event.eventType} ${event.eventId} try ${event.attempt}: ${event.status || event.error} ${ms(event.durationMs)} ${how}${event.coldStart ? ' (cold start)' : ''}\n`,
        )
      }
      case 'request': {
        const status = event.status >= 500 ? paint('red', String(event.status)) : event.status >= 400 ? paint('yellow', String(event.status)) : String(event.status)
        return write(`${event.method} ${event.path} ${status} ${ms(event.durationMs)}${event.instanceId ? ` ${event.instanceId}` : ''}${event.coldStart ? ' (cold start)' : ''}\n`)
      }
    }
  }
}
