/**
 * Does a TCP port accept connections yet? One connect attempt (`portAccepts`), or attempts on the
 * shared polling loop until one connects, a deadline passes or a signal aborts (`waitForPort`).
 */
import net from 'node:net'
import { poll } from './poll.js'

/** One connect attempt: true when host:port accepts within `attemptMs` (refused, unreachable or silent: false). */
export function portAccepts(host: string, port: number, attemptMs = 100): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    const done = (open: boolean) => {
      socket.destroy()
      resolve(open)
    }
    socket.setTimeout(attemptMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

export interface WaitForPortOptions {
  /** Date.now() from which a failed attempt ends the wait. */
  deadline: number
  signal?: AbortSignal
  /** Between attempts (10 ms: a cold start's port is seen about as soon as it opens). */
  intervalMs?: number
  /** How long one attempt waits for an answer (a SYN nobody answers). */
  attemptMs?: number
}

/** Resolves with the Date.now() at which host:port accepted; rejects once the deadline passed or the signal aborted. */
export function waitForPort(host: string, port: number, options: WaitForPortOptions): Promise<number> {
  const { deadline, signal, intervalMs = 10, attemptMs = 100 } = options
  return poll(async () => ((await portAccepts(host, port, attemptMs)) ? Date.now() : undefined), {
    deadline,
    intervalMs,
    signal,
    timedOut: () => new Error(`${host}:${port} did not accept a connection in time`),
    aborted: () => new Error(`the wait for ${host}:${port} was aborted`),
  })
}
