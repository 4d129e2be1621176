/**
 * What an instance sees (EMULATION.md, container contract): K_SERVICE, K_REVISION, K_CONFIGURATION,
 * the service's env and envFile, and SLS_RUN_<SERVICE>_URL for every service's gateway, so services
 * call each other as they would through their production URLs. PORT is added by the runtime.
 */
import { readEnvFile } from '../config/dotenv.js'
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
