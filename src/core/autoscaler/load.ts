/**
 * The observed concurrency an autoscaler averages: requests in flight plus requests waiting, as a step
 * function of time, and its exact time-weighted average over any window up to the meter's horizon.
 * No timers: the caller says what changed and when (the live pool with the system clock, `simulate`
 * with a simulated one), so both observe the same numbers.
 *
 * As Knative's metric buckets do, a window counts from the first observation after a quiet spell (no
 * instance and no request) at least as long as the window: a burst after scale to zero is averaged over
 * the time since it began, not diluted by the idle minutes before it.
 *
 * `resolutionMs` bounds the history a busy service keeps (the live pool sees every request twice: tens of
 * thousands of changes a second, kept for the longest window): the integral up to now stays exact, but at
 * most one change point is kept per `resolutionMs`, moved to the last change within it. The area up to a
 * window's start is then exact except when the start falls inside such a span, where it is off by at most
 * (the concurrency's swing in that span) × `resolutionMs`: for a 60 s window and 1 ms, 1/60 000 of that swing.
 * 0 (the default, and the simulator's): every change is kept, every average exact.
 */
export class LoadMeter {
  /** Step changes, oldest first from `head`: at time `at[i]` the value became `value[i]`; `area[i]` = ∫ up to at[i]. */
  private at: number[] = []
  private value: number[] = []
  private area: number[] = []
  private head = 0
  private current = 0
  private dataSince: number
  /** Quiet spells (no instance, no request) that ended within the horizon: [from, to]. */
  private gaps: Array<[number, number]> = []
  private quietSince: number | undefined
  /** When the last change point was made (changes until this + resolutionMs move it instead of adding one). */
  private pointOpenedAt: number

  constructor(
    start: number,
    /** The longest window anyone will ask for; older history is dropped. */
    private readonly horizonMs: number,
    private readonly resolutionMs = 0,
  ) {
    this.pointOpenedAt = start
    this.dataSince = start
    this.at.push(start)
    this.value.push(0)
    this.area.push(0)
    this.quietSince = start
  }

  /** Requests in flight + waiting right now. */
  get concurrency(): number {
    return this.current
  }

  /** The demand is now `value` with `instances` live (starting or ready) instances. */
  set(now: number, value: number, instances: number): void {
    const quiet = value === 0 && instances === 0
    if (!quiet && this.quietSince !== undefined) {
      if (now - this.quietSince >= this.horizonMs) {
        this.dataSince = now
        this.gaps = []
      } else if (now > this.quietSince) this.gaps.push([this.quietSince, now])
      this.quietSince = undefined
    } else if (quiet && this.quietSince === undefined) this.quietSince = now
    if (value === this.current) return
    const last = this.at.length - 1
    const area = this.area[last]! + this.value[last]! * (now - this.at[last]!)
    this.current = value
    if (last > this.head && now - this.pointOpenedAt < this.resolutionMs) {
      // Within the last point's span: move it here (the integral stays exact).
      this.at[last] = now
      this.area[last] = area
      this.value[last] = value
      return
    }
    this.area.push(area)
    this.at.push(now)
    this.value.push(value)
    this.pointOpenedAt = now
    this.prune(now)
  }

  /** Time-weighted average over the last `windowMs` (rounded to 6 digits, as Knative's are). */
  average(windowMs: number, now: number): number {
    let from = Math.max(now - windowMs, this.dataSince)
    for (const [gapFrom, gapTo] of this.gaps) if (gapTo - gapFrom >= windowMs && gapTo > from) from = gapTo
    if (this.quietSince !== undefined && now - this.quietSince >= windowMs) return 0
    if (now <= from) return this.current
    return Math.round(((this.areaAt(now) - this.areaAt(from)) / (now - from)) * 1e6) / 1e6
  }

  private areaAt(t: number): number {
    let lo = this.head
    let hi = this.at.length - 1
    if (t <= this.at[lo]!) return this.area[lo]!
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (this.at[mid]! <= t) lo = mid
      else hi = mid - 1
    }
    return this.area[lo]! + this.value[lo]! * (t - this.at[lo]!)
  }

  private prune(now: number): void {
    const keepFrom = now - this.horizonMs
    while (this.head + 1 < this.at.length && this.at[this.head + 1]! <= keepFrom) this.head++
    if (this.head > 4096 && this.head * 2 > this.at.length) {
      this.at = this.at.slice(this.head)
      this.value = this.value.slice(this.head)
      this.area = this.area.slice(this.head)
      this.head = 0
    }
    while (this.gaps.length && this.gaps[0]![1] < keepFrom) this.gaps.shift()
  }
}
