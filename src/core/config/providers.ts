/**
 * Environments: `provider` picks a deploy adapter; its settings sit beside it and are validated here so
 * that unknown keys are errors like everywhere else. Each built-in provider describes its settings once,
 * in its own folder (src/core/deploy/providers/<id>/settings.ts); a plugin provider checks its own.
 */
import * as z from '../../vendor/zod.js'
import { PROVIDER_IDS, PROVIDER_SETTINGS } from '../deploy/providers/index.js'
import { mapping } from './fields.js'

export { PROVIDER_IDS }

/**
 * `provider: plugin` names a provider that an installed oclif plugin registers (the `sls-run:providers`
 * hook, see docs/deploy/README.md, "Provider plugins"). Its settings sit under `settings:` and are checked by the plugin's own schema at
 * deploy time: the built-in ids stay a closed list, so a typo in one is still caught with "did you mean".
 */
const pluginSettings = {
  plugin: z
    .string({ error: 'must be a provider id such as fly' })
    .regex(/^[a-z][a-z0-9-]{0,62}$/, { error: 'must be a provider id: lower case letters, digits and dashes' })
    .describe('Provider id registered by an installed plugin'),
  settings: z.record(z.string(), z.unknown(), { error: 'must be a mapping' }).prefault({}).describe("The plugin provider's settings (checked by its schema at deploy time)"),
}

export const PLUGIN_PROVIDER = 'plugin'

/** `{ provider, services, ...settings }`, discriminated by provider id. */
export function providerEnvironment(services: z.ZodType<Record<string, unknown>, Record<string, unknown>>) {
  const common = { services: services.prefault({}).describe('Per-service overrides of any service key for this environment') }
  const env = <const Id extends string, Shape extends z.ZodRawShape>(settings: { id: Id; shape: Shape }) => mapping({ provider: z.literal(settings.id), ...common, ...settings.shape })
  const { 'cloud-run': cloudRun, knative, 'azure-container-apps': azureContainerApps, 'aws-ecs': awsEcs } = PROVIDER_SETTINGS
  const plugin = mapping({ provider: z.literal(PLUGIN_PROVIDER), ...common, ...pluginSettings })
  return z.discriminatedUnion('provider', [env(cloudRun), env(knative), env(azureContainerApps), env(awsEcs), plugin], {
    error: (issue) =>
      issue.code === 'invalid_union' && issue.input !== null && typeof issue.input === 'object'
        ? `must be one of ${[...PROVIDER_IDS, PLUGIN_PROVIDER].join(', ')} (got ${JSON.stringify((issue.input as { provider?: unknown }).provider ?? null)})`
        : 'must be a mapping with a provider key',
  })
}
