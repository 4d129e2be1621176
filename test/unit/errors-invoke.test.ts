/**
 * INVOKE_FAILED, from `invoke` against a fake dev session's admin API: the service's gateway does not
 * answer, or the session cannot fire the schedule.
 */
import http from 'node:http'
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { invoke } from '../../src/core/invoke/invoke.js'

const servers: http.Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))))
})

/** A port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** An admin API whose status lists one service `api` at `gateway`, with one schedule whose run answers `run`. */
async function fakeSession(gateway: string, run: { status: number; body: string }): Promise<string> {
  const server = http.createServer((req, res) => {
    if (req.url === '/api/status') {
      res.writeHead(200, { 'content-type': 'application/json' })
      return void res.end(JSON.stringify({ services: [{ service: 'api', url: gateway, schedules: [{ name: 'nightly' }] }] }))
    }
    if (req.method === 'POST' && req.url === '/api/schedules/api/nightly/run') {
      res.writeHead(run.status, { 'content-type': 'application/json' })
      return void res.end(run.body)
    }
    res.writeHead(404).end()
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`
}

describe('INVOKE_FAILED', () => {
  it("the service's gateway does not answer (exit 1)", async () => {
    const gateway = `http://127.0.0.1:${await closedPort()}`
    const admin = await fakeSession(gateway, { status: 200, body: '{}' })
    await expect(invoke({ service: 'api', admin, headers: {}, timeoutMs: 2000 })).rejects.toMatchObject({
      code: 'INVOKE_FAILED',
      exitCode: 1,
      message: expect.stringContaining('no answer (ECONNREFUSED)'),
    })
  })

  it('the session cannot fire the schedule (exit 1)', async () => {
    const admin = await fakeSession('http://127.0.0.1:1', { status: 500, body: JSON.stringify({ error: 'the service is stopping' }) })
    await expect(invoke({ service: 'api', admin, headers: {}, schedule: 'nightly', timeoutMs: 2000 })).rejects.toMatchObject({
      code: 'INVOKE_FAILED',
      exitCode: 1,
      message: 'the session could not fire nightly: the service is stopping',
    })
  })

  it('a schedule the service does not have is UNKNOWN_SCHEDULE (exit 2), not INVOKE_FAILED', async () => {
    const admin = await fakeSession('http://127.0.0.1:1', { status: 200, body: '{}' })
    await expect(invoke({ service: 'api', admin, headers: {}, schedule: 'weekly', timeoutMs: 2000 })).rejects.toMatchObject({ code: 'UNKNOWN_SCHEDULE', exitCode: 2 })
  })
})
