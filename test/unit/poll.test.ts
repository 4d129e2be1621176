import { describe, expect, it } from 'vitest'
import { poll } from '../../src/runtime/poll.js'
import { waitFor } from '../helpers/wait.js'

const never = () => undefined
const timedOut = () => new Error('timed out')

describe('poll', () => {
  it('returns the first value an attempt yields (anything but undefined: false too)', async () => {
    const seen: unknown[] = []
    const values = [undefined, undefined, false]
    expect(await poll(() => (seen.push(1), values.shift()), { deadline: Date.now() + 1000, intervalMs: 1, timedOut })).toBe(false)
    expect(seen).toHaveLength(3)
  })
  it('attempts once more after the deadline has passed, then throws the timeout error', async () => {
    let attempts = 0
    await expect(poll(() => void attempts++, { deadline: Date.now() - 1, intervalMs: 1, timedOut })).rejects.toThrow('timed out')
    expect(attempts).toBe(1)
  })
  it('checks the signal before every attempt, and ends with the abort error', async () => {
    const abort = new AbortController()
    let attempts = 0
    const waiting = poll(() => (++attempts === 3 ? void abort.abort() : undefined), {
      deadline: Date.now() + 10_000,
      intervalMs: 1,
      signal: abort.signal,
      timedOut,
      aborted: () => new Error('start aborted'),
    })
    await expect(waiting).rejects.toThrow('start aborted')
    expect(attempts).toBe(3)
    await expect(poll(never, { deadline: Date.now() + 1000, intervalMs: 1, signal: AbortSignal.abort(), timedOut })).rejects.toThrow('aborted')
  })
  it('ends with the error of an attempt that throws', async () => {
    await expect(poll(() => Promise.reject(new Error('the child exited')), { deadline: Date.now() + 1000, intervalMs: 1, timedOut })).rejects.toThrow('the child exited')
  })
})

describe("waitFor (the tests' polling helper)", () => {
  it('returns the first truthy value', async () => {
    let n = 0
    expect(await waitFor(() => (++n >= 3 ? n : 0), 1000, 1)).toBe(3)
  })
  it('fails naming what it waited for and for how long: the description, else the probe itself', async () => {
    await expect(waitFor(() => false, 30, 5, 'the port')).rejects.toThrow('timed out after 30 ms waiting for the port')
    await expect(waitFor(() => [].length > 0, 30, 5)).rejects.toThrow('timed out after 30 ms waiting for `() => [].length > 0`')
    const log = 'last line'
    await expect(
      waitFor(
        () => undefined,
        30,
        5,
        () => `a listening event:\n${log}`,
      ),
    ).rejects.toThrow('timed out after 30 ms waiting for a listening event:\nlast line')
  })
})
