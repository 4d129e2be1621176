import type { Logger } from '../core/logger.js'
import type { Paint } from './terminal.js'

/** Debug output is on with --verbose or SLS_RUN_LOG=debug. Everything goes to stderr. */
export function debugEnabled(verbose: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return verbose || env.SLS_RUN_LOG === 'debug'
}

export function stderrLogger(paint: Paint, debug: boolean, warnings: string[]): Logger {
  const write = (line: string) => process.stderr.write(`${line}\n`)
  return {
    debug: (message) => debug && write(paint('dim', `debug ${message}`)),
    info: (message) => write(message),
    warn: (message) => {
      warnings.push(message)
      write(`${paint('yellow', 'warning')} ${message}`)
    },
  }
}
