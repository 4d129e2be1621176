/** Compiler-style rendering of config diagnostics: location, severity, code, message, source line, caret, hints. */
import type { Diagnostic } from '../core/config/diagnostic.js'
import type { Paint } from './terminal.js'

export function formatDiagnostic(d: Diagnostic, paint: Paint): string {
  const severity = d.severity === 'error' ? paint('red', 'error') : paint('yellow', 'warning')
  const lines = [`${paint('bold', `${d.file}:${d.line}:${d.column}`)} ${severity} ${d.code} ${d.message}`]
  if (d.sourceLine !== undefined && d.sourceLine.trim() !== '') {
    const gutter = String(d.line).length
    const visible = d.sourceLine.replace(/\t/g, ' ')
    lines.push(`${paint('dim', `${String(d.line).padStart(gutter)} |`)} ${visible}`)
    lines.push(`${paint('dim', `${' '.repeat(gutter)} |`)} ${' '.repeat(d.column - 1)}${paint('red', '^'.repeat(d.length))}`)
  }
  for (const hint of d.hints) lines.push(`  ${paint('cyan', 'hint:')} ${hint}`)
  return lines.join('\n')
}

export function formatDiagnostics(diagnostics: readonly Diagnostic[], paint: Paint): string {
  return diagnostics.map((d) => formatDiagnostic(d, paint)).join('\n\n')
}
