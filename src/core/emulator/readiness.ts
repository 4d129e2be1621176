/**
 * Readiness during a cold start: poll about every 10 ms (Knative's queue-proxy polls every 50 ms,
 * the activator every 200 ms), so the emulator adds almost nothing to the app's own boot time.
 * TCP: the port accepts a connection. HTTP: GET path answers 2xx (after the port opened).
 */
import net from 'node:net'
import http from 'node:http'
import type { RuntimeInstance } from '../../runtime/types.js'

export const PROBE_INTERVAL_MS = 10

export interface ProbeSettings {
  type: 'tcp' | 'http'
  path: string
}

export async function waitReady(instance: RuntimeInstance, probe: ProbeSettings, deadline: number, signal: AbortSignal): Promise<{ portOpenAt: number }> {
  const { host, port } = instance.address
  let portOpenAt: number | undefined
  while (!signal.aborted) {
    if (portOpenAt === undefined && (await tcpOpen(host, port))) portOpenAt = Date.now()
    if (portOpenAt !== undefined && (probe.type === 'tcp' || (await httpOk(host, port, probe.path)))) return { portOpenAt }
    if (Date.now() >= deadline) {
      throw new Error(portOpenAt === undefined ? `port ${port} did not open in time` : `GET ${probe.path} did not answer 2xx in time`)
    }
    await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS))
  }
  throw new Error('start aborted')
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    const done = (open: boolean) => {
      socket.destroy()
      resolve(open)
    }
    socket.setTimeout(100, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

function httpOk(host: string, port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path, agent: false, timeout: 1000, headers: { 'user-agent': 'sls-run-probe' } }, (res) => {
      res.resume()
      resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300)
    })
    req.once('timeout', () => req.destroy())
    req.once('error', () => resolve(false))
  })
}
