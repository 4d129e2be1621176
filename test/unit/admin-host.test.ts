/** The admin server refuses DNS rebinding: only a Host that names this machine is served, on every route. */
import http from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { localHost, sendJson, startAdmin, type AdminServer } from '../../src/core/http/admin.js'

const admins: AdminServer[] = []
afterEach(async () => {
  await Promise.all(admins.splice(0).map((a) => a.close()))
})

/** A request with a Host header of our choosing (fetch does not let a caller set Host). */
function ask(url: string, path: string, host: string, method = 'GET'): Promise<number> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path, method, headers: { host } }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.once('error', reject)
    req.end()
  })
}

describe('admin server Host check (DNS rebinding)', () => {
  it('403 for a foreign Host on GET and POST routes; 200 for localhost, loopback and the bind address', async () => {
    const admin = await startAdmin('127.0.0.1', 0, { '/api/status': (_q, res) => sendJson(res, { ok: true }), 'POST /events': (_q, res) => sendJson(res, { ok: true }) })
    admins.push(admin)
    const port = new URL(admin.url).port
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1.evil.example:${port}`, `10.0.0.1:${port}`, `[fe80::1]:${port}`]) {
      expect(await ask(admin.url, '/api/status', host), host).toBe(403)
      expect(await ask(admin.url, '/events', host, 'POST'), host).toBe(403)
    }
    for (const host of [`localhost:${port}`, `LOCALHOST:${port}`, `app.localhost:${port}`, `127.0.0.1:${port}`, `127.1.2.3:${port}`, `[::1]:${port}`, '127.0.0.1']) {
      expect(await ask(admin.url, '/api/status', host), host).toBe(200)
    }
  })

  it('a configured bind address counts as local', () => {
    expect(localHost('192.168.5.10:4280', '192.168.5.10')).toBe(true)
    expect(localHost('192.168.5.11:4280', '192.168.5.10')).toBe(false)
    expect(localHost(undefined, '127.0.0.1')).toBe(false)
  })
})
