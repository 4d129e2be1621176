// The autoscaler's view of a service: its tiles (model, mode, desired and actual instances, observed
// concurrency, why) and the lines of its decision log (`scale` and `scaling-model` events).
import { h, time, tile } from './dom.js'

/** At most two decimals: 0.5333… → "0.53", 0.7 → "0.7". */
const fmt = (v) => String(Math.round(v * 100) / 100)
/** The models' reasons carry raw averages ("average 0.5333333333333333"): shown as fmt does. */
export const tidy = (text) => text.replace(/\d+\.\d{3,}/g, (n) => fmt(Number(n)))
/** Everything the model looked at, for a tooltip: "stableAverage 1.25, panicAverage 3.40, …". */
const observedText = (observed) =>
  Object.entries(observed ?? {})
    .map(([key, v]) => `${key} ${fmt(v)}`)
    .join(', ')

/** The window averages a model decides on (stableAverage → "stable avg 1.25"). */
function averages(observed) {
  const parts = Object.entries(observed)
    .filter(([key]) => key.endsWith('Average'))
    .map(([key, v]) => `${key.slice(0, -'Average'.length)} avg ${fmt(v)}`)
  return parts.length ? parts.join(' · ') : 'in flight + queued now'
}

export function scalingTiles(view) {
  const observed = view.observed ?? {}
  const target = observed.targetPerInstance ?? observed.perReplicaTarget
  const st = view.settings
  const panic = view.mode === 'panic'
  return [
    tile('autoscaling', view.model, target === undefined ? '' : `target ${fmt(target)} per instance`, { 'data-testid': 'scaling-model' }),
    tile('mode', view.mode, panic ? 'never scales down in panic' : '', { 'data-testid': 'scaling-mode', class: panic ? 'panic' : '' }),
    tile('desired', view.desiredInstances, st ? `min ${st.minInstances} · max ${st.maxInstances}` : '', { 'data-testid': 'scaling-desired' }),
    tile('actual', view.actualInstances, 'starting + ready', { 'data-testid': 'scaling-actual' }),
    tile('concurrency', view.concurrency, averages(observed), { 'data-testid': 'scaling-concurrency', title: observedText(observed) }),
    tile('last decision', view.reason ? tidy(view.reason) : '–', '', { 'data-testid': 'scaling-reason', class: 'reason' }),
  ]
}

/** A `scale` event (the desired count changed) or the `scaling-model` line, as an item of the decision log. */
export function decisionItem(at, e) {
  const when = h('span', { class: 'when' }, time(at))
  if (e.type === 'scaling-model') {
    const differs = e.differs.map((d) => `; environment ${d.environment} deploys to ${d.provider}, which ${d.model ? `scales like the ${d.model} model` : 'does not scale per request'}`)
    return h('li', { class: 'muted' }, when, ' ', `scales with the ${e.model} model${e.model === 'instant' ? ' (development: starts at once, stops after idleTimeout)' : ''}`, ...differs)
  }
  const verb = e.desired > e.previous ? 'scaling up' : 'scaling in'
  const live = `${e.actual} live${e.starting ? `, starting ${e.starting}` : ''}`
  return h(
    'li',
    { 'data-decision': '', title: `${e.revision}, ${e.model}: ${observedText(e.observed)}` },
    when,
    ' ',
    e.mode === 'panic' ? h('span', { class: 'badge panic' }, 'panic') : null,
    e.mode === 'panic' ? ' ' : null,
    `${verb} ${e.previous} → ${e.desired} (${live}) — ${tidy(e.reason)}`,
  )
}
