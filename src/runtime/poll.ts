/**
 * The one polling loop: an attempt every `intervalMs` until one yields a value, the deadline passes or
 * the signal aborts. Readiness probes (every 1–10 ms during a cold start), port probes and the tests'
 * waitFor all run on it.
 */
export interface PollOptions {
  /** Date.now() from which a failed attempt ends the wait. */
  deadline: number
  /** The wait between attempts; a function gets the time since the first attempt (ms), for a wait that grows. */
  intervalMs: number | ((elapsedMs: number) => number)
  /** Checked before every attempt: aborted, the wait ends with `aborted()`. */
  signal?: AbortSignal
  /** The error once the deadline has passed; called then, so it can say how far the wait got. */
  timedOut: () => Error
  aborted?: () => Error
}

/** Resolves with the first value an attempt yields (anything but undefined); an attempt that throws ends the wait. */
export async function poll<T>(attempt: () => T | undefined | Promise<T | undefined>, options: PollOptions): Promise<T> {
  const { intervalMs } = options
  const started = performance.now()
  while (!options.signal?.aborted) {
    const value = await attempt()
    if (value !== undefined) return value
    if (Date.now() >= options.deadline) throw options.timedOut()
    await new Promise((resolve) => setTimeout(resolve, typeof intervalMs === 'number' ? intervalMs : intervalMs(performance.now() - started)))
  }
  throw options.aborted?.() ?? new Error('aborted')
}
