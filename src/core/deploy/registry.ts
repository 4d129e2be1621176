/**
 * Providers by id. Built-in adapters are the folders of ./providers/, imported only when an environment
 * names them, so `sls-run --help` (and every other command) never loads deploy code or cloud SDKs. Plugin
 * providers come from installed oclif plugins through the `sls-run:providers` hook (the command collects
 * them and calls registerProviders); an environment picks one with `provider: plugin` + `plugin: <id>`.
 *
 * `bindProvider` pairs an environment's provider with its settings, checked once (a plugin's by its
 * settingsSchema; a built-in's were checked when sls-run.yaml was loaded): what a command then calls.
 */
import { ExitCode, SlsError } from '../../errors.js'
import type { EnvironmentConfig, ServiceConfig } from '../config/schema.js'
import { PLUGIN_PROVIDER } from '../config/providers.js'
import { closest } from '../config/suggest.js'
import type { DigestRef } from './image-ref.js'
import { PROVIDER_IDS, type ProviderId, type ProviderSettingsById } from './providers/index.js'
import type { DeployContext, Deployment, PlanContext, Plan, PluginSettings, Provider, RegistryCredentials, ServiceStatus, SettingsById } from './types.js'

const BUILT_IN: { [Id in ProviderId]: () => Promise<Provider<Id>> } = {
  'cloud-run': () => import('./providers/cloud-run/index.js').then((m) => m.default),
  knative: () => import('./providers/knative/index.js').then((m) => m.default),
  'azure-container-apps': () => import('./providers/azure-container-apps/index.js').then((m) => m.default),
  'aws-ecs': () => import('./providers/aws-ecs/index.js').then((m) => m.default),
}

const plugins = new Map<string, { provider: Provider<string>; from: string }>()

/** Provider ids that have an adapter today (built in, then registered by plugins). */
export function availableProviders(): string[] {
  return [...PROVIDER_IDS, ...plugins.keys()]
}

const isBuiltIn = (id: string): id is ProviderId => (PROVIDER_IDS as readonly string[]).includes(id)

/** Register what the plugins' hooks returned: a provider or a list of them each. Bad shapes are errors naming the plugin. */
export function registerProviders(found: Array<{ from: string; result: unknown }>): void {
  for (const { from, result } of found) {
    for (const candidate of Array.isArray(result) ? result : [result]) {
      const p = candidate as Partial<Provider<string>> | null
      const problem =
        !p || typeof p !== 'object'
          ? 'not an object'
          : typeof p.id !== 'string' || !/^[a-z][a-z0-9-]{0,62}$/.test(p.id)
            ? 'no valid id'
            : typeof p.plan !== 'function' || typeof p.deploy !== 'function'
              ? 'no plan() or deploy()'
              : isBuiltIn(p.id)
                ? `id "${p.id}" is a built-in provider`
                : undefined
      if (problem) {
        throw new SlsError('PROVIDER_PLUGIN_INVALID', `plugin ${from} registered a provider that sls-run cannot use: ${problem}`, {
          exitCode: ExitCode.environment,
          hints: ['A sls-run:providers hook returns { id, plan, deploy, … } (docs/deploy/README.md, "Provider plugins"); update or uninstall the plugin.'],
        })
      }
      plugins.set(p!.id!, { provider: p as Provider<string>, from })
    }
  }
}

function unsupported(id: string): SlsError {
  const suggestion = closest(id, availableProviders())
  return new SlsError('DEPLOY_PROVIDER_UNSUPPORTED', `no provider "${id}"${suggestion ? `; did you mean "${suggestion}"?` : ''}`, {
    exitCode: ExitCode.usage,
    hints: [
      `Providers available: ${availableProviders().join(', ')}.`,
      'A plugin provider is installed with `sls-run plugins install <package>` or linked from a folder (docs/deploy/README.md, "Provider plugins").',
    ],
  })
}

export async function loadProvider(id: string): Promise<Provider<ProviderId> | Provider<string>> {
  if (isBuiltIn(id)) return BUILT_IN[id]()
  const plugin = plugins.get(id)
  if (plugin) return plugin.provider
  throw unsupported(id)
}

/** A provider with its settings in place: the operations a command calls. */
export interface BoundProvider {
  id: string
  plan(service: ServiceConfig, image: DigestRef, ctx: PlanContext): Promise<Plan>
  deploy(plan: Plan, ctx: DeployContext): Promise<Deployment>
  status?: (service: string, ctx: DeployContext) => Promise<ServiceStatus | null>
  remove?: (service: string, ctx: DeployContext) => Promise<boolean>
  registryAuth?: (registry: string, ctx: DeployContext) => Promise<RegistryCredentials | null>
}

function bind<Id extends string>(provider: Provider<Id>, settings: SettingsById[Id]): BoundProvider {
  return {
    id: provider.id,
    plan: (service, image, ctx) => provider.plan(service, image, settings, ctx),
    deploy: (plan, ctx) => provider.deploy(plan, settings, ctx),
    ...(provider.status ? { status: (service: string, ctx: DeployContext) => provider.status!(service, settings, ctx) } : {}),
    ...(provider.remove ? { remove: (service: string, ctx: DeployContext) => provider.remove!(service, settings, ctx) } : {}),
    ...(provider.registryAuth ? { registryAuth: (registry: string, ctx: DeployContext) => provider.registryAuth!(registry, settings, ctx) } : {}),
  }
}

async function bindBuiltIn<Id extends ProviderId>(id: Id, settings: ProviderSettingsById[Id]): Promise<BoundProvider> {
  return bind(await BUILT_IN[id](), settings)
}

/** The provider of an environment of sls-run.yaml with its settings (`services` overrides left out). */
export async function bindProvider(environment: string, config: EnvironmentConfig): Promise<BoundProvider> {
  const { services: _overrides, ...settings } = config
  if (settings.provider !== PLUGIN_PROVIDER) return bindBuiltIn(settings.provider, settings)
  // `provider: plugin`: the plugin's id is the provider, its `settings:` are the settings.
  const id = settings.plugin
  if (isBuiltIn(id)) {
    throw new SlsError('CONFIG_INVALID', `environment ${environment} names the built-in provider "${id}" as a plugin`, {
      exitCode: ExitCode.usage,
      hints: [`Write \`provider: ${id}\` with its settings beside it (docs/configuration.md).`],
    })
  }
  const plugin = plugins.get(id)
  if (!plugin) throw unsupported(id)
  return bind(plugin.provider, await checkSettings(plugin.provider, id, settings.settings, environment))
}

/** A plugin provider's settings through its settingsSchema (the validated value is what its operations get). */
async function checkSettings(provider: Provider<string>, id: string, written: Record<string, unknown>, environment: string): Promise<PluginSettings> {
  const { provider: _ignored, ...rest } = written
  if (!provider.settingsSchema) return { ...rest, provider: id }
  const result = await provider.settingsSchema['~standard'].validate(rest)
  if (result.issues) {
    const lines = result.issues.map((i) => `environments.${environment}.settings${(i.path ?? []).map((k) => `.${String(typeof k === 'object' ? k.key : k)}`).join('')}: ${i.message}`)
    throw new SlsError('CONFIG_INVALID', `the settings of environment ${environment} do not fit provider ${id}: ${lines.join('; ')}`, {
      exitCode: ExitCode.usage,
      hints: [`See the documentation of the plugin that provides "${id}".`],
    })
  }
  const value = result.value
  return { ...(value !== null && typeof value === 'object' ? value : {}), provider: id }
}
