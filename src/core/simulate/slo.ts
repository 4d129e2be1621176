/**
 * `--slo` gates: `p95<=300ms`, `coldStarts<=1%`, `errors<=0.1%`, `cost.cloud-run<=20usd/month`,
 * `instances.peak<=10`. Operators: <=, <, >=, >. Percentages are of all requests; errors are 429s and
 * 5xx (504 included). A cost in `usd/month` reads the run's monthly rate, in `usd` the run itself.
 */
import { ExitCode, SlsError } from '../../errors.js'
import { parseDuration } from '../config/units.js'
import type { SimResult } from './types.js'

export type Operator = '<=' | '<' | '>=' | '>'

export interface Slo {
  text: string
  metric: string
  op: Operator
  limit: number
  unit: 'ms' | '%' | 'count' | 'usd' | 'usd/month'
}

export interface SloCheck {
  slo: string
  actual: number
  limit: number
  unit: Slo['unit']
  ok: boolean
  /** How far past the limit (0 when met), in the SLO's unit. */
  by: number
}

const LATENCY = ['p50', 'p95', 'p99', 'max'] as const
const SHAPE = /^\s*([A-Za-z][\w.-]*)\s*(<=|>=|<|>)\s*(\S+)\s*$/

export function parseSlo(text: string): Slo {
  const m = SHAPE.exec(text)
  if (!m) throw badSlo(text, 'an SLO is METRIC OPERATOR VALUE, e.g. p95<=300ms')
  const [, metric, op, raw] = m as unknown as [string, string, Operator, string]
  if ((LATENCY as readonly string[]).includes(metric)) {
    const ms = parseDuration(raw)
    if (ms === undefined) throw badSlo(text, `${metric} takes a duration such as 300ms or 2s (got ${raw})`)
    return { text, metric, op, limit: ms, unit: 'ms' }
  }
  if (metric === 'coldStarts' || metric === 'errors') {
    if (raw.endsWith('%') && isNumber(raw.slice(0, -1))) return { text, metric, op, limit: Number(raw.slice(0, -1)), unit: '%' }
    if (/^\d+$/.test(raw)) return { text, metric, op, limit: Number(raw), unit: 'count' }
    throw badSlo(text, `${metric} takes a share of requests (1%, 0.1%) or a count (20) (got ${raw})`)
  }
  if (metric === 'instances.peak' || metric === 'instances.mean') {
    if (!isNumber(raw)) throw badSlo(text, `${metric} takes a number (got ${raw})`)
    return { text, metric, op, limit: Number(raw), unit: 'count' }
  }
  if (metric.startsWith('cost.')) {
    const cost = /^([0-9]+(?:\.[0-9]+)?)usd(\/month)?$/.exec(raw)
    if (!cost) throw badSlo(text, `a cost takes dollars for the run (5usd) or per month (20usd/month) (got ${raw})`)
    return { text, metric, op, limit: Number(cost[1]), unit: cost[2] ? 'usd/month' : 'usd' }
  }
  throw badSlo(text, `unknown metric "${metric}"`)
}

export function checkSlo(slo: Slo, r: SimResult): SloCheck {
  const actual = measure(slo, r)
  const ok = slo.op === '<=' ? actual <= slo.limit : slo.op === '<' ? actual < slo.limit : slo.op === '>=' ? actual >= slo.limit : actual > slo.limit
  return { slo: slo.text, actual: round(actual), limit: slo.limit, unit: slo.unit, ok, by: ok ? 0 : round(Math.abs(actual - slo.limit)) }
}

function measure(slo: Slo, r: SimResult): number {
  const share = (n: number) => (slo.unit === '%' ? (r.requests ? (100 * n) / r.requests : 0) : n)
  if (slo.unit === 'ms') return r.latencyMs[slo.metric as (typeof LATENCY)[number]]
  if (slo.metric === 'coldStarts') return share(r.coldStarts)
  if (slo.metric === 'errors') return share(Object.entries(r.status).reduce((n, [code, count]) => (Number(code) >= 500 || code === '429' ? n + count : n), 0))
  if (slo.metric === 'instances.peak') return r.instances.peak
  if (slo.metric === 'instances.mean') return r.instances.mean
  const provider = slo.metric.slice('cost.'.length)
  const figure = r.cost[provider]
  if (!figure) throw badSlo(slo.text, `no cost for "${provider}"; costs: ${Object.keys(r.cost).join(', ')}`)
  return slo.unit === 'usd/month' ? figure.usdPerMonth : figure.usd
}

/** The failing checks as one coded error (exit 1), with every check in `details`. */
export function sloViolated(checks: SloCheck[], rows: number): SlsError {
  const failed = checks.filter((c) => !c.ok)
  const what = failed.map((c) => `${c.slo} (got ${c.actual}${unitText(c.unit)}, off by ${c.by}${unitText(c.unit)})`).join('; ')
  return new SlsError('SIM_SLO_VIOLATED', `${failed.length} SLO${failed.length === 1 ? '' : 's'} not met${rows > 1 ? ' by any row' : ''}: ${what}`, {
    exitCode: ExitCode.failure,
    hints: ['Change the settings (--set, --grid) until every --slo holds, or relax the SLO.'],
    details: { checks },
  })
}

export const unitText = (unit: Slo['unit']) => (unit === 'ms' ? ' ms' : unit === '%' ? ' %' : unit === 'count' ? '' : ` ${unit}`)
const isNumber = (s: string) => /^[0-9]+(\.[0-9]+)?$/.test(s)
const round = (n: number) => Math.round(n * 1000) / 1000
const badSlo = (text: string, why: string) =>
  new SlsError('SIM_SLO_INVALID', `--slo ${text}: ${why}`, {
    exitCode: ExitCode.usage,
    hints: ['Examples: p95<=300ms, coldStarts<=1%, errors<=0.1%, cost.cloud-run<=20usd/month, instances.peak<=10.'],
  })
