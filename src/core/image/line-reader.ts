/**
 * The engine's build and push streams are NDJSON split at arbitrary chunk boundaries: this base class
 * reassembles whole lines (a last line without a newline counts when the stream ends).
 */
export abstract class LineReader {
  private pending = ''

  write(chunk: Buffer | string): void {
    this.pending += chunk.toString()
    const lines = this.pending.split('\n')
    this.pending = lines.pop()!
    for (const line of lines) this.line(line)
  }

  /** Handles the unterminated last line; subclasses call it first in their `end()`. */
  protected flushLines(): void {
    if (this.pending.trim()) this.line(this.pending)
    this.pending = ''
  }

  protected abstract line(line: string): void
}
