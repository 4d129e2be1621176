/** How a failed build is told: the failing step, its command and its last output lines, or the Dockerfile line. */
import { SourceText, type Diagnostic } from '../config/diagnostic.js'
import { ExitCode, SlsError } from '../../errors.js'
import type { BuildOutcome } from './progress.js'

export function buildFailure(service: string, dockerfile: { path: string; text: string }, outcome: Pick<BuildOutcome, 'error' | 'failedStep' | 'tail'>, base?: string): SlsError {
  const message = outcome.error ?? 'the engine ended the build without an image id'
  const syntax = /dockerfile parse error (?:on )?line (\d+)[:,]?\s*(.*)$/i.exec(message)
  if (syntax) {
    const line = Number(syntax[1])
    const source = new SourceText(dockerfile.path, dockerfile.text)
    const sourceLine = source.lineText(line)
    const indent = sourceLine.length - sourceLine.trimStart().length
    const word = /^\s*(\S*)/.exec(sourceLine)![1]!.length
    const diagnostic: Diagnostic = {
      code: 'DOCKERFILE_INVALID',
      severity: 'error',
      message: syntax[2]!.trim() || message,
      file: dockerfile.path,
      line,
      column: indent + 1,
      length: Math.max(1, word),
      sourceLine,
      hints: [],
    }
    return new SlsError('DOCKERFILE_INVALID', `${service}: ${dockerfile.path}:${line}: ${diagnostic.message}`, {
      details: { service, diagnostics: [diagnostic] },
      hints: ['Fix the Dockerfile line above; see https://docs.docker.com/reference/dockerfile/.'],
    })
  }
  if (base && base !== 'scratch' && /pull access denied|manifest unknown|not found: manifest|failed to resolve|no such host|dial tcp|lookup .* on|TLS handshake|i\/o timeout/i.test(message)) {
    return new SlsError('BASE_IMAGE_UNAVAILABLE', `${service}: the base image ${base} is not on this machine and could not be pulled: ${message}`, {
      details: { service, base, engineMessage: message },
      hints: [`Pull it while online (\`docker pull ${base}\`), or check the name in FROM.`, 'Behind a TLS-intercepting proxy, the engine itself needs the proxy CA (see the README: "Builds behind a TLS-intercepting proxy").'],
    })
  }
  const step = outcome.failedStep
  const tail = outcome.tail
  const shown = tail.length ? `\n${tail.map((l) => `  │ ${l}`).join('\n')}` : ''
  return new SlsError('BUILD_FAILED', `${service}: ${step ? `step \`${step.name}\` failed` : 'the build failed'}: ${message}${shown}`, {
    exitCode: ExitCode.failure,
    details: { service, step: step?.name, error: message, output: tail },
    hints: tail.length ? [`The last ${tail.length} lines of the step's output are above; no tag was written.`] : ['No tag was written. Run with --verbose for the full engine output.'],
  })
}
