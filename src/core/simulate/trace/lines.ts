/**
 * Reading trace files fast with bounded memory: 1 MiB reads into one reused buffer, each decoded once
 * into a string of whole lines. Readers split the lines themselves (indexOf, no per-line await or
 * allocation) and count them for the `file:LINE:` of their errors.
 */
import { open, type FileHandle } from 'node:fs/promises'
import { ExitCode, SlsError } from '../../../errors.js'

const CHUNK_BYTES = 1 << 20

/** Arrivals per batch a TraceSource yields: large enough that the per-batch await costs nothing. */
export const BATCH_SIZE = 4096

/** Text pieces of the file, in order; each ends with "\n" except, at the end of the file, the last. */
export async function* textChunks(file: string, display = file): AsyncGenerator<string> {
  const handle = await openTraceFile(file, display)
  try {
    let buffer = Buffer.allocUnsafe(CHUNK_BYTES)
    let carry = 0 // bytes of an unfinished line, kept at the start of the buffer
    for (;;) {
      if (carry === buffer.length) {
        // One line longer than the buffer: grow it (only a malformed file gets here).
        const bigger = Buffer.allocUnsafe(buffer.length * 2)
        buffer.copy(bigger, 0, 0, carry)
        buffer = bigger
      }
      const bytesRead = await readInto(handle, buffer, carry, display)
      const end = carry + bytesRead
      if (bytesRead === 0) {
        if (carry > 0) yield buffer.toString('utf8', 0, carry)
        return
      }
      const lastNewline = buffer.lastIndexOf(0x0a, end - 1)
      if (lastNewline < carry) {
        carry = end
        continue
      }
      // Decoding only up to a line end never splits a UTF-8 character.
      const text = buffer.toString('utf8', 0, lastNewline + 1)
      buffer.copy(buffer, 0, lastNewline + 1, end)
      carry = end - lastNewline - 1
      yield text
    }
  } finally {
    await handle.close()
  }
}

/** The first non-empty line (BOM and "\r" removed) and its number, or undefined for an empty file. */
export async function firstLine(file: string, display = file): Promise<{ text: string; line: number } | undefined> {
  let line = 0
  for await (const text of textChunks(file, display)) {
    for (let pos = 0; pos < text.length;) {
      const newline = text.indexOf('\n', pos)
      const end = newline === -1 ? text.length : newline
      line++
      const raw = stripLineEnd(text.slice(pos, end))
      const clean = line === 1 && raw.startsWith('\uFEFF') ? raw.slice(1) : raw
      if (clean.trim() !== '') return { text: clean, line }
      pos = end + 1
    }
  }
  return undefined
}

export function stripLineEnd(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line
}

/** SIM_TRACE_INVALID for `file:line: message` (exit 2). */
export function invalidLine(display: string, line: number | undefined, message: string, hints: string[] = []): SlsError {
  return new SlsError('SIM_TRACE_INVALID', `${display}${line === undefined ? '' : `:${line}`}: ${message}`, { exitCode: ExitCode.usage, hints })
}

async function openTraceFile(file: string, display: string): Promise<FileHandle> {
  try {
    return await open(file, 'r')
  } catch (error) {
    throw notReadable(display, error)
  }
}

async function readInto(handle: FileHandle, buffer: Buffer, offset: number, display: string): Promise<number> {
  try {
    return (await handle.read(buffer, offset, buffer.length - offset, null)).bytesRead
  } catch (error) {
    throw notReadable(display, error) // EISDIR shows up here, not at open
  }
}

function notReadable(display: string, error: unknown): SlsError {
  const code = (error as NodeJS.ErrnoException).code
  const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (error as Error).message
  return new SlsError('SIM_TRACE_NOT_FOUND', `cannot read the trace ${display}: ${reason}`, {
    exitCode: ExitCode.usage,
    hints: ['Pass a file written by `sls-run dev --record`, a CSV (at_ms,service_ms[,service]) or an Azure Functions invocation-count CSV; or --generate a trace.'],
    cause: error,
  })
}
