/** A whole `dev` session in-process: a fake runtime and a fake clock, no process guard, nothing left behind. */
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { configSchema } from '../../src/core/config/schema.js'
import { DevSession, type DevEvent } from '../../src/core/dev/session.js'
import { FakeClock, FakeRuntime, settle } from '../helpers/fakes.js'
import { useTempDir } from '../helpers/temp.js'

const tempDir = useTempDir()

describe('DevSession', () => {
  it('starts the emulator, the events and the dashboard in order, serves the admin API, and stops everything', async () => {
    const dir = tempDir()
    const config = configSchema.parse({
      name: 't',
      services: { api: { dev: { command: 'x' }, schedules: [{ name: 'tick', cron: '* * * * *' }], events: [{ type: 'com.example.ping', path: '/ping' }] } },
    })
    const runtime = new FakeRuntime()
    runtime.autoReady = true
    const clock = new FakeClock('2026-12-06T10:00:30Z')
    const events: DevEvent[] = []
    const session = new DevSession({
      loaded: { config, file: path.join(dir, 'sls-run.yaml'), dir },
      services: ['api'],
      port: 0,
      adminPort: 0,
      runtime,
      clock,
      watch: false,
      schedules: true,
      onEvent: (e) => events.push(e),
      warn: () => {},
      onFatal: (error) => {
        throw error
      },
    })
    const { admin, gateways } = await session.start()
    await settle()
    expect(gateways.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['admin', 'listening', 'scaling-model', 'events']))
    expect(events.findIndex((e) => e.type === 'listening')).toBeLessThan(events.findIndex((e) => e.type === 'events'))
    const status = await (await fetch(`${admin}/api/status`)).json()
    expect(status.services[0]).toMatchObject({ service: 'api', model: 'instant', schedules: [expect.objectContaining({ name: 'tick' })], subscriptions: [{ type: 'com.example.ping', path: '/ping' }] })
    expect(status.services[0].instances).toEqual([])
    // The scheduler runs on the session's clock: the next minute fires the job, through the gateway.
    await clock.advance(30_000)
    expect(events.find((e) => e.type === 'scale')).toMatchObject({ service: 'api', starting: 1 })
    expect((await fetch(`${admin}/api/dashboard`)).status).toBe(200)
    await session.stop()
    expect(runtime.stops).toEqual([...runtime.instances.keys()])
    await expect(fetch(`${admin}/api/status`)).rejects.toThrow()
  })
})
