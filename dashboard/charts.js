// Hand-written SVG step charts (no library): values hold from one sample to the next.
import { fill, s } from './dom.js'

const W = 420
const H = 130
const LEFT = 30
const RIGHT = 6
const TOP = 18
const BOTTOM = 16

/**
 * Draws `series` ([{ key, label, cls, overlay? }]) of `samples` ([{ at, [key]: number }]) over the last
 * `spanMs`, stacked (areas) or as lines, into `svg`. Overlay series (listed last) are drawn as lines on
 * top of the stack, not stacked. The last values are also set as data-* attributes.
 */
export function stepChart(svg, samples, series, { stacked = false, spanMs = 5 * 60_000, now = Date.now() } = {}) {
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`)
  const t1 = Math.max(now, samples.at(-1)?.at ?? now)
  const t0 = t1 - spanMs
  // The samples in view, plus the last one before it (its value holds into the view).
  let first = samples.findIndex((p) => p.at >= t0)
  if (first === -1) first = samples.length
  const view = samples.slice(Math.max(0, first - 1))
  const x = (t) => LEFT + ((Math.max(t, t0) - t0) / spanMs) * (W - LEFT - RIGHT)
  const stack = stacked ? series.filter((sr) => !sr.overlay).length : 0
  const layers = series.map((sr, k) => view.map((p) => (k < stack ? series.slice(0, k + 1).reduce((sum, below) => sum + (p[below.key] ?? 0), 0) : (p[sr.key] ?? 0))))
  const peak = Math.max(1, ...layers.flat())
  const ymax = peak <= 5 ? Math.ceil(peak) : Math.ceil(peak / 5) * 5
  const y = (v) => H - BOTTOM - (v / ymax) * (H - BOTTOM - TOP)
  const steps = (values) =>
    values.flatMap((v, i) => [
      [x(view[i].at), y(v)],
      [x(view[i + 1]?.at ?? t1), y(v)],
    ])
  const line = (points) => points.map(([px, py], i) => `${i ? 'L' : 'M'}${px.toFixed(1)},${py.toFixed(1)}`).join('')

  const nodes = [
    s('line', { x1: LEFT, x2: W - RIGHT, y1: y(0), y2: y(0), class: 'axis' }),
    s('line', { x1: LEFT, x2: W - RIGHT, y1: y(ymax), y2: y(ymax), class: 'grid' }),
    s('text', { x: LEFT - 4, y: y(ymax) + 4, class: 'tick', 'text-anchor': 'end' }, ymax),
    s('text', { x: LEFT - 4, y: y(0) + 4, class: 'tick', 'text-anchor': 'end' }, 0),
    s('text', { x: LEFT, y: H - 3, class: 'tick' }, spanMs >= 60_000 ? `−${Math.round(spanMs / 60_000)} min` : `−${Math.round(spanMs / 1000)} s`),
    s('text', { x: W - RIGHT, y: H - 3, class: 'tick', 'text-anchor': 'end' }, 'now'),
  ]
  if (view.length) {
    series.forEach((sr, k) => {
      const top = steps(layers[k])
      if (k < stack) {
        const base = k
          ? steps(layers[k - 1]).reverse()
          : [
              [top.at(-1)[0], y(0)],
              [top[0][0], y(0)],
            ]
        nodes.push(s('path', { d: `${line([...top, ...base])}Z`, class: `area ${sr.cls}` }))
      } else {
        nodes.push(s('path', { d: line(top), class: `line ${sr.cls}` }))
      }
    })
  }
  let lx = LEFT + 4
  for (const sr of series) {
    const last = view.at(-1)?.[sr.key] ?? null
    svg.dataset[sr.key] = String(last ?? '')
    const label = `${sr.label} ${last === null ? '–' : Number.isInteger(last) || last >= 100 ? Math.round(last) : last.toFixed(1)}`
    nodes.push(s('rect', { x: lx, y: 4, width: 9, height: 9, class: `swatch ${sr.cls}` }), s('text', { x: lx + 12, y: 12, class: 'legend' }, label))
    lx += 24 + label.length * 6.5
  }
  if (stack) svg.dataset.peak = String(Math.max(0, ...layers[stack - 1]))
  fill(svg, ...nodes)
}
