/**
 * The cloud-run adapter against a fake Cloud Run Admin API v2 and a fake Google STS on 127.0.0.1. Auth
 * runs the real google-auth-library path: an `external_account` (workload identity federation) file in a
 * temp dir, its subject token exchanged at the fake STS for the bearer the fake API requires. Request
 * bodies are validated against the published protos (@google-cloud/run protos.json); Cloud Scheduler jobs
 * (schedules) go to a fake Cloud Scheduler API that validates them against Google's discovery document.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { service as serviceSchema } from '../../src/core/config/schema.js'
import cloudRun from '../../src/core/deploy/providers/cloud-run/index.js'
import { jobMatches } from '../../src/core/deploy/providers/cloud-run/run-deploy.js'
import { PLATFORM_DEFAULTED } from '../../src/core/deploy/defaults.js'
import { parseDigestRef } from '../../src/core/deploy/image-ref.js'
import type { DeployContext, DeployEvent, Plan, ProviderSettings } from '../../src/core/deploy/types.js'
import { useTempDir } from '../helpers/temp.js'
import { startFakeRun, type FakeRun } from './fakes/google-run.js'
import { startFakeScheduler, type FakeScheduler } from './fakes/google-scheduler.js'
import { startFakeSts, type FakeSts } from './fakes/google-sts.js'

const AUDIENCE = '//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github/providers/github'
const SUBJECT = 'eyJhbGciOiJSUzI1NiJ9.github-oidc-subject.sig'
const REPO = 'europe-west1-docker.pkg.dev/acme/apps/api'
const digest = (c: string) => `sha256:${c.repeat(64)}`
const SETTINGS: ProviderSettings<'cloud-run'> = { provider: 'cloud-run', project: 'acme', region: 'europe-west1', public: false }
const NAME = 'projects/acme/locations/europe-west1/services/api'

const planFor = (d: string, settings = SETTINGS, raw: Record<string, unknown> = {}, service = 'api'): Promise<Plan> =>
  cloudRun.plan(serviceSchema.parse(raw), parseDigestRef(`${REPO}@${d}`), settings, { project: 'shop', environment: 'prod', service })

const tempDir = useTempDir('sls-run-cloud-run-')
let sts: FakeSts
let run: FakeRun
let scheduler: FakeScheduler
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
  scheduler = await startFakeScheduler(sts.issued)
  home = tempDir()
  events = []
  // HOME is an empty temp dir (no gcloud files); METADATA_SERVER_DETECTION=none: never the metadata server.
  env = {
    HOME: home,
    METADATA_SERVER_DETECTION: 'none',
    GOOGLE_APPLICATION_CREDENTIALS: externalAccountFile(home),
    CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN: run.endpoint,
    CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDSCHEDULER: scheduler.endpoint,
  }
})
afterEach(async () => {
  await run.close()
  await scheduler.close()
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
    const plan = await planFor(digest('a'), SETTINGS, raw)
    const d = await cloudRun.deploy(plan, SETTINGS, ctx())
    expect(d.ready).toBe(true)
    expect(run.log.every((l) => l.errors.length === 0)).toBe(true)
    // 0.5 vCPU and 256Mi need the first generation, which the plan asks for (and says so).
    expect((run.services.get(NAME)!.spec.template as { executionEnvironment?: string }).executionEnvironment).toBe('EXECUTION_ENVIRONMENT_GEN1')
    expect(plan.warnings.map((w) => w.code)).toContain('CLOUD_RUN_EXECUTION_ENVIRONMENT')
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
    expect(scheduler.log).toEqual([]) // no schedules: Cloud Scheduler is never called
  })
})

describe('cloud-run service names (Cloud Run: DNS-1035, at most 49 characters)', () => {
  it('an explicit deployName is used as is: the service URL path and its uri; the plan keeps the sls-run name', async () => {
    const plan = await planFor(digest('a'), SETTINGS, { deployName: 'api-eu' })
    expect(plan.warnings).toEqual([])
    const d = await cloudRun.deploy(plan, SETTINGS, ctx())
    expect(run.log.find((l) => l.rpc === 'UpdateService')!.path).toBe('/v2/projects/acme/locations/europe-west1/services/api-eu?allowMissing=true')
    expect(d).toMatchObject({ service: 'api', url: 'https://api-eu-abcdefghij-ew.a.run.app', revision: expect.stringMatching(/^api-eu-00001-/) })
    // status and remove get the deployName from the environment's config (ctx.deployName: src/core/deploy/apply.ts)
    expect(await cloudRun.status!('api', SETTINGS, ctx())).toBeNull() // under the service name there is nothing
    expect(await cloudRun.status!('api', SETTINGS, { ...ctx(), deployName: 'api-eu' })).toMatchObject({ service: 'api', ready: true })
    expect(await cloudRun.remove!('api', SETTINGS, { ...ctx(), deployName: 'api-eu' })).toBe(true)
    expect(run.services.size).toBe(0)
  })

  it.each([
    ['uppercase and an underscore', 'Api_EU'],
    ['50 characters', `a${'b'.repeat(49)}`],
    ['a trailing hyphen', 'api-'],
  ])('an explicit deployName that breaks the rule (%s) → DEPLOY_NAME_INVALID before anything is sent', async (_what, deployName) => {
    const err = await failure(planFor(digest('a'), SETTINGS, { deployName }))
    expect(err.code).toBe('DEPLOY_NAME_INVALID')
    expect(err.message).toContain(`services.api.deployName: "${deployName}" is not a valid Cloud Run service name`)
    expect(run.log).toEqual([])
  })

  it('a service name Cloud Run refuses (1api: a digit first) is derived, stable and warned; deploy, status and remove use it', async () => {
    const plan = await planFor(digest('a'), SETTINGS, {}, '1api')
    const warning = plan.warnings.find((w) => w.code === 'DEPLOY_NAME_DERIVED')!
    const name = /is deployed as "([^"]+)"/.exec(warning.message)![1]!
    expect(name).toMatch(/^api-[0-9a-f]{6}$/)
    expect((await planFor(digest('b'), SETTINGS, {}, '1api')).warnings.find((w) => w.code === 'DEPLOY_NAME_DERIVED')!.message).toContain(`"${name}"`)
    const d = await cloudRun.deploy(plan, SETTINGS, ctx())
    expect(d).toMatchObject({ service: '1api', url: `https://${name}-abcdefghij-ew.a.run.app` })
    expect([...run.services.keys()]).toEqual([`projects/acme/locations/europe-west1/services/${name}`])
    expect(await cloudRun.status!('1api', SETTINGS, ctx())).toMatchObject({ service: '1api', ready: true })
    expect(await cloudRun.remove!('1api', SETTINGS, ctx())).toBe(true)
    expect(run.services.size).toBe(0)
  })
})

describe('cloud-run schedules (Cloud Scheduler jobs)', () => {
  const SA = 'scheduler@acme.iam.gserviceaccount.com'
  const WITH_SA: ProviderSettings<'cloud-run'> = { ...SETTINGS, schedulerServiceAccount: SA }
  const JOBS = 'projects/acme/locations/europe-west1/jobs'
  const NIGHTLY = {
    name: 'nightly',
    cron: '0 3 * * *',
    path: '/tasks/nightly?full=1',
    body: '{"b": 1, "a": 2}',
    headers: { 'Content-Type': 'application/json', 'X-Job': 'nightly' },
    timezone: 'Europe/Paris',
    retry: { count: 3, minBackoff: '10s', maxBackoff: '5m', maxDoublings: 2 },
  }
  const KEEP_WARM = { name: 'keep-warm', cron: '*/5 * * * *', path: '/', method: 'GET' }

  it('one job per schedule: the service URL + path, an OIDC token for the service account (audience: the URL), run.invoker granted; then unchanged', async () => {
    const plan = await planFor(digest('a'), WITH_SA, { schedules: [NIGHTLY, KEEP_WARM] })
    // The plan cannot know the URL: a deploy-time lookup, filled in at deploy.
    const planned = plan.steps.filter((s) => s.kind === 'request' && s.url.startsWith('https://cloudscheduler.googleapis.com/')) as Array<{ method: string; url: string; body: any }>
    expect(planned.map((s) => `${s.method} ${s.url}`)).toEqual([
      `PATCH https://cloudscheduler.googleapis.com/v1/${JOBS}/api-nightly?updateMask=description,schedule,timeZone,httpTarget,retryConfig,attemptDeadline`,
      `PATCH https://cloudscheduler.googleapis.com/v1/${JOBS}/api-keep-warm?updateMask=description,schedule,timeZone,httpTarget,retryConfig,attemptDeadline`,
    ])
    expect(planned[0]!.body.httpTarget.uri).toBe('<deploy-time lookup: uri of Cloud Run service api>/tasks/nightly?full=1')

    const d = await cloudRun.deploy(plan, WITH_SA, ctx())
    expect(scheduler.log.every((l) => l.errors.length === 0)).toBe(true)
    expect(scheduler.calls('CreateJob')).toBe(2)
    const nightly = scheduler.jobs.get(`${JOBS}/api-nightly`)!
    expect(nightly).toMatchObject({
      schedule: '0 3 * * *',
      timeZone: 'Europe/Paris',
      attemptDeadline: '300s',
      httpTarget: {
        uri: `${d.url}/tasks/nightly?full=1`,
        httpMethod: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Job': 'nightly', 'User-Agent': 'Google-Cloud-Scheduler' },
        body: Buffer.from('{"b": 1, "a": 2}').toString('base64'),
        oidcToken: { serviceAccountEmail: SA, audience: d.url },
      },
      retryConfig: { retryCount: 3, minBackoffDuration: '10s', maxBackoffDuration: '300s', maxDoublings: 2 },
    })
    // Keep-warm: a GET of / every 5 minutes, no body.
    expect(scheduler.jobs.get(`${JOBS}/api-keep-warm`)!.httpTarget).toMatchObject({ uri: `${d.url}/`, httpMethod: 'GET' })
    expect(scheduler.jobs.get(`${JOBS}/api-keep-warm`)!.httpTarget).not.toHaveProperty('body')
    expect(run.policies.get(NAME)!.bindings).toEqual([{ role: 'roles/run.invoker', members: [`serviceAccount:${SA}`] }])
    expect(events.map((e) => e.message)).toEqual(expect.arrayContaining(['created Cloud Scheduler job api-nightly', `granting roles/run.invoker to serviceAccount:${SA}`]))

    // The same plan again: nothing written (Google's added headers and defaults are no difference).
    await cloudRun.deploy(await planFor(digest('a'), WITH_SA, { schedules: [NIGHTLY, KEEP_WARM] }), WITH_SA, ctx())
    expect([scheduler.calls('CreateJob'), scheduler.calls('UpdateJob'), run.calls('SetIamPolicy')]).toEqual([2, 0, 1])

    // A changed schedule is patched in place, its fields replaced whole (a header dropped goes).
    await cloudRun.deploy(await planFor(digest('a'), WITH_SA, { schedules: [{ ...NIGHTLY, cron: '30 4 * * *', headers: { 'Content-Type': 'application/json' } }, KEEP_WARM] }), WITH_SA, ctx())
    expect(scheduler.calls('UpdateJob')).toBe(1)
    expect(scheduler.log.find((l) => l.rpc === 'UpdateJob')!.path).toBe(`/v1/${JOBS}/api-nightly?updateMask=description,schedule,timeZone,httpTarget,retryConfig,attemptDeadline`)
    expect(scheduler.jobs.get(`${JOBS}/api-nightly`)!).toMatchObject({ schedule: '30 4 * * *' })
    expect(scheduler.jobs.get(`${JOBS}/api-nightly`)!.httpTarget!.headers).not.toHaveProperty('X-Job')
  })

  it("a stored job matches the plan despite Google's added headers and defaults; a header or body planned away is a difference", () => {
    const want = { name: `${JOBS}/api-x`, schedule: '0 3 * * *', httpTarget: { uri: 'https://u/', httpMethod: 'POST', body: 'e30=' }, retryConfig: { retryCount: 0, maxDoublings: 5 } }
    const stored = {
      ...want,
      state: 'ENABLED',
      httpTarget: { ...want.httpTarget, headers: { 'User-Agent': 'Google-Cloud-Scheduler', 'Content-Type': 'application/octet-stream' } },
      retryConfig: { maxDoublings: 5, maxRetryDuration: '0s' },
    }
    expect(jobMatches(stored, want)).toBe(true)
    expect(jobMatches({ ...stored, httpTarget: { ...stored.httpTarget, headers: { 'Content-Type': 'text/plain' } } }, want)).toBe(false)
    expect(jobMatches(stored, { ...want, httpTarget: { uri: 'https://u/', httpMethod: 'POST' } })).toBe(false)
  })

  it('public and schedules: one setIamPolicy granting run.invoker to allUsers and the service account', async () => {
    const settings = { ...WITH_SA, public: true }
    const plan = await planFor(digest('a'), settings, { schedules: [KEEP_WARM] })
    expect((plan.steps[1] as { body: unknown }).body).toEqual({ policy: { bindings: [{ role: 'roles/run.invoker', members: ['allUsers', `serviceAccount:${SA}`] }] } })
    await cloudRun.deploy(plan, settings, ctx())
    expect(run.policies.get(NAME)!.bindings).toEqual([{ role: 'roles/run.invoker', members: ['allUsers', `serviceAccount:${SA}`] }])
  })

  it('a schedule removed from sls-run.yaml: its job is deleted; jobs of other services stay', async () => {
    await cloudRun.deploy(await planFor(digest('a'), WITH_SA, { schedules: [NIGHTLY, KEEP_WARM] }), WITH_SA, ctx())
    const other = { name: `${JOBS}/api-v2-nightly`, description: 'sls-run schedule nightly of Cloud Run service api-v2 (project shop, environment prod)', schedule: '0 3 * * *' }
    scheduler.jobs.set(other.name, other)
    await cloudRun.deploy(await planFor(digest('a'), WITH_SA, { schedules: [KEEP_WARM] }), WITH_SA, ctx())
    expect([...scheduler.jobs.keys()].sort()).toEqual([`${JOBS}/api-keep-warm`, other.name])
    expect(events.map((e) => e.message)).toContain('deleted Cloud Scheduler job api-nightly')
  })

  it('remove deletes the service’s jobs, then the service', async () => {
    await cloudRun.deploy(await planFor(digest('a'), WITH_SA, { schedules: [NIGHTLY, KEEP_WARM] }), WITH_SA, ctx())
    expect(await cloudRun.remove!('api', WITH_SA, ctx())).toBe(true)
    expect(scheduler.jobs.size).toBe(0)
    expect(run.services.size).toBe(0)
  })

  it('--no-wait on a first deploy: the jobs get the URL Cloud Run assigned when it created the service', async () => {
    const d = await cloudRun.deploy(await planFor(digest('a'), WITH_SA, { schedules: [KEEP_WARM] }), WITH_SA, ctx({ wait: false }))
    expect(d.ready).toBe(false)
    expect(scheduler.jobs.get(`${JOBS}/api-keep-warm`)!.httpTarget!.uri).toBe('https://api-abcdefghij-ew.a.run.app/')
  })

  it('schedules without schedulerServiceAccount → DEPLOY_SCHEDULE_UNSUPPORTED naming the setting, before anything is sent', async () => {
    const err = await failure(planFor(digest('a'), SETTINGS, { schedules: [KEEP_WARM] }))
    expect(err).toMatchObject({ code: 'DEPLOY_SCHEDULE_UNSUPPORTED', exitCode: 2 })
    expect(err.message).toContain('schedulerServiceAccount')
    expect(err.hints.join('\n')).toContain('environments.prod.schedulerServiceAccount')
  })

  it.each([
    ['a seconds field', { cron: '*/30 * * * * *' }, 'seconds field'],
    ['a body on GET', { method: 'GET', body: 'x' }, 'only with POST, PUT or PATCH'],
    ['a header Cloud Scheduler sets itself', { headers: { 'User-Agent': 'cron' } }, 'User-Agent'],
    ['an Authorization header (the OIDC token is)', { headers: { Authorization: 'Bearer x' } }, 'Authorization'],
    ["croner's last-day-of-month", { cron: '0 0 L * *' }, 'L / W / #'],
  ])('what Cloud Scheduler cannot send as written (%s) → DEPLOY_SCHEDULE_UNSUPPORTED naming the schedule', async (_what, change, words) => {
    const err = await failure(planFor(digest('a'), WITH_SA, { schedules: [{ ...KEEP_WARM, ...change }] }))
    expect(err.code).toBe('DEPLOY_SCHEDULE_UNSUPPORTED')
    expect(err.message).toContain('services.api.schedules: keep-warm')
    expect(err.message).toContain(words)
  })

  it('@hourly is sent as 0 * * * *; a retry.count above 5 becomes 5 with a warning; a timeout above 30m caps the attempt deadline', async () => {
    const plan = await planFor(digest('a'), WITH_SA, { timeout: '3600s', schedules: [{ ...KEEP_WARM, cron: '@hourly', retry: { count: 8 } }] })
    expect(plan.warnings.map((w) => w.code)).toEqual(expect.arrayContaining(['CLOUD_SCHEDULER_RETRY_COUNT', 'CLOUD_SCHEDULER_ATTEMPT_DEADLINE']))
    await cloudRun.deploy(plan, WITH_SA, ctx())
    expect(scheduler.log.every((l) => l.errors.length === 0)).toBe(true)
    expect(scheduler.jobs.get(`${JOBS}/api-keep-warm`)).toMatchObject({ schedule: '0 * * * *', attemptDeadline: '1800s', retryConfig: { retryCount: 5 } })
  })

  it('a job the API refuses: 403 → DEPLOY_PERMISSION_DENIED with the roles it needs; an invalid body (400) → DEPLOY_API', async () => {
    scheduler.scenario.writeError = { code: 403, status: 'PERMISSION_DENIED', message: "The principal lacks IAM permission 'cloudscheduler.jobs.create' for the resource" }
    let err = await failure(cloudRun.deploy(await planFor(digest('a'), WITH_SA, { schedules: [KEEP_WARM] }), WITH_SA, ctx()))
    expect(err.code).toBe('DEPLOY_PERMISSION_DENIED')
    expect(err.message).toContain('cloudscheduler.jobs.create')
    expect(err.hints.join('\n')).toContain('roles/cloudscheduler.admin')
    // The fake validates against the discovery document: an unknown field is refused.
    const plan = await planFor(digest('a'), WITH_SA, { schedules: [KEEP_WARM] })
    ;(plan.steps.at(-1) as { body: { httpTarget: Record<string, unknown> } }).body.httpTarget.path = '/'
    err = await failure(cloudRun.deploy(plan, WITH_SA, ctx()))
    expect(err.code).toBe('DEPLOY_API')
    expect(err.message).toContain('httpTarget.path: Unknown name "path"')
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
