/**
 * The load meter with a resolution (src/core/autoscaler/load.ts), as the live pool runs it: bounded history
 * under a request rate far above one change per millisecond, and averages that match an exact meter fed the
 * same changes within the documented bound (the concurrency's swing × resolution / window).
 */
import { describe, expect, it } from 'vitest'
import { LoadMeter } from '../../src/core/autoscaler/load.js'

/** A deterministic busy step function: changes every 0.05 ms between 0 and 31 for `ms`. */
function feed(meters: LoadMeter[], ms: number): void {
  for (let i = 1; i * 0.05 < ms; i++) {
    const value = (i * 13) % 32 // never the same twice in a row
    for (const meter of meters) meter.set(i * 0.05, value, 1)
  }
}

describe('load meter resolution', () => {
  it('keeps at most one point per resolution, and averages within swing × resolution / window of exact', () => {
    const exact = new LoadMeter(0, 60_000)
    const coarse = new LoadMeter(0, 60_000, 1)
    feed([exact, coarse], 3000) // 60 000 changes in 3 s
    const points = (m: LoadMeter) => (m as unknown as { at: number[]; head: number }).at.length - (m as unknown as { head: number }).head
    expect(points(exact)).toBeGreaterThan(50_000)
    expect(points(coarse)).toBeLessThanOrEqual(3001)
    for (const window of [100, 600, 2000, 3000]) {
      for (const now of [2999.99, 3000]) {
        const bound = (31 * 1 * 2) / Math.min(window, now) // a point's span at the window's start, plus rounding room
        expect(Math.abs(coarse.average(window, now) - exact.average(window, now))).toBeLessThanOrEqual(bound)
      }
    }
    expect(coarse.concurrency).toBe(exact.concurrency)
  })

  it('is exact when windows start on kept points (resolution 0 keeps every change)', () => {
    const a = new LoadMeter(0, 10_000)
    a.set(1, 4, 1)
    a.set(1.2, 2, 1)
    a.set(3, 0, 1)
    expect(a.average(3, 3)).toBeCloseTo((0.2 * 4 + 1.8 * 2) / 3, 6)
  })
})
