/**
 * The azure-container-apps adapter against a local HTTPS fake of Microsoft Entra ID + ARM + ACR
 * (test/contract/fakes/azure-*.ts). The real @azure/identity code path runs: client credentials go
 * to the fake token endpoint (AZURE_AUTHORITY_HOST), trusted through NODE_EXTRA_CA_CERTS. PUT bodies
 * are validated against @azure/arm-appcontainers' `ContainerApp` and `Job` mappers (and the probe ranges the
 * REST API documents); plan bodies also against Microsoft's published Microsoft.App 2024-03-01 schema
 * (./published/check.ts).
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
import { checkContainerAppsJob, inspect } from './published/check.js'

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

// ---------------------------------------------------------------------------------------------------
// Issue 27: names, the startup probe and environmentId, ACR pulls with a managed identity, workload
// profiles, schedules as Container Apps jobs.

const ACR_IMAGE = `${REGISTRY}/shop/api@${digest('ab')}`
const REGISTRY_ID = `/subscriptions/${SUB}/resourceGroups/rg-registry/providers/Microsoft.ContainerRegistry/registries/shopacr`
const IDENTITY_ID = `/subscriptions/${SUB}/resourceGroups/rg-shop/providers/Microsoft.ManagedIdentity/userAssignedIdentities/api-pull`
const ACR_PULL = '7f951dda-4ed3-4680-a7ca-43fe172d538d'
const WP_ENV_ID = `/subscriptions/${SUB}/resourceGroups/rg-shop/providers/Microsoft.App/managedEnvironments/env-dedicated`

type Settings = Parameters<typeof planAzureContainerApps>[2]
type Req = Extract<Plan['steps'][number], { kind: 'request' }>

function planOf(raw: Record<string, unknown> = {}, settings: Settings = SETTINGS, options: { image?: string; service?: string } = {}): Plan {
  return planAzureContainerApps(serviceSchema.parse(raw), parseDigestRef(options.image ?? `ghcr.io/acme/api@${digest('ab')}`), settings, {
    project: 'shop',
    environment: 'prod',
    service: options.service ?? 'api',
  })
}
const requests = (p: Plan) => p.steps.filter((s): s is Req => s.kind === 'request')
const appPut = (p: Plan) => requests(p).find((s) => s.method === 'PUT' && s.url.includes('/containerApps/'))!
const jobPuts = (p: Plan) => requests(p).filter((s) => s.method === 'PUT' && s.url.includes('/jobs/'))
const appBody = (p: Plan) => appPut(p).body as any
const urlName = (url: string) => new URL(url).pathname.split('/').pop()
const messages = (events: DeployEvent[]) => events.map((e) => e.message)

describe('azure-container-apps names (Microsoft.App/containerApps: 2–32, a-z0-9-, letter first, no "--")', () => {
  const RULE = /^[a-z](?!.*--)[a-z0-9-]{0,30}[a-z0-9]$/

  it.each([
    ['a', 'too short'],
    ['payments-reconciliation-batch-processor', 'longer than 32'],
    ['my--svc', '"--" separates revisions'],
  ])('%j (%s) is deployed under a derived name, stable across plans, and the plan says so', (service) => {
    const first = planOf({}, SETTINGS, { service })
    const again = planOf({}, SETTINGS, { service })
    const name = urlName(appPut(first).url)!.split('?')[0]!
    expect(name).toMatch(RULE)
    expect(name).not.toBe(service)
    expect(name.length).toBeLessThanOrEqual(32)
    expect(urlName(appPut(again).url)).toBe(urlName(appPut(first).url))
    expect(first.target.app).toBe(name)
    expect(first.warnings.find((w) => w.code === 'DEPLOY_NAME_DERIVED')).toMatchObject({ setting: 'deployName', message: expect.stringContaining(`"${service}" is deployed as "${name}"`) })
    // The container keeps the service's name (container names are not limited to 32).
    expect(appBody(first).properties.template.containers[0].name).toBe(service)
  })

  it('the 40-character name keeps its first 25 characters and a hash', () => {
    const service = 'payments-reconciliation-batch-processor1'
    expect(service).toHaveLength(40)
    expect(planOf({}, SETTINGS, { service }).target.app).toMatch(/^payments-reconciliation-b-[0-9a-f]{6}$/)
  })

  it('an explicit valid deployName is used as written, with no warning', () => {
    const p = planOf({ deployName: 'shop-api' })
    expect(appPut(p).url).toContain('/containerApps/shop-api?')
    expect(p.warnings.map((w) => w.code)).not.toContain('DEPLOY_NAME_DERIVED')
  })

  it.each(['Shop_API', 'x', 'shop--api', 'a'.repeat(33), 'api-'])('an explicit invalid deployName %j → DEPLOY_NAME_INVALID (nothing derived)', (deployName) => {
    let error: unknown
    try {
      planOf({ deployName })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(SlsError)
    expect((error as SlsError).code).toBe('DEPLOY_NAME_INVALID')
    expect((error as SlsError).message).toContain(`services.api.deployName: "${deployName}" is not a valid Azure Container Apps container app name`)
  })

  it('deploys under the derived name; status and remove find it by the service name', async () => {
    const service = 'payments-reconciliation-batch-processor1'
    const p = planOf({}, SETTINGS, { service })
    const d = await provider.deploy(p, SETTINGS, ctx())
    expect(d.url).toBe(`https://${p.target.app}.nicebeach-1234.westeurope.azurecontainerapps.io`)
    expect([...fake.arm.apps.values()].map((a) => a.name)).toEqual([p.target.app])
    expect((await provider.status!(service, SETTINGS, ctx()))?.ready).toBe(true)
    expect(await provider.remove!(service, SETTINGS, ctx())).toBe(true)
    expect(fake.arm.apps.size).toBe(0)
  })

  it('a deployName status and remove are not told: found by the sls-run-service tag', async () => {
    await provider.deploy(planOf({ deployName: 'shop-api' }), SETTINGS, ctx())
    expect([...fake.arm.apps.values()].map((a) => [a.name, a.tags['sls-run-service']])).toEqual([['shop-api', 'api']])
    expect(await provider.status!('api', SETTINGS, ctx())).toMatchObject({ ready: true, url: 'https://shop-api.nicebeach-1234.westeurope.azurecontainerapps.io' })
    expect(await provider.remove!('api', SETTINGS, ctx())).toBe(true)
    expect(fake.arm.apps.size).toBe(0)
    expect(await provider.status!('api', SETTINGS, ctx())).toBeNull()
  })
})

describe('azure-container-apps: the startup probe and environmentId as the 2024-03-01 spec has them', () => {
  it('sends no initialDelaySeconds (documented 1–60; the 0 sent before is refused by the fake as ARM refuses it)', async () => {
    for (const startupProbe of [{}, { type: 'http', path: '/healthz', timeout: '30s' }]) {
      const probe = appBody(planOf({ startupProbe })).properties.template.containers[0].probes[0]
      expect(probe).not.toHaveProperty('initialDelaySeconds')
      expect(probe.periodSeconds).toBeGreaterThanOrEqual(1)
    }
    const p = planOf()
    appBody(p).properties.template.containers[0].probes[0].initialDelaySeconds = 0
    const err = await failure(provider.deploy(p, SETTINGS, ctx()))
    expect(err.message).toContain('properties.template.containers[0].probes[0].initialDelaySeconds: must be ≥ 1')
    expect(fake.arm.rejected).toHaveLength(1)
  })

  it('sends environmentId, not the deprecated managedEnvironmentId: no deprecation warning from the published schema', () => {
    const body = { ...appBody(planOf({}, { ...SETTINGS, location: 'westeurope' })) }
    expect(body.properties.environmentId).toBe(ENV_ID)
    expect(body.properties).not.toHaveProperty('managedEnvironmentId')
    expect(inspect('container-app', body)).toEqual({ problems: [], warnings: [] })
  })

  it('an app deployed before with managedEnvironmentId only is still the same spec (no needless update)', async () => {
    await provider.deploy(plan(), SETTINGS, ctx())
    const app = fake.arm.apps.get(APP_KEY)!
    app.environmentId = app.environmentId.toUpperCase() // ARM may answer ids in another case
    expect((await provider.deploy(plan(), SETTINGS, ctx())).unchanged).toBe(true)
  })
})

describe('azure-container-apps: pulls from Azure Container Registry with a managed identity', () => {
  const USER = { ...SETTINGS, identity: IDENTITY_ID } as const
  const acrPlan = (settings: Settings = SETTINGS) => planOf({}, settings, { image: ACR_IMAGE })

  beforeEach(() => {
    fake.arm.registries.set(REGISTRY_ID, REGISTRY)
  })

  it('plan, identity: system (the default): a system-assigned identity and registries [{ server, identity: system }]', () => {
    const body = appBody(acrPlan())
    expect(body.identity).toEqual({ type: 'SystemAssigned' })
    expect(body.properties.configuration.registries).toEqual([{ server: REGISTRY, identity: 'system' }])
    expect(validateModel('ContainerApp', { ...body, location: 'westeurope' })).toEqual([])
    expect(inspect('container-app', { ...body, location: 'westeurope' })).toEqual({ problems: [], warnings: [] })
  })

  it('plan, identity: a user-assigned identity: that identity on the app and in registries', () => {
    const body = appBody(acrPlan(USER))
    expect(body.identity).toEqual({ type: 'UserAssigned', userAssignedIdentities: { [IDENTITY_ID]: {} } })
    expect(body.properties.configuration.registries).toEqual([{ server: REGISTRY, identity: IDENTITY_ID }])
    expect(inspect('container-app', { ...body, location: 'westeurope' })).toEqual({ problems: [], warnings: [] })
  })

  it('plan: an image elsewhere gets no identity and no registries', () => {
    const body = appBody(planOf())
    expect(body).not.toHaveProperty('identity')
    expect(body.properties.configuration).not.toHaveProperty('registries')
  })

  it('deploy, identity: system, first deploy → DEPLOY_PERMISSION_DENIED before anything is created, saying how to go on', async () => {
    const err = await failure(provider.deploy(acrPlan(), SETTINGS, ctx()))
    expect(err.code).toBe('DEPLOY_PERMISSION_DENIED')
    expect(err.message).toContain(`would pull from ${REGISTRY} with its system-assigned identity`)
    expect(err.message).toContain('Nothing was created')
    expect(err.hints.join('\n')).toContain('set identity: to its resource id')
    expect(err.hints.join('\n')).toContain('az containerapp create -n api -g rg-shop')
    expect(err.hints.join('\n')).toContain('Microsoft.Authorization/roleAssignments/write')
    expect(fake.arm.puts).toEqual([])
  })

  /** The documented order for a system-assigned identity: the app with its identity first (a public image), then AcrPull. */
  async function appWithSystemIdentity(): Promise<string> {
    const p = plan()
    appBody(p).identity = { type: 'SystemAssigned' }
    await provider.deploy(p, SETTINGS, ctx())
    return fake.arm.apps.get(APP_KEY)!.identity!.principalId!
  }

  it('deploy, identity: system, the app has its identity with AcrPull: checked, then deployed with registries', async () => {
    const principal = await appWithSystemIdentity()
    fake.arm.assignRole(REGISTRY_ID, principal, ACR_PULL)
    const events: DeployEvent[] = []
    const d = await provider.deploy(acrPlan(), SETTINGS, ctx({}, events))
    expect(d.ready).toBe(true)
    expect(messages(events)).toContain(`container app api's system-assigned identity (principal ${principal}) may pull from ${REGISTRY} (AcrPull)`)
    expect((fake.arm.puts.at(-1) as any).properties.configuration.registries).toEqual([{ server: REGISTRY, identity: 'system' }])
    expect(fake.arm.apps.get(APP_KEY)!.identity!.principalId).toBe(principal) // the identity is kept
    expect(armCalls()).toContain(`GET ${REGISTRY_ID}/providers/Microsoft.Authorization/roleAssignments`)
  })

  it('deploy, identity: system, the app has its identity but no role on the registry → DEPLOY_PERMISSION_DENIED with the az command', async () => {
    const principal = await appWithSystemIdentity()
    fake.arm.assignRole(`/subscriptions/${SUB}/resourceGroups/rg-other`, principal, ACR_PULL) // elsewhere
    const err = await failure(provider.deploy(acrPlan(), SETTINGS, ctx()))
    expect(err.code).toBe('DEPLOY_PERMISSION_DENIED')
    expect(err.message).toContain(`principal ${principal}) has no role on registry ${REGISTRY}`)
    expect(err.hints[0]).toBe(
      `Give it AcrPull on the registry: az role assignment create --assignee-object-id ${principal} --assignee-principal-type ServicePrincipal --role AcrPull --scope ${REGISTRY_ID}`,
    )
    expect(fake.arm.puts).toHaveLength(1) // only the first, public-image deploy
  })

  it('deploy, a user-assigned identity with AcrPull on the registry (or above it): the first deploy pulls', async () => {
    fake.arm.identities.set(IDENTITY_ID.toLowerCase(), 'principal-uai')
    fake.arm.assignRole(`/subscriptions/${SUB}/resourceGroups/rg-registry`, 'principal-uai', ACR_PULL) // inherited from the group
    const events: DeployEvent[] = []
    const d = await provider.deploy(acrPlan(USER), USER, ctx({}, events))
    expect(d).toMatchObject({ ready: true, unchanged: false })
    expect(messages(events).filter((m) => m.startsWith('warning:'))).toEqual([])
    expect(messages(events)).toContain(`identity ${IDENTITY_ID} (principal principal-uai) may pull from ${REGISTRY} (AcrPull)`)
    expect(armCalls()).toEqual(
      expect.arrayContaining([
        `GET ${IDENTITY_ID}`,
        `GET /subscriptions/${SUB}/providers/Microsoft.ContainerRegistry/registries`,
        `GET ${REGISTRY_ID}/providers/Microsoft.Authorization/roleAssignments`,
      ]),
    )
    expect(fake.arm.apps.get(APP_KEY)!.identity).toEqual({ type: 'UserAssigned', userAssignedIdentities: { [IDENTITY_ID]: {} } })
    // Again: unchanged, and no check (nothing is pulled anew).
    const before = armCalls().length
    expect((await provider.deploy(acrPlan(USER), USER, ctx())).unchanged).toBe(true)
    expect(
      armCalls()
        .slice(before)
        .some((l) => l.includes('roleAssignments')),
    ).toBe(false)
  })

  it('deploy, a user-assigned identity without any role → DEPLOY_PERMISSION_DENIED, nothing created', async () => {
    fake.arm.identities.set(IDENTITY_ID.toLowerCase(), 'principal-uai')
    const err = await failure(provider.deploy(acrPlan(USER), USER, ctx()))
    expect(err.code).toBe('DEPLOY_PERMISSION_DENIED')
    expect(err.message).toContain(`identity ${IDENTITY_ID} (principal principal-uai) has no role on registry ${REGISTRY}`)
    expect(fake.arm.puts).toEqual([])
  })

  it('deploy, only a role that is not built in: a warning (custom roles may grant pull), and the deploy goes on', async () => {
    fake.arm.identities.set(IDENTITY_ID.toLowerCase(), 'principal-uai')
    fake.arm.assignRole(REGISTRY_ID, 'principal-uai', '99999999-0000-0000-0000-00000000cafe')
    const events: DeployEvent[] = []
    expect((await provider.deploy(acrPlan(USER), USER, ctx({}, events))).ready).toBe(true)
    expect(messages(events).find((m) => m.startsWith('warning:'))).toContain(
      'has no built-in role that pulls from shopacr.azurecr.io (AcrPull, AcrPush, Reader, Contributor, Owner), only a role 99999999-0000-0000-0000-00000000cafe',
    )
  })

  it('deploy, a user-assigned identity that does not exist → DEPLOY_NOT_FOUND', async () => {
    const err = await failure(provider.deploy(acrPlan(USER), USER, ctx()))
    expect(err.code).toBe('DEPLOY_NOT_FOUND')
    expect(err.message).toContain(`the user-assigned identity ${IDENTITY_ID} (identity: setting) does not exist`)
    expect(fake.arm.puts).toEqual([])
  })

  it.each([
    ['role assignments not readable (403)', (f: FakeAzure) => (f.arm.scenario.forbidden = ['roleAssignments']), 'cannot read the role assignments'],
    ['registries not listable (403)', (f: FakeAzure) => (f.arm.scenario.forbidden = ['registries']), 'cannot list the container registries'],
    ['the registry in another subscription', (f: FakeAzure) => f.arm.registries.clear(), 'is not among the registries of subscription'],
  ])('deploy, %s: the check is skipped with a warning, the deploy goes on', async (_what, arrange, said) => {
    fake.arm.identities.set(IDENTITY_ID.toLowerCase(), 'principal-uai')
    arrange(fake)
    const events: DeployEvent[] = []
    expect((await provider.deploy(acrPlan(USER), USER, ctx({}, events))).ready).toBe(true)
    expect(messages(events).filter((m) => m.startsWith('warning:'))).toEqual([expect.stringContaining(said)])
  })
})

