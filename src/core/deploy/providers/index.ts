/**
 * The built-in providers: one folder each (`<id>/settings.ts` describes its settings, `<id>/index.ts` is
 * its adapter, loaded by ../registry.ts only when an environment names it). This table holds the
 * settings only, so sls-run.yaml's schema can use them without loading an adapter or a cloud SDK.
 */
import { awsEcsSettings } from './aws-ecs/settings.js'
import { azureContainerAppsSettings } from './azure-container-apps/settings.js'
import { cloudRunSettings } from './cloud-run/settings.js'
import { knativeSettings } from './knative/settings.js'
import type { WrittenSettings } from './settings.js'

/** In the order sls-run.yaml's schema (and its error messages) list them. */
export const PROVIDER_SETTINGS = {
  'cloud-run': cloudRunSettings,
  knative: knativeSettings,
  'azure-container-apps': azureContainerAppsSettings,
  'aws-ecs': awsEcsSettings,
} as const

export type ProviderId = keyof typeof PROVIDER_SETTINGS
export const PROVIDER_IDS = Object.keys(PROVIDER_SETTINGS) as readonly ProviderId[]

/** Each built-in provider's settings as its adapter gets them: `{ provider, ...its keys }` (no `services`). */
export type ProviderSettingsById = { [Id in ProviderId]: WrittenSettings<Id, (typeof PROVIDER_SETTINGS)[Id]['shape']> }
export type ProviderSettings<Id extends ProviderId = ProviderId> = ProviderSettingsById[Id]
