/**
 * Built-in providers by id. Each adapter is imported only when an environment names it, so
 * `sls-run --help` (and every other command) never loads deploy code or, later, cloud SDKs.
 */
import { ExitCode, SlsError } from '../../errors.js'
import { PROVIDER_IDS } from '../config/providers.js'
import type { ProviderId } from '../config/schema.js'
import type { Provider } from './types.js'

type Loader<Id extends ProviderId> = () => Promise<Provider<Id>>

const BUILT_IN: { [Id in ProviderId]: Loader<Id> | null } = {
  knative: () => import('./knative.js').then((m) => m.default),
  'cloud-run': () => import('./cloud-run.js').then((m) => m.default),
  'azure-container-apps': () => import('./azure-container-apps.js').then((m) => m.default),
  'aws-ecs': () => import('./aws-ecs.js').then((m) => m.default),
}

export const BUILT_IN_PROVIDERS: readonly ProviderId[] = PROVIDER_IDS

/** Provider ids that have an adapter today. */
export function availableProviders(): ProviderId[] {
  return PROVIDER_IDS.filter((id) => BUILT_IN[id] !== null)
}

export async function loadProvider<Id extends ProviderId>(id: Id): Promise<Provider<Id>> {
  const load = BUILT_IN[id] as Loader<Id> | null | undefined
  if (!load) {
    throw new SlsError('DEPLOY_PROVIDER_UNSUPPORTED', `provider ${id} has no deploy adapter yet`, {
      exitCode: ExitCode.failure,
      hints: [`Adapters available: ${availableProviders().join(', ')}.`],
    })
  }
  return load()
}