describe('azure-container-apps: more than 2 vCPU / 4Gi needs a workload profiles environment', () => {
  const BIG = { resources: { cpu: 4, memory: '8Gi' } }

  it('plan (--dry-run): ACA_WORKLOAD_PROFILE, and a GET of the environment even with location given', () => {
    const p = planOf(BIG, { ...SETTINGS, location: 'westeurope' })
    expect(p.warnings.find((w) => w.code === 'ACA_WORKLOAD_PROFILE')).toMatchObject({ setting: 'resources.cpu', message: expect.stringContaining('needs a workload profiles environment') })
    expect(requests(p).map((s) => `${s.method} ${urlName(s.url)?.split('?')[0]}`)).toEqual(['GET env-shop', 'PUT api'])
    expect(requests(p)[0]!.purpose).toContain('whether it has workload profiles (4 vCPUs need them)')
    expect(planOf({ resources: { cpu: 2, memory: '4Gi' } }).warnings.map((w) => w.code)).not.toContain('ACA_WORKLOAD_PROFILE')
  })

  it('deploy to a Consumption-only environment → DEPLOY_ENVIRONMENT_UNSUITED naming the setting and what it needs; nothing sent', async () => {
    const err = await failure(provider.deploy(planOf(BIG), SETTINGS, ctx()))
    expect(err.code).toBe('DEPLOY_ENVIRONMENT_UNSUITED')
    expect(err.message).toContain('resources.cpu 4 (with 8Gi of memory) needs a workload profiles environment, but managed environment env-shop is Consumption-only (no workloadProfiles)')
    expect(err.hints[0]).toContain('Set resources.cpu to 2 or less')
    expect(err.hints[0]).toContain('--enable-workload-profiles')
    expect(fake.arm.puts).toEqual([])
  })

  it('deploy to a workload profiles environment: deployed', async () => {
    fake.arm.addEnvironment(WP_ENV_ID, 'West Europe', undefined, [{ name: 'Consumption', workloadProfileType: 'Consumption' }])
    const settings = { ...SETTINGS, environment: 'env-dedicated', location: 'westeurope' }
    const d = await provider.deploy(planOf(BIG, settings), settings, ctx())
    expect(d.ready).toBe(true)
    expect((fake.arm.puts[0] as any).properties.template.containers[0].resources).toEqual({ cpu: 4, memory: '8Gi' })
  })
})

