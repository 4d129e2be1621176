/**
 * Registry credentials as the Docker CLI finds and keeps them. Registry keys follow Docker's reference
 * rules (normalizeRegistry); lookup order is env (SLS_RUN_REGISTRY_USERNAME/PASSWORD), then config.json:
 * credHelpers[registry], auths[registry], credsStore. Credential helpers speak the
 * docker-credential-helpers protocol (get/store/erase, server URL or JSON on stdin). A secret never
 * reaches a message, hint, detail or log: helper output is reduced to its first stderr line, redacted (../redact.ts).
 */
import { execa } from 'execa'
import { ExitCode, SlsError } from '../../errors.js'
import { readDockerConfig, writeDockerConfig, type DockerAuthEntry } from './docker-config.js'
import { basicCredentials, redact, type Secret } from '../redact.js'

/** The key `docker login` writes for Docker Hub. */
export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/'
const HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io'])
const HOST = /^(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?)(?::\d{1,5})?$/i
const NOT_FOUND = /credentials not found|could not be found|item not found/i
const HELPER_TIMEOUT_MS = 60_000

export interface Credentials {
  username: string
  password?: string
  identityToken?: string
  /** Where they came from, never the secret: 'env SLS_RUN_REGISTRY_USERNAME', 'docker config auths (…/config.json)', 'credential helper docker-credential-pass', 'credsStore docker-credential-desktop'. */
  source: string
}

/** Docker's rule: a first path component is a registry if it has a '.' or ':', is 'localhost', or has upper case. */
function isDomain(component: string): boolean {
  return /[.:]/.test(component) || component === 'localhost' || component !== component.toLowerCase()
}

function keyForHost(host: string): string {
  const lower = host.toLowerCase()
  if (!HOST.test(lower))
    throw new SlsError('USAGE', `not a registry host or image reference: ${JSON.stringify(host)}`, {
      exitCode: ExitCode.usage,
      hints: ['Use a host (ghcr.io, 127.0.0.1:5000, docker.io) or an image reference (ghcr.io/acme/api:1.0).'],
    })
  return HUB_HOSTS.has(lower) ? DOCKER_HUB_KEY : lower
}

/** An image reference, a host or a config.json key → the registry key Docker uses in config.json. */
export function normalizeRegistry(input: string): string {
  const text = input.trim()
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text)
  if (scheme) return keyForHost(text.slice(scheme[0].length).split('/')[0] ?? '')
  if (text === '') return keyForHost(text)
  const slash = text.indexOf('/')
  if (slash === -1) {
    // Without a '/', a host as `docker login` reads one (`ghcr.io`, `localhost`, `registry:5000`: a '.', a
    // numeric port, localhost or [IPv6]); anything else is a Docker Hub image (`ubuntu`, `ubuntu:22.04`).
    const host = /^(\[[^\]]*\]|[^:@]+)(:\d+)?$/.exec(text)
    return host && (host[1]!.includes('.') || host[1] === 'localhost' || host[1]!.startsWith('[') || host[2]) ? keyForHost(text) : DOCKER_HUB_KEY
  }
  const first = text.slice(0, slash)
  return isDomain(first) ? keyForHost(first) : DOCKER_HUB_KEY
}

/** The host to talk to for a registry key or reference (`registry-1.docker.io` for Docker Hub). */
export function registryHost(keyOrReference: string): string {
  const key = normalizeRegistry(keyOrReference)
  return key === DOCKER_HUB_KEY ? 'registry-1.docker.io' : key
}

/** The repository inside its registry, without tag or digest (`library/ubuntu` for `ubuntu`). */
export function repositoryPath(reference: string): string {
  let text = reference.trim().replace(/@.*$/, '')
  const slash = text.indexOf('/')
  const hub = slash === -1 || !isDomain(text.slice(0, slash)) || normalizeRegistry(text.slice(0, slash)) === DOCKER_HUB_KEY
  if (slash !== -1 && isDomain(text.slice(0, slash))) text = text.slice(slash + 1)
  const colon = text.indexOf(':', text.lastIndexOf('/') + 1)
  if (colon !== -1) text = text.slice(0, colon)
  return hub && !text.includes('/') ? `library/${text}` : text
}

function sameRegistry(configKey: string, key: string): boolean {
  try {
    return configKey === key || normalizeRegistry(configKey) === key
  } catch {
    return false
  }
}

