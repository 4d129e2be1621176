/** The autoscaler against a fake runtime and a fake clock: every transition of EMULATION.md. */
import { describe, expect, it } from 'vitest'
import { Pool, type Lease, type PoolEvent, type PoolSettings } from '../../src/core/emulator/pool.js'
import { type PlatformResponse } from '../../src/core/emulator/errors.js'
import { FakeClock, FakeRuntime, settle } from '../helpers/fakes.js'

function setup(overrides: Partial<PoolSettings> = {}) {
  const clock = new FakeClock()
  const runtime = new FakeRuntime()
  const events: PoolEvent[] = []
  const settings: PoolSettings = {
    service: 'api',
    revision: 'api-local',
    concurrency: 2,
    minInstances: 0,
    maxInstances: 3,
    idleTimeoutMs: 60_000,
    queueTimeoutMs: 30_000,
    startupTimeoutMs: 240_000,
    graceMs: 10_000,
    ...overrides,
  }
  const pool = new Pool(settings, {
    runtime,
    clock,
    spec: (instanceId) => ({ service: 'api', revision: 'api-local', instanceId, command: 'x', cwd: '/', env: {}, port: 8080 }),
    waitReady: async (instance, _deadline, signal) => {
      const fake = runtime.get(instance.id)
      await Promise.race([fake.readyPromise, new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))))])
      return { portOpenAt: clock.now() }
    },
    onEvent: (event) => events.push(event),
    onLog: () => {},
  })
  const states = () => Object.fromEntries(pool.status().instances.map((i) => [i.id, i.state]))
  return { clock, runtime, pool, events, states }
}

/** Starts `count` acquisitions and keeps their outcome without awaiting them. */
function burst(pool: Pool, count: number) {
  return Array.from({ length: count }, () => {
    const outcome: { lease?: Lease; error?: PlatformResponse } = {}
    pool.acquire().then(
      (lease) => (outcome.lease = lease),
      (error) => (outcome.error = error),
    )
    return outcome
  })
}

describe('pool: scale from zero', () => {
  it('starts ceil(N / concurrency) instances in parallel for a burst, bounded by maxInstances', async () => {
    const { pool, runtime, events } = setup({ concurrency: 2, maxInstances: 10 })
    burst(pool, 7)
    await settle()
    expect([...runtime.instances.keys()]).toEqual(['api#1', 'api#2', 'api#3', 'api#4'])
    expect(events.filter((e) => e.type === 'scale')).toEqual([
      expect.objectContaining({ starting: 1 }),
      expect.objectContaining({ starting: 1 }),
      expect.objectContaining({ starting: 1 }),
      expect.objectContaining({ starting: 1 }),
    ])
    const capped = setup({ concurrency: 2, maxInstances: 3 })
    burst(capped.pool, 20)
    await settle()
    expect(capped.runtime.instances.size).toBe(3)
  })

  it('serves queued requests on the first instance ready, with the cold start attached', async () => {
    const { pool, runtime, clock } = setup({ concurrency: 2 })
    const out = burst(pool, 3)
    await settle()
    await clock.advance(400)
    runtime.get('api#2').ready()
    await settle()
    expect(out.filter((o) => o.lease).map((o) => o.lease!.instanceId)).toEqual(['api#2', 'api#2'])
    expect(out[0]!.lease!.coldStart!.totalMs).toBe(400)
    expect(out[0]!.lease!.queuedMs).toBe(400)
    runtime.get('api#1').ready()
    await settle()
    expect(out[2]!.lease!.instanceId).toBe('api#1')
  })

  it('routes to the ready instance with the fewest in-flight requests, never above concurrency', async () => {
    const { pool, runtime } = setup({ concurrency: 2, maxInstances: 2 })
    runtime.autoReady = true
    const first = burst(pool, 4)
    await settle()
    const counts = pool.status().instances.map((i) => i.inFlight)
    expect(counts).toEqual([2, 2])
    first[0]!.lease!.release()
    const next = await pool.acquire()
    expect(next.instanceId).toBe(first[0]!.lease!.instanceId)
    expect(Math.max(...pool.status().instances.map((i) => i.inFlight))).toBe(2)
  })
})

