/**
 * Deploy providers from installed oclif plugins: each plugin may declare a `sls-run:providers` hook in
 * its package.json (`"oclif": { "hooks": { "sls-run:providers": "./hooks/providers.js" } }`) whose
 * function returns a provider or a list of providers. Only the deploy commands run the hook, so other
 * commands never load plugin code.
 */
import type { Config } from '../vendor/oclif.js'
import { registerProviders } from '../core/deploy/registry.js'
import { ExitCode, SlsError } from '../errors.js'

export const PROVIDERS_HOOK = 'sls-run:providers'

export async function loadPluginProviders(config: Config): Promise<void> {
  const { successes, failures } = await config.runHook(PROVIDERS_HOOK, {})
  if (failures.length) {
    const first = failures[0]!
    throw new SlsError('PROVIDER_PLUGIN_INVALID', `plugin ${first.plugin.name} failed in its ${PROVIDERS_HOOK} hook: ${first.error.message}`, {
      exitCode: ExitCode.environment,
      cause: first.error,
      hints: ['Update or uninstall the plugin (sls-run plugins).'],
    })
  }
  registerProviders(successes.filter((s) => s.result !== undefined).map((s) => ({ from: s.plugin.name, result: s.result })))
}
