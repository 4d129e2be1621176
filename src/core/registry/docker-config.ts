/**
 * The Docker client config ($DOCKER_CONFIG/config.json or ~/.docker/config.json): which registries
 * have credentials and where they live. Never returns a secret; the push issue adds the lookup itself.
 */
import { readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

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

export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.DOCKER_CONFIG ?? path.join(os.homedir(), '.docker'), 'config.json')
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
    parsed = JSON.parse(text) as typeof parsed
  } catch (error) {
    return { file, exists: true, registries: [], error: `not valid JSON: ${(error as Error).message}` }
  }
  const registries: RegistryCredentialSource[] = [
    ...Object.entries(parsed.credHelpers ?? {}).map(([registry, helper]) => ({ registry, source: 'credHelpers' as const, helper })),
    ...Object.keys(parsed.auths ?? {})
      .filter((registry) => !parsed.credHelpers?.[registry])
      .map((registry) => (parsed.credsStore ? { registry, source: 'credsStore' as const, helper: parsed.credsStore } : { registry, source: 'auths' as const })),
  ]
  return { file, exists: true, registries, ...(parsed.credsStore ? { credsStore: parsed.credsStore } : {}) }
}
