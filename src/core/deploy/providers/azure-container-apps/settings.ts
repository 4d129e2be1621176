/** The settings of a `provider: azure-container-apps` environment: the only description of them (../settings.ts). */
import { bool, nonEmpty } from '../../../config/fields.js'
import { defineSettings } from '../settings.js'

export const azureContainerAppsSettings = defineSettings('azure-container-apps', {
  subscription: nonEmpty('a subscription id').describe('Azure subscription id'),
  resourceGroup: nonEmpty('a resource group name').describe('Resource group'),
  environment: nonEmpty('a Container Apps environment name').describe('Container Apps managed environment'),
  location: nonEmpty('an Azure region such as westeurope').optional().describe("Azure region (default: the managed environment's, read at deploy time)"),
  public: bool().prefault(false).describe('External ingress (reachable from the internet)'),
})
