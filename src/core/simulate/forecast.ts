/**
 * What `sls-run simulate` does, without its UI: open or generate the trace, run every combination,
 * check the SLOs, pick the recommended row, write the HTML report (whole or not at all), and shape the
 * `--json` result: one run's figures at the top level, or `rows` with `--grid`.
 */
import fs from 'node:fs'
import path from 'node:path'
import { ExitCode, SlsError } from '../../errors.js'
import { renderHtml } from './html.js'
import { simulate, type SimulateOptions, type SimulateReport } from './simulate.js'
import { checkSlo, parseSlo, sloViolated, type SloCheck } from './slo.js'
import { generateTrace } from './trace/generate.js'
import { openTrace } from './trace/read.js'
import type { SimResult, TraceSource } from './types.js'

export interface TraceInput {
  trace?: string | undefined
  generate?: string | undefined
  format?: string
  function?: string | undefined
  spread?: string
  serviceTime?: string | undefined
  seed?: number
}

export async function traceSource(input: TraceInput): Promise<TraceSource> {
  if (input.generate) return generateTrace(input.generate)
  if (!input.trace)
    throw new SlsError('SIM_INPUT_REQUIRED', 'nothing to simulate: give a trace or a generator', {
      exitCode: ExitCode.usage,
      hints: ['--trace trace.ndjson (from `sls-run dev --record`), or --generate poisson:rate=5/s,duration=1h'],
    })
  return openTrace(input.trace, {
    format: (input.format ?? 'auto') as 'auto',
    ...(input.function ? { function: input.function } : {}),
    ...(input.spread ? { spread: input.spread as 'uniform' | 'even' } : {}),
    ...(input.serviceTime ? { serviceTime: input.serviceTime } : {}),
    ...(input.seed === undefined ? {} : { seed: input.seed }),
  })
}

export interface ForecastOptions extends Omit<SimulateOptions, 'durationMs'> {
  slo?: string[]
  recommend?: boolean
  html?: string
}

export interface Forecast {
  report: SimulateReport
  /** Per row, each SLO's check. */
  checks: SloCheck[][]
  recommended?: number
  /** Set when the SLOs are not met (by the one row, or by any row of a grid): the command throws it after printing. */
  violation?: SlsError
  json: Record<string, unknown>
}

export async function forecast(o: ForecastOptions): Promise<Forecast> {
  const slos = (o.slo ?? []).map(parseSlo) // bad SLOs stop before any work
  const report = await simulate({ ...o, ...(o.source.durationMs === undefined ? {} : { durationMs: o.source.durationMs }) })
  const checks = report.results.map((r) => slos.map((slo) => checkSlo(slo, r)))
  const passing = report.results.map((_, i) => checks[i]!.every((c) => c.ok))
  const costKey = slos.find((s) => s.metric.startsWith('cost.'))?.metric.slice('cost.'.length) ?? 'cloud-run'
  const recommended = o.recommend ? cheapest(report.results, passing, costKey) : undefined
  const grid = (o.grid ?? []).length > 0
  const json: Record<string, unknown> = grid
    ? { service: report.service, trace: report.trace, varied: report.varied, rows: report.results.map((r, i) => ({ ...r, slo: checks[i] })), ...(recommended === undefined ? {} : { recommended }) }
    : { ...report.results[0]!, slo: checks[0] }
  if (o.html) writeWhole(o.html, renderHtml({ results: report.results, grid, generatedAt: new Date().toISOString(), title: `${report.service}: ${report.trace}` }))
  const met = grid ? passing.some(Boolean) : passing[0]!
  const violation = slos.length && !met ? withResult(sloViolated(grid ? checks.flat() : checks[0]!, report.results.length), json) : undefined
  return { report, checks, ...(recommended === undefined ? {} : { recommended }), ...(violation ? { violation } : {}), json }
}

function cheapest(results: SimResult[], passing: boolean[], costKey: string): number | undefined {
  let best: number | undefined
  results.forEach((r, i) => {
    if (!passing[i]) return
    const usd = r.cost[costKey]?.usdPerMonth ?? Infinity
    if (best === undefined || usd < (results[best]!.cost[costKey]?.usdPerMonth ?? Infinity)) best = i
  })
  return best
}

function withResult(error: SlsError, result: Record<string, unknown>): SlsError {
  return new SlsError(error.code, error.message, { exitCode: error.exitCode, hints: error.hints, details: { ...(error.details as object), result } })
}

/** Writes through a temp file and a rename: the report is there whole or not at all. */
function writeWhole(file: string, text: string): void {
  const target = path.resolve(file)
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`)
  try {
    fs.writeFileSync(temp, text)
    fs.renameSync(temp, target)
  } catch (error) {
    fs.rmSync(temp, { force: true })
    throw new SlsError('SIM_HTML_UNWRITABLE', `cannot write the HTML report ${file}: ${(error as Error).message}`, {
      exitCode: ExitCode.usage,
      hints: [`Pass --html a path in a folder that exists and you can write to (${path.dirname(target)}).`],
    })
  }
}
