/**
 * How `sls-run build` looks. On an interactive terminal: a listr2 task per service whose title follows
 * the current step. Under CI or without a TTY: plain lines on stderr, every step and every output line
 * (what a CI log should keep) without the escape sequences (colours) steps print. With --json: NDJSON
 * events on stdout, the last line being the result. The result summary (stdout) is the same for the first two.
 */
import { stripVTControlCharacters } from 'node:util'
import { formatBytes } from '../core/config/index.js'
import type { BuildEvent, BuildResult, PlannedTarget } from '../core/image/build.js'
import type { Paint } from './terminal.js'

type Emit = (event: BuildEvent) => void

export function plainBuildRenderer(paint: Paint, write: (text: string) => void, verbose: boolean): Emit {
  return (event) => {
    switch (event.type) {
      case 'service':
        return write(`${paint('bold', event.service)} building ${event.image} (${event.builder})\n`)
      case 'skipped':
        return write(`${paint('bold', event.service)} skipped: ${event.reason}\n`)
      case 'context':
        return write(`${paint('bold', event.service)} context: ${event.files} files, ${formatBytes(event.bytes)} in ${event.durationMs} ms\n`)
      case 'step':
        if (event.step.internal && !verbose) return
        if (event.step.status === 'running') return write(`${paint('bold', event.service)} ▸ ${event.step.name}\n`)
        return write(`${paint('bold', event.service)}   ${stepStatus(event.step.status, paint)}${event.step.durationMs !== undefined ? paint('dim', ` in ${seconds(event.step.durationMs)}`) : ''}\n`)
      case 'output': // a RUN step's own colours and cursor moves: raw in --json events, not in a log
        return write(`${paint('bold', event.service)} ${paint('dim', '│')} ${stripVTControlCharacters(event.line)}\n`)
      case 'warning':
        return write(`${paint('yellow', 'warning')} ${event.message}\n`)
      case 'built':
        return
    }
  }
}

/** Runs each target as a listr2 task (listr2 is loaded only here, on an interactive terminal). */
export async function runWithTasks(targets: PlannedTarget[], build: (target: PlannedTarget, emit: Emit) => Promise<BuildResult>): Promise<BuildResult[]> {
  const { Listr } = await import('listr2')
  const results: BuildResult[] = []
  const list = new Listr(
    targets.map((target) => ({
      title: `${target.name}: ${target.image}`,
      rendererOptions: { outputBar: 3 },
      task: async (_: unknown, task: { title: string; output: string }) => {
        let steps = 0
        let cached = 0
        const result = await build(target, (event) => {
          if (event.type === 'step' && !event.step.internal) {
            if (event.step.status === 'running') task.title = `${target.name}: ${event.step.name}`
            else if (event.step.cacheable) {
              steps++
              if (event.step.status === 'cached') cached++
            }
          } else if (event.type === 'output') task.output = event.line
        })
        task.title = `${target.name}: ${result.tags[0]} ${formatBytes(result.size)} in ${seconds(result.durationMs)} (${cached}/${steps} steps cached)`
        results.push(result)
      },
    })),
    { concurrent: false, exitOnError: true },
  )
  await list.run()
  return results
}

export function formatBuildResult(result: BuildResult, paint: Paint): string {
  const r = result.report
  const lines = [
    `${paint('bold', result.service)} ${paint('green', 'built')} ${result.tags.join(', ')} in ${seconds(result.durationMs)}${result.cached ? ' (every step cached)' : ''}`,
    `  id ${result.id.replace(/^sha256:/, '').slice(0, 12)} · ${formatBytes(r.size)} · ${r.layers} layers · base ${r.baseImage} ${formatBytes(r.baseSize)} · added ${formatBytes(r.added)}`,
  ]
  if (result.budget) lines.push(`  budget ${formatBytes(result.budget.limit)}: ${result.budget.exceeded ? paint('yellow', 'exceeded') : 'ok'}`)
  if (r.largest.length) {
    lines.push('  largest layers:')
    for (const layer of r.largest) {
      const where = layer.line ? `Dockerfile:${layer.line}` : ''
      lines.push(`    ${formatBytes(layer.size).padStart(9)}  ${where.padEnd(14)} ${truncate(layer.instruction ?? layer.createdBy, 80)}`)
    }
  }
  return lines.join('\n')
}

function stepStatus(status: string, paint: Paint): string {
  if (status === 'cached') return paint('cyan', 'cached')
  if (status === 'failed') return paint('red', 'failed')
  return paint('green', 'done')
}

const seconds = (ms: number) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`)
const truncate = (text: string, n: number) => (text.length > n ? `${text.slice(0, n - 1)}…` : text)
