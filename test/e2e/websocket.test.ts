/**
 * WebSockets through the gateway (process runtime, a real `ws` client and server): the handshake and
 * messages pass both ways; an open connection holds a concurrency slot (status shows it, a second request
 * queues behind it); the request timeout closes it; closing frees the slot.
 */
import { fileURLToPath } from 'node:url'
import { WebSocket } from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import { configSchema } from '../../src/core/config/schema.js'
import { dashboardRoutes } from '../../src/core/dashboard/routes.js'
import { Emulator, type EmulatorEvent } from '../../src/core/emulator/emulator.js'
import { ProcessRuntime } from '../../src/runtime/process/process-runtime.js'
import { waitFor } from '../helpers/wait.js'

const APP = fileURLToPath(new URL('../fixtures/apps/ws-echo.mjs', import.meta.url))
const running: Emulator[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()))
})

async function start(service: Record<string, unknown>) {
  const config = configSchema.parse({ name: 't', services: { ws: { dev: { command: [process.execPath, APP] }, ...service } } })
  const events: EmulatorEvent[] = []
  const emulator = new Emulator({ config, port: 0, adminPort: 0, runtime: new ProcessRuntime(), graceMs: 2000, onEvent: (e) => events.push(e), adminRoutes: (e) => dashboardRoutes(e).routes })
  running.push(emulator)
  const { gateways, admin } = await emulator.start()
  return { url: gateways.ws!, admin, emulator, events }
}

function connect(url: string) {
  const socket = new WebSocket(url.replace(/^http/, 'ws') + '/chat?room=1')
  const messages: string[] = []
  socket.on('message', (data) => messages.push(String(data)))
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('error', reject)
  })
  return { socket, messages, opened, closed }
}

describe('WebSockets through the gateway', () => {
  it('echoes both ways; the open connection holds a slot (status shows it, concurrency 1 queues the next request); closing frees it', async () => {
    const { url, admin, emulator, events } = await start({ scaling: { concurrency: 1, maxInstances: 1, queueTimeout: '300ms' } })
    const ws = connect(url)
    await ws.opened
    ws.socket.send('ping')
    await waitFor(() => ws.messages.length >= 2)
    expect(ws.messages).toEqual(['hello http /chat?room=1', 'echo ping'])
    const service = emulator.status().services[0]!
    expect(service.webSockets).toBe(1)
    expect(service.instances.filter((i) => i.state === 'ready')).toEqual([expect.objectContaining({ id: 'ws#1', inFlight: 1, webSockets: 1 })])
    const dashboard = (await (await fetch(`${admin}/api/dashboard`)).json()) as { services: Array<{ webSockets: number; inFlight: number }> }
    expect(dashboard.services[0]).toMatchObject({ webSockets: 1, inFlight: 1 })
    expect((await fetch(url)).status).toBe(429) // the only slot is the WebSocket's
    ws.socket.close()
    await ws.closed
    await waitFor(() => emulator.status().services[0]!.webSockets === 0 || undefined)
    const plain = await fetch(url)
    expect(await plain.text()).toBe('plain')
    expect(emulator.status().services[0]!.instances.find((i) => i.id === 'ws#1')).toMatchObject({ inFlight: 0 })
    await waitFor(() => events.some((e) => e.type === 'request' && e.status === 101))
    expect(events.find((e) => e.type === 'request' && e.status === 101)).toMatchObject({ method: 'GET', path: '/chat?room=1', instanceId: 'ws#1' })
  })

  it('the request timeout bounds a connection', async () => {
    const { url, emulator } = await start({ timeout: '1s' })
    const ws = connect(url)
    await ws.opened
    const opened = Date.now()
    await ws.closed
    expect(Date.now() - opened).toBeGreaterThanOrEqual(800)
    await waitFor(() => emulator.status().services[0]!.webSockets === 0 || undefined)
  })
})
