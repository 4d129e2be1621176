/**
 * The Azure Functions public trace (Shahrad et al., "Serverless in the Wild", USENIX ATC 2020), its
 * invocation-count files `invocations_per_function_md.anon.dNN.csv`: a header
 * `HashOwner,HashApp,HashFunction,Trigger,1,2,…,1440`, then one row per function with its number of
 * invocations in each minute of one day.
 *
 * How a row becomes arrivals (docs wording in the report to the lead, kept in sync with this):
 * - The file has counts per minute, not times: a minute's N invocations are spread within that minute.
 *   `uniform` (default): N instants drawn uniformly at random in [m·60 s, (m+1)·60 s) with the seeded
 *   PRNG, in order (drawn directly as sorted order statistics, so a busy minute needs no memory);
 *   `even`: evenly spaced, at m·60 s + (i + ½)·60 s / N. Either way each minute keeps exactly its count.
 * - The file has no durations: every invocation gets a service time from `serviceTime` (same spec as
 *   the generators' `service=`: 120ms, 50ms-200ms, ~100ms; default 100ms).
 * The file is scanned once when it is opened, to pick the row (`function` = its HashFunction; needed
 * when there is more than one) and check it: only the chosen row's 1440 counts are kept. Other rows are
 * only checked for having a hash; a hash that appears on several rows means the first of them.
 */
import { ExitCode, SlsError } from '../../../errors.js'
import type { Arrival, TraceSource } from '../types.js'
import { BATCH_SIZE, invalidLine, textChunks } from './lines.js'
import { Random } from './random.js'
import type { ServiceTime } from './service-time.js'

const AZURE_COLUMNS = ['HashOwner', 'HashApp', 'HashFunction', 'Trigger'] as const
export const AZURE_HEADER_RE = /^HashOwner,HashApp,HashFunction,Trigger,1(,|$)/
const MINUTE_MS = 60_000

export interface AzureHeader {
  line: number
  minutes: number
}

export interface AzureOptions {
  function?: string
  spread: 'uniform' | 'even'
  serviceTime: ServiceTime
  seed: number
}

/** The header's minute columns (1…N in order), or why it is not the invocation-count header. */
export function azureHeader(text: string, line: number): AzureHeader | string {
  const names = text.split(',').map((name) => name.trim())
  if (AZURE_COLUMNS.some((name, i) => names[i] !== name)) return `the header must start with ${AZURE_COLUMNS.join(',')}`
  const minutes = names.length - AZURE_COLUMNS.length
  for (let i = 0; i < minutes; i++) {
    if (names[AZURE_COLUMNS.length + i] !== String(i + 1)) return `minute column ${i + 1} is ${JSON.stringify(names[AZURE_COLUMNS.length + i])}; the minutes must be 1, 2, … in order`
  }
  return minutes > 0 ? { line, minutes } : 'the header has no minute columns (1, 2, …, 1440)'
}

