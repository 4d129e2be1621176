import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { service as serviceSchema } from '../../src/core/config/schema.js'
import { PLATFORM_DEFAULTED } from '../../src/core/deploy/defaults.js'
import { parseDigestRef } from '../../src/core/deploy/image-ref.js'
import knative, { planKnative } from '../../src/core/deploy/providers/knative/index.js'
import type { DeployContext, DeployEvent, Plan, ProviderSettings } from '../../src/core/deploy/types.js'
import { useTempDir } from '../helpers/temp.js'
import { startFakeKube, type FakeKube } from './fakes/kube-api.js'
import { knativeServiceErrors } from './fakes/kube-schema.js'
import { makeTestPki, type TestPki } from './fakes/tls.js'

const TOKEN = 'kube-test-token'
const CN = 'sls-run-test'
const A = `ghcr.io/acme/api@sha256:${'ab'.repeat(32)}`
const B = `ghcr.io/acme/api@sha256:${'cd'.repeat(32)}`
const SETTINGS: ProviderSettings<'knative'> = { provider: 'knative', namespace: 'shop' }
const b64 = (s: string) => Buffer.from(s).toString('base64')

const planFor = (image: string, settings = SETTINGS, raw: Record<string, unknown> = {}, service = 'api'): Plan =>
  planKnative(serviceSchema.parse(raw), parseDigestRef(image), settings, { project: 'shop', environment: 'prod', service })

let pki: TestPki
let fake: FakeKube
const tempDir = useTempDir('sls-run-knative-')

beforeAll(() => {
  pki = makeTestPki()
})
afterAll(() => pki.dispose())
beforeEach(async () => {
  fake = await startFakeKube({ pki, token: TOKEN, clientCn: CN, basic: { username: 'admin', password: 's3cret' }, namespaces: ['default', 'shop'] })
})
afterEach(async () => {
  await fake.close()
})

type User = Record<string, unknown>
interface KubeconfigSpec {
  contexts?: Array<{ name: string; cluster?: string; user?: string }>
  clusters?: Array<{ name: string; cluster: Record<string, unknown> }>
  users?: Array<{ name: string; user: User }>
  current?: string
}

function kubeconfigYaml(spec: KubeconfigSpec): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    ...(spec.current ? { 'current-context': spec.current } : {}),
    clusters: spec.clusters ?? [],
    users: spec.users ?? [],
    contexts: (spec.contexts ?? []).map((c) => ({ name: c.name, context: { cluster: c.cluster ?? 'fake', ...(c.user ? { user: c.user } : {}) } })),
  })
}

const fakeCluster = (extra: Record<string, unknown> = {}) => ({ name: 'fake', cluster: { server: fake.url, 'certificate-authority-data': b64(pki.caPem), ...extra } })

/** A temp HOME with ~/.kube/config for one context `fake` using `user`. */
function homeWith(user: User, cluster: { name: string; cluster: Record<string, unknown> } = fakeCluster()): string {
  const home = tempDir()
  mkdirSync(path.join(home, '.kube'))
  writeFileSync(path.join(home, '.kube', 'config'), kubeconfigYaml({ clusters: [cluster], users: [{ name: 'me', user }], contexts: [{ name: 'fake', user: 'me' }], current: 'fake' }))
  return home
}

function ctxFor(env: NodeJS.ProcessEnv, events: DeployEvent[] = [], extra: Partial<DeployContext> = {}): DeployContext {
  return { env, wait: true, timeoutMs: 5_000, pollIntervalMs: 5, emit: (e) => events.push(e), ...extra }
}
const tokenCtx = (events: DeployEvent[] = [], extra: Partial<DeployContext> = {}) => ctxFor({ HOME: homeWith({ token: TOKEN }) }, events, extra)

const patches = () => fake.requests.filter((r) => r.method === 'PATCH')
const nameIn = (plan: Plan) => (plan.steps[0] as { manifest: { metadata: { name: string } } } | undefined)?.manifest.metadata.name ?? ''

