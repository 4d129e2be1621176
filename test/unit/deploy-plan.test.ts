/** Deploy plans are pure: snapshots of the exact manifests / API bodies, and every warning. */
import { fileURLToPath } from 'node:url'
import { Service as KnativeService } from '@kubernetes-models/knative/serving.knative.dev/v1/Service'
import { describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { loadConfig } from '../../src/core/config/load.js'
import { service as serviceSchema } from '../../src/core/config/schema.js'
import { planCloudRun } from '../../src/core/deploy/providers/cloud-run/index.js'
import { parseDigestRef } from '../../src/core/deploy/image-ref.js'
import { planKnative } from '../../src/core/deploy/providers/knative/index.js'
import { planDeploy } from '../../src/core/deploy/plan.js'
import { loadProvider } from '../../src/core/deploy/registry.js'
import { renderPlans } from '../../src/core/deploy/render.js'
import type { Plan } from '../../src/core/deploy/types.js'

const DIGEST = `sha256:${'ab'.repeat(32)}`
const IMAGE = parseDigestRef(`ghcr.io/acme/api@${DIGEST}`)
const CTX = { project: 'shop', environment: 'prod', service: 'api' }
const KNATIVE = { provider: 'knative', namespace: 'default' } as const
const CLOUD_RUN = { provider: 'cloud-run', project: 'acme', region: 'europe-west1', public: false } as const
const FIXTURE = fileURLToPath(new URL('../fixtures/deploy/sls-run.yaml', import.meta.url))

/** Snapshots are readable YAML files beside the fixture: test/fixtures/deploy/snapshots/<name>.yaml. */
const snapshot = (value: unknown, name: string) => expect(typeof value === 'string' ? value : stringify(value, { lineWidth: 0 })).toMatchFileSnapshot(`../fixtures/deploy/snapshots/${name}.yaml`)

const svc = (raw: Record<string, unknown> = {}) => serviceSchema.parse(raw)

/** Every setting away from its default. */
const EVERYTHING = {
  port: 3000,
  command: 'node server.js --fast',
  env: { B: '2', A: '1' },
  resources: { cpu: 2, memory: '2Gi' },
  scaling: { minInstances: 2, maxInstances: 30, concurrency: 40, idleTimeout: '5m', queueTimeout: '5s' },
  timeout: '120s',
  startupProbe: { type: 'http', path: '/healthz', timeout: '30s' },
  cpuThrottling: true,
}

const manifestOf = (plan: Plan) => (plan.steps[0] as { manifest: Record<string, unknown> }).manifest
const codes = (plan: Plan) => plan.warnings.map((w) => w.code)

function validKnative(manifest: Record<string, unknown>): void {
  new KnativeService(manifest as never).validate() // throws with the failing path
}

describe('image references', () => {
  it('accepts repo@digest and repo:tag@digest (the tag is dropped), with a registry port', async () => {
    expect(parseDigestRef(`ghcr.io/acme/api@${DIGEST}`)).toEqual({ repository: 'ghcr.io/acme/api', digest: DIGEST, ref: `ghcr.io/acme/api@${DIGEST}` })
    expect(parseDigestRef(`localhost:5000/api:v1@${DIGEST}`, 'linux/arm64')).toMatchObject({
      repository: 'localhost:5000/api',
      tag: 'v1',
      platform: 'linux/arm64',
      ref: `localhost:5000/api@${DIGEST}`,
    })
  })
  it('refuses a tag alone and malformed digests, exit 2', async () => {
    expect(() => parseDigestRef('ghcr.io/acme/api:v1')).toThrow(expect.objectContaining({ code: 'DEPLOY_IMAGE_NOT_DIGEST', exitCode: 2 }))
    expect(() => parseDigestRef('ghcr.io/acme/api@sha256:abc')).toThrow(expect.objectContaining({ code: 'DEPLOY_IMAGE_INVALID', exitCode: 2 }))
    expect(() => parseDigestRef(`GHCR.io/Acme@${DIGEST}`)).toThrow(expect.objectContaining({ code: 'DEPLOY_IMAGE_INVALID' }))
  })
})

describe('knative plan', () => {
  it('defaults: a valid serving.knative.dev/v1 Service, no warnings', async () => {
    const plan = planKnative(svc(), IMAGE, KNATIVE, CTX)
    validKnative(manifestOf(plan))
    expect(plan.warnings).toEqual([])
    await snapshot(plan, 'knative-defaults')
  })
  it('every setting', async () => {
    const plan = planKnative(svc({ ...EVERYTHING, envFile: '.env' }), IMAGE, { ...KNATIVE, namespace: 'shop', context: 'kind-dev' }, CTX)
    validKnative(manifestOf(plan))
    expect(codes(plan)).toEqual(['QUEUE_TIMEOUT_UNSUPPORTED', 'KNATIVE_CPU_THROTTLING', 'ENV_FILE_NOT_DEPLOYED'])
    await snapshot(plan, 'knative-everything')
  })
  it('warns: timeout above the default max, scale-down delay above 1h; fractional cpu and odd memory', async () => {
    const plan = planKnative(svc({ timeout: '900s', scaling: { idleTimeout: '2h' }, resources: { cpu: 0.25, memory: '6145Ki' }, command: ['node', 'a.js'] }), IMAGE, KNATIVE, CTX)
    validKnative(manifestOf(plan))
    expect(codes(plan)).toEqual(['KNATIVE_SCALE_DOWN_DELAY_MAX', 'KNATIVE_TIMEOUT_ABOVE_DEFAULT_MAX'])
    await snapshot(plan, 'knative-limits')
  })
  it('schedules: one PingSource each, after the Service (sink: the Service + path)', async () => {
    const schedules = [
      { name: 'nightly', cron: '0 3 * * *', path: '/tasks/nightly', body: '{"full": true}', headers: { 'Content-Type': 'application/json' }, timezone: 'Europe/Paris' },
      { name: 'keep-warm', cron: '*/5 * * * *', path: '/' },
    ]
    const plan = planKnative(svc({ schedules }), IMAGE, { ...KNATIVE, namespace: 'shop' }, CTX)
    validKnative(manifestOf(plan))
    expect(plan.steps.map((s) => s.kind === 'manifest' && `${s.manifest.kind} ${(s.manifest.metadata as { name: string }).name}`)).toEqual([
      'Service api',
      'PingSource api-nightly',
      'PingSource api-keep-warm',
    ])
    await snapshot(plan, 'knative-schedules')
  })
  it('the Knative schema catches a broken manifest (the validator works)', async () => {
    const manifest = manifestOf(planKnative(svc(), IMAGE, KNATIVE, CTX)) as any
    manifest.spec.template.spec.containerConcurrency = 'lots'
    expect(() => validKnative(manifest)).toThrow(/containerConcurrency/)
  })
})

describe('cloud-run plan', () => {
  it('defaults: one PATCH with allowMissing=true, no IAM request, no warnings', async () => {
    const plan = planCloudRun(svc(), IMAGE, CLOUD_RUN, CTX)
    expect(plan.warnings).toEqual([])
    expect(plan.steps.map((s) => s.kind === 'request' && `${s.method} ${s.url}`)).toEqual(['PATCH https://run.googleapis.com/v2/projects/acme/locations/europe-west1/services/api?allowMissing=true'])
    await snapshot(plan, 'cloud-run-defaults')
  })
  it('every setting, public: the IAM request; a non-amd64 image', async () => {
    const plan = planCloudRun(svc({ ...EVERYTHING, envFile: '.env' }), parseDigestRef(IMAGE.ref, 'linux/arm64'), { ...CLOUD_RUN, public: true }, CTX)
    expect(codes(plan)).toEqual(['CLOUD_RUN_PLATFORM', 'IDLE_TIMEOUT_UNSUPPORTED', 'QUEUE_TIMEOUT_UNSUPPORTED', 'ENV_FILE_NOT_DEPLOYED'])
    await snapshot(plan, 'cloud-run-everything')
  })
  it('fits cpu and memory to the allowed combinations', async () => {
    const fit = (resources: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
      const plan = planCloudRun(svc({ resources, ...extra }), IMAGE, CLOUD_RUN, CTX)
      const limits = (plan.steps[0] as any).body.template.containers[0].resources.limits
      return [limits.cpu, limits.memory, ...codes(plan)]
    }
    expect(fit({ cpu: 0.5 })).toEqual(['1', '512Mi', 'CLOUD_RUN_FRACTIONAL_CPU'])
    expect(fit({ cpu: 0.5, memory: '1Gi' }, { cpuThrottling: true, scaling: { concurrency: 1 } })).toEqual(['500m', '1Gi', 'CLOUD_RUN_EXECUTION_ENVIRONMENT'])
    expect(fit({ cpu: 0.25, memory: '1Gi' }, { cpuThrottling: true, scaling: { concurrency: 1 } })).toEqual(['500m', '1Gi', 'CLOUD_RUN_CPU_FOR_MEMORY', 'CLOUD_RUN_EXECUTION_ENVIRONMENT'])
    expect(fit({ cpu: 0.5, memory: '2Gi' }, { cpuThrottling: true, scaling: { concurrency: 1 } })).toEqual(['1', '2Gi', 'CLOUD_RUN_CPU_FOR_MEMORY'])
    expect(fit({ cpu: 3 })).toEqual(['4', '2Gi', 'CLOUD_RUN_CPU_STEP', 'CLOUD_RUN_MEMORY_FOR_CPU'])
    expect(fit({ cpu: 16, memory: '64Gi' })).toEqual(['8', '32Gi', 'CLOUD_RUN_MEMORY_MAX', 'CLOUD_RUN_CPU_STEP'])
    expect(fit({ cpu: 1, memory: '10Gi' })).toEqual(['4', '10Gi', 'CLOUD_RUN_CPU_FOR_MEMORY'])
    expect(fit({ cpu: 1, memory: '64Mi' })).toEqual(['1', '128Mi', 'CLOUD_RUN_MEMORY_MIN', 'CLOUD_RUN_EXECUTION_ENVIRONMENT'])
  })
  it('resources below 1 vCPU or 512Mi ask for the first-generation execution environment, and say so; 1 vCPU / 512Mi leave it to Cloud Run', async () => {
    const generation = (resources: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
      const plan = planCloudRun(svc({ resources, ...extra }), IMAGE, CLOUD_RUN, CTX)
      return [(plan.steps[0] as any).body.template.executionEnvironment, plan.warnings.filter((w) => w.code === 'CLOUD_RUN_EXECUTION_ENVIRONMENT').map((w) => w.setting)]
    }
    expect(generation({ cpu: 0.5, memory: '512Mi' }, { cpuThrottling: true, scaling: { concurrency: 1 } })).toEqual(['EXECUTION_ENVIRONMENT_GEN1', ['resources.cpu']])
    expect(generation({ cpu: 1, memory: '256Mi' })).toEqual(['EXECUTION_ENVIRONMENT_GEN1', ['resources.memory']])
    expect(generation({ cpu: 1, memory: '512Mi' })).toEqual([undefined, []])
  })
  it('schedules: one Cloud Scheduler job each after the IAM request; the service URL is a deploy-time lookup', async () => {
    const schedules = [
      { name: 'nightly', cron: '0 3 * * *', path: '/tasks/nightly', body: '{"full": true}', headers: { 'Content-Type': 'application/json' }, timezone: 'Europe/Paris', retry: { count: 3 } },
      { name: 'keep-warm', cron: '*/5 * * * *', path: '/', method: 'GET' },
    ]
    const plan = planCloudRun(svc({ schedules }), IMAGE, { ...CLOUD_RUN, schedulerServiceAccount: 'scheduler@acme.iam.gserviceaccount.com' }, CTX)
    expect(plan.steps.map((s) => s.kind === 'request' && `${s.method} ${s.url.replace(/\?.*$/, '')}`)).toEqual([
      'PATCH https://run.googleapis.com/v2/projects/acme/locations/europe-west1/services/api',
      'POST https://run.googleapis.com/v2/projects/acme/locations/europe-west1/services/api:setIamPolicy',
      'PATCH https://cloudscheduler.googleapis.com/v1/projects/acme/locations/europe-west1/jobs/api-nightly',
      'PATCH https://cloudscheduler.googleapis.com/v1/projects/acme/locations/europe-west1/jobs/api-keep-warm',
    ])
    await snapshot(plan, 'cloud-run-schedules')
  })
  it("a tcp startup probe mirrors Cloud Run's default (one check for the whole timeout)", async () => {
    const plan = planCloudRun(svc({ startupProbe: { timeout: '60s' } }), IMAGE, CLOUD_RUN, CTX)
    expect((plan.steps[0] as any).body.template.containers[0].startupProbe).toEqual({ tcpSocket: { port: 8080 }, timeoutSeconds: 60, periodSeconds: 60, failureThreshold: 1 })
  })
})

describe('planDeploy (sls-run.yaml with an environment)', () => {
  it('applies the environment overrides and picks the provider', async () => {
    const loaded = await loadConfig({ file: FIXTURE, env: {} })
    const [staging] = await planDeploy(loaded, { environment: 'staging', services: ['api'], images: [IMAGE.ref] })
    expect(staging!.target).toEqual({ context: 'kind-dev', namespace: 'shop' })
    validKnative(manifestOf(staging!))
    const [prod] = await planDeploy(loaded, { environment: 'prod', services: ['api'], images: [IMAGE.ref] })
    expect((prod!.steps[0] as any).body.template).toMatchObject({ scaling: { minInstanceCount: 1, maxInstanceCount: 20 }, maxInstanceRequestConcurrency: 50 })
    expect(prod!.steps).toHaveLength(2) // public: true
    await snapshot(renderPlans([staging!, prod!], 'yaml'), 'plans-from-sls-run-yaml')
  })
  it('assigns images: bare by repository, service=ref, and refuses what is missing', async () => {
    const loaded = await loadConfig({ file: FIXTURE, env: {} })
    const worker = `ghcr.io/acme/worker@${DIGEST}`
    const plans = await planDeploy(loaded, { environment: 'staging', services: [], images: [IMAGE.ref, `worker=${worker}`] })
    expect(plans.map((p) => [p.service, p.image])).toEqual([
      ['api', IMAGE.ref],
      ['worker', worker],
    ])
    await expect(planDeploy(loaded, { environment: 'staging', services: [], images: [IMAGE.ref] })).rejects.toMatchObject({ code: 'DEPLOY_IMAGE_REQUIRED', exitCode: 2 })
    await expect(planDeploy(loaded, { environment: 'staging', services: ['nope'], images: [] })).rejects.toMatchObject({ code: 'UNKNOWN_SERVICE', exitCode: 2 })
    await expect(planDeploy(loaded, { environment: 'nope', services: [], images: [] })).rejects.toMatchObject({ code: 'CONFIG_UNKNOWN_ENV', exitCode: 2 })
    expect((await planDeploy(loaded, { environment: 'azure', services: ['api'], images: [IMAGE.ref] }))[0]!.provider).toBe('azure-container-apps')
  })
  it("warns when --image is not the service's repository", async () => {
    const loaded = await loadConfig({ file: FIXTURE, env: {} })
    const [plan] = await planDeploy(loaded, { environment: 'staging', services: ['worker'], images: [IMAGE.ref] })
    expect(codes(plan!)[0]).toBe('DEPLOY_IMAGE_REPOSITORY')
  })
  it('providers load on demand, each with deploy, status and remove', async () => {
    for (const id of ['knative', 'cloud-run', 'azure-container-apps', 'aws-ecs'] as const) {
      const provider = await loadProvider(id)
      expect(provider.id).toBe(id)
      expect([typeof provider.deploy, typeof provider.status, typeof provider.remove]).toEqual(['function', 'function', 'function'])
    }
  })
  it('asks resolveImages only for the services --image left out, and still refuses what it cannot resolve', async () => {
    const loaded = await loadConfig({ file: FIXTURE, env: {} })
    const asked: string[][] = []
    const resolveImages = async (names: string[]) => {
      asked.push(names)
      return new Map(names.filter((n) => n === 'worker').map((n) => [n, parseDigestRef(`ghcr.io/acme/${n}@sha256:${'b'.repeat(64)}`)] as const))
    }
    const plans = await planDeploy(loaded, { environment: 'staging', services: ['api', 'worker'], images: [`api=${IMAGE.ref}`], resolveImages })
    expect(asked).toEqual([['worker']])
    expect(plans.map((p) => p.image)).toEqual([IMAGE.ref, `ghcr.io/acme/worker@sha256:${'b'.repeat(64)}`])
    await expect(planDeploy(loaded, { environment: 'staging', services: ['api', 'worker'], images: [], resolveImages })).rejects.toMatchObject({
      code: 'DEPLOY_IMAGE_REQUIRED',
      message: expect.stringContaining('api'),
    })
  })
})
