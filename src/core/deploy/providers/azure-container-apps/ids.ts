/** ARM addresses of an app and its managed environment, shared by the plan and the apply code. */
import type { ProviderSettings } from '../../types.js'

export const ARM_API = 'https://management.azure.com'
export const ACA_API_VERSION = '2024-03-01'

type Settings = ProviderSettings<'azure-container-apps'>

/** `environment` is a name in the app's resource group, or a full resource id (another group or subscription). */
export function environmentId(settings: Settings): string {
  return settings.environment.startsWith('/subscriptions/')
    ? settings.environment
    : `/subscriptions/${settings.subscription}/resourceGroups/${settings.resourceGroup}/providers/Microsoft.App/managedEnvironments/${settings.environment}`
}

export function appId(settings: Settings, service: string): string {
  return `/subscriptions/${settings.subscription}/resourceGroups/${settings.resourceGroup}/providers/Microsoft.App/containerApps/${service}`
}