describe('knative deploy (server-side apply)', () => {
  it('first deploy: applies exactly the planned manifest, waits for Ready, returns url and revision', async () => {
    const plan = planFor(A)
    const events: DeployEvent[] = []
    const out = await knative.deploy(plan, SETTINGS, tokenCtx(events))
    expect(out).toEqual({ service: 'api', url: 'http://api.shop.example.com', revision: 'api-00001', unchanged: false, ready: true })
    const [patch] = patches()
    expect(patch).toMatchObject({ path: '/apis/serving.knative.dev/v1/namespaces/shop/services/api', contentType: 'application/apply-patch+yaml', auth: 'bearer' })
    expect(patch!.query).toEqual({ fieldManager: 'sls-run', force: 'true' })
    expect(JSON.parse(patch!.body)).toEqual((plan.steps[0] as { manifest: unknown }).manifest)
    expect(events.map((e) => e.message).join('\n')).toMatch(/applying Knative Service api in namespace shop \(context fake\)[\s\S]*waiting: [\s\S]*ready: revision api-00001/)
  })

  it('same digest again → unchanged, no new revision; a new digest → revision 00002', async () => {
    const ctx = tokenCtx()
    await knative.deploy(planFor(A), SETTINGS, ctx)
    const again = await knative.deploy(planFor(A), SETTINGS, ctx)
    expect(again).toMatchObject({ unchanged: true, revision: 'api-00001', ready: true })
    expect([...fake.revisions.keys()]).toEqual(['api-00001'])
    expect(fake.services.get('shop/api')!.generation).toBe(1)
    const next = await knative.deploy(planFor(B), SETTINGS, ctx)
    expect(next).toMatchObject({ unchanged: false, revision: 'api-00002', ready: true })
    expect(fake.revisions.get('api-00002')!.image).toBe(B)
  })

  it("nothing set in sls-run.yaml: the applied manifest leaves scale, concurrency, timeout and resources to the cluster's defaults", async () => {
    const ctx = tokenCtx()
    await knative.deploy(planFor(A), SETTINGS, ctx)
    const plan = planKnative(serviceSchema.parse({}), parseDigestRef(A), SETTINGS, { project: 'shop', environment: 'prod', service: 'api', unset: PLATFORM_DEFAULTED })
    const out = await knative.deploy(plan, SETTINGS, ctx)
    expect(out).toMatchObject({ unchanged: false, revision: 'api-00002', ready: true })
    const applied = JSON.parse(patches().at(-1)!.body)
    expect(knativeServiceErrors(applied)).toEqual([])
    expect(applied.spec.template.metadata.annotations).toEqual({ 'serving.knative.dev/progress-deadline': '240s' })
    expect(applied.spec.template.spec).not.toHaveProperty('containerConcurrency')
    expect(applied.spec.template.spec.containers[0]).not.toHaveProperty('resources')
    expect((await knative.deploy(plan, SETTINGS, ctx)).unchanged).toBe(true)
  })

  it('--no-wait returns once the apply is accepted', async () => {
    const out = await knative.deploy(planFor(A), SETTINGS, tokenCtx([], { wait: false }))
    expect(out).toEqual({ service: 'api', url: null, revision: null, unchanged: false, ready: false })
    // Read, apply, and the look for PingSources of schedules the plan no longer has.
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /apis/serving.knative.dev/v1/namespaces/shop/services/api',
      'PATCH /apis/serving.knative.dev/v1/namespaces/shop/services/api',
      'GET /apis/sources.knative.dev/v1/namespaces/shop/pingsources',
    ])
  })
})