describe('azure-container-apps: schedules as Container Apps jobs', () => {
  const SCHEDULES = {
    timeout: '60s',
    schedules: [
      { name: 'nightly', cron: '0 3 * * *', path: '/tasks/nightly?full=1', body: '{"x":1}', headers: { 'X-Job': 'nightly', 'X-Empty': '' }, retry: { count: 3 } },
      { name: 'hourly', cron: '@hourly', path: '/tasks/hourly', method: 'GET', timezone: 'UTC' },
      { name: 'ping', cron: '*/5 * * ? *', path: '/', method: 'HEAD' },
    ],
  }

  it('plan: one job per schedule after the app, in its environment, valid against the published schema and the SDK', () => {
    const p = planOf(SCHEDULES)
    const jobs = jobPuts(p)
    expect(jobs.map((s) => urlName(s.url)?.split('?')[0])).toEqual(['api-nightly', 'api-hourly', 'api-ping'])
    expect(requests(p).indexOf(appPut(p))).toBeLessThan(requests(p).indexOf(jobs[0]!))
    for (const job of jobs) {
      expect(job.url).toMatch(/^https:\/\/management\.azure\.com\/subscriptions\/.+\/providers\/Microsoft\.App\/jobs\/[a-z-]+\?api-version=2024-03-01$/)
      const body = { ...(job.body as any), location: 'westeurope' }
      expect(checkContainerAppsJob(body)).toEqual([])
      expect(inspect('container-apps-job', body).warnings).toEqual([])
      expect(validateModel('Job', body)).toEqual([])
      expect(body.properties.environmentId).toBe(appBody(p).properties.environmentId)
    }
    const nightly = jobs[0]!.body as any
    expect(nightly.properties.configuration).toEqual({
      triggerType: 'Schedule',
      replicaTimeout: 120,
      replicaRetryLimit: 3,
      scheduleTriggerConfig: { cronExpression: '0 3 * * *', parallelism: 1, replicaCompletionCount: 1 },
    })
    expect(nightly.tags).toMatchObject({ 'managed-by': 'sls-run', 'sls-run-service': 'api', 'sls-run-app': 'api', 'sls-run-schedule': 'nightly' })
    expect(nightly.properties.template.containers).toEqual([
      {
        name: 'request',
        image: 'docker.io/curlimages/curl:8.11.1',
        command: ['curl'],
        args: [
          '--silent',
          '--show-error',
          '--fail-with-body',
          '--max-time',
          '60',
          '--request',
          'POST',
          '--header',
          'X-Job: nightly',
          '--header',
          'X-Empty;',
          '--header',
          'Content-Type: application/octet-stream',
          '--data-raw',
          '{"x":1}',
          'https://<deploy-time lookup: ingress FQDN of container app api>/tasks/nightly?full=1',
        ],
        resources: { cpu: 0.25, memory: '0.5Gi' },
      },
    ])
    // @hourly is sent as the five fields it stands for; croner's ? as *; HEAD as curl --head.
    expect((jobs[1]!.body as any).properties.configuration.scheduleTriggerConfig.cronExpression).toBe('0 * * * *')
    expect((jobs[2]!.body as any).properties.configuration.scheduleTriggerConfig.cronExpression).toBe('*/5 * * * *')
    expect((jobs[2]!.body as any).properties.template.containers[0].args).toContain('--head')
    expect((jobs[1]!.body as any).properties.configuration.replicaRetryLimit).toBe(0)
  })

  it.each([
    ['Europe/Paris', 'timezone Europe/Paris: Container Apps jobs read cron expressions in UTC only'],
    ['America/New_York', 'timezone America/New_York'],
  ])('a schedule in %s → DEPLOY_SCHEDULE_UNSUPPORTED naming it (not converted)', (timezone, said) => {
    let error: unknown
    try {
      planOf({ schedules: [{ name: 'nightly', cron: '0 3 * * *', path: '/n', timezone }] })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(SlsError)
    expect((error as SlsError).code).toBe('DEPLOY_SCHEDULE_UNSUPPORTED')
    expect((error as SlsError).message).toContain(`services.api.schedules.nightly: Azure Container Apps cannot deploy this schedule: ${said}`)
    expect((error as SlsError).hints[0]).toContain('timezone: Etc/UTC')
  })

  it.each(['UTC', 'Etc/UTC', 'Etc/GMT', 'Zulu'])('timezone %s is UTC: accepted as is', (timezone) => {
    expect((jobPuts(planOf({ schedules: [{ name: 'n', cron: '0 3 * * *', path: '/n', timezone }] }))[0]!.body as any).properties.configuration.scheduleTriggerConfig.cronExpression).toBe('0 3 * * *')
  })

  it.each([
    ['*/10 * * * * *', 'has 6 fields'],
    ['0 0 L * *', 'L / W / # / + day modifiers'],
    ['0 0 * * MON#2', 'L / W / # / + day modifiers'],
  ])('cron %j → DEPLOY_SCHEDULE_UNSUPPORTED (%s)', (cron, said) => {
    expect(() => planOf({ schedules: [{ name: 'n', cron, path: '/n' }] })).toThrow(said)
  })

  it('names: <app>-<schedule>, derived with the same rule when that does not fit', () => {
    const p = planOf({ schedules: [{ name: 'reconcile-every-ledger-entry', cron: '0 3 * * *', path: '/r' }] }, SETTINGS, { service: 'payments' })
    const name = urlName(jobPuts(p)[0]!.url)!.split('?')[0]!
    expect(name).toMatch(/^payments-reconcile-every-[0-9a-f]{6}$/) // 24 + 1 + 6: the cut ends at a hyphen, dropped
    expect(p.warnings.find((w) => w.code === 'DEPLOY_NAME_DERIVED')).toMatchObject({ setting: 'schedules.reconcile-every-ledger-entry' })
  })

  it('retry back-off cannot be sent: ACA_SCHEDULE_BACKOFF when it was changed and there are retries', () => {
    const codes = (retry: Record<string, unknown>) => planOf({ schedules: [{ name: 'n', cron: '0 3 * * *', path: '/n', retry }] }).warnings.map((w) => w.code)
    expect(codes({ count: 2, minBackoff: '30s' })).toContain('ACA_SCHEDULE_BACKOFF')
    expect(codes({ count: 2 })).not.toContain('ACA_SCHEDULE_BACKOFF')
    expect(codes({ count: 0, minBackoff: '30s' })).not.toContain('ACA_SCHEDULE_BACKOFF')
  })

  it('a scheduleImage in ACR is pulled with the user-assigned identity; with identity: system → DEPLOY_SCHEDULE_UNSUPPORTED', () => {
    const schedules = [{ name: 'n', cron: '0 3 * * *', path: '/n' }]
    const scheduleImage = `${REGISTRY}/tools/curl:8.11.1`
    const job = jobPuts(planOf({ schedules }, { ...SETTINGS, scheduleImage, identity: IDENTITY_ID }))[0]!.body as any
    expect(job.identity).toEqual({ type: 'UserAssigned', userAssignedIdentities: { [IDENTITY_ID]: {} } })
    expect(job.properties.configuration.registries).toEqual([{ server: REGISTRY, identity: IDENTITY_ID }])
    expect(checkContainerAppsJob({ ...job, location: 'westeurope' })).toEqual([])
    expect(() => planOf({ schedules }, { ...SETTINGS, scheduleImage })).toThrow(/DEPLOY_SCHEDULE_UNSUPPORTED|identity: system would give each job a new identity/)
  })

  it('deploy: the app, then its jobs with the app FQDN in the URL (internal app: the environment-internal FQDN); again: unchanged', async () => {
    const events: DeployEvent[] = []
    const p = planOf(SCHEDULES)
    const d = await provider.deploy(p, SETTINGS, ctx({}, events))
    expect(d).toMatchObject({ ready: true, unchanged: false })
    expect(fake.arm.rejected).toEqual([])
    expect([...fake.arm.jobs.values()].map((j) => [j.name, j.provisioningState, j.environmentId])).toEqual([
      ['api-nightly', 'Succeeded', ENV_ID],
      ['api-hourly', 'Succeeded', ENV_ID],
      ['api-ping', 'Succeeded', ENV_ID],
    ])
    const internal = { ...SETTINGS, public: false }
    const pi = planOf(SCHEDULES, internal)
    await provider.deploy(pi, internal, ctx())
    const args = (fake.arm.jobs.get(`/subscriptions/${SUB}/resourceGroups/rg-shop/providers/Microsoft.App/jobs/api-nightly`.toLowerCase())!.template.containers as any)[0].args
    expect(args.at(-1)).toBe('https://api.internal.nicebeach-1234.westeurope.azurecontainerapps.io/tasks/nightly?full=1')
    // The first deploy: app PUT, then the jobs; the second changed only the ingress (and so the URL).
    expect(messages(events)).toEqual(expect.arrayContaining(['creating the container app', 'creating job api-nightly', 'creating job api-hourly', 'creating job api-ping']))
    const again = await provider.deploy(pi, internal, ctx())
    expect(again.unchanged).toBe(true)
    expect(fake.arm.jobPuts).toHaveLength(6)
  })

  it('deploy: a schedule removed from sls-run.yaml deletes its job; remove deletes the jobs and the app', async () => {
    await provider.deploy(planOf(SCHEDULES), SETTINGS, ctx())
    const events: DeployEvent[] = []
    const fewer = planOf({ ...SCHEDULES, schedules: SCHEDULES.schedules.slice(0, 1) })
    const d = await provider.deploy(fewer, SETTINGS, ctx({}, events))
    expect(d.unchanged).toBe(false)
    expect(messages(events)).toEqual(
      expect.arrayContaining(['unchanged: job api-nightly', 'deleting job api-hourly: its schedule is no longer in sls-run.yaml', 'deleting job api-ping: its schedule is no longer in sls-run.yaml']),
    )
    expect([...fake.arm.jobs.values()].map((j) => j.name)).toEqual(['api-nightly'])
    // Another app's jobs in the group are left alone.
    const other = planOf(SCHEDULES, SETTINGS, { service: 'web' })
    await provider.deploy(other, SETTINGS, ctx())
    expect(await provider.remove!('api', SETTINGS, ctx())).toBe(true)
    expect([...fake.arm.jobs.values()].map((j) => j.name).sort()).toEqual(['web-hourly', 'web-nightly', 'web-ping'])
    expect([...fake.arm.apps.values()].map((a) => a.name)).toEqual(['web'])
  })

  it('the fake validates job bodies: an unknown property is refused (DEPLOY_API) naming it', async () => {
    const p = planOf(SCHEDULES)
    ;(jobPuts(p)[0]!.body as any).properties.configuration.scheduleTriggerConfig.timeZone = 'Europe/Paris'
    const err = await failure(provider.deploy(p, SETTINGS, ctx()))
    expect(err.code).toBe('DEPLOY_API')
    expect(err.message).toContain('properties.configuration.scheduleTriggerConfig.timeZone: unknown property')
  })
})
