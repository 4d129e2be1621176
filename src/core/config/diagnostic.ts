/** A problem in sls-run.yaml, located like a compiler message. */
export interface Diagnostic {
  code: string
  severity: 'error' | 'warning'
  message: string
  file: string
  /** 1-based. */
  line: number
  /** 1-based. */
  column: number
  /** Characters to underline on the line (at least 1). */
  length: number
  /** The key path, e.g. services.api.scaling.concurrency, when the problem is at a key. */
  path?: string
  /** The source line, for the caret display. */
  sourceLine?: string
  hints: string[]
}

export type DiagnosticInput = Omit<Diagnostic, 'file' | 'line' | 'column' | 'length' | 'sourceLine' | 'severity' | 'hints'> & {
  severity?: Diagnostic['severity']
  hints?: string[]
}

/** Turns offsets in the source text into located diagnostics. */
export class SourceText {
  private readonly lineStarts: number[] = [0]

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1)
  }

  position(offset: number): { line: number; column: number } {
    let lo = 0
    let hi = this.lineStarts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (this.lineStarts[mid]! <= offset) lo = mid
      else hi = mid - 1
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo]! + 1 }
  }

  lineText(line: number): string {
    const start = this.lineStarts[line - 1] ?? this.text.length
    const end = this.lineStarts[line] ?? this.text.length
    return this.text.slice(start, end).replace(/\r?\n$/, '')
  }

  at(offset: number, end: number, input: DiagnosticInput): Diagnostic {
    const { line, column } = this.position(Math.min(offset, this.text.length))
    const sourceLine = this.lineText(line)
    const length = Math.max(1, Math.min(end - offset, sourceLine.length - column + 1))
    return { severity: 'error', hints: [], ...input, file: this.file, line, column, length, sourceLine }
  }
}