describe('knative service names (DNS-1035, at most 57 characters so that revisions are <name>-00001)', () => {
  it('an explicit deployName is used as is: metadata.name, the apply path, the revision', async () => {
    const plan = planFor(A, SETTINGS, { deployName: 'api-eu' })
    expect(plan.warnings).toEqual([])
    const out = await knative.deploy(plan, SETTINGS, tokenCtx())
    expect(patches()[0]!.path).toBe('/apis/serving.knative.dev/v1/namespaces/shop/services/api-eu')
    expect(out).toMatchObject({ service: 'api', revision: 'api-eu-00001', url: 'http://api-eu.shop.example.com' })
  })

  it.each([
    ['uppercase and an underscore', 'Api_EU'],
    ['58 characters', `a${'b'.repeat(57)}`],
  ])('an explicit deployName that breaks the rule (%s) → DEPLOY_NAME_INVALID', (_what, deployName) => {
    expect(() => planFor(A, SETTINGS, { deployName })).toThrow(expect.objectContaining({ code: 'DEPLOY_NAME_INVALID', message: expect.stringContaining('is not a valid Knative Service name') }))
  })

  it('57 characters fit: the revision name stays <name>-00001 (63)', () => {
    const name = `a${'b'.repeat(56)}`
    expect(`${nameIn(planFor(A, SETTINGS, { deployName: name }))}-00001`).toHaveLength(63)
  })

  it('a service name Knative refuses (1api: a digit first) is derived and warned; deploy, status and remove use it', async () => {
    const plan = planFor(A, SETTINGS, {}, '1api')
    const name = nameIn(plan)
    expect(name).toMatch(/^api-[0-9a-f]{6}$/)
    expect(plan.warnings).toEqual([expect.objectContaining({ code: 'DEPLOY_NAME_DERIVED', message: expect.stringContaining(`"1api" is deployed as "${name}"`) })])
    const ctx = tokenCtx()
    expect(await knative.deploy(plan, SETTINGS, ctx)).toMatchObject({ service: '1api', revision: `${name}-00001` })
    expect(await knative.status!('1api', SETTINGS, ctx)).toMatchObject({ service: '1api', revision: `${name}-00001`, ready: true })
    expect(await knative.remove!('1api', SETTINGS, ctx)).toBe(true)
    expect(fake.services.size).toBe(0)
  })
})

