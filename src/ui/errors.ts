/**
 * How a failure looks. A user error (SlsError) is `error CODE message` plus hints, then `docs: PAGE` when a
 * docs/ page explains its code (the catalogue's `docs`, as the page inside the installed package); a config
 * error also shows its diagnostics. Anything else is a bug: it says so, asks for a report, and shows the stack
 * only in debug mode. In --json mode both become the error envelope.
 */
import { ExitCode, SlsError, isSlsError } from '../errors.js'
import { docsOf } from '../error-codes.js'
import type { Diagnostic } from '../core/config/diagnostic.js'
import { docsLocation } from './docs-location.js'
import { formatDiagnostics } from './diagnostics.js'
import type { Paint } from './terminal.js'

export const ISSUES_URL = 'https://github.com/sls-run/sls-run/issues'

export interface ErrorEnvelope {
  status: 'error'
  /** `docs`: the page that explains the code (absolute, in the installed package, with its #anchor). */
  error: { code: string; message: string; hints: string[]; docs?: string; details?: unknown }
}

/** Where the docs page of an error's code is, if it has one. */
export function errorDocs(error: SlsError): string | undefined {
  const target = docsOf(error.code)
  return target === undefined ? undefined : docsLocation(target)
}

/** Converts oclif's own usage errors (unknown flag, missing argument...) into SlsError. */
export function normalizeError(error: unknown): SlsError | Error {
  if (isSlsError(error)) return error
  const oclif = (error as { oclif?: { exit?: number } } | undefined)?.oclif
  if (error instanceof Error && oclif?.exit === 2) {
    return new SlsError('USAGE', error.message.replace(/\nSee more help with --help$/, '').trim(), {
      exitCode: ExitCode.usage,
      hints: ['Run the command with --help for its flags and arguments.'],
    })
  }
  return error instanceof Error ? error : new Error(String(error))
}

export function errorEnvelope(error: SlsError | Error, debug: boolean): ErrorEnvelope {
  if (isSlsError(error)) {
    const docs = errorDocs(error)
    return {
      status: 'error',
      error: { code: error.code, message: error.message, hints: error.hints, ...(docs === undefined ? {} : { docs }), ...(error.details === undefined ? {} : { details: error.details }) },
    }
  }
  return {
    status: 'error',
    error: { code: 'INTERNAL', message: `unexpected error (a bug in sls-run): ${error.message}`, hints: [`Please report it at ${ISSUES_URL}.`], ...(debug ? { details: { stack: error.stack } } : {}) },
  }
}

export function formatError(error: SlsError | Error, paint: Paint, debug: boolean): string {
  const lines: string[] = []
  if (isSlsError(error)) {
    const diagnostics = (error.details as { diagnostics?: Diagnostic[] } | undefined)?.diagnostics
    if (diagnostics?.length) lines.push(formatDiagnostics(diagnostics, paint), '')
    lines.push(`${paint('red', 'error')} ${error.code} ${error.message}`)
    for (const hint of error.hints) lines.push(`  ${paint('cyan', 'hint:')} ${hint}`)
    const docs = errorDocs(error)
    if (docs !== undefined) lines.push(`  ${paint('cyan', 'docs:')} ${docs}`)
    if (debug && error.cause instanceof Error) lines.push(paint('dim', `cause: ${error.cause.stack ?? error.cause.message}`))
  } else {
    lines.push(`${paint('red', 'bug')} sls-run hit an unexpected error: ${error.message}`)
    lines.push(`  Please report it at ${ISSUES_URL} with the command you ran and the output of \`sls-run doctor\`.`)
    lines.push(debug ? paint('dim', error.stack ?? '') : '  Run again with --verbose (or SLS_RUN_LOG=debug) to see the stack trace.')
  }
  return lines.join('\n')
}

export function exitCodeOf(error: SlsError | Error): number {
  return isSlsError(error) ? error.exitCode : ExitCode.failure
}
