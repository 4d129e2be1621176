/**
 * Deploy error codes about providers that no other unit test reaches: a plugin that registers something
 * unusable or whose hook fails (PROVIDER_PLUGIN_INVALID), and an operation a provider lacks (DEPLOY_UNSUPPORTED).
 */
import type { Config as OclifConfig } from '@oclif/core'
import { describe, expect, it } from 'vitest'
import { loadPluginProviders } from '../../src/cli/plugin-providers.js'
import { removeServices, statusOf } from '../../src/core/deploy/apply.js'
import type { DeployTarget } from '../../src/core/deploy/plan.js'
import { bindProvider, registerProviders } from '../../src/core/deploy/registry.js'
import type { DeployContext } from '../../src/core/deploy/types.js'

const ctx: DeployContext = { env: {}, wait: true, timeoutMs: 1000, pollIntervalMs: 10 }
const minimal = { plan: async () => ({}), deploy: async () => ({}) }

describe('PROVIDER_PLUGIN_INVALID (exit 3)', () => {
  it.each([
    ['not an object', 'nope'],
    ['no valid id', { ...minimal, id: 'Not An Id' }],
    ['no plan() or deploy()', { id: 'acme-run' }],
    ['is a built-in provider', { ...minimal, id: 'cloud-run' }],
  ])('a registered provider with %s', (problem, result) => {
    expect(() => registerProviders([{ from: 'sls-run-plugin-acme', result }])).toThrow(
      expect.objectContaining({ code: 'PROVIDER_PLUGIN_INVALID', exitCode: 3, message: expect.stringContaining(problem) }),
    )
  })

  it("a plugin's sls-run:providers hook that throws", async () => {
    const config = {
      runHook: async () => ({ successes: [], failures: [{ plugin: { name: 'sls-run-plugin-acme' }, error: new Error('cannot find module ./hooks/providers.js') }] }),
    } as unknown as OclifConfig
    await expect(loadPluginProviders(config)).rejects.toMatchObject({
      code: 'PROVIDER_PLUGIN_INVALID',
      exitCode: 3,
      message: expect.stringContaining('sls-run-plugin-acme failed in its sls-run:providers hook'),
    })
  })
})

describe('DEPLOY_UNSUPPORTED (exit 1)', () => {
  it('a provider without status() or remove()', async () => {
    registerProviders([{ from: 'sls-run-plugin-basic', result: { ...minimal, id: 'basic' } }])
    const target: DeployTarget = {
      environment: 'prod',
      project: 'shop',
      provider: await bindProvider('prod', { provider: 'plugin', plugin: 'basic', settings: {}, services: {} }),
      services: {},
      names: ['api'],
    }
    await expect(statusOf(target, ctx)).rejects.toMatchObject({ code: 'DEPLOY_UNSUPPORTED', exitCode: 1, message: 'provider basic has no status operation' })
    await expect(removeServices(target, ctx)).rejects.toMatchObject({ code: 'DEPLOY_UNSUPPORTED', exitCode: 1, message: 'provider basic has no remove operation' })
  })

  it('a provider with status() answers instead', async () => {
    registerProviders([{ from: 'sls-run-plugin-full', result: { ...minimal, id: 'full', status: async () => null } }])
    const target: DeployTarget = {
      environment: 'prod',
      project: 'shop',
      provider: await bindProvider('prod', { provider: 'plugin', plugin: 'full', settings: {}, services: {} }),
      services: {},
      names: ['api'],
    }
    await expect(statusOf(target, ctx)).resolves.toMatchObject([{ service: 'api', exists: false }])
  })
})
