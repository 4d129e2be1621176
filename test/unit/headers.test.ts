/** What crosses the gateway (src/core/emulator/headers.ts): Expect stays with the gateway, Forwarded cannot be forged through Host. */
import type http from 'node:http'
import { describe, expect, it } from 'vitest'
import { forwardHeaders } from '../../src/core/emulator/headers.js'

const request = (headers: http.IncomingHttpHeaders, remoteAddress = '127.0.0.1') => ({ headers, socket: { remoteAddress } }) as unknown as http.IncomingMessage

describe('forwardHeaders', () => {
  it('drops Expect and hop-by-hop headers, keeps the rest', () => {
    const out = forwardHeaders(request({ host: 'api.local:8080', expect: '100-continue', connection: 'keep-alive', 'transfer-encoding': 'chunked', 'x-app': 'kept' }))
    expect(out.expect).toBeUndefined()
    expect(out.connection).toBeUndefined()
    expect(out['transfer-encoding']).toBeUndefined()
    expect(out['x-app']).toBe('kept')
    expect(out.forwarded).toBe('for=127.0.0.1;proto=http;host="api.local:8080"')
  })

  it('a Host that would add parameters to Forwarded is left out of it (RFC 7239 injection)', () => {
    const out = forwardHeaders(request({ host: 'evil";for=6.6.6.6;proto=https;x="' }))
    expect(out.forwarded).toBe('for=127.0.0.1;proto=http')
    expect(String(out.forwarded)).not.toContain('6.6.6.6')
    for (const host of ['a b', 'x,for=1.2.3.4', 'x;proto=https', 'x\\"y']) expect(forwardHeaders(request({ host })).forwarded).toBe('for=127.0.0.1;proto=http')
  })

  it('keeps IPv6 hosts and clients in their quoted forms; appends to an incoming Forwarded', () => {
    const out = forwardHeaders(request({ host: '[::1]:8080', forwarded: 'for=192.0.2.60' }, '::1'))
    expect(out.forwarded).toBe('for=192.0.2.60, for="[::1]";proto=http;host="[::1]:8080"')
  })

  it('an upgrade keeps its Upgrade and Connection headers', () => {
    const out = forwardHeaders(request({ host: 'a', upgrade: 'websocket', connection: 'Upgrade' }), true)
    expect(out).toMatchObject({ upgrade: 'websocket', connection: 'Upgrade' })
  })
})
