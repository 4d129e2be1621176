/**
 * `sls-run simulate --html FILE`: one self-contained page for a run or a grid of runs. Tables and
 * text are rendered here (escaped); the charts (instances over time, latency CDF) are drawn in the
 * browser by uPlot, inlined from node_modules with the page script, from the results embedded as
 * JSON. Nothing is fetched: a Content-Security-Policy allows only the page's own scripts (by hash).
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { PAGE_CSS, PAGE_SCRIPT } from './html-page.js'
import type { SimResult } from './types.js'

export interface HtmlReport {
  results: SimResult[]
  /** Several runs of a `--grid`, one row each, compared (several results always render as a grid). */
  grid: boolean
  /** When the report was made (ISO time), shown in the header. */
  generatedAt: string
  title?: string
}

const COLORS = ['#3d6fd8', '#d9534f', '#2f9e6a', '#8e5cc4', '#e0a526', '#17a2b8', '#c2185b', '#6b7385']

let uplot: { js: string; css: string } | undefined
/** uPlot's browser build and stylesheet, read once from node_modules. */
function uplotAssets(): { js: string; css: string } {
  if (!uplot) {
    const require = createRequire(import.meta.url)
    const read = (file: string) => readFileSync(require.resolve(`uplot/dist/${file}`), 'utf8')
    uplot = { js: read('uPlot.iife.min.js'), css: read('uPlot.min.css') }
  }
  return uplot
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
/** Text and attribute values: user input (trace names, settings) never becomes markup. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]!)
}

/** JSON for a `<script type="application/json">`: no `<`, `>` or `&` at all, so no `</script` or `<!--`. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

/** Code inlined in a `<script>`: `<\/script` and `<\x21--` mean the same to JS and nothing to the HTML parser. */
function inlineScript(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\x21--')
}

const inlineStyle = (css: string) => css.replace(/<\/(style)/gi, '<\\/$1')

const num = (v: number, digits = 0) => v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })

/** Formats shared with the tests: "843 ms", "12.5 ms", "$1,234.56", "$0.0042", "1.25%", "1h 05m 00s". */
export const fmt = {
  ms: (v: number) => `${num(v, v < 10 ? 2 : v < 100 ? 1 : 0)} ms`,
  /** Cents from $1 up; below, two significant digits: "$0.079", "$0.0000058". */
  usd: (v: number) => `$${num(v, v === 0 || Math.abs(v) >= 1 ? 2 : Math.max(2, 1 - Math.floor(Math.log10(Math.abs(v)))))}`,
  pct: (ratio: number) => `${num(ratio * 100, 2)}%`,
  count: (v: number) => num(v),
  duration(ms: number): string {
    const s = ms / 1000
    if (s < 60) return `${num(s, s < 10 ? 2 : 1)} s`
    const h = Math.floor(s / 3600)
    const m = Math.floor((s % 3600) / 60)
    const sec = Math.round(s % 60)
    const two = (n: number) => String(n).padStart(2, '0')
    return h > 0 ? `${h}h ${two(m)}m ${two(sec)}s` : `${m}m ${two(sec)}s`
  },
}

const unique = <T>(values: T[]) => [...new Set(values)]

/** Settings that differ between the rows of a grid (none for a single run). */
function varyingKeys(results: SimResult[]): string[] {
  const keys = unique(results.flatMap((r) => Object.keys(r.settings)))
  return keys.filter((k) => unique(results.map((r) => JSON.stringify(r.settings[k] ?? null))).length > 1)
}

const setting = (v: string | number | boolean | undefined) => (v === undefined ? '—' : String(v))
const settingsText = (settings: Record<string, string | number | boolean>, keys: string[]) => keys.map((k) => `${k}=${setting(settings[k])}`).join(' ')

