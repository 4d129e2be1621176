import http from 'node:http'
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { waitReady } from '../../src/core/emulator/readiness.js'
import { freePort } from '../../src/runtime/free-port.js'
import { portAccepts, waitForPort } from '../../src/runtime/probe-port.js'
import type { RuntimeInstance } from '../../src/runtime/types.js'

const servers: net.Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))))
})

function listen(port: number, server: net.Server = net.createServer((socket) => socket.destroy())): Promise<net.Server> {
  servers.push(server)
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)))
}

describe('portAccepts and waitForPort', () => {
  it('one attempt: true on a listening port, false on a closed one', async () => {
    const port = await freePort()
    expect(await portAccepts('127.0.0.1', port)).toBe(false)
    await listen(port)
    expect(await portAccepts('127.0.0.1', port)).toBe(true)
  })
  it('resolves with the time the port opened, polling every 10 ms by default', async () => {
    const port = await freePort()
    const started = Date.now()
    setTimeout(() => void listen(port), 100)
    const openAt = await waitForPort('127.0.0.1', port, { deadline: Date.now() + 5000 })
    expect(openAt - started).toBeGreaterThanOrEqual(100)
    expect(openAt - started).toBeLessThan(1000)
  })
  it('rejects once the deadline passed, or when aborted', async () => {
    const port = await freePort()
    await expect(waitForPort('127.0.0.1', port, { deadline: Date.now() + 50 })).rejects.toThrow(`127.0.0.1:${port} did not accept a connection in time`)
    await expect(waitForPort('127.0.0.1', port, { deadline: Date.now() + 5000, signal: AbortSignal.timeout(50) })).rejects.toThrow(`the wait for 127.0.0.1:${port} was aborted`)
  })
})

describe('waitReady (cold-start readiness)', () => {
  const instance = (port: number, proxied = false) => ({ address: { host: '127.0.0.1', port }, proxied }) as unknown as RuntimeInstance
  const tcp = { type: 'tcp' as const, path: '/' }

  it('tcp: ready when the port accepts', async () => {
    const port = await freePort()
    setTimeout(() => void listen(port), 50)
    const { portOpenAt } = await waitReady(instance(port), tcp, Date.now() + 5000, new AbortController().signal)
    expect(portOpenAt).toBeLessThanOrEqual(Date.now())
  })
  it('http: the port opens first, then GET path must answer 2xx', async () => {
    const port = await freePort()
    let calls = 0
    await listen(
      port,
      http.createServer((req, res) => res.writeHead(req.url === '/healthz' && ++calls >= 3 ? 200 : 503).end()),
    )
    const started = Date.now()
    const { portOpenAt } = await waitReady(instance(port), { type: 'http', path: '/healthz' }, Date.now() + 5000, new AbortController().signal)
    expect(calls).toBe(3)
    expect(portOpenAt - started).toBeLessThan(100)
  })
  it('says which step ran out of time, or that the start was aborted', async () => {
    const port = await freePort()
    await expect(waitReady(instance(port), tcp, Date.now() + 50, new AbortController().signal)).rejects.toThrow(`port ${port} did not open in time`)
    await expect(waitReady(instance(port), tcp, Date.now() + 5000, AbortSignal.timeout(50))).rejects.toThrow('start aborted')
    await listen(
      port,
      http.createServer((_req, res) => res.writeHead(500).end()),
    )
    await expect(waitReady(instance(port), { type: 'http', path: '/healthz' }, Date.now() + 50, new AbortController().signal)).rejects.toThrow('GET /healthz did not answer 2xx in time')
  })
  it('behind a forwarding proxy, a connection alone is not an open port: an HTTP answer is', async () => {
    const port = await freePort()
    await listen(port) // accepts, then closes without answering: what a published port does before the app listens
    await expect(waitReady(instance(port, true), tcp, Date.now() + 100, new AbortController().signal)).rejects.toThrow(`port ${port} did not open in time`)
  })
})