describe('knative schedules (Knative Eventing PingSources)', () => {
  const NIGHTLY = { name: 'nightly', cron: '0 3 * * *', path: '/tasks/nightly?full=1', body: '{"b": 1, "a": 2}', headers: { 'Content-Type': 'application/json' }, timezone: 'Europe/Paris' }
  const KEEP_WARM = { name: 'keep-warm', cron: '*/5 * * * *', path: '/' }
  const sources = (plan: Plan) => plan.steps.slice(1).map((s) => (s as { manifest: any }).manifest)

  it('one PingSource per schedule, applied after the Service is ready: sink = the Service + path; valid; Ready; then unchanged', async () => {
    const plan = planFor(A, SETTINGS, { schedules: [NIGHTLY, KEEP_WARM] })
    expect(plan.warnings.map((w) => w.code)).toEqual(['KNATIVE_SCHEDULE_RETRY'])
    const [nightly, keepWarm] = sources(plan)
    expect(nightly).toEqual({
      apiVersion: 'sources.knative.dev/v1',
      kind: 'PingSource',
      metadata: { name: 'api-nightly', namespace: 'shop', labels: expect.objectContaining({ 'sls-run.dev/service': 'api', 'app.kubernetes.io/managed-by': 'sls-run' }) },
      spec: {
        schedule: '0 3 * * *',
        timezone: 'Europe/Paris',
        contentType: 'application/json',
        // application/json as dataBase64: sent byte for byte (the adapter would re-encode `data`).
        dataBase64: Buffer.from('{"b": 1, "a": 2}').toString('base64'),
        sink: { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'api' }, uri: '/tasks/nightly?full=1' },
      },
    })
    expect(keepWarm.spec).toEqual({ schedule: '*/5 * * * *', timezone: 'Etc/UTC', sink: { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'api' }, uri: '/' } })

    const events: DeployEvent[] = []
    const out = await knative.deploy(plan, SETTINGS, tokenCtx(events))
    expect(out).toMatchObject({ ready: true, revision: 'api-00001' })
    const applied = patches().map((r) => r.path)
    expect(applied).toEqual([
      '/apis/serving.knative.dev/v1/namespaces/shop/services/api',
      '/apis/sources.knative.dev/v1/namespaces/shop/pingsources/api-nightly',
      '/apis/sources.knative.dev/v1/namespaces/shop/pingsources/api-keep-warm',
    ])
    expect(patches().every((r) => r.query.fieldManager === 'sls-run' && r.contentType === 'application/apply-patch+yaml')).toBe(true)
    expect(JSON.parse(patches()[1]!.body)).toEqual(nightly)
    // Each is awaited until Ready; the fake resolves the sink as Knative does: the Service's address + the relative uri.
    expect(events.map((e) => e.message)).toEqual(
      expect.arrayContaining([
        'PingSource api-nightly ready: sends to http://api.shop.svc.cluster.local/tasks/nightly?full=1',
        'PingSource api-keep-warm ready: sends to http://api.shop.svc.cluster.local/',
      ]),
    )
    expect(fake.pingSources.get('shop/api-nightly')!.generation).toBe(1)

    await knative.deploy(planFor(A, SETTINGS, { schedules: [NIGHTLY, KEEP_WARM] }), SETTINGS, tokenCtx())
    expect([fake.pingSources.get('shop/api-nightly')!.generation, fake.pingSources.get('shop/api-keep-warm')!.generation]).toEqual([1, 1])
  })

  it('a body with another content type is `data`, as written; without one it goes as application/octet-stream, as Cloud Scheduler sends it', () => {
    const [text, plain] = sources(
      planFor(A, SETTINGS, {
        schedules: [
          { ...KEEP_WARM, body: 'ping', headers: { 'content-type': 'text/plain' } },
          { ...NIGHTLY, body: 'x', headers: {} },
        ],
      }),
    )
    expect(text.spec).toMatchObject({ contentType: 'text/plain', data: 'ping' })
    expect(plain.spec).toMatchObject({ contentType: 'application/octet-stream', data: 'x' })
  })

  it.each([
    ['GET', { method: 'GET' }, 'always POSTs (a CloudEvent), and this schedule is GET'],
    ['a header other than Content-Type', { headers: { 'X-Job': 'warm', 'Content-Type': 'text/plain' } }, 'this schedule sets X-Job'],
    ['a seconds field', { cron: '*/30 * * * * *' }, 'seconds field'],
    ['a JSON body that is no object, as application/json', { body: '[1, 2]', headers: { 'Content-Type': 'application/json' } }, 'only a JSON object'],
  ])('what a PingSource cannot send as written (%s) → DEPLOY_SCHEDULE_UNSUPPORTED naming the schedule', (_what, change, words) => {
    let err: any
    try {
      planFor(A, SETTINGS, { schedules: [{ ...KEEP_WARM, ...change }] })
    } catch (e) {
      err = e
    }
    expect(err).toMatchObject({ code: 'DEPLOY_SCHEDULE_UNSUPPORTED', exitCode: 2 })
    expect(err.message).toContain('services.api.schedules: keep-warm cannot be deployed as a Knative PingSource')
    expect(err.message).toContain(words)
  })

  it('a schedule removed from sls-run.yaml: its PingSource is deleted; remove deletes the rest with the Service', async () => {
    const ctx = tokenCtx()
    await knative.deploy(planFor(A, SETTINGS, { schedules: [NIGHTLY, KEEP_WARM] }), SETTINGS, ctx)
    fake.pingSources.set('shop/web-nightly', { manifest: { metadata: { name: 'web-nightly', labels: { 'sls-run.dev/service': 'web' } }, spec: {} }, generation: 1, uid: 'x' })
    await knative.deploy(planFor(A, SETTINGS, { schedules: [KEEP_WARM] }), SETTINGS, ctx)
    expect([...fake.pingSources.keys()].sort()).toEqual(['shop/api-keep-warm', 'shop/web-nightly'])
    expect(await knative.remove!('api', SETTINGS, ctx)).toBe(true)
    expect([...fake.pingSources.keys()]).toEqual(['shop/web-nightly'])
  })

  it('the fake validates PingSources against the published CRD and the webhook (400 → DEPLOY_API)', async () => {
    const plan = planFor(A, SETTINGS, { schedules: [KEEP_WARM] })
    ;(plan.steps[1] as { manifest: any }).manifest.spec.method = 'GET'
    const err = await knative.deploy(plan, SETTINGS, tokenCtx()).catch((e) => e)
    expect(err).toMatchObject({ code: 'DEPLOY_API', details: { status: 400 } })
    expect(err.message).toContain('spec.method: field not declared in schema')
    const both = planFor(A, SETTINGS, { schedules: [KEEP_WARM] })
    Object.assign((both.steps[1] as { manifest: any }).manifest.spec, { data: 'a', dataBase64: 'YQ==' })
    expect((await knative.deploy(both, SETTINGS, tokenCtx()).catch((e) => e)).message).toContain('expected exactly one, got both: spec.data, spec.dataBase64')
  })

  it('Knative Eventing not installed: schedules → DEPLOY_NOT_FOUND saying so; a service without schedules deploys', async () => {
    await fake.close()
    fake = await startFakeKube({ pki, token: TOKEN, namespaces: ['shop'], eventing: false })
    const err = await knative.deploy(planFor(A, SETTINGS, { schedules: [KEEP_WARM] }), SETTINGS, tokenCtx()).catch((e) => e)
    expect(err).toMatchObject({ code: 'DEPLOY_NOT_FOUND', hints: expect.arrayContaining([expect.stringContaining('Knative Eventing')]) })
    expect(await knative.deploy(planFor(A), SETTINGS, tokenCtx())).toMatchObject({ ready: true })
  })
})