function header(report: HtmlReport, grid: boolean, title: string, varying: string[]): string {
  const { results } = report
  const first = results[0]!
  const common = Object.keys(first.settings).filter((k) => !varying.includes(k))
  const line = (label: string, values: string[]) => `<p>${label}: ${values.map((v) => `<code>${escapeHtml(v)}</code>`).join(' · ')}</p>`
  return `<header data-testid="header">
  <h1>${escapeHtml(title)}</h1>
  ${line(unique(results.map((r) => r.trace)).length > 1 ? 'Traces' : 'Trace', unique(results.map((r) => r.trace)))}
  ${line('Duration', unique(results.map((r) => fmt.duration(r.durationMs))))}
  ${line('Service', unique(results.map((r) => r.service)))}
  ${
    common.length
      ? line(
          grid ? 'Settings (all runs)' : 'Settings',
          common.map((k) => `${k}=${setting(first.settings[k])}`),
        )
      : ''
  }
  ${grid ? line('Varying', [varying.join(', ') || '(none)']) : ''}
  <p class="muted">${grid ? `${results.length} runs · ` : ''}generated ${escapeHtml(report.generatedAt)} by sls-run simulate</p>
</header>`
}

function summary(r: SimResult): string {
  const statuses = Object.entries(r.status).sort(([a], [b]) => a.localeCompare(b))
  const life = r.instanceSeconds.active + r.instanceSeconds.idle
  const rows: Array<[string, string, string]> = [
    ['requests', 'Requests', fmt.count(r.requests)],
    ['cold-starts', 'Cold starts', `${fmt.count(r.coldStarts)} (${fmt.pct(r.coldStartRatio)} of requests)`],
    ['p50', 'Latency p50', fmt.ms(r.latencyMs.p50)],
    ['p95', 'Latency p95', fmt.ms(r.latencyMs.p95)],
    ['p99', 'Latency p99', fmt.ms(r.latencyMs.p99)],
    ['max', 'Latency max', fmt.ms(r.latencyMs.max)],
    ['status', 'Status codes', statuses.map(([code, n]) => `${code}: ${fmt.count(n)}`).join(' · ') || '—'],
    ['instances', 'Instances', `peak ${fmt.count(r.instances.peak)} · mean ${num(r.instances.mean, 2)}`],
    [
      'instance-seconds',
      'Instance-seconds',
      `${num(r.instanceSeconds.active, 1)} s active · ${num(r.instanceSeconds.idle, 1)} s idle${life > 0 ? ` (${fmt.pct(r.instanceSeconds.active / life)} active)` : ''}`,
    ],
  ]
  const body = rows.map(([key, label, value]) => `<tr data-key="${key}"><th>${label}</th><td>${escapeHtml(value)}</td></tr>`).join('\n')
  return `<section><h2>Summary</h2><table data-testid="summary">${body}</table>
<p class="note">Latency is from arrival to the end of the response: queueing and cold starts included.</p></section>`
}

function gridTable(results: SimResult[], labels: string[], varying: string[], providers: string[]): string {
  const head = ['Run', ...varying, 'Requests', 'Cold starts', 'p95', 'Peak instances', ...providers.map((p) => `${p} $/month`)]
  const rows = results.map((r, i) => {
    const cells = [
      ...varying.map((k) => `<td>${escapeHtml(setting(r.settings[k]))}</td>`),
      `<td class="num">${fmt.count(r.requests)}</td>`,
      `<td class="num">${fmt.pct(r.coldStartRatio)}</td>`,
      `<td class="num">${fmt.ms(r.latencyMs.p95)}</td>`,
      `<td class="num">${fmt.count(r.instances.peak)}</td>`,
      ...providers.map((p) => `<td class="num" data-provider="${escapeHtml(p)}">${r.cost[p] ? fmt.usd(r.cost[p].usdPerMonth) : '—'}</td>`),
    ]
    return `<tr data-row="${i}"><td><span class="swatch" style="background:${COLORS[i % COLORS.length]}"></span>${escapeHtml(labels[i])}</td>${cells.join('')}</tr>`
  })
  return `<section><h2>Runs</h2><table data-testid="grid"><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>
<tbody>${rows.join('\n')}</tbody></table></section>`
}

const bar = (value: number, max: number) => `<div class="bar"><span style="width:${max > 0 ? ((100 * Math.max(0, value)) / max).toFixed(1) : 0}%"></span></div>`

