/**
 * The azure-container-apps adapter against a local HTTPS fake of Microsoft Entra ID + ARM + ACR
 * (test/contract/fakes/azure-*.ts). The real @azure/identity code path runs: client credentials go
 * to the fake token endpoint (AZURE_AUTHORITY_HOST), trusted through NODE_EXTRA_CA_CERTS. PUT bodies
 * are validated against @azure/arm-appcontainers' `ContainerApp` mapper.
 */
import { chmodSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { service as serviceSchema } from '../../src/core/config/schema.js'
import provider, { planAzureContainerApps } from '../../src/core/deploy/providers/azure-container-apps/index.js'
import { PLATFORM_DEFAULTED } from '../../src/core/deploy/defaults.js'
import { parseDigestRef } from '../../src/core/deploy/image-ref.js'
import type { DeployContext, DeployEvent, Plan } from '../../src/core/deploy/types.js'
import { SlsError } from '../../src/errors.js'
import { useTempDir } from '../helpers/temp.js'
import { startFakeAzure, type FakeAzure } from './fakes/azure-fake.js'
import { validateModel } from './fakes/azure-mappers.js'
import { makeTestPki, type TestPki } from './fakes/tls.js'
import { failure } from './fakes/server.js'

const SUB = '00000000-aaaa-bbbb-cccc-000000000000'
const TENANT = '11111111-2222-3333-4444-555555555555'
const CLIENT = '99999999-8888-7777-6666-555555555555'
const SECRET = 's3cret~value'
const REGISTRY = 'shopacr.azurecr.io'
const SETTINGS = { provider: 'azure-container-apps', subscription: SUB, resourceGroup: 'rg-shop', environment: 'env-shop', public: true } as const
const ENV_ID = `/subscriptions/${SUB}/resourceGroups/rg-shop/providers/Microsoft.App/managedEnvironments/env-shop`
const APP_KEY = `/subscriptions/${SUB}/resourceGroups/rg-shop/providers/Microsoft.App/containerApps/api`.toLowerCase()
const digest = (byte: string) => `sha256:${byte.repeat(32)}`

let pki: TestPki
let fake: FakeAzure
const tempDir = useTempDir('sls-run-aca-')

beforeAll(() => {
  pki = makeTestPki()
})
afterAll(() => pki.dispose())
beforeEach(async () => {
  fake = await startFakeAzure(pki, { tenant: TENANT, clientId: CLIENT, clientSecret: SECRET, federatedToken: 'federated.oidc.token', certificatePem: pki.clientCert, registry: REGISTRY })
  fake.arm.addEnvironment(ENV_ID, 'West Europe')
})
afterEach(() => fake.close())

/** The deploy environment: a service principal, every endpoint at the fake, no `az` on PATH. */
function env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    PATH: tempDir(),
    AZURE_TENANT_ID: TENANT,
    AZURE_CLIENT_ID: CLIENT,
    AZURE_CLIENT_SECRET: SECRET,
    AZURE_AUTHORITY_HOST: fake.url,
    SLS_RUN_AZURE_RESOURCE_MANAGER: fake.url,
    SLS_RUN_AZURE_ACR_ENDPOINT: fake.url,
    NODE_EXTRA_CA_CERTS: pki.caFile,
    ...extra,
  }
}

function ctx(over: Partial<DeployContext> = {}, events: DeployEvent[] = []): DeployContext {
  return { env: env(), wait: true, timeoutMs: 10_000, pollIntervalMs: 5, emit: (e) => events.push(e), ...over }
}

function plan(byte = 'ab', raw: Record<string, unknown> = {}): Plan {
  return planAzureContainerApps(serviceSchema.parse(raw), parseDigestRef(`ghcr.io/acme/api@${digest(byte)}`), SETTINGS, { project: 'shop', environment: 'prod', service: 'api' })
}

const armCalls = () => fake.log.filter((l) => l.includes('/subscriptions/'))

