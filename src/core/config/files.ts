/**
 * What sls-run.yaml points at on disk, checked when it is loaded so that `config validate` catches what
 * `sls-run dev` would trip over. Paths resolve against the folder of sls-run.yaml.
 * - envFile: read with the emulator's own dotenv reader. Missing is a warning (CONFIG_ENV_FILE_MISSING:
 *   it may be created later, e.g. from a secret store); a folder, a malformed line or a NUL character is
 *   an error (ENV_FILE_INVALID), as is a file that cannot be read (ENV_FILE_NOT_FOUND).
 * - dev.cwd, when set: an existing folder (CONFIG_DEV_CWD_MISSING, CONFIG_DEV_CWD_NOT_A_FOLDER).
 * Environment overrides are checked where they set the key themselves. The checks read the parsed
 * document, so they are reported with the schema's problems, all at once.
 */
import { statSync, type Stats } from 'node:fs'
import path from 'node:path'
import type { Document } from '../../vendor/yaml.js'
import { SlsError } from '../../errors.js'
import { readEnvFile } from './dotenv.js'
import type { Diagnostic, DiagnosticInput, SourceText } from './diagnostic.js'
import { locate, type Segment } from './locate.js'
import { dotted } from './validate.js'

type Problem = Omit<DiagnosticInput, 'path'>

/** The file's stats, or the errno code when it cannot be reached. */
function stat(file: string): Stats | string {
  try {
    return statSync(file)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'error'
  }
}

const isMissing = (code: string) => code === 'ENOENT' || code === 'ENOTDIR'

function envFileProblem(file: string): Problem | undefined {
  const info = stat(file)
  if (typeof info === 'string' && isMissing(info)) {
    return { code: 'CONFIG_ENV_FILE_MISSING', severity: 'warning', message: `envFile ${file} does not exist`, hints: ['Create it, or remove envFile; sls-run dev will fail without it.'] }
  }
  const hints = ['Point envFile at a dotenv file (KEY=value lines), relative to sls-run.yaml.']
  if (typeof info !== 'string' && info.isDirectory()) return { code: 'ENV_FILE_INVALID', message: `envFile ${file} is a folder, not a file`, hints }
  // Reading a FIFO or a device would block or never end: only regular files are read.
  if (typeof info !== 'string' && !info.isFile()) return { code: 'ENV_FILE_INVALID', message: `envFile ${file} is not a regular file`, hints }
  let env: Record<string, string>
  try {
    env = readEnvFile(file)
  } catch (error) {
    if (error instanceof SlsError) return { code: error.code, message: error.message, hints: error.hints }
    throw error
  }
  const nul = Object.keys(env).find((name) => env[name]!.includes('\u0000'))
  if (nul)
    return { code: 'ENV_FILE_INVALID', message: `envFile ${file}: the value of ${nul} contains a NUL character, which no process environment can hold`, hints: ['Remove the NUL byte from the file.'] }
  return undefined
}

function cwdProblem(cwd: string): Problem | undefined {
  const info = stat(cwd)
  const hints = ['Create the folder, or fix dev.cwd (relative to sls-run.yaml): the process runtime runs dev.command in it.']
  if (typeof info === 'string') return { code: 'CONFIG_DEV_CWD_MISSING', message: `dev.cwd ${cwd} ${isMissing(info) ? 'does not exist' : `cannot be reached (${info})`}`, hints }
  if (!info.isDirectory()) return { code: 'CONFIG_DEV_CWD_NOT_A_FOLDER', message: `dev.cwd ${cwd} is a file, not a folder`, hints }
  return undefined
}

/** A parsed mapping, or {} for anything else (the schema reports those). */
export const asRecord = (value: unknown): Record<string, unknown> => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {})

/**
 * The path problems of the parsed (interpolated, not yet validated) document: every service's envFile
 * and dev.cwd, and those an environment override sets. Values of the wrong type are left to the schema,
 * so these problems are reported together with the schema's.
 */
export function checkPaths(raw: Record<string, unknown>, dir: string, doc: Document, source: SourceText): Diagnostic[] {
  const places: Array<[Segment[], unknown]> = [
    ...Object.entries(asRecord(raw.services)).map(([name, svc]): [Segment[], unknown] => [['services', name], svc]),
    ...Object.entries(asRecord(raw.environments)).flatMap(([env, settings]) =>
      Object.entries(asRecord(asRecord(settings).services)).map(([name, svc]): [Segment[], unknown] => [['environments', env, 'services', name], svc]),
    ),
  ]
  const out: Diagnostic[] = []
  for (const [at, svc] of places) {
    const checks: Array<[Segment[], unknown, (resolved: string) => Problem | undefined]> = [
      [['envFile'], asRecord(svc).envFile, envFileProblem],
      [['dev', 'cwd'], asRecord(asRecord(svc).dev).cwd, cwdProblem],
    ]
    for (const [key, value, check] of checks) {
      if (typeof value !== 'string' || value === '') continue
      const problem = check(path.resolve(dir, value))
      if (!problem) continue
      const { span } = locate(doc, [...at, ...key])
      out.push(source.at(span.start, span.end, { ...problem, path: dotted([...at, ...key]) }))
    }
  }
  return out
}
