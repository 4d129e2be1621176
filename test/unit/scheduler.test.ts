import { describe, expect, it } from 'vitest'
import { backoffMs } from '../../src/core/events/backoff.js'
import { MAX_TIMER_MS, Scheduler, schedulerHeaders } from '../../src/core/events/scheduler.js'
import type { ScheduledJob } from '../../src/core/events/scheduler.js'
import type { OutgoingRequest, ScheduleRunEvent, Send, SendResult } from '../../src/core/events/types.js'
import { FakeClock, settle } from '../helpers/fakes.js'

/** The shared fake clock, started at a chosen date; it records the waits asked for and can fire timers late or early. */
class TestClock extends FakeClock {}

interface Call {
  service: string
  request: OutgoingRequest
  signal: AbortSignal | undefined
  at: string
}

/** A reply: a status, a status 0 with its reason, 'throw' (send rejects), or 'hold' (answered by release()). */
type Reply = number | { status: number; error: string } | 'throw' | 'hold'

function fakeSend(clock: TestClock, replies: Reply[] = []) {
  const calls: Call[] = []
  const held: Array<(status: number) => void> = []
  const result = (status: number, error?: string): SendResult => ({
    status,
    headers: {},
    body: Buffer.alloc(0),
    durationMs: 7,
    coldStart: calls.length === 1,
    ...(error === undefined ? {} : { error }),
  })
  const send: Send = async (service, request, signal) => {
    calls.push({ service, request, signal, at: new Date(clock.now()).toISOString() })
    const reply = replies.shift() ?? 200
    if (reply === 'throw') throw new Error('socket hang up')
    if (reply === 'hold') {
      return new Promise<SendResult>((resolve) => {
        held.push((status) => resolve(result(status)))
        signal?.addEventListener('abort', () => resolve(result(0, 'aborted')))
      })
    }
    return typeof reply === 'number' ? result(reply) : result(reply.status, reply.error)
  }
  const release = (status = 200) => {
    const next = held.shift()
    if (!next) throw new Error('no held request')
    next(status)
  }
  return { send, calls, release, scheduleTimes: () => calls.map((c) => c.request.headers['X-CloudScheduler-ScheduleTime']) }
}

const noRetry = { count: 0, minBackoff: 5000, maxBackoff: 3_600_000, maxDoublings: 5 }

function job(over: Partial<ScheduledJob> = {}): ScheduledJob {
  return { service: 'api', name: 'report', cron: '* * * * *', timezone: 'Etc/UTC', method: 'POST', path: '/tasks/report', headers: {}, retry: noRetry, ...over }
}

function setup(jobs: ScheduledJob[], replies: Reply[] = [], start = '2026-01-10T10:00:30Z') {
  const clock = new TestClock(start)
  const fake = fakeSend(clock, replies)
  const events: ScheduleRunEvent[] = []
  const scheduler = new Scheduler({ jobs, send: fake.send, clock, onEvent: (e) => events.push(e) })
  return { clock, scheduler, events, ...fake }
}

