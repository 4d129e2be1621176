/**
 * The request trace (`sls-run dev --record FILE`, read by `sls-run simulate`): NDJSON, one line per
 * request as the gateway saw it. Only what the autoscaler and a forecast need: when it arrived, where it
 * went, how long it waited and was served, and whether it met a cold start. Never a header, a body or
 * a query value (query keys are kept, values dropped: `/search?q=&page=`). docs/trace-format.md explains
 * each field; schema/sls-run-trace.schema.json is generated from this schema (`npm run gen`).
 */
import * as z from '../../vendor/zod.js'

export const TRACE_VERSION = 1

export const traceLine = z
  .object({
    v: z.literal(TRACE_VERSION).describe('Format version'),
    at: z.iso.datetime().describe('Arrival time at the gateway (ISO 8601, UTC, milliseconds)'),
    t: z.number().min(0).describe('Arrival, in ms since the recording started (lines are written as requests end: order by t)'),
    service: z.string().min(1).describe('Service name'),
    method: z.string().min(1).describe('HTTP method'),
    path: z.string().startsWith('/').describe('Request path; query keys kept, their values dropped (/search?q=&page=)'),
    status: z.number().int().min(100).max(599).describe('Status the client got (429/503/504 included)'),
    queuedMs: z.number().min(0).describe('Time waiting for an instance (queue and cold start)'),
    serviceMs: z.number().min(0).describe('Time from leaving the queue to the end of the response'),
    instance: z.string().min(1).optional().describe('Instance that served it (absent when none did: 429, 503)'),
    coldStart: z.boolean().describe('Whether it waited for an instance to start'),
    coldStartMs: z.number().min(0).optional().describe('That cold start, start to ready'),
  })
  .strict()
  .describe('One request of an sls-run trace (one JSON object per line)')

export type TraceLine = z.output<typeof traceLine>

/** A path as the trace keeps it: query keys only. */
export function tracePath(url: string): string {
  const q = url.indexOf('?')
  if (q === -1) return url
  const keys = url
    .slice(q + 1)
    .split('&')
    .filter(Boolean)
    .map((pair) => `${pair.split('=')[0]}=`)
  return keys.length ? `${url.slice(0, q)}?${keys.join('&')}` : url.slice(0, q)
}

export const traceJsonSchema = () => ({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://sls-run.dev/schema/sls-run-trace.schema.json',
  ...(z.toJSONSchema(traceLine, { target: 'draft-2020-12' }) as Record<string, unknown>),
})