describe('kubeconfig', () => {
  it('client certificate and CA from files relative to the kubeconfig', async () => {
    const dir = tempDir()
    for (const [name, pem] of [
      ['ca.pem', pki.caPem],
      ['client.pem', pki.clientCert],
      ['client.key', pki.clientKey],
    ] as const)
      writeFileSync(path.join(dir, name), pem)
    const file = path.join(dir, 'kubeconfig')
    writeFileSync(
      file,
      kubeconfigYaml({
        clusters: [{ name: 'fake', cluster: { server: fake.url, 'certificate-authority': 'ca.pem' } }],
        users: [{ name: 'me', user: { 'client-certificate': 'client.pem', 'client-key': './client.key' } }],
        contexts: [{ name: 'fake', user: 'me' }],
        current: 'fake',
      }),
    )
    const out = await knative.deploy(planFor(A), SETTINGS, ctxFor({ KUBECONFIG: file }))
    expect(out.revision).toBe('api-00001')
    expect(fake.requests.every((r) => r.auth === 'cert')).toBe(true)
  })

  it('client certificate data; basic auth', async () => {
    const cert = ctxFor({ HOME: homeWith({ 'client-certificate-data': b64(pki.clientCert), 'client-key-data': b64(pki.clientKey) }) })
    await knative.deploy(planFor(A), SETTINGS, cert)
    const basic = ctxFor({ HOME: homeWith({ username: 'admin', password: 's3cret' }) })
    expect(await knative.status!('api', SETTINGS, basic)).toMatchObject({ ready: true })
    expect(fake.requests.map((r) => r.auth)).toContain('cert')
    expect(fake.requests.at(-1)!.auth).toBe('basic')
  })

  it('context: the setting wins over current-context', async () => {
    const home = tempDir()
    mkdirSync(path.join(home, '.kube'))
    writeFileSync(
      path.join(home, '.kube', 'config'),
      kubeconfigYaml({
        clusters: [fakeCluster()],
        users: [
          { name: 'good', user: { token: TOKEN } },
          { name: 'stale', user: { token: 'expired' } },
        ],
        contexts: [
          { name: 'old', user: 'stale' },
          { name: 'new', user: 'good' },
        ],
        current: 'old',
      }),
    )
    await expect(knative.deploy(planFor(A), SETTINGS, ctxFor({ HOME: home }))).rejects.toMatchObject({ code: 'DEPLOY_AUTH', message: expect.stringMatching(/HTTP 401 Unauthorized/) })
    const out = await knative.deploy(planFor(A, { ...SETTINGS, context: 'new' }), { ...SETTINGS, context: 'new' }, ctxFor({ HOME: home }))
    expect(out.revision).toBe('api-00001')
    await expect(knative.status!('api', { ...SETTINGS, context: 'nope' }, ctxFor({ HOME: home }))).rejects.toMatchObject({
      code: 'DEPLOY_CREDENTIALS',
      exitCode: 3,
      message: expect.stringContaining('context "nope"'),
      hints: expect.arrayContaining(['Contexts there: old, new.']),
    })
  })

  it('KUBECONFIG list: missing files skipped, first file wins per name, tokenFile', async () => {
    const dir = tempDir()
    writeFileSync(path.join(dir, 'token'), `${TOKEN}\n`)
    const first = path.join(dir, 'a.yaml')
    const second = path.join(dir, 'b.yaml')
    writeFileSync(first, kubeconfigYaml({ users: [{ name: 'me', user: { tokenFile: 'token' } }], current: 'fake' }))
    writeFileSync(second, kubeconfigYaml({ clusters: [fakeCluster()], users: [{ name: 'me', user: { token: 'wrong' } }], contexts: [{ name: 'fake', user: 'me' }], current: 'other' }))
    const env = { KUBECONFIG: [path.join(dir, 'missing.yaml'), first, '', second].join(path.delimiter) }
    expect(await knative.status!('api', SETTINGS, ctxFor(env))).toBeNull()
    expect(fake.requests[0]!.auth).toBe('bearer')
  })

  it('exec credential plugin (v1): runs it with KUBERNETES_EXEC_INFO and uses status.token', async () => {
    const dir = tempDir()
    const script = path.join(dir, 'plugin.mjs')
    writeFileSync(
      script,
      [
        'const info = JSON.parse(process.env.KUBERNETES_EXEC_INFO)',
        "if (info.kind !== 'ExecCredential' || info.spec.interactive !== false || !info.spec.cluster.server) process.exit(7)",
        "console.log(JSON.stringify({ apiVersion: info.apiVersion, kind: 'ExecCredential', status: { token: process.env.PLUGIN_TOKEN } }))",
      ].join('\n'),
    )
    const exec = {
      apiVersion: 'client.authentication.k8s.io/v1',
      command: process.execPath,
      args: [script],
      env: [{ name: 'PLUGIN_TOKEN', value: TOKEN }],
      interactiveMode: 'Never',
      provideClusterInfo: true,
    }
    expect(await knative.status!('api', SETTINGS, ctxFor({ HOME: homeWith({ exec }) }))).toBeNull()
    expect(fake.requests[0]!.auth).toBe('bearer')

    const failing = { ...exec, apiVersion: 'client.authentication.k8s.io/v1beta1', args: ['-e', "console.error('login required: run acme login'); process.exit(2)"] }
    await expect(knative.status!('api', SETTINGS, ctxFor({ HOME: homeWith({ exec: failing }) }))).rejects.toMatchObject({
      code: 'DEPLOY_CREDENTIALS',
      message: expect.stringMatching(/exit 2.*login required/s),
    })
    const missing = { ...exec, command: 'sls-run-no-such-auth-plugin', installHint: 'Install it with acme install auth-plugin' }
    await expect(knative.status!('api', SETTINGS, ctxFor({ HOME: homeWith({ exec: missing }), PATH: process.env.PATH }))).rejects.toMatchObject({
      code: 'DEPLOY_CREDENTIALS',
      message: expect.stringContaining('is not installed'),
      hints: ['Install it with acme install auth-plugin'],
    })
  })

  it('no kubeconfig, a missing KUBECONFIG, no current-context, an auth-provider → DEPLOY_CREDENTIALS (exit 3)', async () => {
    const home = tempDir()
    const creds = { code: 'DEPLOY_CREDENTIALS', exitCode: 3 }
    await expect(knative.deploy(planFor(A), SETTINGS, ctxFor({ HOME: home }))).rejects.toMatchObject({ ...creds, message: expect.stringContaining(path.join(home, '.kube', 'config')) })
    await expect(knative.status!('api', SETTINGS, ctxFor({ KUBECONFIG: path.join(home, 'nope') }))).rejects.toMatchObject({
      ...creds,
      message: expect.stringContaining('none of the files in KUBECONFIG exist'),
    })
    const noCurrent = path.join(home, 'kc')
    writeFileSync(noCurrent, kubeconfigYaml({ clusters: [fakeCluster()], contexts: [{ name: 'fake' }] }))
    await expect(knative.remove!('api', SETTINGS, ctxFor({ KUBECONFIG: noCurrent }))).rejects.toMatchObject({ ...creds, message: expect.stringContaining('no current-context') })
    await expect(knative.status!('api', SETTINGS, ctxFor({ HOME: homeWith({ 'auth-provider': { name: 'gcp' } }) }))).rejects.toMatchObject({
      ...creds,
      message: expect.stringContaining('auth-provider'),
    })
    expect(fake.requests).toEqual([])
  })

  it('TLS is verified: no CA → DEPLOY_UNREACHABLE; insecure-skip-tls-verify connects', async () => {
    const noCa = { name: 'fake', cluster: { server: fake.url } }
    await expect(knative.status!('api', SETTINGS, ctxFor({ HOME: homeWith({ token: TOKEN }, noCa) }))).rejects.toMatchObject({ code: 'DEPLOY_UNREACHABLE' })
    const insecure = { name: 'fake', cluster: { server: fake.url, 'insecure-skip-tls-verify': true } }
    expect(await knative.status!('api', SETTINGS, ctxFor({ HOME: homeWith({ token: TOKEN }, insecure) }))).toBeNull()
  })
})

