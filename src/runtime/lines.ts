/** Log lines of an instance: a byte stream split into lines, whichever runtime produced it. */
import type { Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'

/** Splits a byte stream into lines; a last line without a newline is emitted when the stream ends. */
export function forEachLine(stream: Readable, onLine: (line: string) => void): () => void {
  const decoder = new StringDecoder('utf8')
  let partial = ''
  let flushed = false
  const push = (text: string) => {
    const parts = (partial + text).split('\n')
    partial = parts.pop() ?? ''
    for (const part of parts) onLine(part.endsWith('\r') ? part.slice(0, -1) : part)
  }
  const flush = () => {
    if (flushed) return
    flushed = true
    push(decoder.end())
    if (partial !== '') onLine(partial)
    partial = ''
  }
  stream.on('data', (chunk: Buffer | string) => push(typeof chunk === 'string' ? chunk : decoder.write(chunk)))
  stream.once('end', flush)
  stream.once('close', flush)
  return flush
}
