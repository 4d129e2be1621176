/**
 * Service times for traces that have none of their own: the generators (`service=`) and the Azure
 * Functions invocation counts (`serviceTime`). Three forms, durations as in sls-run.yaml (units.ts):
 *   `120ms`        fixed: every request takes 120 ms
 *   `50ms-200ms`   uniform between the two (inclusive of the first, exclusive of the second)
 *   `~100ms`       lognormal with that median; its spread is `sigma` (σ of the log, default 0.5),
 *                  so the mean is median · e^(σ²/2) (≈ 113 ms for ~100ms, σ 0.5)
 */
import { durationHint, parseDuration } from '../../config/units.js'
import type { Random } from './random.js'

export const DEFAULT_SERVICE_TIME = '100ms'
export const DEFAULT_SIGMA = 0.5

export interface ServiceTime {
  kind: 'fixed' | 'uniform' | 'lognormal'
  /** As the report shows it: `120ms`, `50ms-200ms`, `~100ms sigma=0.5`. */
  describe: string
  /** The expected service time, ms. */
  meanMs: number
  /** One service time, ms (fixed times draw nothing). */
  sample(random: Random): number
}

/** Why a spec is not a service time, and how to write one. */
export interface ServiceTimeProblem {
  problem: string
  hint: string
}

export const SERVICE_TIME_FORMS = 'a fixed duration (120ms), a uniform range (50ms-200ms) or a lognormal median (~100ms, with sigma=0.5 for its spread)'

/** Parses a service-time spec; `sigma` applies to the lognormal form only (undefined: the default). */
export function parseServiceTime(text: string, sigma?: number): ServiceTime | ServiceTimeProblem {
  if (sigma !== undefined && !text.startsWith('~')) {
    return { problem: `sigma applies to a lognormal service time only (service=~${text.split('-')[0]}), not to ${JSON.stringify(text)}`, hint: `Write the service time as ${SERVICE_TIME_FORMS}.` }
  }
  if (text.startsWith('~')) {
    const median = duration(text.slice(1))
    if (typeof median !== 'number') return median
    if (median <= 0) return { problem: `the lognormal median must be above 0 (got ${JSON.stringify(text)})`, hint: 'e.g. ~100ms' }
    const s = sigma ?? DEFAULT_SIGMA
    if (!(s > 0) || !Number.isFinite(s)) return { problem: `sigma must be a number above 0 (got ${s})`, hint: 'e.g. sigma=0.5' }
    return { kind: 'lognormal', describe: `~${text.slice(1)} sigma=${s}`, meanMs: median * Math.exp((s * s) / 2), sample: (random) => random.lognormal(median, s) }
  }
  const dash = text.indexOf('-')
  if (dash > 0) {
    const low = duration(text.slice(0, dash))
    if (typeof low !== 'number') return low
    const high = duration(text.slice(dash + 1))
    if (typeof high !== 'number') return high
    if (high < low) return { problem: `the range ${JSON.stringify(text)} goes down`, hint: 'Write the shorter duration first, e.g. 50ms-200ms.' }
    return { kind: 'uniform', describe: text, meanMs: (low + high) / 2, sample: (random) => random.uniform(low, high) }
  }
  const fixed = duration(text)
  if (typeof fixed !== 'number') return fixed
  return { kind: 'fixed', describe: text, meanMs: fixed, sample: () => fixed }
}

export function isServiceTimeProblem(value: ServiceTime | ServiceTimeProblem): value is ServiceTimeProblem {
  return 'problem' in value
}

function duration(text: string): number | ServiceTimeProblem {
  const ms = parseDuration(text)
  if (ms !== undefined) return ms
  if (text.startsWith('-')) return { problem: `a service time cannot be negative (got ${JSON.stringify(text)})`, hint: `Write the service time as ${SERVICE_TIME_FORMS}.` }
  return { problem: `${JSON.stringify(text)} is not a duration`, hint: `${durationHint(text)}; a service time is ${SERVICE_TIME_FORMS}` }
}