describe('knative failures', () => {
  it.each([
    ['forbidden', 'DEPLOY_PERMISSION_DENIED', 'cannot patch resource "services" in API group "serving.knative.dev"'],
    ['conflict', 'DEPLOY_CONFLICT', 'the object has been modified'],
    ['quota', 'DEPLOY_QUOTA', 'exceeded quota: object-counts'],
  ] as const)('apply refused: %s → %s with the platform message', async (failure, code, said) => {
    fake.scenario.applyFailure = failure
    await expect(knative.deploy(planFor(A), SETTINGS, tokenCtx())).rejects.toMatchObject({ code, message: expect.stringContaining(said) })
    expect(fake.services.size).toBe(0)
  })

  it('namespace missing → DEPLOY_NOT_FOUND; wrong token → DEPLOY_AUTH', async () => {
    const settings = { ...SETTINGS, namespace: 'nope' }
    await expect(knative.deploy(planFor(A, settings), settings, tokenCtx())).rejects.toMatchObject({
      code: 'DEPLOY_NOT_FOUND',
      message: expect.stringContaining('namespaces "nope" not found'),
      hints: expect.arrayContaining([expect.stringContaining('kubectl get namespace nope')]),
    })
    await expect(knative.deploy(planFor(A), SETTINGS, ctxFor({ HOME: homeWith({ token: 'bad' }) }))).rejects.toMatchObject({ code: 'DEPLOY_AUTH' })
  })

  it('revision fails → DEPLOY_ROLLOUT_FAILED with the condition reason and message', async () => {
    fake.scenario.rollout = { kind: 'fail', afterPolls: 1, reason: 'RevisionFailed', message: 'Container failed with: exec format error' }
    const err = await knative.deploy(planFor(A), SETTINGS, tokenCtx()).catch((e) => e)
    expect(err).toMatchObject({ code: 'DEPLOY_ROLLOUT_FAILED', hints: expect.arrayContaining([expect.stringContaining('kubectl describe revision api-00001 -n shop')]) })
    expect(err.message).toContain('RevisionFailed: Revision "api-00001" failed with message: Container failed with: exec format error')
  })

  it('never ready → DEPLOY_TIMEOUT with the last condition seen', async () => {
    fake.scenario.rollout = { kind: 'stuck' }
    const err = await knative.deploy(planFor(A), SETTINGS, tokenCtx([], { timeoutMs: 150 })).catch((e) => e)
    expect(err).toMatchObject({ code: 'DEPLOY_TIMEOUT' })
    expect(err.message).toContain('RevisionMissing: Configuration "api" is waiting for a Revision to become ready.')
  })

  it('the fake refuses undeclared fields and wrong types (400), which deploy reports as DEPLOY_API', async () => {
    expect(knativeServiceErrors((planFor(A, { ...SETTINGS, context: 'x' }, { command: 'node s.js', env: { A: '1' }, startupProbe: { type: 'http', path: '/h' } }).steps[0] as any).manifest)).toEqual(
      [],
    )
    const plan = planFor(A)
    const manifest = (plan.steps[0] as { manifest: any }).manifest
    manifest.spec.template.spec.containers[0].bogus = true
    manifest.spec.template.spec.containerConcurrency = 'lots'
    const err = await knative.deploy(plan, SETTINGS, tokenCtx()).catch((e) => e)
    expect(err).toMatchObject({ code: 'DEPLOY_API', details: { status: 400 } })
    expect(err.message).toContain('.spec.template.spec.containers[0].bogus: field not declared in schema')
    expect(err.message).toContain('.spec.template.spec.containerConcurrency must be integer')
    expect(fake.services.size).toBe(0)
  })
})