describe('azure-container-apps deploy', () => {
  it('first deploy: client-credentials token, environment location, PUT of the planned body, operation polled, fqdn URL', async () => {
    const events: DeployEvent[] = []
    const p = plan()
    const d = await provider.deploy(p, SETTINGS, ctx({}, events))
    expect(d).toEqual({ service: 'api', url: 'https://api.nicebeach-1234.westeurope.azurecontainerapps.io', revision: 'api--r1', unchanged: false, ready: true })
    // The real token request reached the fake token endpoint.
    expect(fake.tokenRequests).toHaveLength(1)
    expect(fake.tokenRequests[0]).toMatchObject({ grant_type: 'client_credentials', client_id: CLIENT, client_secret: SECRET, scope: `${fake.url}/.default` })
    // Exactly the planned body, with the environment's location in place of the lookup.
    const planned = (p.steps[1] as { body: { location: string } }).body
    expect(fake.arm.puts).toEqual([{ ...planned, location: 'West Europe' }])
    expect(fake.arm.rejected).toEqual([])
    expect(armCalls().filter((l) => l.includes('containerappOperationStatuses')).length).toBe(3)
    expect(armCalls()[0]).toBe(`GET ${ENV_ID}`)
    expect(events.map((e) => e.message)).toContain('ready: revision api--r1')
  })

  it('a command removed from the config is sent (ARM replaces the container), though every planned value is deployed', async () => {
    await provider.deploy(plan('ab', { command: ['node', 'server.js'] }), SETTINGS, ctx())
    const without = await provider.deploy(plan('ab'), SETTINGS, ctx())
    expect(without.unchanged).toBe(false)
    expect(fake.arm.puts).toHaveLength(2)
    expect((fake.arm.puts[1] as { properties: { template: { containers: Array<Record<string, unknown>> } } }).properties.template.containers[0]).not.toHaveProperty('command')
  })

  it('same digest again: unchanged, no second PUT and no second revision; a new digest makes a new revision', async () => {
    const first = await provider.deploy(plan('ab'), SETTINGS, ctx())
    const again = await provider.deploy(plan('ab'), SETTINGS, ctx())
    expect(again).toEqual({ ...first, unchanged: true })
    expect(fake.arm.puts).toHaveLength(1)
    expect(fake.arm.revisions.size).toBe(1)
    const next = await provider.deploy(plan('cd'), SETTINGS, ctx())
    expect(next.unchanged).toBe(false)
    expect(next.revision).not.toBe(first.revision)
    expect(next.revision).toMatch(/^api--r\d+$/)
    expect(fake.arm.puts).toHaveLength(2)
    expect(fake.arm.revisions.size).toBe(2)
    expect(fake.arm.apps.get(APP_KEY)?.latestReadyRevisionName).toBe(next.revision)
  })

  it("nothing set in sls-run.yaml: Container Apps' default scale (0-10, 10 concurrent requests) is sent, valid, then unchanged", async () => {
    await provider.deploy(plan('ab'), SETTINGS, ctx())
    const p = planAzureContainerApps(serviceSchema.parse({}), parseDigestRef(`ghcr.io/acme/api@${digest('ab')}`), SETTINGS, {
      project: 'shop',
      environment: 'prod',
      service: 'api',
      unset: PLATFORM_DEFAULTED,
    })
    expect((await provider.deploy(p, SETTINGS, ctx())).unchanged).toBe(false)
    const put = fake.arm.puts.at(-1) as { properties: { template: { scale: unknown } } }
    expect(put.properties.template.scale).toEqual({ minReplicas: 0, maxReplicas: 10, rules: [{ name: 'http', http: { metadata: { concurrentRequests: '10' } } }] })
    expect(fake.arm.rejected).toEqual([])
    expect((await provider.deploy(p, SETTINGS, ctx())).unchanged).toBe(true)
  })

  it('a settings change that keeps the template (ingress) updates the app without a new revision', async () => {
    await provider.deploy(plan('ab'), SETTINGS, ctx())
    const internal = planAzureContainerApps(
      serviceSchema.parse({}),
      parseDigestRef(`ghcr.io/acme/api@${digest('ab')}`),
      { ...SETTINGS, public: false },
      { project: 'shop', environment: 'prod', service: 'api' },
    )
    const d = await provider.deploy(internal, { ...SETTINGS, public: false }, ctx())
    expect(d).toMatchObject({ unchanged: false, revision: 'api--r1', url: 'https://api.internal.nicebeach-1234.westeurope.azurecontainerapps.io' })
    expect(fake.arm.puts).toHaveLength(2)
    expect(fake.arm.revisions.size).toBe(1)
  })

  it('--no-wait: returns once ARM accepted the PUT, without polling', async () => {
    const d = await provider.deploy(plan(), SETTINGS, ctx({ wait: false }))
    expect(d).toMatchObject({ ready: false, unchanged: false, revision: 'api--r1' })
    expect(armCalls().some((l) => l.includes('containerappOperationStatuses'))).toBe(false)
  })
})

