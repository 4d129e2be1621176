/**
 * The minimal CSV trace: a header `at_ms,service_ms` (or `at_ms,service_ms,service`), then one request
 * a line: its arrival in ms from the start of the trace (non-decreasing) and its service time in ms
 * (≥ 0), plain decimal numbers (no sign, no exponent, no quotes), and an optional service name.
 * This is the format big traces come in, so the loop is written for speed: numbers are parsed straight
 * from the chunk's characters, nothing is sliced but service names, and those are shared per name.
 */
import type { Arrival, TraceSource } from '../types.js'
import { BATCH_SIZE, invalidLine, textChunks } from './lines.js'

export const CSV_HEADERS = ['at_ms,service_ms', 'at_ms,service_ms,service'] as const

export interface CsvHeader {
  /** Its line number: the lines before it are empty. */
  line: number
  withService: boolean
}

/** The header, when `text` is one (spaces around names allowed). */
export function csvHeader(text: string, line: number): CsvHeader | undefined {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .join(',')
  if (names === CSV_HEADERS[0]) return { line, withService: false }
  if (names === CSV_HEADERS[1]) return { line, withService: true }
  return undefined
}

/** `service`: keep only that service's requests (lines without a service are kept). */
export function csvTrace(file: string, display: string, header: CsvHeader, service?: string): TraceSource {
  return {
    describe: `${display} (csv)`,
    async *batches(): AsyncGenerator<Arrival[]> {
      const names = new Names()
      let line = 0
      let lastT = 0
      let batch: Arrival[] = []
      for await (const text of textChunks(file, display)) {
        const length = text.length
        let pos = 0
        while (pos < length) {
          let newline = text.indexOf('\n', pos)
          if (newline === -1) newline = length
          const start = pos
          let end = newline
          if (end > start && text.charCodeAt(end - 1) === 13) end-- // CRLF
          pos = newline + 1
          line++
          if (line <= header.line || end === start) continue

          const comma1 = text.indexOf(',', start)
          if (comma1 === -1 || comma1 > end) throw invalidLine(display, line, `expected at_ms,service_ms${header.withService ? '[,service]' : ''}, got ${quote(text, start, end)}`)
          let comma2 = text.indexOf(',', comma1 + 1)
          if (comma2 === -1 || comma2 > end) comma2 = end
          const t = parseNumber(text, start, comma1)
          const serviceMs = parseNumber(text, comma1 + 1, comma2)
          if (!(t >= 0)) throw fieldProblem(display, line, 'at_ms', text, start, comma1)
          if (!(serviceMs >= 0)) throw fieldProblem(display, line, 'service_ms', text, comma1 + 1, comma2)
          if (t < lastT)
            throw invalidLine(display, line, `time goes backwards: at_ms ${t} is before the previous request's ${lastT}`, [
              'at_ms must not decrease from one line to the next: sort the file by at_ms (sort -t, -k1,1n, keeping the header first).',
            ])
          lastT = t

          if (comma2 === end) {
            batch.push({ t, serviceMs })
          } else {
            if (!header.withService) throw invalidLine(display, line, `3 columns, but the header ${CSV_HEADERS[0]} has 2`, [`Add the column to the header: ${CSV_HEADERS[1]}`])
            const comma3 = text.indexOf(',', comma2 + 1)
            if (comma3 !== -1 && comma3 < end) throw invalidLine(display, line, `more than 3 columns in ${quote(text, start, end)}`, ['Service names cannot contain commas (the CSV has no quoting).'])
            const name = comma2 + 1 === end ? undefined : names.get(text.slice(comma2 + 1, end))
            if (service !== undefined && name !== undefined && name !== service) continue
            batch.push(name === undefined ? { t, serviceMs } : { t, serviceMs, service: name })
          }
          if (batch.length === BATCH_SIZE) {
            yield batch
            batch = []
          }
        }
      }
      if (batch.length > 0) yield batch
    },
  }
}

/**
 * The number in text[start, end): digits with an optional fraction ("120", "3.25"); NaN when it is not
 * one. Up to 15 digits the result is exactly Number()'s (an exact integer divided by an exact power of 10
 * rounds once); longer numbers go through Number().
 */
export function parseNumber(text: string, start: number, end: number): number {
  let value = 0
  let digits = 0
  let scale = 1
  let dot = -1
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i)
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48)
      digits++
      if (dot !== -1) scale *= 10
    } else if (c === 46 && dot === -1 && i > start) {
      dot = i
    } else {
      return Number.NaN
    }
  }
  if (digits === 0 || dot === end - 1) return Number.NaN // "" or "12."
  if (digits > 15) return Number(text.slice(start, end))
  return value / scale
}

/** Why a field is not a number ≥ 0 (only on the error path: allocation does not matter here). */
function fieldProblem(display: string, line: number, column: string, text: string, start: number, end: number) {
  const field = text.slice(start, end).trim()
  if (field === '') return invalidLine(display, line, `${column} is empty`)
  if (/^-[0-9]+(\.[0-9]+)?$/.test(field)) {
    return invalidLine(display, line, `${column} is negative (${field})`, [column === 'at_ms' ? 'at_ms counts from the start of the trace: 0 or more.' : 'A service time is 0 ms or more.'])
  }
  return invalidLine(display, line, `${column} is not a number: ${JSON.stringify(field)}`, ['Numbers are plain decimals in ms: 1500 or 12.5 (no unit, sign, exponent or quotes).'])
}

function quote(text: string, start: number, end: number): string {
  const line = text.slice(start, Math.min(end, start + 80))
  return JSON.stringify(end - start > 80 ? `${line}…` : line)
}

/**
 * One string per service name. A name sliced from a chunk can keep the whole 1 MiB chunk alive, so the
 * first occurrence is copied and later ones share it (up to a cap, beyond which names are not shared).
 */
class Names {
  private readonly known = new Map<string, string>()
  get(name: string): string {
    const shared = this.known.get(name)
    if (shared !== undefined) return shared
    if (this.known.size >= 10_000) return name
    const copy = Buffer.from(name, 'utf8').toString('utf8')
    this.known.set(copy, copy)
    return copy
  }
}