describe('knative status and remove', () => {
  it('status: null when absent; serving revision and image; the older image while the new revision fails', async () => {
    const ctx = tokenCtx()
    expect(await knative.status!('api', SETTINGS, ctx)).toBeNull()
    await knative.deploy(planFor(A), SETTINGS, ctx)
    expect(await knative.status!('api', SETTINGS, ctx)).toEqual({ service: 'api', url: 'http://api.shop.example.com', revision: 'api-00001', image: A, ready: true, reason: null })
    fake.scenario.rollout = { kind: 'fail', afterPolls: 0, reason: 'ContainerMissing', message: 'Unable to fetch image' }
    await expect(knative.deploy(planFor(B), SETTINGS, ctx)).rejects.toMatchObject({ code: 'DEPLOY_ROLLOUT_FAILED' })
    const st = await knative.status!('api', SETTINGS, ctx)
    expect(st).toMatchObject({ revision: 'api-00001', image: A, ready: false, reason: expect.stringContaining('ContainerMissing') })
    expect(fake.requests.at(-1)!.path).toBe('/apis/serving.knative.dev/v1/namespaces/shop/revisions/api-00001')
  })

  it('remove: true, then false; no registryAuth (Knative pulls with the cluster pull secrets)', async () => {
    const ctx = tokenCtx()
    await knative.deploy(planFor(A), SETTINGS, ctx)
    expect(await knative.remove!('api', SETTINGS, ctx)).toBe(true)
    expect(fake.services.size).toBe(0)
    expect(await knative.remove!('api', SETTINGS, ctx)).toBe(false)
    expect(await knative.status!('api', SETTINGS, ctx)).toBeNull()
    expect(knative.registryAuth).toBeUndefined()
  })
})
