/**
 * Readiness during a cold start: poll every tenth of the time waited so far, between 1 and 10 ms (Knative's
 * queue-proxy polls every 50 ms, the activator every 200 ms), so the emulator adds almost nothing to the app's
 * own boot time: a 20 ms boot is seen within 2 ms, a long one within 10 ms; a failed connect costs microseconds.
 * TCP: the port accepts a connection. HTTP: GET path answers 2xx (after the port opened).
 * Behind a forwarding proxy (a published Docker port) a connection proves nothing, so "open" there
 * means any HTTP answer.
 */
import http from 'node:http'
import { poll } from '../../runtime/poll.js'
import { portAccepts } from '../../runtime/probe-port.js'
import type { RuntimeInstance } from '../../runtime/types.js'

const PROBE_INTERVAL_MS = 10
/** The wait before the next probe, `elapsedMs` into the cold start. */
export const probeInterval = (elapsedMs: number) => Math.min(PROBE_INTERVAL_MS, Math.max(1, elapsedMs / 10))

export interface ProbeSettings {
  type: 'tcp' | 'http'
  path: string
}

export async function waitReady(instance: RuntimeInstance, probe: ProbeSettings, deadline: number, signal: AbortSignal): Promise<{ portOpenAt: number }> {
  const { host, port } = instance.address
  const portOpen = async () => (instance.proxied ? (await httpStatus(host, port, probe.path)) > 0 : await portAccepts(host, port))
  let portOpenAt: number | undefined
  return poll(
    async () => {
      if (portOpenAt === undefined && (await portOpen())) portOpenAt = Date.now()
      return portOpenAt !== undefined && (probe.type === 'tcp' || isOk(await httpStatus(host, port, probe.path))) ? { portOpenAt } : undefined
    },
    {
      deadline,
      intervalMs: probeInterval,
      signal,
      timedOut: () => new Error(portOpenAt === undefined ? `port ${port} did not open in time` : `GET ${probe.path} did not answer 2xx in time`),
      aborted: () => new Error('start aborted'),
    },
  )
}

const isOk = (status: number) => status >= 200 && status < 300

/** The status of GET path, or 0 when nothing answered. */
function httpStatus(host: string, port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path, agent: false, timeout: 1000, headers: { 'user-agent': 'sls-run-probe' } }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.once('timeout', () => req.destroy())
    req.once('error', () => resolve(0))
  })
}
