/**
 * Latency percentiles in constant memory: a log-bucketed histogram (1 % wide buckets), so a day of
 * millions of requests needs a few kilobytes. Quantiles are within 1 % of the exact value; max is exact.
 */
const GROWTH = 1.01
const LOG = Math.log(GROWTH)
const BUCKETS = 2400 // up to 1.01^2400 ms ≈ 2.3e10 ms: any request timeout fits

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS)
  count = 0
  max = 0

  add(ms: number): void {
    const b = ms < 1 ? 0 : Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(ms) / LOG))
    this.counts[b]!++
    this.count++
    if (ms > this.max) this.max = ms
  }

  /** The upper edge of the bucket holding the q-quantile (0 for none), capped by the exact max. */
  quantile(q: number): number {
    if (!this.count) return 0
    const rank = Math.ceil(q * this.count)
    let seen = 0
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b]!
      if (seen >= rank) return Math.min(this.max, upper(b))
    }
    return this.max
  }

  /** The cumulative distribution at up to `points` bucket edges (ms, share 0–1). */
  cdf(points = 200): Array<{ ms: number; p: number }> {
    if (!this.count) return []
    const used: number[] = []
    for (let b = 0; b < BUCKETS; b++) if (this.counts[b]) used.push(b)
    const step = Math.max(1, Math.ceil(used.length / points))
    const out: Array<{ ms: number; p: number }> = []
    let seen = 0
    let next = 0
    for (let i = 0; i < used.length; i++) {
      seen += this.counts[used[i]!]!
      if (i === next || i === used.length - 1) {
        out.push({ ms: round(Math.min(this.max, upper(used[i]!))), p: seen / this.count })
        next += step
      }
    }
    return out
  }
}

const upper = (b: number) => (b === 0 ? 1 : GROWTH ** b)
const round = (ms: number) => Math.round(ms * 100) / 100
