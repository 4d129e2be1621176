/**
 * The emulator's dead-letter topic: one NDJSON line per delivery that failed for good (a non-retryable
 * answer, or the last retry spent, or the session stopping), with the event in the JSON event format so
 * it can be read back and re-posted to `POST /events` as it is.
 */
import { mkdir, open } from 'node:fs/promises'
import path from 'node:path'
import type { Event } from './cloudevents.js'

export interface DeadLetter {
  /** When it was dead-lettered (ISO 8601). */
  time: string
  service: string
  path: string
  attempts: number
  /** The last try's status (0: no answer). */
  lastStatus: number
  lastError?: string
  event: Event
}

/** A line of the file: the event as structured JSON (`data` for JSON data, `data_base64` for bytes). */
export type DeadLetterLine = Omit<DeadLetter, 'event'> & { event: Record<string, unknown> }

/**
 * Appends one line, creating the folder. The line goes out in a single write() on a file opened for
 * appending (O_APPEND), so concurrent deliveries never interleave within a line.
 */
export async function appendDeadLetter(file: string, record: DeadLetter): Promise<void> {
  const { event, ...rest } = record
  const { toStructured } = await import('./cloudevents.js')
  const line: DeadLetterLine = { ...rest, event: toStructured(event) }
  const bytes = Buffer.from(`${JSON.stringify(line)}\n`, 'utf8')
  await mkdir(path.dirname(file), { recursive: true })
  const handle = await open(file, 'a')
  try {
    const { bytesWritten } = await handle.write(bytes)
    if (bytesWritten !== bytes.length) throw new Error(`short write to ${file}: ${bytesWritten} of ${bytes.length} bytes`)
  } finally {
    await handle.close()
  }
}
