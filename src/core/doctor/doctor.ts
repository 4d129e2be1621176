/** `sls-run doctor`: is this machine ready? Each check says what it found and, when not ok, how to fix it. */
import { statfs } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import type { Logger } from '../logger.js'
import { summarizeDockerConfig } from '../registry/docker-config.js'
import { connect, probeEngine, type EngineInfo } from '../../runtime/docker/engine.js'
import { engineMessage } from '../../runtime/docker/engine-error.js'
import { containerNetwork } from '../../runtime/docker/docker-runtime.js'
import { listStandins } from '../image/standin.js'
import { isSlsError } from '../../errors.js'
import { formatSize } from '../config/units.js'

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip'

export interface Check {
  id: string
  title: string
  status: CheckStatus
  /** A failed required check makes doctor exit 3. */
  required: boolean
  detail: string
  fix?: string
}

export interface DoctorReport {
  ok: boolean
  checks: Check[]
  engine?: EngineInfo
}

export const MIN_NODE = '20.19.0'
export const MIN_API = '1.40'
const GiB = 1024 ** 3

export interface DoctorContext {
  env: NodeJS.ProcessEnv
  cwd: string
  nodeVersion: string
  log: Logger
}

export async function runDoctor(ctx: DoctorContext): Promise<DoctorReport> {
  const checks: Check[] = [checkNode(ctx.nodeVersion)]
  let engine: EngineInfo | undefined
  try {
    engine = await probeEngine(ctx.env)
    ctx.log.debug(`engine: ${JSON.stringify(engine)}`)
    checks.push({ id: 'docker-engine', title: 'Docker engine', status: 'ok', required: true, detail: `${engine.version} (${engine.os}/${engine.arch}, ${engine.storageDriver}) at ${engine.endpoint}` })
    checks.push(checkApi(engine))
    checks.push(checkBuildKit(engine))
    checks.push(await checkStandins(ctx.env))
    checks.push(await checkNetwork(ctx.env))
  } catch (error) {
    if (!isSlsError(error)) throw error
    checks.push({ id: 'docker-engine', title: 'Docker engine', status: 'fail', required: true, detail: error.message, fix: error.hints.join(' ') })
    for (const [id, title] of [
      ['docker-api', 'Engine API version'],
      ['buildkit', 'BuildKit'],
      ['standin-images', 'Stand-in images'],
      ['container-network', 'Container network'],
    ] as const) {
      checks.push({ id, title, status: 'skip', required: false, detail: 'no engine to ask' })
    }
  }
  checks.push(await checkCredentials(ctx.env))
  checks.push(await checkDisk('disk', 'Free disk (project)', ctx.cwd))
  if (engine && existsSync(engine.rootDir)) checks.push(await checkDisk('docker-disk', 'Free disk (Docker data)', engine.rootDir))
  return { ok: !checks.some((c) => c.required && c.status === 'fail'), checks, ...(engine ? { engine } : {}) }
}

export function compareVersions(a: string, b: string): number {
  const pa = a
    .replace(/^v/, '')
    .split(/[.+-]/)
    .map((n) => Number.parseInt(n, 10) || 0)
  const pb = b
    .replace(/^v/, '')
    .split(/[.+-]/)
    .map((n) => Number.parseInt(n, 10) || 0)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (diff !== 0) return Math.sign(diff)
  }
  return 0
}

function checkNode(version: string): Check {
  const ok = compareVersions(version, MIN_NODE) >= 0
  return {
    id: 'node',
    title: 'Node.js',
    status: ok ? 'ok' : 'fail',
    required: true,
    detail: ok ? version : `${version} is older than ${MIN_NODE}`,
    ...(ok ? {} : { fix: `Install Node.js ${MIN_NODE} or newer (nvm install 22).` }),
  }
}

function checkApi(engine: EngineInfo): Check {
  const ok = compareVersions(engine.apiVersion, MIN_API) >= 0
  return {
    id: 'docker-api',
    title: 'Engine API version',
    status: ok ? 'ok' : 'fail',
    required: true,
    detail: `${engine.apiVersion}${engine.minApiVersion ? ` (accepts ${engine.minApiVersion} and up)` : ''}${ok ? '' : `; sls-run needs ${MIN_API}`}`,
    ...(ok ? {} : { fix: 'Upgrade the Docker engine to 19.03 or newer.' }),
  }
}

function checkBuildKit(engine: EngineInfo): Check {
  if (engine.defaultBuilder === '2') return { id: 'buildkit', title: 'BuildKit', status: 'ok', required: false, detail: 'default builder' }
  const supported = compareVersions(engine.version, '18.09') >= 0 && engine.os === 'linux'
  return {
    id: 'buildkit',
    title: 'BuildKit',
    status: supported ? 'ok' : 'warn',
    required: false,
    detail: supported ? `available on request (engine ${engine.version}; its default builder is the classic one)` : 'not available: builds use the classic builder',
    ...(supported ? {} : { fix: 'Upgrade to Docker 23 or newer for BuildKit by default.' }),
  }
}

