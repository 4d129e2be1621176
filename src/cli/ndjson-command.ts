/**
 * Commands whose --json output is a stream (build, push): NDJSON events on stdout, one per line, and the
 * usual envelope as the last line, marked `"type":"result"` (`… --json | tail -n 1` gives it). Warnings
 * are events too, and are collected into the envelope's `warnings`.
 */
import { BaseCommand } from './base-command.js'

export abstract class NdjsonCommand extends BaseCommand {
  /** An event renderer for --json mode. */
  protected ndjson<T extends object>(): (event: T) => void {
    return (event) => process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), ...event })}\n`)
  }

  override warn(message: string): string {
    this.warnings.push(message)
    if (this.jsonEnabled()) this.ndjson<object>()({ type: 'warning', message })
    else process.stderr.write(`${this.paint('yellow', 'warning')} ${message}\n`)
    return message
  }

  override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify({ type: 'result', ...(json as object) })}\n`)
  }
}
