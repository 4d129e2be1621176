/**
 * `deploy status` and `deploy remove` look for a service under the name its plan used: the service's
 * `deployName` in that environment reaches the provider as ctx.deployName (src/core/deploy/apply.ts).
 */
import { describe, expect, it } from 'vitest'
import type { ServiceConfig } from '../../src/core/config/schema.js'
import { removeServices, statusOf } from '../../src/core/deploy/apply.js'
import type { DeployTarget } from '../../src/core/deploy/plan.js'
import { bindProvider, registerProviders } from '../../src/core/deploy/registry.js'
import type { DeployContext } from '../../src/core/deploy/types.js'

const ctx: DeployContext = { env: {}, wait: true, timeoutMs: 1000, pollIntervalMs: 10 }

describe('status and remove under the deployName', () => {
  it('pass each service its own deployName, and none to a service without one', async () => {
    const seen: Array<[string, string, string | undefined]> = []
    registerProviders([
      {
        from: 'sls-run-plugin-names',
        result: {
          id: 'names',
          plan: async () => ({}),
          deploy: async () => ({}),
          status: async (service: string, _settings: unknown, c: DeployContext) => (seen.push(['status', service, c.deployName]), null),
          remove: async (service: string, _settings: unknown, c: DeployContext) => (seen.push(['remove', service, c.deployName]), false),
        },
      },
    ])
    const target: DeployTarget = {
      environment: 'azure',
      project: 'shop',
      provider: await bindProvider('azure', { provider: 'plugin', plugin: 'names', settings: {}, services: {} }),
      services: { api: { deployName: 'api-eu' } as ServiceConfig, web: {} as ServiceConfig },
      names: ['api', 'web'],
    }
    await statusOf(target, ctx)
    await removeServices(target, ctx)
    expect(seen).toEqual([
      ['status', 'api', 'api-eu'],
      ['status', 'web', undefined],
      ['remove', 'api', 'api-eu'],
      ['remove', 'web', undefined],
    ])
  })
})