describe('Scheduler', () => {
  it('fires at each tick with Cloud Scheduler headers, method, path and body, and re-arms', async () => {
    const j = job({ cron: '*/15 * * * *', path: '/tasks/report?x=1', body: '{"a":1}', headers: { 'X-Custom': 'yes' } })
    const { clock, scheduler, calls, events } = setup([j], [], '2026-01-10T10:07:00Z')
    scheduler.start()
    await clock.advanceTo('2026-01-10T10:14:59.999Z')
    expect(calls).toHaveLength(0)
    await clock.advanceTo('2026-01-10T10:15:00Z')
    expect(calls).toHaveLength(1)
    expect(calls[0]).toMatchObject({ service: 'api', at: '2026-01-10T10:15:00.000Z', request: { method: 'POST', path: '/tasks/report?x=1', body: '{"a":1}' } })
    expect(calls[0]?.request.headers).toEqual({
      'User-Agent': 'Google-Cloud-Scheduler',
      'X-CloudScheduler': 'true',
      'X-CloudScheduler-JobName': 'report',
      'X-CloudScheduler-ScheduleTime': '2026-01-10T10:15:00.000Z',
      'Content-Type': 'application/octet-stream',
      'X-Custom': 'yes',
    })
    expect(events).toEqual([{ type: 'schedule', service: 'api', name: 'report', scheduledAt: '2026-01-10T10:15:00.000Z', attempt: 1, outcome: 'ok', status: 200, durationMs: 7, coldStart: true }])
    await clock.advanceTo('2026-01-10T11:00:00Z')
    expect(calls.map((c) => c.at)).toEqual(['2026-01-10T10:15:00.000Z', '2026-01-10T10:30:00.000Z', '2026-01-10T10:45:00.000Z', '2026-01-10T11:00:00.000Z'])
    await scheduler.stop()
  })

  it("headers: the job's own win whatever their case; no Content-Type without a body", () => {
    const own = schedulerHeaders(job({ body: '{}', headers: { 'content-type': 'application/json', 'user-agent': 'mine' } }), Date.parse('2026-01-10T10:00:00Z'))
    expect(own).toEqual({
      'X-CloudScheduler': 'true',
      'X-CloudScheduler-JobName': 'report',
      'X-CloudScheduler-ScheduleTime': '2026-01-10T10:00:00.000Z',
      'content-type': 'application/json',
      'user-agent': 'mine',
    })
    expect(schedulerHeaders(job({ method: 'GET' }), 0)).not.toHaveProperty('Content-Type')
  })

  it('re-arms from the tick, not from now: a stalled timer catches up without skipping, an early one does not fire twice', async () => {
    const late = setup([job()])
    late.clock.stallNext = 90_000 // the 10:01 timer fires at 10:02:30
    late.scheduler.start()
    await late.clock.advanceTo('2026-01-10T10:03:00Z')
    expect(late.scheduleTimes()).toEqual(['2026-01-10T10:01:00.000Z', '2026-01-10T10:02:00.000Z', '2026-01-10T10:03:00.000Z'])
    expect(late.calls.map((c) => c.at)).toEqual(['2026-01-10T10:02:30.000Z', '2026-01-10T10:02:30.000Z', '2026-01-10T10:03:00.000Z'])
    await late.scheduler.stop()

    const early = setup([job()])
    early.clock.early = 1 // timers fire 1 ms before they are due
    early.scheduler.start()
    await early.clock.advanceTo('2026-01-10T10:03:30Z')
    expect(early.scheduleTimes()).toEqual(['2026-01-10T10:01:00.000Z', '2026-01-10T10:02:00.000Z', '2026-01-10T10:03:00.000Z'])
    expect(early.calls.map((c) => c.at)).toEqual(['2026-01-10T10:01:00.000Z', '2026-01-10T10:02:00.000Z', '2026-01-10T10:03:00.000Z'])
    await early.scheduler.stop()
  })

  it('waits longer than 2^31-1 ms are armed in chunks and still fire on time', async () => {
    const { clock, scheduler, scheduleTimes } = setup([job({ cron: '0 0 1 1 *' })], [], '2026-01-01T00:00:30Z')
    scheduler.start()
    expect(Math.max(...clock.requested)).toBeLessThanOrEqual(MAX_TIMER_MS)
    expect(scheduler.list()[0]?.nextRunAt).toBe('2027-01-01T00:00:00.000Z')
    await clock.advanceTo('2026-12-31T23:59:59.999Z')
    expect(scheduleTimes()).toEqual([])
    await clock.advanceTo('2027-01-01T00:00:00Z')
    expect(scheduleTimes()).toEqual(['2027-01-01T00:00:00.000Z'])
    expect(clock.requested.length).toBeGreaterThan(2)
    expect(Math.max(...clock.requested)).toBeLessThanOrEqual(MAX_TIMER_MS)
    await scheduler.stop()
  })

  it('retries 5xx with doubling up to the cap: waits 5s, 10s, 20s, 30s, 30s (backoffMs), then failed', async () => {
    const retry = { count: 5, minBackoff: 5000, maxBackoff: 30_000, maxDoublings: 5 }
    const { clock, scheduler, calls, events } = setup([job({ cron: '0 * * * *', retry })], [503, 503, 500, 503, 503, 503], '2026-01-10T09:59:00Z')
    scheduler.start()
    await clock.advanceTo('2026-01-10T10:00:00Z')
    expect(calls).toHaveLength(1)
    await clock.advance(4999)
    expect(calls).toHaveLength(1)
    await clock.advance(1)
    expect(calls).toHaveLength(2)
    await clock.advanceTo('2026-01-10T10:05:00Z')
    const offsets = calls.map((c) => Date.parse(c.at) - Date.parse('2026-01-10T10:00:00Z'))
    expect(offsets).toEqual([0, 5000, 15_000, 35_000, 65_000, 95_000])
    expect(events.map((e) => e.nextInMs)).toEqual([5000, 10_000, 20_000, 30_000, 30_000, undefined])
    expect(events.slice(0, 5).map((e) => e.nextInMs)).toEqual([1, 2, 3, 4, 5].map((n) => backoffMs(n, retry)))
    expect(events.map((e) => [e.attempt, e.outcome, e.status])).toEqual([
      [1, 'retry', 503],
      [2, 'retry', 503],
      [3, 'retry', 500],
      [4, 'retry', 503],
      [5, 'retry', 503],
      [6, 'failed', 503],
    ])
    expect(new Set(events.map((e) => e.scheduledAt))).toEqual(new Set(['2026-01-10T10:00:00.000Z']))
    // Every try carries the tick's schedule time.
    expect(new Set(calls.map((c) => c.request.headers['X-CloudScheduler-ScheduleTime']))).toEqual(new Set(['2026-01-10T10:00:00.000Z']))
    await scheduler.stop()
  })

  it('after maxDoublings the wait grows by the last doubled step (10s): 5s, 10s, 20s, 30s', async () => {
    const retry = { count: 4, minBackoff: 5000, maxBackoff: 3_600_000, maxDoublings: 1 }
    const { clock, scheduler, events } = setup([job({ cron: '0 * * * *', retry })], [503, 503, 503, 503, 200], '2026-01-10T09:59:00Z')
    scheduler.start()
    await clock.advanceTo('2026-01-10T10:05:00Z')
    expect(events.map((e) => e.nextInMs)).toEqual([5000, 10_000, 20_000, 30_000, undefined])
    expect(events.slice(0, 4).map((e) => e.nextInMs)).toEqual([1, 2, 3, 4].map((n) => backoffMs(n, retry)))
    expect(events.at(-1)).toMatchObject({ attempt: 5, outcome: 'ok', status: 200 })
    await scheduler.stop()
  })

  it('a non-retryable 4xx fails at once, without retry', async () => {
    const retry = { count: 3, minBackoff: 1000, maxBackoff: 10_000, maxDoublings: 2 }
    const { clock, scheduler, calls, events } = setup([job({ cron: '0 * * * *', retry })], [404], '2026-01-10T09:59:00Z')
    scheduler.start()
    await clock.advanceTo('2026-01-10T10:30:00Z')
    expect(calls).toHaveLength(1)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ attempt: 1, outcome: 'failed', status: 404 })
    expect(events[0]).not.toHaveProperty('nextInMs')
    await scheduler.stop()
  })

  it('no answer (status 0, or send rejecting) and 429 are retried', async () => {
    const retry = { count: 3, minBackoff: 1000, maxBackoff: 10_000, maxDoublings: 2 }
    const replies: Reply[] = [{ status: 0, error: 'connect ECONNREFUSED' }, 'throw', 429, 204]
    const { clock, scheduler, calls, events } = setup([job({ cron: '0 * * * *', retry })], replies, '2026-01-10T09:59:00Z')
    scheduler.start()
    await clock.advanceTo('2026-01-10T10:01:00Z')
    expect(calls).toHaveLength(4)
    expect(events.map((e) => [e.attempt, e.outcome, e.status, e.error, e.nextInMs])).toEqual([
      [1, 'retry', 0, 'connect ECONNREFUSED', 1000],
      [2, 'retry', 0, 'socket hang up', 2000],
      [3, 'retry', 429, undefined, 4000],
      [4, 'ok', 204, undefined, undefined],
    ])
    await scheduler.stop()
  })

  it('overlap: a tick during an execution waits for it (keeping its schedule time); further ticks are skipped', async () => {
    const { clock, scheduler, calls, release, scheduleTimes } = setup([job()], ['hold'])
    scheduler.start()
    await clock.advanceTo('2026-01-10T10:01:00Z')
    expect(calls).toHaveLength(1)
    await clock.advanceTo('2026-01-10T10:03:30Z') // ticks 10:02 and 10:03 come while 10:01 is outstanding
    expect(calls).toHaveLength(1)
    release(200)
    await settle()
    expect(scheduleTimes()).toEqual(['2026-01-10T10:01:00.000Z', '2026-01-10T10:02:00.000Z'])
    expect(calls[1]?.at).toBe('2026-01-10T10:03:30.000Z')
    await clock.advanceTo('2026-01-10T10:04:00Z')
    expect(scheduleTimes()).toEqual(['2026-01-10T10:01:00.000Z', '2026-01-10T10:02:00.000Z', '2026-01-10T10:04:00.000Z'])
    await scheduler.stop()
  })

  it('overlap: retries keep the execution outstanding across ticks', async () => {
    const retry = { count: 2, minBackoff: 50_000, maxBackoff: 3_600_000, maxDoublings: 5 }
    const { clock, scheduler, calls, events, scheduleTimes } = setup([job({ retry })], [503, 503, 200, 200, 200])
    scheduler.start()
    await clock.advanceTo('2026-01-10T10:04:00Z')
    // 10:01 tries at 10:01:00, 10:01:50, 10:03:30; tick 10:02 waits until 10:03:30; tick 10:03 is skipped.
    expect(calls.map((c) => c.at)).toEqual(['2026-01-10T10:01:00.000Z', '2026-01-10T10:01:50.000Z', '2026-01-10T10:03:30.000Z', '2026-01-10T10:03:30.000Z', '2026-01-10T10:04:00.000Z'])
    expect(scheduleTimes()).toEqual(['2026-01-10T10:01:00.000Z', '2026-01-10T10:01:00.000Z', '2026-01-10T10:01:00.000Z', '2026-01-10T10:02:00.000Z', '2026-01-10T10:04:00.000Z'])
    expect(events.map((e) => e.outcome)).toEqual(['retry', 'retry', 'ok', 'ok', 'ok'])
    await scheduler.stop()
  })

  it('runNow fires at once (manual, ScheduleTime = now) with the same retries and resolves with the last try', async () => {
    const retry = { count: 2, minBackoff: 5000, maxBackoff: 60_000, maxDoublings: 5 }
    const { clock, scheduler, calls, events } = setup([job({ cron: '0 0 * * *', retry })], [500, 201])
    scheduler.start()
    await clock.advanceTo('2026-01-10T10:00:42.5Z')
    const run = scheduler.runNow('api', 'report')
    await settle()
    expect(calls).toHaveLength(1)
    expect(calls[0]?.request.headers['X-CloudScheduler-ScheduleTime']).toBe('2026-01-10T10:00:42.500Z')
    await clock.advance(5000)
    const last = await run
    expect(last).toMatchObject({ attempt: 2, outcome: 'ok', status: 201, manual: true, scheduledAt: '2026-01-10T10:00:42.500Z' })
    expect(events.map((e) => [e.attempt, e.outcome, e.manual])).toEqual([
      [1, 'retry', true],
      [2, 'ok', true],
    ])
    expect(calls[1]?.at).toBe('2026-01-10T10:00:47.500Z')
    await scheduler.stop()
  })

  it('runNow runs even while a scheduled execution is outstanding', async () => {
    const { clock, scheduler, calls, release } = setup([job()], ['hold', 200])
    scheduler.start()
    await clock.advanceTo('2026-01-10T10:01:00Z')
    const manual = await scheduler.runNow('api', 'report')
    expect(calls).toHaveLength(2)
    expect(manual).toMatchObject({ outcome: 'ok', manual: true })
    release(200)
    await scheduler.stop()
  })

  it('runNow of an unknown job throws, listing the jobs', async () => {
    const { scheduler } = setup([job(), job({ service: 'worker', name: 'cleanup' })])
    await expect(scheduler.runNow('api', 'nope')).rejects.toThrow('no scheduled job "api/nope" (jobs: api/report, worker/cleanup)')
  })

  it('stop aborts in-flight sends, resolves once they settled, and no tick follows', async () => {
    const { clock, scheduler, calls, events } = setup([job()], ['hold'])
    scheduler.start()
    await clock.advanceTo('2026-01-10T10:01:00Z')
    expect(calls).toHaveLength(1)
    const signal = calls[0]?.signal
    expect(signal?.aborted).toBe(false)
    await scheduler.stop()
    expect(signal?.aborted).toBe(true)
    expect(events).toEqual([]) // the aborted try is not reported after stop
    expect(clock.pending).toBe(0)
    await clock.advanceTo('2026-01-10T10:10:00Z')
    expect(calls).toHaveLength(1)
    await expect(scheduler.runNow('api', 'report')).rejects.toThrow('stopped')
  })

  it('stop during a retry wait ends the execution without another try', async () => {
    const retry = { count: 3, minBackoff: 10_000, maxBackoff: 60_000, maxDoublings: 5 }
    const { clock, scheduler, calls, events } = setup([job({ retry })], [503])
    scheduler.start()
    await clock.advanceTo('2026-01-10T10:01:02Z')
    expect(events.map((e) => e.outcome)).toEqual(['retry'])
    await scheduler.stop()
    expect(clock.pending).toBe(0)
    await clock.advance(3_600_000)
    expect(calls).toHaveLength(1)
  })

  it('list() shows nextRunAt and lastRun', async () => {
    const { clock, scheduler } = setup([job({ cron: '*/5 * * * *', timezone: 'Europe/Berlin' }), job({ name: 'never', cron: '0 0 30 2 *' })], [503])
    expect(scheduler.list()).toEqual([
      { service: 'api', name: 'report', cron: '*/5 * * * *', timezone: 'Europe/Berlin', nextRunAt: '2026-01-10T10:05:00.000Z', lastRun: null },
      { service: 'api', name: 'never', cron: '0 0 30 2 *', timezone: 'Etc/UTC', nextRunAt: null, lastRun: null },
    ])
    scheduler.start()
    await clock.advanceTo('2026-01-10T10:05:00Z')
    const [report] = scheduler.list()
    expect(report?.nextRunAt).toBe('2026-01-10T10:10:00.000Z')
    expect(report?.lastRun).toMatchObject({ scheduledAt: '2026-01-10T10:05:00.000Z', attempt: 1, outcome: 'failed', status: 503 })
    await clock.advanceTo('2026-01-10T10:10:00Z')
    expect(scheduler.list()[0]?.lastRun).toMatchObject({ scheduledAt: '2026-01-10T10:10:00.000Z', outcome: 'ok', status: 200 })
    await scheduler.stop()
    expect(scheduler.list()[0]?.nextRunAt).toBeNull()
  })
})
