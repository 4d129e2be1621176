/**
 * A Consumption-only environment runs at most 2 vCPU / 4Gi per app; the Consumption profile of a workload
 * profiles environment up to 4 vCPU / 8Gi ("Containers in Azure Container Apps", allocations:
 * https://learn.microsoft.com/en-us/azure/container-apps/containers#allocations).
 */
export const CONSUMPTION_ONLY_MAX_CPU = 2
export const WORKLOAD_PROFILES_DOCS = 'https://learn.microsoft.com/en-us/azure/container-apps/workload-profiles-overview'