/** config.json keys are matched exactly first, then normalised (`https://ghcr.io`, `ghcr.io/v1/` → `ghcr.io`). */
function lookup<T>(record: Record<string, T> | undefined, key: string): { key: string; value: T } | undefined {
  if (!record) return undefined
  if (Object.hasOwn(record, key) && record[key] !== undefined) return { key, value: record[key] as T }
  const found = Object.keys(record).find((k) => sameRegistry(k, key))
  return found === undefined ? undefined : { key: found, value: record[found] as T }
}

function helperError(helper: string, action: string, reason: string, hints: string[]): SlsError {
  return new SlsError('REGISTRY_CREDENTIAL_HELPER', `credential helper docker-credential-${helper} failed to ${action} credentials: ${reason}`, {
    exitCode: ExitCode.environment,
    details: { helper: `docker-credential-${helper}`, action },
    hints,
  })
}

/** Runs `docker-credential-<helper> <action>`; undefined means "credentials not found". */
async function runHelper(helper: string, action: 'get' | 'store' | 'erase', input: string, env: NodeJS.ProcessEnv, secrets: Secret[]): Promise<string | undefined> {
  if (!/^[A-Za-z0-9._-]+$/.test(helper)) throw helperError(helper.replace(/[^\w.-]/g, '?'), action, 'the helper name is not a plain name', ['Fix credHelpers / credsStore in the Docker config.json.'])
  const result = await execa(`docker-credential-${helper}`, [action], { input, env, reject: false, timeout: HELPER_TIMEOUT_MS, stripFinalNewline: true })
  if (!result.failed) return result.stdout
  if (result.code === 'ENOENT') {
    throw helperError(helper, action, `docker-credential-${helper} is not installed (not on PATH)`, [
      `Install docker-credential-${helper}, or remove it from credHelpers / credsStore in the Docker config.json.`,
    ])
  }
  if (result.timedOut) throw helperError(helper, action, `no answer after ${HELPER_TIMEOUT_MS / 1000}s`, ['The helper may be waiting for a passphrase or a GUI prompt; unlock it and retry.'])
  if (NOT_FOUND.test(`${result.stdout}\n${result.stderr}`)) return undefined
  let stdoutSecret: string | undefined
  try {
    stdoutSecret = (JSON.parse(result.stdout) as { Secret?: string }).Secret
  } catch {
    stdoutSecret = undefined
  }
  const firstLine = redact(result.stderr.split(/\r?\n/).find((line) => line.trim() !== '') ?? '', ...secrets, stdoutSecret)
    .trim()
    .slice(0, 200)
  throw helperError(helper, action, `exit code ${result.exitCode ?? result.signal ?? '?'}${firstLine ? `: ${firstLine}` : ''}`, [
    `Run \`docker-credential-${helper} list\` to check the helper works, or log in again with \`sls-run login\`.`,
  ])
}

async function helperGet(helper: string, serverUrls: string[], env: NodeJS.ProcessEnv, source: string): Promise<Credentials | undefined> {
  for (const serverUrl of serverUrls) {
    const stdout = await runHelper(helper, 'get', serverUrl, env, [env.SLS_RUN_REGISTRY_PASSWORD])
    if (stdout === undefined) continue
    let answer: { Username?: unknown; Secret?: unknown }
    try {
      answer = JSON.parse(stdout) as typeof answer
    } catch {
      throw helperError(helper, 'get', 'the output is not the JSON the protocol expects', [`Check docker-credential-${helper} (run it by hand with \`get\`).`])
    }
    if (typeof answer?.Secret !== 'string' || answer.Secret === '') continue
    const username = typeof answer.Username === 'string' ? answer.Username : ''
    return username === '<token>' ? { username: '', identityToken: answer.Secret, source } : { username, password: answer.Secret, source }
  }
  return undefined
}

function fromAuthEntry(entry: DockerAuthEntry, registryKey: string, file: string): Credentials | undefined {
  const source = `docker config auths (${file})`
  let username = typeof entry.username === 'string' ? entry.username : ''
  let password = typeof entry.password === 'string' && entry.password !== '' ? entry.password : undefined
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon === -1)
      throw new SlsError('DOCKER_CONFIG_INVALID', `auths["${registryKey}"].auth in ${file} is not base64 of user:password`, {
        exitCode: ExitCode.environment,
        hints: [`Log in again with \`sls-run login ${registryKey}\`.`],
      })
    username = decoded.slice(0, colon)
    password = decoded.slice(colon + 1) || undefined
  }
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') return { username, identityToken: entry.identitytoken, source }
  return password === undefined ? undefined : { username, password, source }
}

/** The server URLs to ask a helper for: the key, then any spelling of it in auths (`https://ghcr.io`). */
function serverUrls(key: string, auths: Record<string, unknown> | undefined): string[] {
  return [key, ...Object.keys(auths ?? {}).filter((k) => k !== key && sameRegistry(k, key))].slice(0, 3)
}

