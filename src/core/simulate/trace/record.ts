/**
 * The `sls-run dev --record` trace (NDJSON, src/core/trace/format.ts). Each line is validated with the
 * same zod schema the recorder writes to. Lines are written as requests END, so a line can come after
 * lines of requests that arrived later, by at most that request's queue + service time. A bounded
 * min-heap by `t` puts them back in arrival order: an arrival is released once a line more than
 * `reorderMs` later than it has been read (so the heap holds at most `reorderMs` worth of requests),
 * and everything left is released at the end. A line earlier than an arrival already released cannot be
 * placed any more: "time goes backwards".
 */
import type { z } from '../../../vendor/zod.js'
import { traceLine, TRACE_VERSION } from '../../trace/format.js'
import type { Arrival, TraceSource } from '../types.js'
import { BATCH_SIZE, invalidLine, textChunks } from './lines.js'

/** The longest request timeout (300 s) plus the longest queue wait (30 s). */
export const DEFAULT_REORDER_MS = 330_000

/** `service`: keep only that service's requests. */
export function recordTrace(file: string, display: string, reorderMs = DEFAULT_REORDER_MS, service?: string): TraceSource {
  return {
    describe: `${display} (sls-run record)`,
    async *batches(): AsyncGenerator<Arrival[]> {
      const heap = new ArrivalHeap()
      let latest = -Infinity // the largest t read so far
      let released = -Infinity // the t of the last arrival released
      let line = 0
      let batch: Arrival[] = []
      const release = (arrival: Arrival) => {
        released = arrival.t
        if (service === undefined || arrival.service === service) batch.push(arrival)
      }
      for await (const text of textChunks(file, display)) {
        let pos = 0
        while (pos < text.length) {
          let newline = text.indexOf('\n', pos)
          if (newline === -1) newline = text.length
          let raw = text.slice(pos, newline)
          pos = newline + 1
          line++
          if (line === 1 && raw.startsWith('\uFEFF')) raw = raw.slice(1)
          if (raw.trim() === '') continue
          const arrival = parseLine(raw, display, line)
          if (arrival.t < released) {
            throw invalidLine(display, line, `time goes backwards: t=${arrival.t} is more than ${reorderMs} ms before a request read earlier (t=${latest})`, [
              `A --record trace is at most one request's queue + service time out of order (${reorderMs} ms allowed here); was the file edited or concatenated? Sort it by t (jq -c -s 'sort_by(.t)[]').`,
            ])
          }
          heap.push(arrival)
          if (arrival.t > latest) latest = arrival.t
          while (heap.size > 0 && latest - heap.peek().t > reorderMs) release(heap.pop())
          if (batch.length >= BATCH_SIZE) {
            yield batch
            batch = []
          }
        }
      }
      while (heap.size > 0) {
        release(heap.pop())
        if (batch.length >= BATCH_SIZE) {
          yield batch
          batch = []
        }
      }
      if (batch.length > 0) yield batch
    },
  }
}

function parseLine(raw: string, display: string, line: number): Arrival {
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch (error) {
    throw invalidLine(display, line, `not a JSON object (${(error as Error).message})`, ['A --record trace has one JSON object a line (docs/trace-format.md).'])
  }
  const parsed = traceLine.safeParse(value)
  if (!parsed.success) throw invalidLine(display, line, describeIssue(parsed.error.issues[0]!, value), ['Each line follows docs/trace-format.md (schema/sls-run-trace.schema.json).'])
  const { t, serviceMs, service, coldStart, coldStartMs } = parsed.data
  return coldStart && coldStartMs !== undefined ? { t, serviceMs, service, coldStartMs } : { t, serviceMs, service }
}

/** The first schema problem, in words: "serviceMs is negative (-3)", "status: …". */
function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  const key = issue.path.join('.')
  const got = issue.path.length === 1 && value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined
  if (key === 'v' && got !== undefined) return `format version ${JSON.stringify(got)}; this sls-run reads version ${TRACE_VERSION}`
  if (issue.code === 'too_small' && typeof got === 'number' && got < 0) return `${key} is negative (${got})`
  if (issue.code === 'invalid_type' && got === undefined && key !== '') return `${key} is missing`
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`
  return key === '' ? issue.message : `${key}: ${issue.message}`
}

/** A binary min-heap of arrivals by t. */
class ArrivalHeap {
  private readonly items: Arrival[] = []

  get size(): number {
    return this.items.length
  }

  peek(): Arrival {
    return this.items[0]!
  }

  push(arrival: Arrival): void {
    const items = this.items
    let i = items.length
    items.push(arrival)
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (items[parent]!.t <= arrival.t) break
      items[i] = items[parent]!
      i = parent
    }
    items[i] = arrival
  }

  pop(): Arrival {
    const items = this.items
    const top = items[0]!
    const last = items.pop()!
    const n = items.length
    if (n > 0) {
      let i = 0
      for (;;) {
        let child = 2 * i + 1
        if (child >= n) break
        if (child + 1 < n && items[child + 1]!.t < items[child]!.t) child++
        if (items[child]!.t >= last.t) break
        items[i] = items[child]!
        i = child
      }
      items[i] = last
    }
    return top
  }
}