describe('azure-container-apps failures', () => {
  it('403 AuthorizationFailed → DEPLOY_PERMISSION_DENIED naming the action', async () => {
    fake.arm.scenario.putError = {
      status: 403,
      code: 'AuthorizationFailed',
      message: `The client '${CLIENT}' with object id '${CLIENT}' does not have authorization to perform action 'Microsoft.App/containerApps/write' over scope '${APP_KEY}' or the scope is invalid.`,
    }
    const err = await failure(provider.deploy(plan(), SETTINGS, ctx()))
    expect(err.code).toBe('DEPLOY_PERMISSION_DENIED')
    expect(err.message).toContain('AuthorizationFailed')
    expect(err.message).toContain('Microsoft.App/containerApps/write')
  })

  it('409 another operation in progress → DEPLOY_CONFLICT', async () => {
    fake.arm.scenario.putError = { status: 409, code: 'ContainerAppOperationInProgress', message: "Cannot modify a container app 'api' while another operation is in progress." }
    const err = await failure(provider.deploy(plan(), SETTINGS, ctx()))
    expect(err.code).toBe('DEPLOY_CONFLICT')
    expect(err.message).toContain('another operation is in progress')
  })

  it.each([
    [400, 'MaxNumberOfContainerAppsExceeded', "The maximum number of container apps (100) in environment 'env-shop' has been reached."],
    [409, 'SubscriptionQuotaExceeded', 'Operation would exceed the cores quota of the subscription in West Europe.'],
  ])('quota (%i %s) → DEPLOY_QUOTA', async (status, code, message) => {
    fake.arm.scenario.putError = { status, code, message }
    const err = await failure(provider.deploy(plan(), SETTINGS, ctx()))
    expect(err.code).toBe('DEPLOY_QUOTA')
    expect(err.message).toContain(code)
    expect(err.message).toContain(message)
  })

  it('the operation fails (container crash) → DEPLOY_ROLLOUT_FAILED with its message', async () => {
    fake.arm.scenario.operationFails = "Container 'api' in revision 'api--r1' terminated with exit code 1: Error: Cannot find module '/app/server.js'"
    const err = await failure(provider.deploy(plan(), SETTINGS, ctx()))
    expect(err.code).toBe('DEPLOY_ROLLOUT_FAILED')
    expect(err.message).toContain('ContainerAppOperationError')
    expect(err.message).toContain("Cannot find module '/app/server.js'")
  })

  it('the operation succeeds but the revision is Failed → DEPLOY_ROLLOUT_FAILED with runningStateDetails', async () => {
    fake.arm.scenario.revisionFails = "Startup probe failed: connection refused on port 8080 (container 'api' restarted 5 times)"
    const err = await failure(provider.deploy(plan(), SETTINGS, ctx()))
    expect(err.code).toBe('DEPLOY_ROLLOUT_FAILED')
    expect(err.message).toContain('revision api--r1 is Failed')
    expect(err.message).toContain('Startup probe failed: connection refused on port 8080')
  })

  it('an operation that never finishes → DEPLOY_TIMEOUT with the last state', async () => {
    fake.arm.scenario.neverFinishes = true
    const err = await failure(provider.deploy(plan(), SETTINGS, ctx({ timeoutMs: 300, pollIntervalMs: 20 })))
    expect(err.code).toBe('DEPLOY_TIMEOUT')
    expect(err.message).toContain('operation InProgress')
  })

  it('the fake checks the api-version: an unsupported one is refused (DEPLOY_API)', async () => {
    const p = plan()
    const put = p.steps[1] as { url: string }
    put.url = put.url.replace('api-version=2024-03-01', 'api-version=2019-01-01')
    const err = await failure(provider.deploy(p, SETTINGS, ctx()))
    expect(err.code).toBe('DEPLOY_API')
    expect(err.message).toContain('InvalidApiVersionParameter')
  })

  it('a missing managed environment → DEPLOY_NOT_FOUND', async () => {
    fake.arm.environments.clear()
    const err = await failure(provider.deploy(plan(), SETTINGS, ctx()))
    expect(err.code).toBe('DEPLOY_NOT_FOUND')
    expect(err.message).toContain('ResourceNotFound')
    expect(fake.arm.puts).toEqual([])
  })

  it('a wrong client secret → DEPLOY_AUTH with the Entra error', async () => {
    const err = await failure(provider.deploy(plan(), SETTINGS, ctx({ env: env({ AZURE_CLIENT_SECRET: 'wrong' }) })))
    expect(err.code).toBe('DEPLOY_AUTH')
    expect(err.message).toContain('AADSTS7000215')
    expect(fake.tokenRequests[0]?.client_secret).toBe('wrong')
    expect(armCalls()).toEqual([])
  })

  it('a token endpoint whose TLS certificate is not trusted → DEPLOY_UNREACHABLE (the fake really is HTTPS)', async () => {
    const err = await failure(provider.deploy(plan(), SETTINGS, ctx({ env: env({ NODE_EXTRA_CA_CERTS: undefined }) })))
    expect(err.code).toBe('DEPLOY_UNREACHABLE')
    expect(err.message).toContain(`authority ${fake.url} did not answer`)
    expect(fake.tokenRequests).toEqual([])
  })

  it('no credentials at all → DEPLOY_CREDENTIALS (exit 3), nothing sent', async () => {
    const bare = env({ AZURE_TENANT_ID: undefined, AZURE_CLIENT_ID: undefined, AZURE_CLIENT_SECRET: undefined })
    const err = await failure(provider.deploy(plan(), SETTINGS, ctx({ env: bare })))
    expect(err.code).toBe('DEPLOY_CREDENTIALS')
    expect(err.exitCode).toBe(3)
    expect(err.hints.join(' ')).toContain('AZURE_CLIENT_SECRET')
    const partial = await failure(provider.deploy(plan(), SETTINGS, ctx({ env: env({ AZURE_CLIENT_SECRET: undefined }) })))
    expect(partial.code).toBe('DEPLOY_CREDENTIALS')
    expect(partial.message).toContain('AZURE_TENANT_ID, AZURE_CLIENT_ID set, but not a complete set')
    expect(fake.log).toEqual([])
  })

  it('the fake validates bodies: an unknown property is refused with 400 (DEPLOY_API) naming it', async () => {
    const p = plan()
    const put = p.steps[1] as { body: { properties: { template: { containers: Array<Record<string, unknown>> } } } }
    put.body.properties.template.containers[0]!.healthCheck = { path: '/healthz' }
    const err = await failure(provider.deploy(p, SETTINGS, ctx()))
    expect(err.code).toBe('DEPLOY_API')
    expect(err.message).toContain('properties.template.containers[0].healthCheck: unknown property')
    expect(fake.arm.rejected).toHaveLength(1)
    expect(fake.arm.apps.size).toBe(0)
  })
})

