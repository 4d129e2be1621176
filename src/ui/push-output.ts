/**
 * How `sls-run push` looks: plain lines on stderr (a line per layer when it is pushed or found to exist,
 * retries), NDJSON on stdout with --json (the last line is the result envelope), and the per-service
 * result on stdout. On an interactive terminal a listr2 task per service shows the layers as they go.
 */
import { formatBytes } from '../core/config/index.js'
import type { PushEvent, PushResult } from '../core/registry/push.js'
import type { Paint } from './terminal.js'

type Emit = (event: PushEvent) => void

export function plainPushRenderer(paint: Paint, write: (text: string) => void): Emit {
  return (event) => {
    const who = paint('bold', event.service)
    if (event.type === 'push') return write(`${who} pushing ${event.image}:${event.tag} (credentials: ${event.credentials})\n`)
    if (event.type === 'retry') return write(`${who} ${paint('yellow', 'retry')} ${event.attempt} in ${event.delayMs} ms: ${event.reason}\n`)
    if (event.type === 'layer' && (event.status === 'pushed' || event.status === 'exists')) {
      return write(`${who}   ${event.id} ${event.status === 'pushed' ? paint('green', 'pushed') : paint('cyan', 'already exists')}${event.total ? ` ${formatBytes(event.total)}` : ''}\n`)
    }
  }
}

export async function runPushTasks(services: string[], push: (service: string, emit: Emit) => Promise<PushResult>): Promise<PushResult[]> {
  const { Listr } = await import('listr2')
  const results: PushResult[] = []
  await new Listr(
    services.map((service) => ({
      title: `${service}: push`,
      rendererOptions: { outputBar: 1 },
      task: async (_: unknown, task: { title: string; output: string }) => {
        const layers = new Map<string, string>()
        const result = await push(service, (event) => {
          if (event.type === 'push') task.title = `${service}: ${event.image}:${event.tag}`
          if (event.type === 'layer') {
            layers.set(event.id, event.status)
            const done = [...layers.values()].filter((s) => s === 'pushed' || s === 'exists').length
            task.output = `${done}/${layers.size} layers${event.total ? ` · ${event.id} ${formatBytes(event.current ?? 0)}/${formatBytes(event.total)}` : ''}`
          }
          if (event.type === 'retry') task.output = `retry ${event.attempt} in ${event.delayMs} ms: ${event.reason}`
        })
        task.title = formatPushResult(result)
        results.push(result)
      },
    })),
    { concurrent: false, exitOnError: true },
  ).run()
  return results
}

export function formatPushResult(r: PushResult): string {
  return `${r.service}: pushed ${r.image}:${r.tag}@${r.digest} (${r.pushedLayers} layers pushed, ${r.existingLayers} already there) in ${(r.durationMs / 1000).toFixed(1)} s`
}
