/**
 * `sls-run dev --record FILE`: every request the gateways answer, appended to FILE as a trace line
 * (format.ts). A line is written when its request ends, as access logs are, so lines follow completion
 * order; `t` (arrival) is what orders them, and `simulate` sorts by it.
 */
import fs from 'node:fs'
import path from 'node:path'
import { ExitCode, SlsError } from '../../errors.js'
import type { RequestRecord } from '../emulator/gateway.js'
import { TRACE_VERSION, tracePath, type TraceLine } from './format.js'

export class TraceRecorder {
  private readonly out: fs.WriteStream
  /**
   * Creates (or truncates) the file now, so a path that cannot be written fails before anything starts.
   * `t0`: when the recording starts (epoch ms, the emulator's clock); `t` counts from it.
   */
  constructor(
    readonly file: string,
    private readonly t0: number,
  ) {
    let fd: number
    try {
      fd = fs.openSync(file, 'w')
    } catch (error) {
      throw new SlsError('RECORD_FILE_UNWRITABLE', `cannot write the trace file ${file}: ${(error as Error).message}`, {
        exitCode: ExitCode.usage,
        hints: [`Pass --record a path in a folder that exists and you can write to (${path.dirname(file)}).`],
      })
    }
    this.out = fs.createWriteStream(file, { fd })
  }

  request(r: RequestRecord): void {
    const line: TraceLine = {
      v: TRACE_VERSION,
      at: new Date(r.startedAt).toISOString(),
      t: round(Math.max(0, r.startedAt - this.t0)),
      service: r.service,
      method: r.method,
      path: tracePath(r.path),
      status: r.status,
      queuedMs: round(r.queuedMs),
      serviceMs: round(Math.max(0, r.durationMs - r.queuedMs)),
      ...(r.instanceId ? { instance: r.instanceId } : {}),
      coldStart: r.coldStart,
      ...(r.coldStartMs === undefined ? {} : { coldStartMs: round(r.coldStartMs) }),
    }
    this.out.write(`${JSON.stringify(line)}\n`)
  }

  /** Flushes and closes the file. */
  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(() => resolve()))
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100