describe('the ContainerApp validator', () => {
  it('accepts the plan bodies and refuses wrong types, read-only fields, unknown enums and missing location', () => {
    const body = (plan('ab', { command: ['node', 'x.js'], env: { A: '1' }, startupProbe: { type: 'http', path: '/h', timeout: '30s' } }).steps[1] as { body: any }).body
    expect(validateModel('ContainerApp', { ...body, location: 'westeurope' })).toEqual([])
    const bad = structuredClone({ ...body, location: 'westeurope' })
    bad.properties.template.scale.maxReplicas = '10'
    bad.properties.latestRevisionName = 'x'
    bad.properties.configuration.ingress.transport = 'quic'
    expect(validateModel('ContainerApp', bad)).toEqual([
      'properties.configuration.ingress.transport: "quic" is not one of auto, http, http2, tcp',
      'properties.template.scale.maxReplicas: expected a number, got string',
      'properties.latestRevisionName: read-only, set by the service',
    ])
    expect(validateModel('ContainerApp', { properties: {} })).toEqual(['location: required (ContainerApp)'])
  })
})

describe('azure-container-apps status and remove', () => {
  it('status: null before, ready with image and revision after, not ready with the reason after a failed revision', async () => {
    expect(await provider.status!('api', SETTINGS, ctx())).toBeNull()
    await provider.deploy(plan('ab'), SETTINGS, ctx())
    expect(await provider.status!('api', SETTINGS, ctx())).toEqual({
      service: 'api',
      url: 'https://api.nicebeach-1234.westeurope.azurecontainerapps.io',
      revision: 'api--r1',
      image: `ghcr.io/acme/api@${digest('ab')}`,
      ready: true,
      reason: null,
    })
    fake.arm.scenario.revisionFails = 'Container exited with code 137 (OOMKilled)'
    await failure(provider.deploy(plan('cd'), SETTINGS, ctx()))
    const s = await provider.status!('api', SETTINGS, ctx())
    expect(s).toMatchObject({ ready: false, revision: 'api--r1', image: `ghcr.io/acme/api@${digest('cd')}` })
    expect(s?.reason).toContain('OOMKilled')
  })

  it('remove: DELETE followed to completion → true; again → false', async () => {
    await provider.deploy(plan(), SETTINGS, ctx())
    expect(await provider.remove!('api', SETTINGS, ctx())).toBe(true)
    expect(fake.arm.apps.size).toBe(0)
    expect(armCalls().filter((l) => l.startsWith('DELETE'))).toHaveLength(1)
    expect(await provider.remove!('api', SETTINGS, ctx())).toBe(false)
  })

  it('remove: a DELETE answered with Location only is followed until it stops answering 202', async () => {
    await provider.deploy(plan(), SETTINGS, ctx())
    fake.arm.scenario.deleteLocationOnly = true
    expect(await provider.remove!('api', SETTINGS, ctx())).toBe(true)
    expect(fake.arm.apps.size).toBe(0)
    expect(armCalls().filter((l) => l.includes('containerappOperationResults')).length).toBe(3)
  })
})

