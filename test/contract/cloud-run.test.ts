/**
 * The cloud-run adapter against a fake Cloud Run Admin API v2 and a fake Google STS on 127.0.0.1. Auth
 * runs the real google-auth-library path: an `external_account` (workload identity federation) file in a
 * temp dir, its subject token exchanged at the fake STS for the bearer the fake API requires. Request
 * bodies are validated against the published protos (@google-cloud/run protos.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { service as serviceSchema } from '../../src/core/config/schema.js'
import cloudRun from '../../src/core/deploy/providers/cloud-run/index.js'
import { PLATFORM_DEFAULTED } from '../../src/core/deploy/defaults.js'
import { parseDigestRef } from '../../src/core/deploy/image-ref.js'
import type { DeployContext, DeployEvent, Plan, ProviderSettings } from '../../src/core/deploy/types.js'
import { useTempDir } from '../helpers/temp.js'
import { startFakeRun, type FakeRun } from './fakes/google-run.js'
import { startFakeSts, type FakeSts } from './fakes/google-sts.js'

const AUDIENCE = '//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github/providers/github'
const SUBJECT = 'eyJhbGciOiJSUzI1NiJ9.github-oidc-subject.sig'
const REPO = 'europe-west1-docker.pkg.dev/acme/apps/api'
const digest = (c: string) => `sha256:${c.repeat(64)}`
const SETTINGS: ProviderSettings<'cloud-run'> = { provider: 'cloud-run', project: 'acme', region: 'europe-west1', public: false }
const NAME = 'projects/acme/locations/europe-west1/services/api'

const planFor = (d: string, settings = SETTINGS, raw: Record<string, unknown> = {}): Promise<Plan> =>
  cloudRun.plan(serviceSchema.parse(raw), parseDigestRef(`${REPO}@${d}`), settings, { project: 'shop', environment: 'prod', service: 'api' })

const tempDir = useTempDir('sls-run-cloud-run-')
let sts: FakeSts
let run: FakeRun
let home: string
let env: NodeJS.ProcessEnv
let events: DeployEvent[]

function externalAccountFile(dir: string, subjectToken = SUBJECT): string {
  const tokenFile = path.join(dir, 'oidc-token')
  writeFileSync(tokenFile, subjectToken)
  const file = path.join(dir, 'gha-creds.json')
  writeFileSync(
    file,
    JSON.stringify({
      type: 'external_account',
      audience: AUDIENCE,
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      token_url: sts.tokenUrl,
      credential_source: { file: tokenFile, format: { type: 'text' } },
    }),
  )
  return file
}

const ctx = (over: Partial<DeployContext> = {}): DeployContext => ({ env, wait: true, timeoutMs: 5_000, pollIntervalMs: 5, emit: (e) => events.push(e), ...over })
const failure = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => null,
    (e: unknown) => e as { code: string; message: string; exitCode: number; hints: string[] },
  )
  expect(err, 'expected a failure').not.toBeNull()
  return err!
}

beforeEach(async () => {
  sts = await startFakeSts({ subjectToken: SUBJECT, audience: AUDIENCE, refresh: { clientId: 'cid.apps.googleusercontent.com', clientSecret: 'csecret', refreshToken: '1//refresh' } })
  run = await startFakeRun(sts.issued)
  home = tempDir()
  events = []
  // HOME is an empty temp dir (no gcloud files); METADATA_SERVER_DETECTION=none: never the metadata server.
  env = { HOME: home, METADATA_SERVER_DETECTION: 'none', GOOGLE_APPLICATION_CREDENTIALS: externalAccountFile(home), CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN: run.endpoint }
})
afterEach(async () => {
  await run.close()
  await sts.close()
})

describe('cloud-run deploy', () => {
  it('first deploy: ADC external_account → fake STS → bearer; creates the service with exactly the planned body', async () => {
    const plan = await planFor(digest('a'))
    const d = await cloudRun.deploy(plan, SETTINGS, ctx())
    expect(d).toEqual({ service: 'api', url: 'https://api-abcdefghij-ew.a.run.app', revision: expect.stringMatching(/^api-00001-[0-9a-f]{3}$/), unchanged: false, ready: true })
    // The library exchanged the workload identity subject token at the fake STS.
    expect(sts.requests).toHaveLength(1)
    expect(sts.requests[0]).toMatchObject({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: SUBJECT, audience: AUDIENCE })
    const patch = run.log.find((l) => l.rpc === 'UpdateService')!
    expect(patch.path).toBe(`/v2/${NAME}?allowMissing=true`)
    expect(patch.body).toEqual((plan.steps[0] as { body: unknown }).body)
    expect(patch.errors).toEqual([])
    expect(run.calls('GetOperation')).toBeGreaterThanOrEqual(1)
    expect(events.map((e) => e.message)).toEqual(expect.arrayContaining(['creating the service', expect.stringMatching(/^ready: https:\/\/api-/)]))
  })

  it("nothing set in sls-run.yaml: Cloud Run's defaults are sent (they replace the dev-sized values of an earlier deploy), valid, then unchanged", async () => {
    await cloudRun.deploy(await planFor(digest('a')), SETTINGS, ctx())
    const unset = { project: 'shop', environment: 'prod', service: 'api', unset: PLATFORM_DEFAULTED }
    const plan = await cloudRun.plan(serviceSchema.parse({}), parseDigestRef(`${REPO}@${digest('a')}`), SETTINGS, unset)
    const d = await cloudRun.deploy(plan, SETTINGS, ctx())
    expect(d.unchanged).toBe(false)
    const patch = run.log.filter((l) => l.rpc === 'UpdateService').at(-1)!
    expect([patch.body, patch.errors]).toEqual([(plan.steps[0] as { body: unknown }).body, []])
    const template = run.services.get(NAME)!.spec.template as { scaling: unknown; containers: Array<{ resources: { cpuIdle: boolean } }> }
    expect([template.scaling, template.containers[0]!.resources.cpuIdle]).toEqual([{ minInstanceCount: 0, maxInstanceCount: 100 }, true])
    expect((await cloudRun.deploy(plan, SETTINGS, ctx())).unchanged).toBe(true)
  })

  it('every setting away from its default (http probe, command, env, fractional cpu) passes the proto validation', async () => {
    const raw = {
      port: 3000,
      command: 'node server.js',
      env: { B: '2', A: '1' },
      resources: { cpu: 0.5, memory: '256Mi' },
      scaling: { minInstances: 1, maxInstances: 3, concurrency: 1 },
      cpuThrottling: true,
      timeout: '120s',
      startupProbe: { type: 'http', path: '/healthz', timeout: '30s' },
    }
    const d = await cloudRun.deploy(await planFor(digest('a'), SETTINGS, raw), SETTINGS, ctx())
    expect(d.ready).toBe(true)
    expect(run.log.every((l) => l.errors.length === 0)).toBe(true)
  })

  it('same digest and settings again: unchanged, no second PATCH, no second revision', async () => {
    const plan = await planFor(digest('a'))
    const first = await cloudRun.deploy(plan, SETTINGS, ctx())
    const second = await cloudRun.deploy(await planFor(digest('a')), SETTINGS, ctx())
    expect(second).toEqual({ ...first, unchanged: true })
    expect(run.calls('UpdateService')).toBe(1)
    expect(run.services.get(NAME)!.revisions).toBe(1)
    // The API may write the same values in another notation (and leaves out defaults): still unchanged.
    const template = run.services.get(NAME)!.spec.template as { timeout: string; containers: Array<{ resources: { limits: Record<string, string> } }> }
    template.timeout = '300.000s'
    template.containers[0]!.resources.limits = { cpu: '1000m', memory: String(512 * 2 ** 20) }
    expect((await cloudRun.deploy(await planFor(digest('a')), SETTINGS, ctx())).unchanged).toBe(true)
    expect(run.calls('UpdateService')).toBe(1)
  })

  it('a new digest makes a new revision', async () => {
    const first = await cloudRun.deploy(await planFor(digest('a')), SETTINGS, ctx())
    const second = await cloudRun.deploy(await planFor(digest('b')), SETTINGS, ctx())
    expect(second.unchanged).toBe(false)
    expect(second.revision).toMatch(/^api-00002-/)
    expect(second.revision).not.toBe(first.revision)
    expect(run.calls('UpdateService')).toBe(2)
    expect((await cloudRun.status!('api', SETTINGS, ctx()))?.image).toBe(`${REPO}@${digest('b')}`)
  })

  it('public: merges roles/run.invoker allUsers into the existing policy (etag kept), once', async () => {
    const settings = { ...SETTINGS, public: true }
    await cloudRun.deploy(await planFor(digest('a')), SETTINGS, ctx())
    run.policies.set(NAME, { version: 1, etag: 'BwYabc==', bindings: [{ role: 'roles/run.developer', members: ['user:dev@example.com'] }] })
    const d = await cloudRun.deploy(await planFor(digest('a'), settings), settings, ctx())
    expect(d.unchanged).toBe(true)
    const set = run.log.filter((l) => l.rpc === 'SetIamPolicy')
    expect(set).toHaveLength(1)
    expect(set[0]!.body).toEqual({
      policy: {
        version: 1,
        etag: 'BwYabc==',
        bindings: [
          { role: 'roles/run.developer', members: ['user:dev@example.com'] },
          { role: 'roles/run.invoker', members: ['allUsers'] },
        ],
      },
    })
    expect(run.policies.get(NAME)!.bindings).toHaveLength(2)
    await cloudRun.deploy(await planFor(digest('a'), settings), settings, ctx())
    expect(run.calls('SetIamPolicy')).toBe(1)
    expect(run.calls('GetIamPolicy')).toBe(2)
  })

  it('--no-wait returns once the PATCH is accepted', async () => {
    const d = await cloudRun.deploy(await planFor(digest('a')), SETTINGS, ctx({ wait: false }))
    expect(d).toMatchObject({ ready: false, unchanged: false, revision: null })
    expect(run.calls('GetOperation')).toBe(0)
  })
})

describe('cloud-run failures', () => {
  const cases = [
    [
      '403',
      { code: 403, status: 'PERMISSION_DENIED', message: `Permission 'run.services.update' denied on resource '${NAME}' (or resource may not exist).` },
      'DEPLOY_PERMISSION_DENIED',
      'run.services.update',
    ],
    ['409 ALREADY_EXISTS', { code: 409, status: 'ALREADY_EXISTS', message: "Resource 'api' already exists." }, 'DEPLOY_CONFLICT', 'already exists'],
    ['409 ABORTED', { code: 409, status: 'ABORTED', message: "Conflict for resource 'api': version '3' was specified but current version is '4'." }, 'DEPLOY_CONFLICT', 'Conflict for resource'],
    [
      '429',
      { code: 429, status: 'RESOURCE_EXHAUSTED', message: "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per region' of service 'run.googleapis.com'." },
      'DEPLOY_QUOTA',
      'Quota exceeded',
    ],
  ] as const
  for (const [status, error, code, words] of cases) {
    it(`PATCH answered ${status} → ${code} with the platform's message`, async () => {
      run.scenario.patchError = { ...error }
      const err = await failure(cloudRun.deploy(await planFor(digest('a')), SETTINGS, ctx()))
      expect(err.code).toBe(code)
      expect(err.message).toContain(words)
      expect(err.message).toContain(error.status)
    })
  }

  it('the operation ends with an error → DEPLOY_ROLLOUT_FAILED with its message', async () => {
    run.scenario.rollout = 'operation-error'
    run.scenario.opPolls = 3
    const err = await failure(cloudRun.deploy(await planFor(digest('a')), SETTINGS, ctx()))
    expect(err.code).toBe('DEPLOY_ROLLOUT_FAILED')
    expect(err.message).toMatch(/The user-provided container failed to start and listen on the port/)
    expect(run.calls('GetOperation')).toBe(3)
  })

  it('the revision never gets ready (CONDITION_FAILED) → DEPLOY_ROLLOUT_FAILED with the condition; status says why', async () => {
    run.scenario.rollout = 'container-failed'
    const err = await failure(cloudRun.deploy(await planFor(digest('a')), SETTINGS, ctx()))
    expect(err.code).toBe('DEPLOY_ROLLOUT_FAILED')
    expect(err.message).toContain('failed to start')
    expect(err.message).toContain('HEALTH_CHECK_CONTAINER_ERROR')
    const status = await cloudRun.status!('api', SETTINGS, ctx())
    expect(status).toMatchObject({ ready: false, revision: null, reason: expect.stringContaining('failed to start') })
    // The same spec again makes no new revision and reports the same failure.
    const again = await failure(cloudRun.deploy(await planFor(digest('a')), SETTINGS, ctx()))
    expect(again.code).toBe('DEPLOY_ROLLOUT_FAILED')
    expect(run.calls('UpdateService')).toBe(1)
  })

  it('after a failed rollout, status shows the image of the revision still serving (read from the revision)', async () => {
    const first = await cloudRun.deploy(await planFor(digest('a')), SETTINGS, ctx())
    run.scenario.rollout = 'container-failed'
    await failure(cloudRun.deploy(await planFor(digest('b')), SETTINGS, ctx()))
    const status = await cloudRun.status!('api', SETTINGS, ctx())
    expect(status).toMatchObject({ ready: false, revision: first.revision, image: `${REPO}@${digest('a')}` })
    expect(run.calls('GetRevision')).toBe(1)
  })

  it('a command removed from the config is sent (the container is replaced whole), though every planned value is deployed', async () => {
    await cloudRun.deploy(await planFor(digest('a'), SETTINGS, { command: ['node', 'server.js'] }), SETTINGS, ctx())
    const without = await cloudRun.deploy(await planFor(digest('a')), SETTINGS, ctx())
    expect(without.unchanged).toBe(false)
    expect(run.calls('UpdateService')).toBe(2)
    expect((run.services.get(NAME)!.spec.template as { containers: Array<Record<string, unknown>> }).containers[0]).not.toHaveProperty('command')
  })

  it('the operation never finishes → DEPLOY_TIMEOUT', async () => {
    run.scenario.rollout = 'never-done'
    const err = await failure(cloudRun.deploy(await planFor(digest('a')), SETTINGS, ctx({ timeoutMs: 200, pollIntervalMs: 20 })))
    expect(err.code).toBe('DEPLOY_TIMEOUT')
    expect(err.message).toMatch(/operation .* still running/)
  })

  it('the validator rejects an unknown field, a wrong type and an output-only field (400 → DEPLOY_API)', async () => {
    const plan = await planFor(digest('a'))
    const body = (plan.steps[0] as { body: { template: Record<string, unknown> } }).body
    body.template.bogusField = true
    let err = await failure(cloudRun.deploy(plan, SETTINGS, ctx()))
    expect(err.code).toBe('DEPLOY_API')
    expect(err.message).toContain('HTTP 400')
    expect(err.message).toContain('template.bogusField: unknown field "bogusField" of google.cloud.run.v2.RevisionTemplate')
    delete body.template.bogusField
    body.template.timeout = 300
    err = await failure(cloudRun.deploy(plan, SETTINGS, ctx()))
    expect(err.message).toContain('template.timeout: expected a Duration like "300s"')
    body.template.timeout = '300s'
    ;(body as Record<string, unknown>).uri = 'https://x'
    err = await failure(cloudRun.deploy(plan, SETTINGS, ctx()))
    expect(err.message).toContain('uri: output only field')
    expect(run.services.size).toBe(0)
  })
})

describe('cloud-run credentials', () => {
  it('no credentials at all → DEPLOY_CREDENTIALS (exit 3) with the ways to provide them', async () => {
    env = { HOME: home, METADATA_SERVER_DETECTION: 'none', CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN: run.endpoint }
    const err = await failure(cloudRun.deploy(await planFor(digest('a')), SETTINGS, ctx()))
    expect(err).toMatchObject({ code: 'DEPLOY_CREDENTIALS', exitCode: 3 })
    expect(err.hints.join('\n')).toMatch(/gcloud auth application-default login[\s\S]*GOOGLE_APPLICATION_CREDENTIALS[\s\S]*workload identity federation/)
    expect(run.log).toHaveLength(0)
  })

  it('CLOUDSDK_AUTH_ACCESS_TOKEN comes first; a token the API rejects → DEPLOY_AUTH', async () => {
    sts.issued.add('ya29.from-gcloud')
    env.CLOUDSDK_AUTH_ACCESS_TOKEN = 'ya29.from-gcloud'
    env.GOOGLE_APPLICATION_CREDENTIALS = path.join(home, 'missing.json')
    expect(await cloudRun.status!('api', SETTINGS, ctx())).toBeNull()
    expect(sts.requests).toHaveLength(0)
    env.CLOUDSDK_AUTH_ACCESS_TOKEN = 'ya29.expired'
    const err = await failure(cloudRun.status!('api', SETTINGS, ctx()))
    expect(err.code).toBe('DEPLOY_AUTH')
    expect(err.message).toContain('UNAUTHENTICATED')
  })

  it('a subject token the STS rejects → DEPLOY_AUTH; an unreadable credentials file → DEPLOY_CREDENTIALS', async () => {
    env.GOOGLE_APPLICATION_CREDENTIALS = externalAccountFile(tempDir(), 'forged')
    let err = await failure(cloudRun.status!('api', SETTINGS, ctx()))
    expect(err.code).toBe('DEPLOY_AUTH')
    expect(err.message).toContain('invalid_grant')
    env.GOOGLE_APPLICATION_CREDENTIALS = path.join(home, 'nope.json')
    err = await failure(cloudRun.status!('api', SETTINGS, ctx()))
    expect(err).toMatchObject({ code: 'DEPLOY_CREDENTIALS', exitCode: 3 })
    expect(err.message).toContain('nope.json')
  })

  it("gcloud's application default credentials file (authorized_user) refreshes at CLOUDSDK_AUTH_TOKEN_HOST", async () => {
    const config = path.join(home, 'gcloud-config')
    mkdirSync(config)
    writeFileSync(
      path.join(config, 'application_default_credentials.json'),
      JSON.stringify({ type: 'authorized_user', client_id: 'cid.apps.googleusercontent.com', client_secret: 'csecret', refresh_token: '1//refresh', quota_project_id: 'acme' }),
    )
    env = { HOME: home, METADATA_SERVER_DETECTION: 'none', CLOUDSDK_CONFIG: config, CLOUDSDK_AUTH_TOKEN_HOST: sts.oauthUrl, CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN: run.endpoint }
    const d = await cloudRun.deploy(await planFor(digest('a')), SETTINGS, ctx())
    expect(d.ready).toBe(true)
    expect(sts.requests[0]).toMatchObject({ grant_type: 'refresh_token', refresh_token: '1//refresh' })
    // quota_project_id from the file is sent as x-goog-user-project, as gcloud does.
    expect(run.log.map((l) => l.userProject)).toEqual(run.log.map(() => 'acme'))
  })

  it('registryAuth: Artifact Registry and gcr.io get oauth2accesstoken + the ADC token; other registries null', async () => {
    const auth = await cloudRun.registryAuth!('europe-west1-docker.pkg.dev', SETTINGS, ctx())
    expect(auth).toEqual({ registry: 'europe-west1-docker.pkg.dev', username: 'oauth2accesstoken', password: expect.stringMatching(/^ya29\.fake-/) })
    expect(sts.issued.has(auth!.password)).toBe(true)
    expect((await cloudRun.registryAuth!('eu.gcr.io', SETTINGS, ctx()))?.username).toBe('oauth2accesstoken')
    expect(await cloudRun.registryAuth!('ghcr.io', SETTINGS, ctx())).toBeNull()
    expect(await cloudRun.registryAuth!('docker.pkg.dev.evil.example', SETTINGS, ctx())).toBeNull()
  })
})

describe('cloud-run status and remove', () => {
  it('status: null before, then url, revision, image by digest, ready', async () => {
    expect(await cloudRun.status!('api', SETTINGS, ctx())).toBeNull()
    const d = await cloudRun.deploy(await planFor(digest('c')), SETTINGS, ctx())
    expect(await cloudRun.status!('api', SETTINGS, ctx())).toEqual({ service: 'api', url: d.url, revision: d.revision, image: `${REPO}@${digest('c')}`, ready: true, reason: null })
  })

  it('remove: true (operation awaited), then gone; again false', async () => {
    await cloudRun.deploy(await planFor(digest('a')), SETTINGS, ctx())
    expect(await cloudRun.remove!('api', SETTINGS, ctx())).toBe(true)
    expect(run.calls('DeleteService')).toBe(1)
    expect(run.services.has(NAME)).toBe(false)
    expect(await cloudRun.status!('api', SETTINGS, ctx())).toBeNull()
    expect(await cloudRun.remove!('api', SETTINGS, ctx())).toBe(false)
  })
})
