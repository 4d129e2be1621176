/**
 * The Docker client config ($DOCKER_CONFIG/config.json or ~/.docker/config.json): which registries
 * have credentials and where they live. `summarizeDockerConfig` (doctor) never returns a secret;
 * `readDockerConfig` / `writeDockerConfig` are the raw access credentials.ts builds on. Writes are
 * atomic (temp file + rename, mode 0600, folder 0700) and keep every key sls-run does not know.
 */
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, open, readFile, realpath, rename, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { ExitCode, SlsError } from '../../errors.js'

export interface RegistryCredentialSource {
  registry: string
  source: 'auths' | 'credHelpers' | 'credsStore'
  helper?: string
}

export interface DockerConfigSummary {
  file: string
  exists: boolean
  registries: RegistryCredentialSource[]
  credsStore?: string
  error?: string
}

/** One `auths` entry as `docker login` and older clients write it. */
export interface DockerAuthEntry {
  auth?: string
  identitytoken?: string
  username?: string
  password?: string
  [key: string]: unknown
}

/** The parts of config.json sls-run reads; every other key is kept as is on write. */
export interface DockerConfigFile {
  auths?: Record<string, DockerAuthEntry>
  credHelpers?: Record<string, string>
  credsStore?: string
  [key: string]: unknown
}

export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.DOCKER_CONFIG ?? path.join(os.homedir(), '.docker'), 'config.json')
}

/** Node's JSON.parse messages quote a slice of the text, which may be a base64 `auth`: keep the position only. */
function safeJsonError(error: unknown): string {
  const position = /position (\d+)/.exec(String((error as Error)?.message ?? ''))
  return position ? `not valid JSON (at character ${position[1]})` : 'not valid JSON'
}

/**
 * Reads config.json. A missing file is an empty config; a file that is not a JSON object is a
 * DOCKER_CONFIG_INVALID error (exit 3) rather than something sls-run would silently overwrite.
 */
export async function readDockerConfig(env: NodeJS.ProcessEnv = process.env): Promise<{ file: string; exists: boolean; config: DockerConfigFile }> {
  const file = dockerConfigPath(env)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { file, exists: false, config: {} }
    throw new SlsError('DOCKER_CONFIG_INVALID', `cannot read the Docker config ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, {
      exitCode: ExitCode.environment,
      hints: ['Check the permissions of the file (or point DOCKER_CONFIG at another folder).'],
    })
  }
  let parsed: unknown
  try {
    parsed = text.trim() === '' ? {} : JSON.parse(text)
  } catch (error) {
    parsed = new SlsError('DOCKER_CONFIG_INVALID', `the Docker config ${file} is ${safeJsonError(error)}`, {
      exitCode: ExitCode.environment,
      hints: ['Fix or remove the file; sls-run does not overwrite a config it cannot read.'],
    })
  }
  if (parsed instanceof SlsError) throw parsed
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SlsError('DOCKER_CONFIG_INVALID', `the Docker config ${file} is not a JSON object`, { exitCode: ExitCode.environment, hints: ['Fix or remove the file.'] })
  }
  return { file, exists: true, config: parsed as DockerConfigFile }
}

/**
 * Writes config.json atomically: a temp file (mode 0600) in the same folder, then a rename. A
 * symlinked config.json is written through to its target, as the Docker CLI does.
 */
export async function writeDockerConfig(file: string, config: DockerConfigFile): Promise<string> {
  const dir = path.dirname(file)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const target = await realpath(file).catch(() => file)
  const temp = path.join(path.dirname(target), `.config.json.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  const handle = await open(temp, 'wx', 0o600)
  try {
    await handle.writeFile(`${JSON.stringify(config, null, '\t')}\n`, 'utf8')
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await chmod(temp, 0o600)
    await rename(temp, target)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
  return target
}

export async function summarizeDockerConfig(env: NodeJS.ProcessEnv = process.env): Promise<DockerConfigSummary> {
  const file = dockerConfigPath(env)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    return { file, exists: false, registries: [] }
  }
  let parsed: { auths?: Record<string, unknown>; credHelpers?: Record<string, string>; credsStore?: string }
  try {
    parsed = (JSON.parse(text) ?? {}) as typeof parsed
  } catch (error) {
    return { file, exists: true, registries: [], error: safeJsonError(error) }
  }
  const registries: RegistryCredentialSource[] = [
    ...Object.entries(parsed.credHelpers ?? {}).map(([registry, helper]) => ({ registry, source: 'credHelpers' as const, helper })),
    ...Object.keys(parsed.auths ?? {})
      .filter((registry) => !parsed.credHelpers?.[registry])
      .map((registry) => (parsed.credsStore ? { registry, source: 'credsStore' as const, helper: parsed.credsStore } : { registry, source: 'auths' as const })),
  ]
  return { file, exists: true, registries, ...(parsed.credsStore ? { credsStore: parsed.credsStore } : {}) }
}
