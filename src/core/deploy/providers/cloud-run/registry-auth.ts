/**
 * Docker credentials for Google's registries: Artifact Registry (`<location>-docker.pkg.dev`) and
 * Container Registry (`gcr.io`, `*.gcr.io`) take an OAuth access token as the password of the user
 * `oauth2accesstoken`.
 */
import type { RegistryCredentials } from '../../types.js'
import { googleTokenSource } from './auth.js'

/** The host of a registry given as `host`, `host:port` or `host/path`, lower-cased. */
const hostOf = (registry: string) =>
  registry
    .replace(/^[a-z]+:\/\//i, '')
    .split('/')[0]!
    .replace(/:\d+$/, '')
    .toLowerCase()

export function isGoogleRegistry(registry: string): boolean {
  const host = hostOf(registry)
  return /^[a-z0-9-]+-docker\.pkg\.dev$/.test(host) || host === 'gcr.io' || host.endsWith('.gcr.io')
}

export async function googleRegistryAuth(registry: string, env: NodeJS.ProcessEnv): Promise<RegistryCredentials | null> {
  if (!isGoogleRegistry(registry)) return null
  const tokens = await googleTokenSource(env)
  return { registry, username: 'oauth2accesstoken', password: await tokens.accessToken() }
}
