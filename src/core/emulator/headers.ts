/**
 * Headers across the gateway, as a platform's front end treats them: hop-by-hop ones stay on their
 * connection (RFC 9110 7.6.1), `Expect` is answered by the gateway itself (Node sends the client its
 * `100 Continue`; an upstream client cannot honour a forwarded one), and the platform adds
 * `X-Forwarded-For`, `X-Forwarded-Proto` and `Forwarded` (RFC 7239) on the way in, `x-sls-run-instance`,
 * `Server-Timing` and, after a cold start, `x-sls-run-cold-start` on the way out.
 */
import type http from 'node:http'
import type { Lease } from './pool.js'

const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'http2-settings', 'expect'])

/** A Host value that can stand in a Forwarded element: host[:port] (a name, IPv4 or [IPv6]), nothing else. */
const PLAIN_HOST = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._~%-]+)(:\d{1,5})?$/

export function hasBody(req: http.IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0
}

/** The client's headers, minus hop-by-hop ones (and `upgrade`/`connection` kept for a WebSocket handshake), plus what the platform adds. */
export function forwardHeaders(req: http.IncomingMessage, upgrade = false): Record<string, string | string[]> {
  const source = req.headers
  const headers: Record<string, string | string[]> = {}
  for (const name in source) {
    const value = source[name]
    if (value !== undefined && !(NOT_FORWARDED.has(name) && !(upgrade && (name === 'upgrade' || name === 'connection')))) headers[name] = value
  }
  const client = req.socket.remoteAddress ?? 'unknown'
  const forwardedFor = source['x-forwarded-for']
  headers['x-forwarded-for'] = forwardedFor ? `${forwardedFor}, ${client}` : client
  headers['x-forwarded-proto'] = 'http'
  const node = client.includes(':') ? `"[${client}]"` : client
  // The Host is the client's to choose: anything but a plain host[:port] is left out, so that it can never
  // add parameters (`evil";for=…`) to the element the platform vouches for.
  const host = source.host !== undefined && PLAIN_HOST.test(source.host) ? `;host="${source.host}"` : ''
  const entry = `for=${node};proto=http${host}`
  headers.forwarded = source.forwarded ? `${source.forwarded}, ${entry}` : entry
  return headers
}

/**
 * The instance's headers minus hop-by-hop ones, then the platform's: `x-sls-run-instance`,
 * `Server-Timing` and, after a cold start, `x-sls-run-cold-start` (these replace the app's own).
 * One flat [name, value, …] list, which writeHead takes as it is.
 */
export function responseHeaders(headers: Record<string, string | string[] | undefined>, lease: Lease): Array<string | string[]> {
  const out: Array<string | string[]> = []
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined || NOT_FORWARDED.has(name) || name === 'x-sls-run-instance' || name === 'server-timing' || (lease.coldStart && name === 'x-sls-run-cold-start')) continue
    out.push(name, value)
  }
  let timing = `queue;dur=${lease.queuedMs.toFixed(1)}`
  if (lease.thawMs !== undefined) timing += `, thaw;dur=${lease.thawMs.toFixed(1)}`
  out.push('x-sls-run-instance', lease.instanceId)
  if (lease.coldStart) {
    const c = lease.coldStart
    timing += `, cold-start;dur=${c.totalMs.toFixed(1)}, spawn;dur=${c.spawnMs.toFixed(1)}, boot;dur=${c.bootMs.toFixed(1)}, ready;dur=${c.readyMs.toFixed(1)}`
    if (c.delayMs) timing += `, simulated-delay;dur=${c.delayMs.toFixed(1)}`
    out.push('x-sls-run-cold-start', '1')
  }
  out.push('server-timing', timing)
  return out
}
