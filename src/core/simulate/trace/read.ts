/**
 * `sls-run simulate TRACE`: a trace file as a TraceSource. Three formats, told apart by their first
 * non-empty line when `format` is `auto` (the default):
 *   record  `sls-run dev --record` NDJSON: the line starts with `{`                       (record.ts)
 *   csv     the header `at_ms,service_ms` or `at_ms,service_ms,service`                   (csv.ts)
 *   azure   the Azure Functions invocation counts: `HashOwner,HashApp,HashFunction,Trigger,1,2,…` (azure.ts)
 * The file and its header are checked here, before anything runs; the lines are checked as they stream
 * (never the whole file in memory), so a bad line stops the run with its line number: the caller prints
 * results only once the whole trace has been consumed.
 */
import { ExitCode, SlsError } from '../../../errors.js'
import type { TraceSource } from '../types.js'
import { AZURE_HEADER_RE, azureHeader, azureTrace } from './azure.js'
import { CSV_HEADERS, csvHeader, csvTrace } from './csv.js'
import { firstLine, invalidLine } from './lines.js'
import { DEFAULT_REORDER_MS, recordTrace } from './record.js'
import { DEFAULT_SERVICE_TIME, isServiceTimeProblem, parseServiceTime } from './service-time.js'

export type TraceFormat = 'record' | 'csv' | 'azure'

export interface OpenTraceOptions {
  /** Default `auto`: detected from the first non-empty line. */
  format?: 'auto' | TraceFormat
  /** Azure: the HashFunction of the row to replay (required when the file has more than one). */
  function?: string
  /** Record and CSV: keep only this service's requests (requests without a service are kept). */
  service?: string
  /** Azure: how a minute's count is placed within it (default `uniform`). */
  spread?: 'uniform' | 'even'
  /** Azure: the service time of every invocation (120ms, 50ms-200ms, ~100ms; default 100ms). */
  serviceTime?: string
  /** Azure: the seed of the uniform spread and the service times (default 1). */
  seed?: number
  /** Record: how far out of order lines may be (default 330 000 ms: max timeout 300 s + queue 30 s). */
  reorderMs?: number
}

export const TRACE_FORMATS_HINT = `sls-run simulate reads: the NDJSON of \`sls-run dev --record\` (a JSON object a line); a CSV with the header ${CSV_HEADERS[0]} or ${CSV_HEADERS[1]}; or an Azure Functions invocation-count CSV (invocations_per_function_md.anon.dNN.csv, header HashOwner,HashApp,HashFunction,Trigger,1,2,…,1440).`

/** Opens and checks a trace file; its arrivals stream from `batches()`. */
export async function openTrace(file: string, options: OpenTraceOptions = {}): Promise<TraceSource> {
  const display = file
  const first = await firstLine(file, display) // SIM_TRACE_NOT_FOUND when it cannot be read
  if (options.format !== undefined && !['auto', 'record', 'csv', 'azure'].includes(options.format)) {
    throw new SlsError('USAGE', `unknown trace format "${options.format}"`, { exitCode: ExitCode.usage, hints: ['Use auto (the default), record, csv or azure.'] })
  }
  if (options.spread !== undefined && options.spread !== 'uniform' && options.spread !== 'even') {
    throw new SlsError('USAGE', `unknown spread "${options.spread}"`, { exitCode: ExitCode.usage, hints: ['Use uniform (the default: random instants within each minute) or even (evenly spaced).'] })
  }
  const format = options.format === undefined || options.format === 'auto' ? detect(display, first) : options.format

  if (format === 'record') {
    const reorderMs = options.reorderMs ?? DEFAULT_REORDER_MS
    if (!(reorderMs >= 0)) throw new SlsError('USAGE', `the reorder window must be 0 ms or more (got ${reorderMs})`, { exitCode: ExitCode.usage })
    return recordTrace(file, display, reorderMs, options.service)
  }
  if (format === 'csv') {
    const header = first && csvHeader(first.text, first.line)
    if (!header) {
      throw invalidLine(
        display,
        first?.line ?? 1,
        `a CSV trace starts with the header ${CSV_HEADERS[0]} (or ${CSV_HEADERS[1]})${first ? `, got ${JSON.stringify(first.text.slice(0, 80))}` : ': the file is empty'}`,
        [`Add the header line: ${CSV_HEADERS[0]}`],
      )
    }
    return csvTrace(file, display, header, options.service)
  }

  const header = first ? azureHeader(first.text, first.line) : 'the file is empty'
  if (typeof header === 'string') throw invalidLine(display, first?.line ?? 1, `not an Azure Functions invocation-count file: ${header}`, [TRACE_FORMATS_HINT])
  const serviceTime = parseServiceTime(options.serviceTime ?? DEFAULT_SERVICE_TIME)
  if (isServiceTimeProblem(serviceTime)) throw new SlsError('USAGE', `service time ${options.serviceTime}: ${serviceTime.problem}`, { exitCode: ExitCode.usage, hints: [serviceTime.hint] })
  const seed = options.seed ?? 1
  if (!Number.isSafeInteger(seed)) throw new SlsError('USAGE', `the seed must be a whole number (got ${seed})`, { exitCode: ExitCode.usage })
  return azureTrace(file, display, header, { function: options.function, spread: options.spread ?? 'uniform', serviceTime, seed })
}

/** The format a first line says, or SIM_TRACE_FORMAT_UNKNOWN. */
function detect(display: string, first: { text: string; line: number } | undefined): TraceFormat {
  if (first === undefined) throw invalidLine(display, undefined, 'the file is empty: no requests to simulate', [TRACE_FORMATS_HINT])
  const text = first.text.trimStart()
  if (text.startsWith('{')) return 'record'
  if (csvHeader(text, first.line)) return 'csv'
  if (AZURE_HEADER_RE.test(text)) return 'azure'
  const hints = [TRACE_FORMATS_HINT, 'Or name the format: --format record, csv or azure.']
  if (text.startsWith('HashOwner,HashApp,')) {
    hints.unshift('This looks like another file of the Azure Functions trace (durations or memory): simulate replays the invocation counts, invocations_per_function_md.anon.dNN.csv.')
  } else if (/^[0-9.]+,[0-9.]+(,[^,]*)?$/.test(text)) {
    hints.unshift(`A CSV trace needs its header line first: ${CSV_HEADERS[0]} (or ${CSV_HEADERS[1]}).`)
  }
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text
  throw new SlsError('SIM_TRACE_FORMAT_UNKNOWN', `${display}:${first.line}: cannot tell the trace format from ${JSON.stringify(shown)}`, { exitCode: ExitCode.usage, hints })
}
