/**
 * What an instance sees (docs/emulator.md, "What an instance sees"): K_SERVICE, K_REVISION, K_CONFIGURATION,
 * the service's env and envFile, and SLS_RUN_<SERVICE>_URL for every service's gateway, so services
 * call each other as they would through their production URLs. PORT is added by the runtime.
 */
import { readEnvFile } from '../config/dotenv.js'
import type { ServiceConfig } from '../config/schema.js'

/** `api` → SLS_RUN_API_URL, `order-history` → SLS_RUN_ORDER_HISTORY_URL. */
export const serviceUrlVariable = (service: string) => `SLS_RUN_${service.toUpperCase().replaceAll('-', '_')}_URL`

export const revisionName = (service: string, generation = 1) => `${service}-${String(generation).padStart(5, '0')}`

/**
 * What an instance takes from the environment `sls-run dev` runs in. Production instances see only the
 * platform's contract and the service's own env, so neither do these: a developer's exported secrets
 * (AWS_SECRET_ACCESS_KEY, GITHUB_TOKEN…) stay out. A process still needs what runs toolchains (below);
 * a container has its image's own. `dev.inheritEnv` adds names (`NAME`, or `PREFIX_*`) for both.
 */
export const TOOLCHAIN_ENV = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'LC_*',
  'TZ',
  'TMPDIR',
  'TMP',
  'TEMP',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'VIRTUAL_ENV',
  'CONDA_PREFIX',
  'GOPATH',
  'GOROOT',
  'GOCACHE',
  'GOMODCACHE',
  'GOFLAGS',
  'GOPROXY',
  'GOPRIVATE',
  'GONOPROXY',
  'GONOSUMDB',
  'GOINSECURE',
  'GOTOOLCHAIN',
  'SYSTEMROOT',
  'COMSPEC',
  'PATHEXT',
  'WINDIR',
  'APPDATA',
  'LOCALAPPDATA',
  'USERPROFILE',
] as const

const matches = (patterns: readonly string[]) => (name: string) => patterns.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p))

export function hostEnvironment(runtime: 'process' | 'docker', inherit: readonly string[], host: NodeJS.ProcessEnv): Record<string, string> {
  const wanted = matches(runtime === 'process' ? [...TOOLCHAIN_ENV, ...inherit] : inherit)
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(host)) if (value !== undefined && wanted(name)) env[name] = value
  return env
}

/** The contract environment of an instance, over what it takes from the host (`host`, see hostEnvironment). */
export function contractEnv(service: string, config: ServiceConfig, revision: string, gatewayUrls: Record<string, string>, host: Record<string, string> = {}): Record<string, string> {
  return {
    ...host,
    ...(config.envFile ? readEnvFile(config.envFile) : {}),
    ...config.env,
    ...Object.fromEntries(Object.entries(gatewayUrls).map(([name, url]) => [serviceUrlVariable(name), url])),
    K_SERVICE: service,
    K_REVISION: revision,
    K_CONFIGURATION: service,
  }
}