describe('pool: queueing at maxInstances', () => {
  it('answers 429 after queueTimeout when every instance is full', async () => {
    const { pool, runtime, clock } = setup({ concurrency: 1, maxInstances: 1, queueTimeoutMs: 30_000 })
    runtime.autoReady = true
    const [held, waiting] = burst(pool, 2)
    await settle()
    expect(held!.lease).toBeDefined()
    await clock.advance(29_999)
    expect(waiting!.error).toBeUndefined()
    await clock.advance(1)
    expect(waiting!.error).toMatchObject({ status: 429 })
  })

  it('a slot freed before the timeout serves the waiting request', async () => {
    const { pool, runtime, clock } = setup({ concurrency: 1, maxInstances: 1 })
    runtime.autoReady = true
    const held = await pool.acquire()
    const [waiting] = burst(pool, 1)
    await clock.advance(5_000)
    held.release()
    await settle()
    expect(waiting!.lease).toMatchObject({ instanceId: 'api#1', queuedMs: 5_000 })
    expect(waiting!.lease!.coldStart).toBeUndefined()
  })

  it('a request waiting on a cold start outlives queueTimeout', async () => {
    const { pool, runtime, clock } = setup({ queueTimeoutMs: 1_000 })
    const [waiting] = burst(pool, 1)
    await clock.advance(5_000)
    expect(waiting!.error).toBeUndefined()
    runtime.get('api#1').ready()
    await settle()
    expect(waiting!.lease!.queuedMs).toBe(5_000)
  })

  it('a client that goes away while queued frees its place', async () => {
    const { pool } = setup({ maxInstances: 1 })
    const abort = new AbortController()
    const pending = pool.acquire(abort.signal)
    abort.abort()
    await expect(pending).rejects.toMatchObject({ status: 503 })
    expect(pool.status().queued).toBe(0)
  })
})