function costSection(results: SimResult[], labels: string[], providers: string[], grid: boolean): string {
  if (providers.length === 0) return '<section><h2>Cost</h2><p class="note" data-testid="cost">No cost figures in this run.</p></section>'
  const figures = results.flatMap((r) => Object.values(r.cost))
  const max = Math.max(0, ...figures.map((f) => f.usdPerMonth))
  const cheapest = (r: SimResult) => Math.min(...Object.values(r.cost).map((f) => f.usdPerMonth))
  let body: string
  if (!grid) {
    const r = results[0]!
    body = `<thead><tr><th>Provider</th><th>Per month</th><th></th><th>For the trace</th><th>Basis</th><th>Prices</th></tr></thead><tbody>
${providers
  .map((p) => {
    const f = r.cost[p]!
    const tag = providers.length > 1 && f.usdPerMonth === cheapest(r) ? '<span class="cheapest">cheapest</span>' : ''
    return `<tr data-provider="${escapeHtml(p)}"><td>${escapeHtml(p)}${tag}</td><td class="num">${fmt.usd(f.usdPerMonth)}</td><td>${bar(f.usdPerMonth, max)}</td><td class="num">${fmt.usd(f.usd)}</td><td>${escapeHtml(f.basis)}</td><td>${escapeHtml(f.source)}</td></tr>`
  })
  .join('\n')}</tbody>`
  } else {
    body = providers
      .map((p) => {
        const priced = results.map((r, i) => ({ f: r.cost[p], i })).filter((x) => x.f)
        const notes = unique(priced.map((x) => `${x.f!.basis} — prices: ${x.f!.source}`))
        const rows = priced.map(
          ({ f, i }) =>
            `<tr data-provider="${escapeHtml(p)}" data-row="${i}"><td><span class="swatch" style="background:${COLORS[i % COLORS.length]}"></span>${escapeHtml(labels[i])}</td><td class="num">${fmt.usd(f!.usdPerMonth)}</td><td>${bar(f!.usdPerMonth, max)}</td><td class="num">${fmt.usd(f!.usd)}</td></tr>`,
        )
        return `<tbody><tr><th colspan="4"><h3>${escapeHtml(p)}</h3><span class="note">${notes.map(escapeHtml).join('<br>')}</span></th></tr>
${rows.join('\n')}</tbody>`
      })
      .join('\n')
    body = `<thead><tr><th>Run</th><th>Per month</th><th></th><th>For the trace</th></tr></thead>${body}`
  }
  return `<section><h2>Cost</h2><table data-testid="cost">${body}</table>
<p class="note">Per month: the trace's rate kept up for 30 days. Bars share one scale.</p></section>`
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`

/** The whole page, self-contained: open it from disk, no network. */
export function renderHtml(report: HtmlReport): string {
  const { results } = report
  if (results.length === 0) throw new Error('renderHtml: no results to report')
  const grid = results.length > 1 // `grid: true` with one row reads best as a single run
  const varying = grid ? varyingKeys(results) : []
  const labels = results.map((r, i) => {
    const text = `#${i + 1}${varying.length ? ` ${settingsText(r.settings, varying)}` : ''}`
    return text.length > 60 ? `${text.slice(0, 59)}…` : text
  })
  const providers = unique(results.flatMap((r) => Object.keys(r.cost)))
  const title = report.title ?? `sls-run simulate: ${unique(results.map((r) => r.service)).join(', ')}${grid ? ` (grid of ${results.length})` : ''}`
  const assets = uplotAssets()
  const scripts = [inlineScript(assets.js), inlineScript(PAGE_SCRIPT)]
  const data = { grid, labels, colors: results.map((_, i) => COLORS[i % COLORS.length]), results }
  const csp = `default-src 'none'; script-src ${scripts.map(sha256).join(' ')}; style-src 'unsafe-inline'; img-src data:`
  const chart = (id: string, heading: string, note: string) => `<section><h2>${heading}</h2><p class="note">${note}</p><div id="${id}" class="chart" data-testid="${id}"></div></section>`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<style>${inlineStyle(assets.css)}</style>
<style>${inlineStyle(PAGE_CSS)}</style>
</head>
<body>
${header(report, grid, title, varying)}
<main>
${grid ? gridTable(results, labels, varying, providers) : summary(results[0]!)}
${chart('instances-chart', 'Instances over time', grid ? 'Per run: desired (dashed) and actual (solid: starting + ready) instances.' : 'Desired (dashed): what the autoscaler asked for. Actual (solid): starting + ready instances.')}
${chart('latency-chart', 'Latency CDF', 'Share of requests answered within a latency, queueing and cold starts included.')}
${costSection(results, labels, providers, grid)}
</main>
<script type="application/json" id="sim-data">${scriptJson(data)}</script>
${scripts.map((s) => `<script>${s}</script>`).join('\n')}
</body>
</html>
`
}
