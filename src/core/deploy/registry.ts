/**
 * Providers by id. Built-in adapters are imported only when an environment names them, so
 * `sls-run --help` (and every other command) never loads deploy code or cloud SDKs. Plugin providers
 * come from installed oclif plugins through the `sls-run:providers` hook (the command collects them and
 * calls registerProviders); an environment picks one with `provider: plugin` + `plugin: <id>`.
 */
import { ExitCode, SlsError } from '../../errors.js'
import { PROVIDER_IDS } from '../config/providers.js'
import type { ProviderId } from '../config/schema.js'
import { closest } from '../config/suggest.js'
import type { Provider, ProviderSettings } from './types.js'

type Loader<Id extends ProviderId> = () => Promise<Provider<Id>>
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyProvider = Provider<any>

const BUILT_IN: { [Id in ProviderId]: Loader<Id> | null } = {
  knative: () => import('./knative.js').then((m) => m.default),
  'cloud-run': () => import('./cloud-run.js').then((m) => m.default),
  'azure-container-apps': () => import('./azure-container-apps.js').then((m) => m.default),
  'aws-ecs': () => import('./aws-ecs.js').then((m) => m.default),
}

const plugins = new Map<string, { provider: AnyProvider; from: string }>()

export const BUILT_IN_PROVIDERS: readonly ProviderId[] = PROVIDER_IDS

/** Provider ids that have an adapter today (built in, then registered by plugins). */
export function availableProviders(): string[] {
  return [...PROVIDER_IDS.filter((id) => BUILT_IN[id] !== null), ...plugins.keys()]
}

const isBuiltIn = (id: string): id is ProviderId => (PROVIDER_IDS as readonly string[]).includes(id)

/** Register what the plugins' hooks returned: a provider or a list of them each. Bad shapes are errors naming the plugin. */
export function registerProviders(found: Array<{ from: string; result: unknown }>): void {
  for (const { from, result } of found) {
    for (const candidate of Array.isArray(result) ? result : [result]) {
      const p = candidate as Partial<AnyProvider> | null
      const problem = !p || typeof p !== 'object' ? 'not an object' : typeof p.id !== 'string' || !/^[a-z][a-z0-9-]{0,62}$/.test(p.id) ? 'no valid id' : typeof p.plan !== 'function' || typeof p.deploy !== 'function' ? 'no plan() or deploy()' : isBuiltIn(p.id) ? `id "${p.id}" is a built-in provider` : undefined
      if (problem) {
        throw new SlsError('PROVIDER_PLUGIN_INVALID', `plugin ${from} registered a provider that sls-run cannot use: ${problem}`, {
          exitCode: ExitCode.environment,
          hints: ['A sls-run:providers hook returns { id, plan, deploy, … } (see README, "Provider plugins"); update or uninstall the plugin.'],
        })
      }
      plugins.set(p!.id!, { provider: p as AnyProvider, from })
    }
  }
}

export async function loadProvider(id: string): Promise<AnyProvider> {
  if (isBuiltIn(id)) {
    const load = BUILT_IN[id]
    if (load) return load()
  }
  const plugin = plugins.get(id)
  if (plugin) return plugin.provider
  const suggestion = closest(id, availableProviders())
  throw new SlsError('DEPLOY_PROVIDER_UNSUPPORTED', `no provider "${id}"${suggestion ? `; did you mean "${suggestion}"?` : ''}`, {
    exitCode: ExitCode.usage,
    hints: [`Providers available: ${availableProviders().join(', ')}.`, 'A plugin provider is installed with `sls-run plugins install <package>` or linked from a folder (see README).'],
  })
}

/** A plugin provider's settings through its settingsSchema (the validated value is what plan/deploy get). */
export async function checkSettings(provider: AnyProvider, settings: ProviderSettings | Record<string, unknown>, environment: string): Promise<ProviderSettings> {
  if (!provider.settingsSchema) return settings as ProviderSettings
  const { provider: id, ...rest } = settings as Record<string, unknown>
  const result = await provider.settingsSchema['~standard'].validate(rest)
  if (result.issues) {
    const lines = result.issues.map((i) => `environments.${environment}.settings${(i.path ?? []).map((k) => `.${String(typeof k === 'object' ? k.key : k)}`).join('')}: ${i.message}`)
    throw new SlsError('CONFIG_INVALID', `the settings of environment ${environment} do not fit provider ${String(id)}: ${lines.join('; ')}`, {
      exitCode: ExitCode.usage,
      hints: [`See the documentation of the plugin that provides "${String(id)}".`],
    })
  }
  return { ...(result.value as object), provider: id } as ProviderSettings
}
