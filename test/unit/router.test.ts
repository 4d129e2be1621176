/** Rollouts between revisions (router.ts) against a fake runtime and a fake clock: nothing is dropped. */
import { describe, expect, it } from 'vitest'
import { Pool, type Lease, type PoolSettings } from '../../src/core/emulator/pool.js'
import { RevisionRouter, type RevisionEvent } from '../../src/core/emulator/router.js'
import { FakeClock, FakeRuntime, settle } from '../helpers/fakes.js'

function setup(overrides: Partial<PoolSettings> = {}) {
  const clock = new FakeClock()
  const runtime = new FakeRuntime()
  const events: RevisionEvent[] = []
  let n = 0
  let router: RevisionRouter | undefined
  const pool = (revision: string) => {
    const settings: PoolSettings = {
      service: 'api',
      revision,
      concurrency: 2,
      minInstances: 0,
      maxInstances: 2,
      idleTimeoutMs: 60_000,
      queueTimeoutMs: 30_000,
      startupTimeoutMs: 240_000,
      graceMs: 10_000,
      ...overrides,
    }
    const p: Pool = new Pool(settings, {
      runtime,
      clock,
      spec: (instanceId) => ({ service: 'api', revision, instanceId, command: 'x', cwd: '/', env: {}, port: 8080 }),
      waitReady: async (instance) => {
        await runtime.get(instance.id).readyPromise
        return { portOpenAt: clock.now() }
      },
      nextInstanceNumber: () => ++n,
      onEvent: (event) => router?.observe(p, event),
      onLog: () => {},
    })
    return p
  }
  const first = pool('api-00001')
  router = new RevisionRouter(first, { service: 'api', clock, holdMs: 5_000, onEvent: (e) => events.push(e) })
  return { clock, runtime, router, pool, first, events }
}

function acquire(router: RevisionRouter) {
  const outcome: { lease?: Lease; error?: unknown } = {}
  router.acquire().then(
    (lease) => (outcome.lease = lease),
    (error) => (outcome.error = error),
  )
  return outcome
}

const revisionOf = (lease: Lease | undefined) => lease?.instanceId

describe('revision router: rollout without dropping a request', () => {
  it('holds requests while the new revision starts, then serves them there; the old one drains after its in-flight request', async () => {
    const { runtime, router, pool, events } = setup()
    const warm = acquire(router)
    await settle()
    runtime.get('api#1').ready()
    await settle()
    expect(revisionOf(warm.lease)).toBe('api#1')

    router.rollout(pool('api-00002'))
    await settle()
    expect(runtime.instances.has('api#2')).toBe(true) // started warm, before any request asks for it
    const held = acquire(router)
    await settle()
    expect(held.lease).toBeUndefined()
    runtime.get('api#2').ready()
    await settle()
    expect(revisionOf(held.lease)).toBe('api#2')
    expect(router.serving.settings.revision).toBe('api-00002')
    expect(runtime.stops).toEqual([]) // api#1 still has a request in flight
    warm.lease!.release()
    await settle()
    expect(runtime.stops).toEqual(['api#1'])
    expect(events.map((e) => `${e.revision} ${e.state}`)).toEqual(['api-00002 starting', 'api-00002 serving', 'api-00001 retired'])
  })

  it('a revision that fails to start is dropped: the old one keeps serving, the reason and last lines are reported', async () => {
    const { runtime, router, pool, events, clock } = setup({ startupTimeoutMs: 1000 })
    const warm = acquire(router)
    await settle()
    runtime.get('api#1').ready()
    await settle()
    warm.lease!.release()
    const next = pool('api-00002')
    router.rollout(next)
    await settle()
    const held = acquire(router)
    runtime.get('api#2').readyFail(new Error('port 8080 did not open in time'))
    await clock.advance(10)
    expect(revisionOf(held.lease)).toBe('api#1')
    expect(router.serving.settings.revision).toBe('api-00001')
    expect(events).toContainEqual(expect.objectContaining({ revision: 'api-00002', state: 'failed', reason: expect.stringContaining('did not open'), lastLines: ['last line of api#2'] }))
  })

  it('a request held longer than the hold time goes to the old revision', async () => {
    const { runtime, router, pool, clock } = setup()
    const warm = acquire(router)
    await settle()
    runtime.get('api#1').ready()
    await settle()
    warm.lease!.release()
    router.rollout(pool('api-00002'))
    const held = acquire(router)
    await clock.advance(5_000)
    expect(revisionOf(held.lease)).toBe('api#1')
  })

  it('requests queued on the old revision at the switch move to the new one', async () => {
    const { runtime, router, pool } = setup({ maxInstances: 1, concurrency: 1 })
    const busy = acquire(router)
    await settle()
    runtime.get('api#1').ready()
    await settle()
    const queued = acquire(router) // waits: api#1 is full and maxInstances is 1
    await settle()
    expect(queued.lease).toBeUndefined()
    router.rollout(pool('api-00002'))
    await settle()
    runtime.get('api#2').ready()
    await settle()
    expect(revisionOf(queued.lease)).toBe('api#2')
    busy.lease!.release()
    await settle()
    expect(queued.error).toBeUndefined()
  })

  it('a newer change supersedes a revision that is still starting', async () => {
    const { runtime, router, pool, events } = setup()
    router.rollout(pool('api-00002'))
    router.rollout(pool('api-00003'))
    await settle()
    expect(runtime.stops).toEqual(['api#1']) // api-00002's instance, stopped when it was superseded
    runtime.get('api#2').ready() // api-00003's
    await settle()
    expect(router.serving.settings.revision).toBe('api-00003')
    expect(events).toContainEqual(expect.objectContaining({ revision: 'api-00002', state: 'failed', reason: 'superseded by a newer change' }))
  })
})
