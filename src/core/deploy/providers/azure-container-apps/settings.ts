/** The settings of a `provider: azure-container-apps` environment: the only description of them (../settings.ts). */
import { bool, nonEmpty, patterned } from '../../../config/fields.js'
import { defineSettings } from '../settings.js'

/** `word` in any case, as a regular expression source without flags (JSON Schema patterns have none). */
const anyCase = (word: string) => [...word].map((c) => (/[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c === '.' ? '\\.' : c)).join('')

/**
 * A user-assigned managed identity's resource id (Microsoft.ManagedIdentity/userAssignedIdentities), its fixed
 * parts in any case: ARM ids are case-insensitive, and `az identity show` prints `resourcegroups`.
 */
export const USER_ASSIGNED_IDENTITY = new RegExp(
  `^/${anyCase('subscriptions')}/[^/]+/${anyCase('resourceGroups')}/[^/]+/${anyCase('providers')}/${anyCase('Microsoft.ManagedIdentity')}/${anyCase('userAssignedIdentities')}/[^/]+$`,
)

/**
 * The image of the jobs that send `schedules:` requests: curl's own image (https://github.com/curl/curl-container),
 * about 10 MB, with curl ≥ 7.76 for --fail-with-body. Docker Hub limits anonymous pulls, which Microsoft warns
 * about for Container Apps (https://learn.microsoft.com/en-us/azure/container-apps/containers#container-registries):
 * copy it into your own registry (`az acr import`) and set `scheduleImage` when that bites.
 */
export const DEFAULT_SCHEDULE_IMAGE = 'docker.io/curlimages/curl:8.11.1'

export const azureContainerAppsSettings = defineSettings('azure-container-apps', {
  subscription: nonEmpty('a subscription id').describe('Azure subscription id'),
  resourceGroup: nonEmpty('a resource group name').describe('Resource group'),
  environment: nonEmpty('a Container Apps environment name').describe('Container Apps managed environment'),
  location: nonEmpty('an Azure region such as westeurope').optional().describe("Azure region (default: the managed environment's, read at deploy time)"),
  public: bool().prefault(false).describe('External ingress (reachable from the internet)'),
  identity: patterned(
    new RegExp(`^(?:system|${USER_ASSIGNED_IDENTITY.source.slice(1, -1)})$`),
    'system, or a user-assigned identity resource id (/subscriptions/…/providers/Microsoft.ManagedIdentity/userAssignedIdentities/NAME)',
    512,
  )
    .prefault('system')
    .describe(
      "Managed identity that pulls an image from Azure Container Registry (*.azurecr.io), which needs AcrPull on the registry: system (the app's own, created with the app, so it cannot hold AcrPull before the first deploy) or a user-assigned identity's resource id",
    ),
  scheduleImage: nonEmpty('an image reference with curl ≥ 7.76')
    .prefault(DEFAULT_SCHEDULE_IMAGE)
    .describe("Image of the Container Apps jobs that send the service's schedules: requests (it must have curl ≥ 7.76 on PATH)"),
})