/** Picks and checks the row now (coded errors before anything runs); the arrivals stream later. */
export async function azureTrace(file: string, display: string, header: AzureHeader, options: AzureOptions): Promise<TraceSource> {
  const { row, trigger, counts } = await pickRow(file, display, header, options.function)
  const total = counts.reduce((sum, n) => sum + n, 0)
  const shortHash = row.length > 12 ? `${row.slice(0, 12)}…` : row
  return {
    describe: `${display} (azure function ${shortHash}, ${trigger} trigger, ${total} invocations, ${options.spread} spread, service=${options.serviceTime.describe}, seed=${options.seed})`,
    durationMs: counts.length * MINUTE_MS, // the whole day, quiet minutes at the end included
    async *batches(): AsyncGenerator<Arrival[]> {
      const random = new Random(options.seed, 0)
      const serviceRandom = new Random(options.seed, 1)
      const service = options.serviceTime
      let batch: Arrival[] = []
      for (let minute = 0; minute < counts.length; minute++) {
        const n = counts[minute]!
        const start = minute * MINUTE_MS
        const last = (start + MINUTE_MS) * (1 - Number.EPSILON) // the largest time still inside the minute
        let fraction = 0 // uniform: the previous instant, as a fraction of the minute
        for (let i = 0; i < n; i++) {
          if (options.spread === 'even') {
            fraction = (i + 0.5) / n
          } else {
            // The smallest of the k = n − i instants still to place, uniform in [fraction, 1): the minimum
            // of k uniforms on [0, 1) is 1 − V^(1/k) (V uniform in (0, 1]), scaled to what is left.
            fraction += (1 - fraction) * -Math.expm1(Math.log(1 - random.next()) / (n - i))
          }
          batch.push({ t: Math.min(start + fraction * MINUTE_MS, last), serviceMs: service.sample(serviceRandom) })
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

/** One pass over the file: the chosen row's counts, or a coded error saying how to choose. */
async function pickRow(file: string, display: string, header: AzureHeader, wanted: string | undefined) {
  let line = 0
  let rows = 0
  const firstHashes: string[] = []
  let prefixMatch: string | undefined
  let chosen: { row: string; trigger: string; counts: number[] } | undefined
  for await (const text of textChunks(file, display)) {
    for (let pos = 0; pos < text.length;) {
      let newline = text.indexOf('\n', pos)
      if (newline === -1) newline = text.length
      const start = pos
      const end = newline > start && text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline
      pos = newline + 1
      line++
      if (line <= header.line || end === start) continue
      rows++
      const comma2 = nthComma(text, start, end, 2)
      const comma3 = comma2 === -1 ? -1 : nthComma(text, comma2 + 1, end, 1)
      if (comma3 === -1) throw invalidLine(display, line, `expected ${AZURE_COLUMNS.join(',')},1,…,${header.minutes}; this row has fewer than 4 columns`)
      const hash = text.slice(comma2 + 1, comma3)
      if (firstHashes.length < 5) firstHashes.push(hash)
      if (chosen !== undefined) continue
      if (wanted === undefined ? rows === 1 : hash === wanted) chosen = parseRow(text.slice(start, end), display, line, header)
      else if (wanted !== undefined && prefixMatch === undefined && hash.startsWith(wanted)) prefixMatch = hash
    }
  }
  if (rows === 0) throw invalidLine(display, undefined, 'no function rows after the header')
  const listing = [
    `The first: ${firstHashes.join(', ')}${rows > firstHashes.length ? ', …' : ''}`,
    `List them, busiest first: awk -F, 'NR>1 {s=0; for (i=5; i<=NF; i++) s+=$i; print s, $3, $4}' ${display} | sort -rn | head`,
  ]
  if (wanted === undefined && rows > 1) {
    throw new SlsError('SIM_FUNCTION_REQUIRED', `${display} has ${rows} functions: choose one with --function HASH (its HashFunction)`, { exitCode: ExitCode.usage, hints: listing })
  }
  if (chosen === undefined) {
    throw new SlsError('SIM_FUNCTION_UNKNOWN', `no function ${wanted} in ${display} (it has ${rows} function${rows === 1 ? '' : 's'})${prefixMatch ? `; did you mean ${prefixMatch}?` : ''}`, {
      exitCode: ExitCode.usage,
      hints: listing,
    })
  }
  return chosen
}

function parseRow(row: string, display: string, line: number, header: AzureHeader) {
  const fields = row.split(',')
  const expected = AZURE_COLUMNS.length + header.minutes
  if (fields.length !== expected) throw invalidLine(display, line, `${fields.length} columns, but the header has ${expected} (${AZURE_COLUMNS.join(',')} and ${header.minutes} minutes)`)
  const counts = fields.slice(AZURE_COLUMNS.length).map((field, i) => {
    if (!/^[0-9]+$/.test(field)) throw invalidLine(display, line, `minute ${i + 1}: ${JSON.stringify(field)} is not an invocation count (a whole number, 0 or more)`)
    return Number(field)
  })
  return { row: fields[2]!, trigger: fields[3]!, counts }
}

/** The index of the nth comma in text[from, end), or -1. */
function nthComma(text: string, from: number, end: number, n: number): number {
  let at = from - 1
  for (let i = 0; i < n; i++) {
    at = text.indexOf(',', at + 1)
    if (at === -1 || at >= end) return -1
  }
  return at
}