describe('azure-container-apps credentials and ACR', () => {
  it('registryAuth: ACR token exchange with the ARM token → the zero-GUID user and the refresh token', async () => {
    const creds = await provider.registryAuth!(REGISTRY, SETTINGS, ctx())
    expect(creds?.username).toBe('00000000-0000-0000-0000-000000000000')
    expect(creds?.password).toMatch(/^acr-refresh-/)
    expect(creds?.registry).toBe(REGISTRY)
    expect(fake.exchanges).toHaveLength(1)
    expect(fake.exchanges[0]).toMatchObject({ grant_type: 'access_token', service: REGISTRY, tenant: TENANT })
    expect(fake.issued.has(fake.exchanges[0]!.access_token!)).toBe(true)
    expect(await provider.registryAuth!('ghcr.io', SETTINGS, ctx())).toBeNull()
    expect(await provider.registryAuth!('123456789012.dkr.ecr.eu-west-1.amazonaws.com', SETTINGS, ctx())).toBeNull()
    expect(fake.exchanges).toHaveLength(1)
  })

  it('registryAuth: an exchange the registry refuses → an error naming the registry', async () => {
    const err = await failure(provider.registryAuth!('otheracr.azurecr.io', SETTINGS, ctx()))
    expect(err.code).toBe('DEPLOY_API')
    expect(err.message).toContain('otheracr.azurecr.io')
  })

  it('workload identity: AZURE_FEDERATED_TOKEN_FILE is sent as the client assertion', async () => {
    const file = path.join(tempDir(), 'token')
    writeFileSync(file, 'federated.oidc.token')
    const d = await provider.deploy(plan(), SETTINGS, ctx({ env: env({ AZURE_CLIENT_SECRET: undefined, AZURE_FEDERATED_TOKEN_FILE: file }) }))
    expect(d.revision).toBe('api--r1')
    expect(fake.tokenRequests[0]).toMatchObject({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: 'federated.oidc.token',
    })
    expect(fake.tokenRequests[0]?.client_secret).toBeUndefined()
  })

  it('certificate: AZURE_CLIENT_CERTIFICATE_PATH signs a client assertion the fake verifies', async () => {
    const file = path.join(tempDir(), 'sp.pem')
    writeFileSync(file, `${pki.clientKey}\n${pki.clientCert}`)
    const d = await provider.deploy(plan(), SETTINGS, ctx({ env: env({ AZURE_CLIENT_SECRET: undefined, AZURE_CLIENT_CERTIFICATE_PATH: file }) }))
    expect(d.ready).toBe(true)
    expect(fake.tokenRequests[0]?.client_assertion?.split('.')).toHaveLength(3)
  })

  it('certificate: an assertion signed by another key is refused → DEPLOY_AUTH', async () => {
    const file = path.join(tempDir(), 'sp.pem')
    writeFileSync(file, `${pki.key}\n${pki.clientCert}`)
    const err = await failure(provider.deploy(plan(), SETTINGS, ctx({ env: env({ AZURE_CLIENT_SECRET: undefined, AZURE_CLIENT_CERTIFICATE_PATH: file }) })))
    expect(err.code).toBe('DEPLOY_AUTH')
    expect(err.message).toContain('AADSTS700027')
    expect(armCalls()).toEqual([])
  })

  describe('the Azure CLI login (az on PATH)', () => {
    const savedPath = process.env.PATH
    afterEach(() => {
      process.env.PATH = savedPath
    })

    /** A stand-in `az` that answers `account get-access-token` for the fake's ARM audience, or is logged out. */
    function fakeAz(token: string | null): NodeJS.ProcessEnv {
      const dir = tempDir()
      const argsFile = path.join(dir, 'args')
      const answer = token
        ? `echo '${JSON.stringify({ accessToken: token, expiresOn: '2099-01-01 00:00:00.000000', expires_on: 4070908800, subscription: SUB, tenant: TENANT, tokenType: 'Bearer' })}'`
        : `echo "ERROR: Please run 'az login' to setup account." >&2; exit 1`
      writeFileSync(path.join(dir, 'az'), `#!/bin/sh\necho "$@" > '${argsFile}'\n${answer}\n`)
      chmodSync(path.join(dir, 'az'), 0o755)
      // The CLI credential runs `az` through the shell with the process environment.
      process.env.PATH = `${dir}${path.delimiter}${savedPath}`
      return { ...env({ AZURE_TENANT_ID: undefined, AZURE_CLIENT_ID: undefined, AZURE_CLIENT_SECRET: undefined }), PATH: dir, AZ_ARGS: argsFile }
    }

    it('deploys with the CLI token (resource = the ARM endpoint), and registryAuth takes the tenant from it', async () => {
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
      const token = `${b64({ alg: 'RS256' })}.${b64({ tid: TENANT, aud: fake.url })}.sig`
      fake.issued.add(token)
      const e = fakeAz(token)
      const d = await provider.deploy(plan(), SETTINGS, ctx({ env: e }))
      expect(d.revision).toBe('api--r1')
      expect(fake.tokenRequests).toEqual([])
      const { readFileSync } = await import('node:fs')
      expect(readFileSync(e.AZ_ARGS!, 'utf8').trim()).toBe(`account get-access-token --output json --resource ${fake.url}`)
      const creds = await provider.registryAuth!(REGISTRY, SETTINGS, ctx({ env: e }))
      expect(creds?.password).toMatch(/^acr-refresh-/)
      expect(fake.exchanges[0]).toMatchObject({ tenant: TENANT, access_token: token })
    })

    it('az logged out → DEPLOY_CREDENTIALS with the CLI hint', async () => {
      const err = await failure(provider.deploy(plan(), SETTINGS, ctx({ env: fakeAz(null) })))
      expect(err.code).toBe('DEPLOY_CREDENTIALS')
      expect(err.exitCode).toBe(3)
      expect(err.message).toContain('Azure CLI login is not usable')
      expect(err.message).toContain('az login')
    })
  })
})
