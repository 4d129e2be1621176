/**
 * The browser side of the `simulate --html` report: its stylesheet and the inline script that draws
 * the charts with uPlot from the JSON embedded in the page (#sim-data). Kept as strings in a .ts
 * file so they ship in dist/ with the rest of the build (src/ is not in the npm package).
 */

export const PAGE_CSS = `
:root { --bg: #f6f7f9; --panel: #fff; --ink: #1d2330; --muted: #6b7385; --line: #e3e6ec; --bar: #3d6fd8;
  font: 13px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
body { margin: 0; }
header { padding: 12px 18px; background: var(--ink); color: #fff; }
header h1 { font-size: 17px; margin: 0 0 4px; }
header p { margin: 2px 0; color: #d4d9e3; }
header code { color: #fff; }
main { padding: 14px 18px; display: grid; gap: 14px; max-width: 1200px; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; min-width: 0; }
h2 { font-size: 15px; margin: 0 0 8px; }
h3 { font-size: 13px; margin: 12px 0 2px; }
.muted { color: var(--muted); }
.note { margin: 6px 0 0; font-size: 12px; color: var(--muted); }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 3px 10px 3px 0; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; }
td.num { text-align: right; white-space: nowrap; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; }
.bar { width: 220px; height: 12px; background: #eef1f6; border-radius: 2px; }
.bar span { display: block; height: 100%; background: var(--bar); border-radius: 2px; }
.cheapest { font-size: 11px; background: #e3f4ea; color: #1f7a4d; border-radius: 8px; padding: 0 6px; margin-left: 6px; }
.chart { min-height: 320px; }
`

/** Reads #sim-data ({ grid, labels, colors, results }) and draws the instance and latency charts. */
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict'
  var data = JSON.parse(document.getElementById('sim-data').textContent)
  var results = data.results
  var maxDuration = Math.max.apply(null, results.map(function (r) { return r.durationMs / 1000 }))

  // Step functions sampled on the union of their x values: [xs, ys of list 1, ys of list 2, ...].
  function stepAlign(lists, before) {
    var seen = {}
    var xs = []
    lists.forEach(function (pts) { pts.forEach(function (p) { if (!seen[p[0]]) { seen[p[0]] = true; xs.push(p[0]) } }) })
    xs.sort(function (a, b) { return a - b })
    return [xs].concat(lists.map(function (pts) {
      var i = -1
      return xs.map(function (x) {
        while (i + 1 < pts.length && pts[i + 1][0] <= x) i++
        return i < 0 ? before : pts[i][1]
      })
    }))
  }

  function clock(s) {
    if (s == null) return '—'
    if (maxDuration < 120) return (Math.round(s * 10) / 10) + ' s'
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60)
    var mm = (h > 0 && m < 10 ? '0' : '') + m, ss = (sec < 10 ? '0' : '') + sec
    return h > 0 ? h + ':' + mm + ':' + ss : mm + ':' + ss
  }
  function ms(v) { return v == null ? '—' : (v < 10 ? Math.round(v * 100) / 100 : Math.round(v)).toLocaleString('en-US') + ' ms' }
  function pct(v) { return v == null ? '—' : (Math.round(v * 1000) / 10) + '%' }

  function draw(id, opts, rows) {
    var el = document.getElementById(id)
    opts.width = Math.max(300, el.clientWidth)
    opts.height = 300
    var chart = new uPlot(opts, rows, el)
    window.addEventListener('resize', function () { chart.setSize({ width: Math.max(300, el.clientWidth), height: 300 }) })
    el.setAttribute('data-rendered', 'true')
  }

  var stepped = uPlot.paths.stepped({ align: 1 })
  var series = function (label, color, dash) { return { label: label, stroke: color, width: 2, dash: dash, paths: stepped, points: { show: false }, value: function (u, v) { return v == null ? '—' : String(v) } } }

  // Instances over time: desired (dashed) and actual (solid) per run, x in seconds since the trace start.
  var timelines = [], instanceSeries = [{ label: 'time', value: function (u, v) { return clock(v) } }]
  results.forEach(function (r, i) {
    var pts = r.timeline.map(function (p) { return [p.t / 1000, p.desired, p.actual] })
    var last = pts[pts.length - 1]
    if (last && last[0] < r.durationMs / 1000) pts.push([r.durationMs / 1000, last[1], last[2]])
    timelines.push(pts.map(function (p) { return [p[0], p[1]] }), pts.map(function (p) { return [p[0], p[2]] }))
    var prefix = data.grid ? data.labels[i] + ' · ' : ''
    // actual first, so the dashed desired line is drawn over it where they agree
    instanceSeries.push(series(prefix + 'actual', data.colors[i]), series(prefix + 'desired', data.grid ? data.colors[i] : '#e8710a', [6, 4]))
  })
  draw('instances-chart', {
    scales: { x: { time: false }, y: { range: function (u, min, max) { return [0, Math.max(1, Math.ceil(max * 1.1))] } } },
    series: instanceSeries,
    axes: [{ label: 'time since the trace start', values: function (u, splits) { return splits.map(clock) },
      incrs: [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400] },
      { label: 'instances', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] }],
  }, stepAlign(timelines, null))

  // Latency CDF: share of requests answered within x ms; log x when the latencies span a decade or more.
  var cdfs = results.map(function (r) { return r.latencyCdf.map(function (p) { return [p.ms, p.p] }) })
  var positive = [].concat.apply([], cdfs).map(function (p) { return p[0] }).filter(function (x) { return x > 0 })
  var log = positive.length > 0 && Math.max.apply(null, positive) / Math.min.apply(null, positive) >= 10
  if (log) cdfs = cdfs.map(function (pts) { return pts.filter(function (p) { return p[0] > 0 }) })
  var cdfSeries = [{ label: 'latency', value: function (u, v) { return ms(v) } }].concat(results.map(function (r, i) {
    var s = series(data.grid ? data.labels[i] : 'share of requests', data.colors[i])
    s.value = function (u, v) { return pct(v) }
    return s
  }))
  draw('latency-chart', {
    scales: { x: log ? { time: false, distr: 3, log: 10 } : { time: false }, y: { range: [0, 1] } },
    series: cdfSeries,
    axes: [{ label: 'latency (ms' + (log ? ', log scale)' : ')'), values: function (u, splits) { return splits.map(function (v) { return v == null ? '' : v.toLocaleString('en-US') }) } },
      { label: 'share of requests', values: function (u, splits) { return splits.map(pct) } }],
  }, stepAlign(cdfs, 0))
  document.getElementById('latency-chart').setAttribute('data-x-scale', log ? 'log' : 'linear')
})()
`
