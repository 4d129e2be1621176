/**
 * Values sls-run.yaml leaves unset reach the platform as the platform's own defaults (sls-run's are sized
 * for `sls-run dev`); values it sets reach it as written, even when they equal sls-run's defaults. The
 * plan lists the defaults it used (`defaults`, and comment lines in the --dry-run YAML).
 */
import { fileURLToPath } from 'node:url'
import { Service as KnativeService } from '@kubernetes-models/knative/serving.knative.dev/v1/Service'
import { describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { loadConfig } from '../../src/core/config/load.js'
import { parseDigestRef } from '../../src/core/deploy/image-ref.js'
import { planDeploy } from '../../src/core/deploy/plan.js'
import { renderPlans } from '../../src/core/deploy/render.js'
import type { Plan } from '../../src/core/deploy/types.js'

const FIXTURE = fileURLToPath(new URL('../fixtures/deploy/defaults-sls-run.yaml', import.meta.url))
const DIGEST = `sha256:${'cd'.repeat(32)}`
const image = (service: string) => parseDigestRef(`ghcr.io/acme/${service}@${DIGEST}`).ref

async function plan(environment: string, service: 'bare' | 'sized'): Promise<Plan> {
  const loaded = await loadConfig({ file: FIXTURE, env: {} })
  const [planned] = await planDeploy(loaded, { environment, services: [service], images: [image(service)] })
  return planned!
}
const request = (p: Plan, i: number) => (p.steps[i] as { body: any }).body
const manifest = (p: Plan) => (p.steps[0] as { manifest: any }).manifest
const codes = (p: Plan) => p.warnings.map((w) => w.code)
const defaulted = (p: Plan) => (p.defaults ?? []).map((d) => d.setting)
const snapshot = (value: unknown, name: string) => expect(stringify(value, { lineWidth: 0 })).toMatchFileSnapshot(`../fixtures/deploy/snapshots/${name}.yaml`)

describe('cloud-run: platform defaults for what sls-run.yaml leaves unset', () => {
  it("a service that sets nothing gets Cloud Run's defaults: 100 instances, request-based billing (cpuIdle), 80, 300s, 1 vCPU / 512Mi", async () => {
    const p = await plan('run', 'bare')
    const template = request(p, 0).template
    expect(template.scaling).toEqual({ minInstanceCount: 0, maxInstanceCount: 100 })
    expect(template.maxInstanceRequestConcurrency).toBe(80)
    expect(template.timeout).toBe('300s')
    expect(template.containers[0].resources).toEqual({ limits: { cpu: '1', memory: '512Mi' }, cpuIdle: true })
    expect(p.warnings).toEqual([])
    expect(defaulted(p)).toEqual(['resources.cpu', 'resources.memory', 'scaling.minInstances', 'scaling.maxInstances', 'scaling.concurrency', 'timeout', 'cpuThrottling'])
    for (const d of p.defaults!) expect(d.source).toMatch(/^https:\/\/cloud\.google\.com\/run\/docs\//)
    await snapshot(p, 'platform-defaults-cloud-run')
  })

  it("values set in sls-run.yaml are kept, even sls-run's dev-sized ones (maxInstances 10, cpuThrottling false)", async () => {
    const p = await plan('run', 'sized')
    const template = request(p, 0).template
    expect(template.scaling).toEqual({ minInstanceCount: 0, maxInstanceCount: 10 })
    expect(template.containers[0].resources.cpuIdle).toBe(false)
    expect(defaulted(p)).toEqual([])
  })

  it('an environment override of null resets a key: unset again, so the platform default applies', async () => {
    const p = await plan('reset', 'sized')
    expect(request(p, 0).template.scaling).toEqual({ minInstanceCount: 0, maxInstanceCount: 100 })
    expect(request(p, 0).template.containers[0].resources.cpuIdle).toBe(true)
    expect(defaulted(p)).toEqual(['scaling.maxInstances', 'cpuThrottling'])
  })
})

describe('knative: unset values are left to the cluster (config-autoscaler, config-defaults)', () => {
  it('sends no scale bounds, concurrency, timeout or resources for a service that sets nothing', async () => {
    const p = await plan('kn', 'bare')
    const m = manifest(p)
    new KnativeService(m).validate()
    expect(m.spec.template.metadata.annotations).toEqual({ 'serving.knative.dev/progress-deadline': '240s' })
    const spec = m.spec.template.spec
    expect(spec.containerConcurrency).toBeUndefined()
    expect(spec.timeoutSeconds).toBeUndefined()
    expect(spec.containers[0].resources).toBeUndefined()
    expect(defaulted(p)).toEqual(['resources.cpu', 'resources.memory', 'scaling.minInstances', 'scaling.maxInstances', 'scaling.concurrency', 'scaling.idleTimeout', 'timeout'])
    for (const d of p.defaults!) expect([d.value, d.source]).toEqual([expect.stringMatching(/^not sent/), expect.stringMatching(/^https:\/\/knative\.dev\/docs\//)])
    await snapshot(p, 'platform-defaults-knative')
  })

  it('sends what the service sets (an idleTimeout written out as 60s too)', async () => {
    const m = manifest(await plan('kn', 'sized'))
    expect(m.spec.template.metadata.annotations['autoscaling.knative.dev/scale-down-delay']).toBe('60s')
    new KnativeService(m).validate()
    expect(m.spec.template.metadata.annotations).toMatchObject({ 'autoscaling.knative.dev/min-scale': '0', 'autoscaling.knative.dev/max-scale': '10', 'autoscaling.knative.dev/target': '80' })
    expect(m.spec.template.spec).toMatchObject({ containerConcurrency: 80, timeoutSeconds: 300 })
    expect(m.spec.template.spec.containers[0].resources).toEqual({ requests: { cpu: '1', memory: '512Mi' }, limits: { cpu: '1', memory: '512Mi' } })
  })
})

describe('azure-container-apps: the default scale rule, no warnings about values nobody set', () => {
  it('0–10 replicas, 10 concurrent requests; memory follows cpu; no idle/timeout/memory warnings', async () => {
    const p = await plan('aca', 'bare')
    const template = request(p, 0).properties.template
    expect(template.scale).toEqual({ minReplicas: 0, maxReplicas: 10, rules: [{ name: 'http', http: { metadata: { concurrentRequests: '10' } } }] })
    expect(template.containers[0].resources).toEqual({ cpu: 1, memory: '2Gi' })
    expect(codes(p)).toEqual([])
    expect(defaulted(p)).toEqual(['resources.memory', 'scaling.minInstances', 'scaling.maxInstances', 'scaling.concurrency', 'scaling.idleTimeout', 'timeout'])
    for (const d of p.defaults!) expect(d.source).toMatch(/^https:\/\/learn\.microsoft\.com\/en-us\/azure\/container-apps\//)
    await snapshot(p, 'platform-defaults-aca')
  })

  it('set values are sent and warned about as before', async () => {
    const p = await plan('aca', 'sized')
    expect(request(p, 0).properties.template.scale.rules[0].http.metadata.concurrentRequests).toBe('80')
    expect(codes(p)).toEqual(['ACA_MEMORY_FOR_CPU', 'ACA_IDLE_TIMEOUT', 'ACA_TIMEOUT_MAX'])
  })
})

describe("aws-ecs: Express Mode's published defaults (fargate mode uses them too)", () => {
  it('express: 1 vCPU / 2 GB, 1–20 tasks scaling on average CPU 60%; no warnings about unset values', async () => {
    const p = await plan('ecs', 'bare')
    const create = request(p, 1)
    expect([create.cpu, create.memory]).toEqual(['1024', '2048'])
    expect(create.scalingTarget).toEqual({ minTaskCount: 1, maxTaskCount: 20, autoScalingMetric: 'AVERAGE_CPU', autoScalingTargetValue: 60 })
    expect(codes(p)).not.toContain('ECS_NO_SCALE_TO_ZERO')
    expect(codes(p)).not.toContain('ECS_CONCURRENCY')
    expect(codes(p)).not.toContain('ECS_TIMEOUT_NOT_ENFORCED')
    expect(defaulted(p)).toEqual(['resources.cpu', 'resources.memory', 'scaling.minInstances', 'scaling.maxInstances', 'scaling.concurrency', 'timeout'])
    await snapshot(p, 'platform-defaults-ecs-express')
  })

  it('express: set values are sent (request-count scaling, 0 becomes 1 with its warning)', async () => {
    const p = await plan('ecs', 'sized')
    expect(request(p, 1).scalingTarget).toEqual({ minTaskCount: 1, maxTaskCount: 10, autoScalingMetric: 'REQUEST_COUNT_PER_TARGET', autoScalingTargetValue: 4800 })
    expect(codes(p)).toEqual(expect.arrayContaining(['ECS_NO_SCALE_TO_ZERO', 'ECS_CONCURRENCY', 'ECS_TIMEOUT_NOT_ENFORCED']))
  })

  it('fargate: a 1 vCPU / 2 GB task, 1–20 tasks', async () => {
    const p = await plan('fargate', 'bare')
    // Steps 0 and 1 create the log group and set its retention (CloudWatch Logs).
    expect([request(p, 2).cpu, request(p, 2).memory]).toEqual(['1024', '2048'])
    expect(request(p, 4).desiredCount).toBe(1)
    expect(request(p, 6)).toMatchObject({ MinCapacity: 1, MaxCapacity: 20 })
    expect(codes(p)).not.toContain('ECS_NO_SCALE_TO_ZERO')
    expect(codes(p)).not.toContain('ECS_TIMEOUT_NOT_ENFORCED')
    expect(defaulted(p)).toEqual(['resources.cpu', 'resources.memory', 'scaling.minInstances', 'scaling.maxInstances', 'timeout'])
  })
})

describe('the plan marks the platform defaults', () => {
  it('--dry-run YAML: a comment line per default; JSON: a defaults list of {setting, value, source}', async () => {
    const p = await plan('run', 'bare')
    const yaml = renderPlans([p], 'yaml')
    expect(yaml).toContain("# not set in sls-run.yaml, so the platform's defaults apply:\n")
    expect(yaml).toContain('#   scaling.maxInstances: 100 — https://cloud.google.com/run/docs/configuring/max-instances\n')
    expect(yaml).toContain('#   cpuThrottling: true')
    const [json] = JSON.parse(renderPlans([p], 'json'))
    expect(json.defaults).toContainEqual({ setting: 'scaling.maxInstances', value: '100', source: 'https://cloud.google.com/run/docs/configuring/max-instances' })
    expect(renderPlans([await plan('run', 'sized')], 'yaml')).not.toContain('not set in sls-run.yaml')
  })

  it('sls-run dev keeps its own defaults: the resolved config is unchanged', async () => {
    const loaded = await loadConfig({ file: FIXTURE, env: {} })
    expect(loaded.config.services.bare!.scaling.maxInstances).toBe(10)
    expect(loaded.config.services.bare!.cpuThrottling).toBe(false)
    expect(loaded.environment('run').config.services.bare!.scaling.maxInstances).toBe(10)
  })
})