/** Offline test stand-ins (dev.sls-run.standin=true) and the images built on them: never real bases. */
async function checkStandins(env: NodeJS.ProcessEnv): Promise<Check> {
  const base = { id: 'standin-images', title: 'Stand-in images', required: false }
  const { docker } = await connect(env, 10_000)
  const found = await listStandins(docker).catch((error: Error) => error)
  if (found instanceof Error) return { ...base, status: 'warn', detail: `could not list images: ${engineMessage(found)}` }
  if (!found.length) return { ...base, status: 'ok', detail: 'none (no image on the engine is labelled dev.sls-run.standin=true)' }
  const standins = found.filter((i) => i.kind === 'standin')
  const derived = found.filter((i) => i.kind === 'derived')
  const named = (i: (typeof found)[number]) => `${i.tags.join(', ') || i.id.slice(7, 19)}${i.for ? ` (for ${i.for}${i.realName ? ', under the REAL name' : ''})` : ''}`
  const parts = [`${standins.length} offline stand-in${standins.length === 1 ? '' : 's'}${standins.length ? `: ${standins.map(named).join('; ')}` : ''}`]
  if (derived.length) parts.push(`${derived.length} image${derived.length === 1 ? '' : 's'} built on them: ${derived.slice(0, 5).map(named).join('; ')}${derived.length > 5 ? '; …' : ''}`)
  const hidden = standins.filter((i) => i.realName).map((i) => i.for)
  return {
    ...base,
    status: 'warn',
    detail: parts.join('; '),
    fix: `These are test look-alikes, not real images: build, push and deploy refuse images on them without --allow-standin.${hidden.length ? ` ${hidden.join(' and ')} on this engine ${hidden.length === 1 ? 'is a stand-in' : 'are stand-ins'}: remove ${hidden.length === 1 ? 'it' : 'them'} (\`docker rmi ${hidden.join(' ')}\`) and pull the real ${hidden.length === 1 ? 'one' : 'ones'}.` : ''} \`sls-run clean --images\` removes every image labelled dev.sls-run.standin=true; test runs remove their own when they end.`,
  }
}

async function checkCredentials(env: NodeJS.ProcessEnv): Promise<Check> {
  const summary = await summarizeDockerConfig(env)
  const base = { id: 'registry-credentials', title: 'Registry credentials', required: false }
  if (summary.error) return { ...base, status: 'warn', detail: `${summary.file}: ${summary.error}`, fix: 'Fix or remove the file; docker login rewrites it.' }
  if (env.SLS_RUN_REGISTRY_USERNAME && env.SLS_RUN_REGISTRY_PASSWORD) {
    return { ...base, status: 'ok', detail: 'from SLS_RUN_REGISTRY_USERNAME / SLS_RUN_REGISTRY_PASSWORD' }
  }
  if (!summary.registries.length) {
    return { ...base, status: 'warn', detail: `none in ${summary.file}`, fix: 'Needed for push: `docker login REGISTRY`, or set SLS_RUN_REGISTRY_USERNAME and SLS_RUN_REGISTRY_PASSWORD.' }
  }
  const list = summary.registries.map((r) => (r.helper ? `${r.registry} (${r.source}: ${r.helper})` : r.registry)).join(', ')
  return { ...base, status: 'ok', detail: `${list} in ${summary.file}` }
}

/** How `sls-run dev` reaches containers on this engine: their bridge IPs, or published ports. */
async function checkNetwork(env: NodeJS.ProcessEnv): Promise<Check> {
  const { docker } = await connect(env, 10_000)
  const { mode, gateway } = await containerNetwork(docker)
  const detail =
    mode === 'bridge'
      ? `bridge: instances are reached at their container IPs, no port proxy (this host is on the bridge, gateway ${gateway})`
      : `published ports on 127.0.0.1: this host cannot reach the bridge${gateway ? ` (${gateway})` : ''} (Docker Desktop, rootless or a remote engine)`
  return { id: 'container-network', title: 'Container network', status: 'ok', required: false, detail }
}

async function checkDisk(id: string, title: string, dir: string): Promise<Check> {
  const stats = await statfs(dir)
  const free = stats.bavail * stats.bsize
  const status: CheckStatus = free < GiB ? 'fail' : free < 5 * GiB ? 'warn' : 'ok'
  return {
    id,
    title,
    status,
    required: id === 'docker-disk',
    detail: `${formatSize(free)} free at ${dir}`,
    ...(status === 'ok' ? {} : { fix: 'Free some space: `docker system prune` removes stopped containers, unused images and build cache.' }),
  }
}
