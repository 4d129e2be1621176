/** ARM addresses of an app, its jobs and its managed environment, shared by the plan and the apply code. */
import type { ProviderSettings } from '../../types.js'

export const ARM_API = 'https://management.azure.com'
export const ACA_API_VERSION = '2024-03-01'
/** Registries - List (https://learn.microsoft.com/en-us/rest/api/containerregistry/registries/list). */
export const ACR_API_VERSION = '2023-07-01'
/** Role Assignments - List For Scope (https://learn.microsoft.com/en-us/rest/api/authorization/role-assignments/list-for-scope). */
export const AUTHORIZATION_API_VERSION = '2022-04-01'
/** User Assigned Identities - Get (https://learn.microsoft.com/en-us/rest/api/managedidentity/user-assigned-identities/get). */
export const MANAGED_IDENTITY_API_VERSION = '2023-01-31'

type Settings = ProviderSettings<'azure-container-apps'>

/** `environment` is a name in the app's resource group, or a full resource id (another group or subscription). */
export function environmentId(settings: Settings): string {
  return settings.environment.startsWith('/subscriptions/')
    ? settings.environment
    : `/subscriptions/${settings.subscription}/resourceGroups/${settings.resourceGroup}/providers/Microsoft.App/managedEnvironments/${settings.environment}`
}

const group = (settings: Settings) => `/subscriptions/${settings.subscription}/resourceGroups/${settings.resourceGroup}`

/** `name` is the app's name on Azure (./names.ts), not necessarily the service's. */
export function appId(settings: Settings, name: string): string {
  return `${group(settings)}/providers/Microsoft.App/containerApps/${name}`
}

export function jobId(settings: Settings, name: string): string {
  return `${group(settings)}/providers/Microsoft.App/jobs/${name}`
}

/** The resource group's container apps / jobs (Container Apps - List By Resource Group, Jobs - List By Resource Group). */
export const appsOfGroup = (settings: Settings) => `${group(settings)}/providers/Microsoft.App/containerApps`
export const jobsOfGroup = (settings: Settings) => `${group(settings)}/providers/Microsoft.App/jobs`
