/**
 * `dev.build` for the process runtime: the step that turns sources into what instances run (a compiler,
 * a bundler), run once per revision before its instances start, as an image build is for a container.
 * So a cold start measures the app's boot, not the compiler, and the build's time is the revision's.
 * It runs in the service's folder with the same host environment an instance gets (contract.ts).
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { execa } from 'execa'
import type { ServiceConfig } from '../config/index.js'
import { hostEnvironment } from '../emulator/contract.js'
import { ExitCode, SlsError } from '../../errors.js'

const LAST_LINES = 30

export interface DevBuildResult {
  durationMs: number
}

export async function runDevBuild(name: string, service: ServiceConfig, hostEnv: NodeJS.ProcessEnv = process.env): Promise<DevBuildResult> {
  const command = service.dev.build!
  const [file, ...args] = typeof command === 'string' ? [command] : command
  const started = performance.now()
  const result = await execa(file!, args, {
    cwd: service.dev.cwd ?? process.cwd(),
    env: { ...hostEnvironment('process', service.dev.inheritEnv, hostEnv), ...service.env },
    extendEnv: false,
    shell: typeof command === 'string',
    stdin: 'ignore',
    all: true,
    reject: false,
  })
  const durationMs = Math.round(performance.now() - started)
  if (result.exitCode === 0) return { durationMs }
  const text = typeof command === 'string' ? command : command.join(' ')
  const lastLines = String(result.all ?? '')
    .split(/\r?\n/)
    .filter(Boolean)
    .slice(-LAST_LINES)
  throw new SlsError(
    'DEV_BUILD_FAILED',
    `${name}: dev.build (${text}) ${result.exitCode === undefined ? `could not run: ${result.shortMessage}` : `exited with code ${result.exitCode}`}${lastLines.length ? `\n${lastLines.map((l) => `  | ${l}`).join('\n')}` : ''}`,
    {
      details: { service: name, exitCode: result.exitCode ?? null, lastLines },
      hints: [`Run it yourself in ${service.dev.cwd ?? process.cwd()} to see the whole output; fix and save again.`],
    },
  )
}

/**
 * Before `sls-run dev` starts anything: each process-runtime service with a `dev.build` is built once,
 * so its first revision's instances start the built app. A failure stops `dev` with DEV_BUILD_FAILED.
 */
export async function buildFirstRevisions(
  services: Record<string, ServiceConfig>,
  names: string[],
  runtimeOf: (name: string) => 'process' | 'docker',
  onBuilt: (service: string, durationMs: number) => void,
): Promise<void> {
  for (const name of names) {
    const service = services[name]!
    if (runtimeOf(name) !== 'process' || !service.dev.build) continue
    onBuilt(name, (await runDevBuild(name, service)).durationMs)
  }
}

/**
 * A Node service whose package.json declares dependencies and that has no node_modules where Node would
 * look (its folder or one above it: workspaces) would answer 503 to every request (`tsc: not found`,
 * `Cannot find module`): stop before that and say what to run.
 */
export function checkDependencies(services: Record<string, ServiceConfig>, names: string[], runtimeOf: (name: string) => 'process' | 'docker'): void {
  const missing: string[] = []
  for (const name of names) {
    if (runtimeOf(name) !== 'process') continue
    const cwd = path.resolve(services[name]!.dev.cwd ?? process.cwd())
    const manifest = readJson(path.join(cwd, 'package.json'))
    const declared = manifest && Object.keys({ ...(manifest.dependencies as object), ...(manifest.devDependencies as object) }).length > 0
    if (declared && !nodeModulesAbove(cwd)) missing.push(`${name} (${cwd}): ${existsSync(path.join(cwd, 'package-lock.json')) ? 'npm ci' : 'npm install'}`)
  }
  if (missing.length) {
    throw new SlsError('DEV_DEPENDENCIES_MISSING', `dependencies are not installed for ${missing.map((m) => m.split(' ')[0]).join(', ')}: its instances could not start`, {
      exitCode: ExitCode.environment,
      hints: missing.map((m) => `Install them first: ${m}`),
    })
  }
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
  } catch {
    return undefined
  }
}

function nodeModulesAbove(dir: string): boolean {
  for (let at = dir; ; at = path.dirname(at)) {
    if (existsSync(path.join(at, 'node_modules'))) return true
    if (path.dirname(at) === at) return false
  }
}
