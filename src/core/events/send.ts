/**
 * Send for scheduled requests and event deliveries: an HTTP request to the service's gateway, so it is
 * queued, scaled from zero, timed and logged like any client's request.
 */
import { request } from 'undici'
import type { OutgoingRequest, Send, SendResult } from './types.js'

/** Largest response body kept (the rest is read and dropped): a scheduler only needs the status. */
const MAX_BODY = 1024 * 1024

export function gatewaySend(urlOf: (service: string) => string | undefined): Send {
  return async (service, req: OutgoingRequest, signal) => {
    const base = urlOf(service)
    const started = performance.now()
    const took = () => Math.round((performance.now() - started) * 100) / 100
    if (!base) return { status: 0, headers: {}, body: Buffer.alloc(0), durationMs: 0, coldStart: false, error: `service ${service} is not running in this session` }
    try {
      const res = await request(new URL(req.path, base), { method: req.method as 'POST', headers: req.headers, body: req.body, signal })
      const chunks: Buffer[] = []
      let size = 0
      for await (const chunk of res.body) {
        if (size < MAX_BODY) chunks.push(chunk as Buffer)
        size += (chunk as Buffer).length
      }
      const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v ?? '')]))
      const result: SendResult = { status: res.statusCode, headers, body: Buffer.concat(chunks).subarray(0, MAX_BODY), durationMs: took(), coldStart: headers['x-sls-run-cold-start'] === '1' }
      if (headers['x-sls-run-instance']) result.instance = headers['x-sls-run-instance']
      return result
    } catch (error) {
      if (signal?.aborted) throw error
      const reason = (error as { code?: string }).code ?? (error as Error).message
      return { status: 0, headers: {}, body: Buffer.alloc(0), durationMs: took(), coldStart: false, error: `no answer from the gateway of ${service} (${reason})` }
    }
  }
}
