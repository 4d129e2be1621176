/**
 * What an instance sees (EMULATION.md, container contract): K_SERVICE, K_REVISION, K_CONFIGURATION,
 * the service's env and envFile, and SLS_RUN_<SERVICE>_URL for every service's gateway, so services
 * call each other as they would through their production URLs. PORT is added by the runtime.
 */
import { readFileSync } from 'node:fs'
import { ExitCode, SlsError } from '../../errors.js'
import type { ServiceConfig } from '../config/schema.js'

/** `api` → SLS_RUN_API_URL, `order-history` → SLS_RUN_ORDER_HISTORY_URL. */
export const serviceUrlVariable = (service: string) => `SLS_RUN_${service.toUpperCase().replaceAll('-', '_')}_URL`

export const revisionName = (service: string, generation = 1) => `${service}-${String(generation).padStart(5, '0')}`

export function contractEnv(service: string, config: ServiceConfig, revision: string, gatewayUrls: Record<string, string>): Record<string, string> {
  return {
    ...(config.envFile ? readEnvFile(config.envFile) : {}),
    ...config.env,
    ...Object.fromEntries(Object.entries(gatewayUrls).map(([name, url]) => [serviceUrlVariable(name), url])),
    K_SERVICE: service,
    K_REVISION: revision,
    K_CONFIGURATION: service,
  }
}

/** A dotenv file: KEY=value lines, `#` comments, optional `export `, single or double quotes. */
export function readEnvFile(file: string): Record<string, string> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    throw new SlsError('ENV_FILE_NOT_FOUND', `envFile ${file} cannot be read`, { exitCode: ExitCode.usage, hints: ['Create it, or remove envFile from sls-run.yaml.'] })
  }
  const env: Record<string, string> = {}
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim()
    if (!line || line.startsWith('#')) return
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line)
    if (!match) {
      throw new SlsError('ENV_FILE_INVALID', `${file}:${index + 1}: not a KEY=value line`, { exitCode: ExitCode.usage, hints: ['Each line is KEY=value; comments start with #.'] })
    }
    const value = match[2]!
    const quoted = /^(['"])(.*)\1$/.exec(value)
    env[match[1]!] = quoted ? (quoted[1] === '"' ? quoted[2]!.replace(/\\n/g, '\n') : quoted[2]!) : value.replace(/\s+#.*$/, '')
  })
  return env
}