describe('pool: failures', () => {
  it('a start that never gets ready fails the waiting requests with 503 and shows the last lines', async () => {
    const { pool, runtime, events } = setup()
    const [waiting] = burst(pool, 1)
    await settle()
    runtime.get('api#1').readyFail(new Error('not ready within 240000 ms'))
    await settle()
    expect(waiting!.error).toMatchObject({ status: 503, message: expect.stringMatching(/api#1 failed to start: not ready within/) })
    expect(events).toContainEqual(expect.objectContaining({ type: 'start-failed', id: 'api#1', code: 'STARTUP_PROBE_TIMEOUT', lastLines: ['last line of api#1'] }))
    expect(runtime.stops).toContain('api#1')
  })

  it('an instance that exits before it is ready is a failed start', async () => {
    const { pool, runtime, states, events } = setup()
    const [waiting] = burst(pool, 1)
    await settle()
    runtime.get('api#1').exit({ code: 1, signal: null, reason: 'exited' })
    await settle()
    expect(waiting!.error).toMatchObject({ status: 503, message: expect.stringMatching(/exited with code 1 before it was ready/) })
    expect(states()['api#1']).toBe('failed')
    expect(events).toContainEqual(expect.objectContaining({ type: 'start-failed', id: 'api#1', code: 'INSTANCE_EXITED_BEFORE_READY' }))
  })

  it('a crash of a ready instance replaces it (minInstances), after a back-off that grows and is capped', async () => {
    const { pool, runtime, clock, events } = setup({ minInstances: 1 })
    runtime.autoReady = true
    pool.start()
    await settle()
    const backoffs: number[] = []
    for (let n = 1; n <= 8; n++) {
      runtime.get(`api#${n}`).exit({ code: 137, signal: null, reason: 'exited' })
      await settle()
      const crash = events.filter((e) => e.type === 'crash').at(-1) as Extract<PoolEvent, { type: 'crash' }>
      backoffs.push(crash.backoffMs)
      await clock.advance(crash.backoffMs - 1)
      expect(runtime.instances.has(`api#${n + 1}`)).toBe(false)
      await clock.advance(1)
      expect(runtime.instances.has(`api#${n + 1}`)).toBe(true)
    }
    expect(backoffs).toEqual([200, 400, 800, 1600, 3200, 6400, 10_000, 10_000])
    await clock.advance(10_000)
    runtime.get('api#9').exit({ code: 1, signal: null, reason: 'exited' })
    await settle()
    expect(events.filter((e) => e.type === 'crash').at(-1)).toMatchObject({ id: 'api#9', backoffMs: 200 })
  })

  it('an instance the gateway cannot reach is retired and replaced, without waiting for its exit event', async () => {
    const { pool, runtime, clock, states } = setup()
    runtime.autoReady = true
    const lease = await pool.acquire()
    pool.reportBroken(lease.instanceId, 'refused a connection')
    lease.release()
    expect(states()['api#1']).toBe('failed')
    expect(runtime.stops).toContain('api#1')
    const next = pool.acquire()
    await clock.advance(200)
    expect((await next).instanceId).toBe('api#2')
  })

  it('an instance that cut a request off gets no new request for 250 ms: its exit, if it is dying, lands first', async () => {
    const { pool, runtime, clock } = setup({ maxInstances: 1 })
    runtime.autoReady = true
    ;(await pool.acquire()).release()
    pool.suspect('api#1')
    const held = burst(pool, 1)[0]!
    await clock.advance(249)
    expect(held.lease).toBeUndefined()
    await clock.advance(1)
    expect(held.lease?.instanceId).toBe('api#1') // it was fine after all
    held.lease!.release()
    pool.suspect('api#1')
    const next = burst(pool, 1)[0]!
    runtime.get('api#1').exit({ code: 70, signal: null, reason: 'exited' }) // it was dying: the replacement serves
    await clock.advance(250)
    expect(next.lease?.instanceId).toBe('api#2')
  })

  it('a spawn failure is a failed start too', async () => {
    const { pool, runtime, events } = setup()
    runtime.failSpawn = true
    await expect(pool.acquire()).rejects.toMatchObject({ status: 503, message: expect.stringMatching(/spawn failed/) })
    expect(events).toContainEqual(expect.objectContaining({ type: 'start-failed', code: 'INSTANCE_SPAWN_FAILED' }))
  })
})

describe('pool: scale to zero and minInstances', () => {
  it('drains an instance idle for idleTimeout, and a new request cold-starts again', async () => {
    const { pool, runtime, clock, states } = setup({ idleTimeoutMs: 60_000 })
    runtime.autoReady = true
    const lease = await pool.acquire()
    await clock.advance(120_000)
    expect(states()['api#1']).toBe('ready')
    lease.release()
    await clock.advance(59_999)
    expect(states()['api#1']).toBe('ready')
    await clock.advance(1)
    expect(states()['api#1']).toBe('stopped')
    expect(runtime.get('api#1').stoppedWith).toBe(10_000)
    await pool.acquire()
    expect(states()['api#2']).toBe('ready')
  })

  it('keeps minInstances warm, started at once, never drained for idleness', async () => {
    const { pool, runtime, clock, states } = setup({ minInstances: 2 })
    runtime.autoReady = true
    pool.start()
    await settle()
    expect(states()).toEqual({ 'api#1': 'ready', 'api#2': 'ready' })
    await clock.advance(10 * 60_000)
    expect(states()).toEqual({ 'api#1': 'ready', 'api#2': 'ready' })
  })

  it('scales back down to minInstances after a burst', async () => {
    const { pool, runtime, clock, states } = setup({ minInstances: 1, concurrency: 1, maxInstances: 3 })
    runtime.autoReady = true
    pool.start()
    await settle()
    const out = burst(pool, 3)
    await settle()
    for (const o of out) o.lease!.release()
    await clock.advance(60_000)
    expect(Object.values(states()).filter((s) => s === 'ready')).toHaveLength(1)
  })
})

describe('pool: shutdown', () => {
  it('fails queued requests, lets in-flight ones finish, then stops every instance', async () => {
    const { pool, runtime, clock, states } = setup({ concurrency: 1, maxInstances: 1 })
    runtime.autoReady = true
    const [held, queued] = burst(pool, 2)
    await settle()
    const done = pool.shutdown()
    await settle()
    expect(queued!.error).toMatchObject({ status: 503 })
    expect(states()['api#1']).toBe('draining')
    expect(runtime.stops).toEqual([])
    await clock.advance(1_000)
    held!.lease!.release()
    await done
    expect(runtime.stops).toEqual(['api#1'])
    expect(states()['api#1']).toBe('stopped')
    await expect(pool.acquire()).rejects.toMatchObject({ status: 503 })
  })

  it('a shutdown during a hand-over waits for the instances already draining (nothing outlives it)', async () => {
    const { pool, runtime } = setup({ concurrency: 1, maxInstances: 1 })
    runtime.autoReady = true
    const [held] = burst(pool, 1)
    await settle()
    void pool.handOver(() => Promise.reject(new Error('no newer revision in this test')))
    await settle()
    let finished = false
    void pool.shutdown().then(() => (finished = true))
    await settle()
    expect(finished).toBe(false) // api#1 still has a request in flight
    held!.lease!.release()
    await settle()
    expect(runtime.stops).toEqual(['api#1'])
    expect(finished).toBe(true)
  })

  it('a shutdown while an instance is being spawned waits for the spawn and stops it at once', async () => {
    const { pool, runtime } = setup()
    let spawned!: () => void
    const start = runtime.start.bind(runtime)
    runtime.start = (spec) => new Promise((resolve) => (spawned = () => resolve(start(spec))))
    burst(pool, 1)
    await settle()
    let finished = false
    void pool.shutdown().then(() => (finished = true))
    await settle()
    expect(finished).toBe(false)
    spawned()
    await settle()
    expect(runtime.stops).toEqual(['api#1'])
    expect(runtime.get('api#1').stoppedWith).toBe(0) // never ready: no grace
    expect(finished).toBe(true)
  })

  it('does not wait longer than the grace period for in-flight requests', async () => {
    const { pool, runtime, clock } = setup({ graceMs: 10_000 })
    runtime.autoReady = true
    await pool.acquire()
    let finished = false
    void pool.shutdown().then(() => (finished = true))
    await clock.advance(9_999)
    expect(finished).toBe(false)
    await clock.advance(1)
    expect(finished).toBe(true)
  })
})

describe('pool: cpuThrottling', () => {
  it('freezes an instance with nothing in flight, thaws it for the next request before it is sent, never while busy', async () => {
    const { pool, runtime } = setup({ concurrency: 2, cpuThrottling: true })
    const [a] = burst(pool, 1)
    await settle()
    runtime.get('api#1').ready()
    await settle()
    const fake = runtime.get('api#1')
    expect(a!.lease!.thawed).toBeUndefined() // a cold start: it was never frozen
    expect(fake.throttle).toEqual([])
    const b = await pool.acquire()
    a!.lease!.release()
    expect(fake.throttle).toEqual([]) // b is still in flight
    b.release()
    expect(fake.throttle).toEqual(['freeze'])
    expect(pool.status().instances[0]).toMatchObject({ frozen: true })
    const c = await pool.acquire()
    expect(c.thawed).toBeInstanceOf(Promise)
    expect(fake.throttle).toEqual(['freeze', 'thaw'])
    expect(pool.status().instances[0]!.frozen).toBeUndefined()
    c.release()
    expect(fake.throttle).toEqual(['freeze', 'thaw', 'freeze'])
  })

  it('without cpuThrottling nothing is ever frozen', async () => {
    const { pool, runtime } = setup({ concurrency: 2 })
    const [a] = burst(pool, 1)
    await settle()
    runtime.get('api#1').ready()
    await settle()
    a!.lease!.release()
    ;(await pool.acquire()).release()
    expect(runtime.get('api#1').throttle).toEqual([])
  })
})
