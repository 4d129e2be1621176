/** EventsSession: what the emulator composes — jobs and subscriptions from the config, its admin routes, a config reload, --no-schedules. */
import { afterEach, describe, expect, it } from 'vitest'
import { configSchema } from '../../src/core/config/schema.js'
import { startAdmin, type AdminServer } from '../../src/core/http/admin.js'
import { EventsSession } from '../../src/core/events/session.js'
import type { EventsLogEvent, OutgoingRequest, SendResult } from '../../src/core/events/types.js'
import { FakeClock } from '../helpers/fakes.js'
import { useTempDir } from '../helpers/temp.js'

const ok = (): SendResult => ({ status: 200, headers: {}, body: Buffer.from('ok'), durationMs: 1, coldStart: false })
const config = (schedules: unknown[]) => configSchema.parse({ name: 't', services: { api: { schedules, events: [{ type: 'com.example.a', path: '/a' }] }, other: {} } })

describe('EventsSession', () => {
  const tempDir = useTempDir()
  const admins: AdminServer[] = []
  const sessions: EventsSession[] = []
  afterEach(async () => {
    for (const s of sessions.splice(0)) await s.stop()
    for (const a of admins.splice(0)) await a.close()
  })

  function make(schedules: boolean) {
    const clock = new FakeClock()
    const sent: Array<{ service: string; req: OutgoingRequest }> = []
    const events: EventsLogEvent[] = []
    const session = new EventsSession(config([{ name: 'every-minute', cron: '* * * * *', path: '/tick' }]), {
      services: ['api', 'other'],
      clock,
      send: async (service, req) => (sent.push({ service, req }), ok()),
      schedules,
      deadLetterFile: `${tempDir()}/dead.ndjson`,
      onEvent: (e) => events.push(e),
    })
    sessions.push(session)
    return { clock, sent, events, session }
  }

  it('takes jobs and subscriptions from the config, per service', () => {
    const { session } = make(true)
    expect(session.counts()).toEqual({ schedules: 1, subscriptions: 1 })
    expect(session.describe('api').subscriptions).toEqual([{ type: 'com.example.a', path: '/a' }])
    expect(session.describe('api').schedules.map((j) => j.name)).toEqual(['every-minute'])
    expect(session.describe('other')).toEqual({ schedules: [], subscriptions: [] })
  })

  it('ticks when started; --no-schedules never ticks, but the job still fires by hand through the admin route', async () => {
    const on = make(true)
    on.session.start()
    await on.clock.advance(61_000)
    expect(on.sent.map((s) => s.req.path)).toEqual(['/tick'])

    const off = make(false)
    off.session.start()
    await off.clock.advance(180_000)
    expect(off.sent).toEqual([])
    const admin = await startAdmin('127.0.0.1', 0, off.session.routes())
    admins.push(admin)
    const fired = await fetch(`${admin.url}/api/schedules/api/every-minute/run`, { method: 'POST' })
    expect(fired.status).toBe(200)
    expect(await fired.json()).toMatchObject({ type: 'schedule', name: 'every-minute', outcome: 'ok', manual: true })
    expect(off.sent.map((s) => s.req.headers['X-CloudScheduler-JobName'] ?? s.req.headers['x-cloudscheduler-jobname'])).toEqual(['every-minute'])
    const unknown = await fetch(`${admin.url}/api/schedules/api/nope/run`, { method: 'POST' })
    expect(unknown.status).toBe(404)
    expect((await unknown.json()).error).toContain('every-minute')
    const listed = await (await fetch(`${admin.url}/api/schedules`)).json()
    expect(listed).toMatchObject({ enabled: false, jobs: [{ service: 'api', name: 'every-minute' }] })
    // GET on a POST route is not found: methods are part of the route.
    expect((await fetch(`${admin.url}/events`)).status).toBe(404)
  })

  it('a config reload replaces the jobs: the old one stops ticking, the new one ticks', async () => {
    const { session, clock, sent } = make(true)
    session.start()
    await session.update(config([{ name: 'hourly', cron: '0 * * * *', path: '/hourly' }]))
    expect(session.describe('api').schedules.map((j) => j.name)).toEqual(['hourly'])
    await clock.advance(3_600_000)
    expect(sent.map((s) => s.req.path)).toEqual(['/hourly'])
  })

  it('a reload that leaves the jobs alone keeps the scheduler (its last run); new subscriptions route new events', async () => {
    const { session, clock, sent } = make(true)
    session.start()
    await clock.advance(61_000)
    const before = session.describe('api').schedules[0]!.lastRun
    expect(before).toMatchObject({ outcome: 'ok' })
    const next = configSchema.parse({
      name: 't',
      services: { api: { schedules: [{ name: 'every-minute', cron: '* * * * *', path: '/tick' }], events: [{ type: 'com.example.b', path: '/b' }] }, other: {} },
    })
    await session.update(next)
    expect(session.describe('api').schedules[0]!.lastRun).toEqual(before)
    expect(session.describe('api').subscriptions).toEqual([{ type: 'com.example.b', path: '/b' }])
    const admin = await startAdmin('127.0.0.1', 0, session.routes())
    admins.push(admin)
    const ce = (type: string) => ({ 'ce-specversion': '1.0', 'ce-id': type, 'ce-source': '/t', 'ce-type': type, 'content-type': 'application/json' })
    expect(await (await fetch(`${admin.url}/events`, { method: 'POST', headers: ce('com.example.a'), body: '{}' })).json()).toMatchObject({ subscribers: [] })
    expect(await (await fetch(`${admin.url}/events`, { method: 'POST', headers: ce('com.example.b'), body: '{}' })).json()).toMatchObject({ subscribers: ['api'] })
    await clock.advance(10)
    expect(sent.map((s) => s.req.path)).toEqual(['/tick', '/b'])
  })

  it('the admin server refuses state-changing requests a browser marks as cross-origin', async () => {
    const { session } = make(false)
    const admin = await startAdmin('127.0.0.1', 0, session.routes())
    admins.push(admin)
    const run = (headers: Record<string, string>) => fetch(`${admin.url}/api/schedules/api/every-minute/run`, { method: 'POST', headers })
    expect((await run({ origin: 'https://evil.example' })).status).toBe(403)
    expect((await run({ 'sec-fetch-site': 'cross-site' })).status).toBe(403)
    expect((await run({ origin: admin.url })).status).toBe(200)
    expect((await run({})).status).toBe(200)
  })
})