/**
 * Short-lived credentials from a deploy provider for its platform's own registry (ECR, Artifact
 * Registry, ACR), or undefined for registries it does not serve.
 */
export type PlatformCredentials = (registry: string) => Promise<Credentials | undefined>

/**
 * The credentials for a registry, first match wins; undefined when there are none. The order: env, then
 * the deploy provider's token for its own registry (fresh, and the identity that deploys; Docker config
 * entries for ECR/ACR often hold expired tokens), then the Docker config.
 */
export async function resolveCredentials(registry: string, env: NodeJS.ProcessEnv = process.env, platform?: PlatformCredentials): Promise<Credentials | undefined> {
  const key = normalizeRegistry(registry)
  if (env.SLS_RUN_REGISTRY_USERNAME && env.SLS_RUN_REGISTRY_PASSWORD) {
    return { username: env.SLS_RUN_REGISTRY_USERNAME, password: env.SLS_RUN_REGISTRY_PASSWORD, source: 'env SLS_RUN_REGISTRY_USERNAME' }
  }
  // A provider that cannot get its token (no ADC file, another account's ECR) is not the last word: the
  // Docker config may still have credentials (a credential helper). Its error stands only when it has none.
  let platformError: unknown
  const fromPlatform = platform ? await platform(key).catch((error: unknown) => ((platformError = error), undefined)) : undefined
  if (fromPlatform) return fromPlatform
  const fromConfig = await dockerConfigCredentials(key, env)
  if (!fromConfig && platformError) throw platformError
  return fromConfig
}

async function dockerConfigCredentials(key: string, env: NodeJS.ProcessEnv): Promise<Credentials | undefined> {
  const { file, exists, config } = await readDockerConfig(env)
  if (!exists) return undefined
  const helper = lookup(config.credHelpers, key)
  if (helper && typeof helper.value === 'string' && helper.value !== '') {
    return helperGet(helper.value, serverUrls(key, config.auths), env, `credential helper docker-credential-${helper.value}`)
  }
  const entry = lookup(config.auths, key)
  if (entry && typeof entry.value === 'object' && entry.value !== null) {
    const found = fromAuthEntry(entry.value, entry.key, file)
    if (found) return found
  }
  if (typeof config.credsStore === 'string' && config.credsStore !== '') {
    return helperGet(config.credsStore, serverUrls(key, config.auths), env, `credsStore docker-credential-${config.credsStore}`)
  }
  return undefined
}

/** Stores credentials like `docker login`; returns where ('credential helper docker-credential-x', 'credsStore docker-credential-x' or the config file). */
export async function storeCredentials(registry: string, credentials: { username: string; password: string }, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const key = normalizeRegistry(registry)
  const { username, password } = credentials
  if (username.includes(':')) throw new SlsError('USAGE', 'a registry user name cannot contain ":"', { exitCode: ExitCode.usage })
  const { file, config } = await readDockerConfig(env)
  const helper = lookup(config.credHelpers, key)?.value
  const store = helper || config.credsStore
  if (store) {
    await runHelper(store, 'store', JSON.stringify({ ServerURL: key, Username: username, Secret: password }), env, [credentials])
    if (helper) return `credential helper docker-credential-${helper}`
    // As docker login does with a credsStore: the file only records that the registry has credentials.
    const auths = { ...(config.auths ?? {}) }
    auths[key] = {}
    await writeDockerConfig(file, { ...config, auths })
    return `credsStore docker-credential-${store}`
  }
  const auths = { ...(config.auths ?? {}) }
  auths[key] = { auth: basicCredentials(username, password) }
  return writeDockerConfig(file, { ...config, auths })
}

/** Removes stored credentials like `docker logout` (helper and auths); true when something was removed. */
export async function eraseCredentials(registry: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const key = normalizeRegistry(registry)
  const { file, exists, config } = await readDockerConfig(env)
  let removed = false
  const store = lookup(config.credHelpers, key)?.value || config.credsStore
  if (store) {
    for (const serverUrl of serverUrls(key, config.auths)) {
      if ((await runHelper(store, 'erase', serverUrl, env, [])) !== undefined) removed = true
    }
  }
  const matches = Object.keys(config.auths ?? {}).filter((k) => sameRegistry(k, key))
  if (exists && matches.length > 0) {
    const auths = { ...config.auths }
    for (const match of matches) delete auths[match]
    await writeDockerConfig(file, { ...config, auths })
    removed = true
  }
  return removed
}
