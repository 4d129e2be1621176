import { readFileSync } from 'node:fs'
import { poll } from '../../src/runtime/poll.js'

/**
 * The tests' one polling helper: polls `probe` every `intervalMs` until it returns something truthy
 * (returned), or throws after `ms` saying what it waited for: `what` (a function is called then, so
 * it can add what the wait saw, e.g. a log), else the probe's own source. A probe that throws ends
 * the wait with its error (to fail at once, e.g. when the child exited).
 */
export function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, ms = 10_000, intervalMs = 50, what?: string | (() => string)): Promise<T> {
  return poll(async () => (await probe()) || undefined, {
    deadline: Date.now() + ms,
    intervalMs,
    timedOut: () => new Error(`timed out after ${ms} ms waiting for ${typeof what === 'function' ? what() : (what ?? sourceOf(probe))}`),
  })
}

/** A probe as its source, on one line: `() => events().some((e) => e.type === "reload")`. */
function sourceOf(probe: () => unknown): string {
  const source = probe.toString().replace(/\s+/g, ' ')
  return `\`${source.length > 200 ? `${source.slice(0, 200)}…` : source}\``
}

/** A process that runs (not a zombie waiting for its parent to reap it). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return false
  }
}
