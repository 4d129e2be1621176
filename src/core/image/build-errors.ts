/** How a failed build is told: the failing step, its command and its last output lines, or the Dockerfile line. */
import { stripVTControlCharacters } from 'node:util'
import { SourceText, type Diagnostic } from '../config/diagnostic.js'
import { ExitCode, SlsError } from '../../errors.js'
import type { Dockerfile } from './dockerfile.js'
import type { BuildOutcome } from './progress.js'

/** The base image of the stage that failed: its FROM line, and whether the engine has it locally. */
export interface FailedBase {
  ref: string
  line?: number
  /** The engine has an image of that name (so a pull of it failed, not the lookup of a missing one). */
  present?: boolean
  /** The build asked for --pull. */
  pull?: boolean
}

const PULL_ERROR = /pull access denied|manifest unknown|not found: manifest|failed to resolve|no such host|dial tcp|lookup .* on|TLS handshake|i\/o timeout/i

export const isPullError = (message: string | undefined): boolean => PULL_ERROR.test(message ?? '')

/** The external images the stages start from (no `scratch`, no earlier stage), with their FROM lines. */
export function externalBases(file: Dockerfile): Array<{ ref: string; line: number }> {
  const stageNames = (index: number) => file.stages.slice(0, index).flatMap((s, i) => [String(i), ...(s.name ? [s.name] : [])])
  return file.stages.filter((s) => s.from && s.from !== 'scratch' && !stageNames(s.index).includes(s.from.toLowerCase())).map((s) => ({ ref: s.from, line: s.line }))
}

/** `docker.io/library/node:22-alpine@sha256:…` → `node:22-alpine`; a name without a tag gets `:latest`. */
export function shortRef(ref: string): string {
  const name = ref.replace(/@sha256:[0-9a-f]+$/i, '').replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\/(library\/)?/, '')
  return /:[^/]+$/.test(name) ? name : `${name}:latest`
}

/**
 * The base image of the stage the engine was building when it failed: the classic builder's `Step N/M`
 * is the Dockerfile's Nth instruction; BuildKit names the image in the failing vertex (`[internal] load
 * metadata for docker.io/…`, `[build 1/4] FROM docker.io/…`) or the registry URL in its message; else the
 * repository the message names.
 */
export function failedBase(file: Dockerfile, outcome: Pick<BuildOutcome, 'error' | 'failedStep'>): { ref: string; line?: number } | undefined {
  const bases = externalBases(file)
  const step = outcome.failedStep
  const classic = step && /^(\d+)\/\d+$/.exec(step.id)
  if (classic) {
    const from = file.instructions[Number(classic[1]) - 1]
    const stage = from?.keyword === 'FROM' ? file.stages[from.stage] : undefined
    const base = stage && bases.find((b) => b.line === stage.line)
    if (base) return base
  }
  // BuildKit's frontend fails before any vertex, with the registry URL: `Head "https://registry-1.docker.io/v2/library/alpine/manifests/3.20"`.
  const url = /https?:\/\/([^/"\s]+)\/v2\/(\S+?)\/manifests\/([^"\s/]+)/.exec(outcome.error ?? '')
  const named = (step && /(?:load metadata for|FROM)\s+(\S+)/i.exec(step.name)?.[1]) ?? (url && `${url[1]}/${url[2]}:${url[3]}`)
  if (named) return bases.find((b) => shortRef(b.ref) === shortRef(named)) ?? { ref: shortRef(named) }
  // The message: `pull access denied for sls-run-test-missing/golang, …` names the repository without its tag.
  const mentioned = (ref: string) =>
    new RegExp(
      `(^|[\\s"'/])${shortRef(ref)
        .replace(/:[^:]*$/, '')
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([\\s"',:@]|$)`,
    ).test(outcome.error ?? '')
  return bases.filter((b) => mentioned(b.ref)).sort((a, b) => b.ref.length - a.ref.length)[0]
}

export function buildFailure(service: string, dockerfile: { path: string; text: string }, outcome: Pick<BuildOutcome, 'error' | 'failedStep' | 'tail'>, base?: FailedBase): SlsError {
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
  if (base && isPullError(message)) return baseUnavailable(service, dockerfile.path, base, message)
  const step = outcome.failedStep
  const tail = outcome.tail
  const shown = tail.length ? `\n${tail.map((l) => `  │ ${stripVTControlCharacters(l)}`).join('\n')}` : ''
  return new SlsError('BUILD_FAILED', `${service}: ${step ? `step \`${step.name}\` failed` : 'the build failed'}: ${message}${shown}`, {
    exitCode: ExitCode.failure,
    details: { service, step: step?.name, error: message, output: tail },
    hints: tail.length ? [`The last ${tail.length} lines of the step's output are above; no tag was written.`] : ['No tag was written. Run with --verbose for the full engine output.'],
  })
}

/** BASE_IMAGE_UNAVAILABLE: absent and not pullable, or present while a pull of it (--pull, another platform) failed. */
function baseUnavailable(service: string, file: string, base: FailedBase, message: string): SlsError {
  const where = base.line ? ` (${file}:${base.line})` : ''
  const offline = `Offline: on a machine that has it, \`docker save ${base.ref} -o base.tar\`, then here \`docker load -i base.tar\`; or pull from a registry you can reach that mirrors it (the engine's registry-mirrors, or the base as a build argument: the templates take --build-arg NODE_IMAGE=…, GO_IMAGE=…, ALPINE_IMAGE=…, PYTHON_IMAGE=…). See docs/build.md, "Offline: getting base images in".`
  const proxy = 'Behind a TLS-intercepting proxy, the engine itself needs the proxy CA (docs/troubleshooting.md, "Corporate CAs and TLS-intercepting proxies").'
  const details = { service, base: base.ref, line: base.line, present: Boolean(base.present), engineMessage: message }
  if (base.present) {
    return new SlsError(
      'BASE_IMAGE_UNAVAILABLE',
      `${service}: the base image ${base.ref}${where} is present on this machine but the pull failed${base.pull ? ' (--pull asks the registry for a newer copy)' : ''}: ${message}`,
      {
        details,
        hints: [
          base.pull
            ? 'Build without --pull to use the local copy.'
            : 'The engine wanted a copy it does not have (for another --platform?): build for the local platform, or pull that one while online.',
          offline,
          proxy,
        ],
      },
    )
  }
  return new SlsError('BASE_IMAGE_UNAVAILABLE', `${service}: the base image ${base.ref}${where} is not on this machine and could not be pulled: ${message}`, {
    details,
    hints: [`Pull it while online (\`docker pull ${base.ref}\`), or check the name in FROM.`, offline, proxy],
  })
}
