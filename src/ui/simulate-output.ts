/** How `sls-run simulate` looks: one row per run (per --grid combination), the costs with their sources, the SLO checks. */
import type { SloCheck } from '../core/simulate/slo.js'
import { unitText } from '../core/simulate/slo.js'
import type { SimulateReport } from '../core/simulate/simulate.js'
import type { SimResult } from '../core/simulate/types.js'
import { table } from './table.js'
import type { Paint } from './terminal.js'

const PROVIDERS: Array<[string, string]> = [
  ['cloud-run', 'Cloud Run $/mo'],
  ['cloud-run-instance', 'CR instance $/mo'],
  ['aws-fargate', 'Fargate $/mo'],
  ['azure-container-apps', 'ACA $/mo'],
]

export function simulateText(report: SimulateReport, checks: SloCheck[][], recommended: number | undefined, paint: Paint): string {
  const first = report.results[0]!
  const varied = report.varied
  const settings = varied.length ? varied.map((k) => k.replace(/^scaling\./, '')) : ['model']
  const header = ['', ...settings, 'requests', 'cold starts', 'p50', 'p95', 'p99', 'max', '429', '504', 'peak', 'mean', 'active s', 'idle s', ...PROVIDERS.map(([, h]) => h)]
  const rows = report.results.map((r, i) => {
    const mark = i === recommended ? paint('green', '★') : checks[i]?.some((c) => !c.ok) ? paint('red', '✗') : checks[i]?.length ? paint('green', '✓') : ''
    const values = varied.length ? varied.map((k) => settingOf(r, k)) : [String(r.settings.model)]
    return [
      mark,
      ...values,
      String(r.requests),
      `${r.coldStarts} (${pct(r.coldStartRatio)})`,
      ms(r.latencyMs.p50),
      ms(r.latencyMs.p95),
      ms(r.latencyMs.p99),
      ms(r.latencyMs.max),
      String(r.status['429'] ?? 0),
      String(r.status['504'] ?? 0),
      String(r.instances.peak),
      r.instances.mean.toFixed(2),
      r.instanceSeconds.active.toFixed(0),
      r.instanceSeconds.idle.toFixed(0),
      ...PROVIDERS.map(([p]) => usd(r.cost[p]?.usdPerMonth)),
    ]
  })
  const lines = [
    `${paint('bold', report.service)}: ${report.trace}, ${duration(first.durationMs)} simulated`,
    `settings: ${Object.entries(first.settings)
      .filter(([k]) => !varied.includes(k) && !varied.includes(`scaling.${k}`))
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    '',
    table(header, rows),
    '',
    ...PROVIDERS.map(([p]) => `${p}: ${first.cost[p]!.basis} (${first.cost[p]!.source})`),
  ]
  const failed = checks.flatMap((row, i) => row.filter((c) => !c.ok).map((c) => ({ row: i, c })))
  if (checks[0]?.length) {
    lines.push(
      '',
      table(
        ['', ...(report.results.length > 1 ? ['row'] : []), 'SLO', 'got', 'off by'],
        checks.flatMap((row, i) =>
          row.map((c) => [
            c.ok ? paint('green', 'met') : paint('red', 'missed'),
            ...(report.results.length > 1 ? [String(i + 1)] : []),
            c.slo,
            `${c.actual}${unitText(c.unit)}`,
            c.ok ? '' : `${c.by}${unitText(c.unit)}`,
          ]),
        ),
      ),
    )
    if (recommended !== undefined) lines.push(`${paint('green', '★')} row ${recommended + 1}: the cheapest that meets every SLO`)
    else if (failed.length && report.results.length > 1) lines.push(paint('red', 'no row meets every SLO'))
  }
  return lines.join('\n')
}

function settingOf(r: SimResult, key: string): string {
  const short = key.split('.').at(-1)!
  const v = r.settings[short] ?? r.settings[key]
  return v === undefined ? '' : String(v)
}

const pct = (ratio: number) => `${(ratio * 100).toFixed(ratio > 0 && ratio < 0.001 ? 3 : 1)} %`
const ms = (n: number) => (n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`)
const usd = (n: number | undefined) => (n === undefined ? '—' : n < 0.01 ? n.toFixed(4) : n.toFixed(2))
function duration(msTotal: number): string {
  const s = msTotal / 1000
  return s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(1)} s`
}
