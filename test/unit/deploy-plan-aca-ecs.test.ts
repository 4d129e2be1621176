/** Azure Container Apps and ECS (Fargate and Express Mode) plans: snapshots of the exact API bodies, and every warning. */
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { loadConfig } from '../../src/core/config/load.js'
import { service as serviceSchema } from '../../src/core/config/schema.js'
import { planAwsEcs } from '../../src/core/deploy/providers/aws-ecs/index.js'
import { planAzureContainerApps } from '../../src/core/deploy/providers/azure-container-apps/index.js'
import { parseDigestRef } from '../../src/core/deploy/image-ref.js'
import { planDeploy } from '../../src/core/deploy/plan.js'
import { loadProvider } from '../../src/core/deploy/registry.js'
import type { Plan } from '../../src/core/deploy/types.js'

const DIGEST = `sha256:${'ab'.repeat(32)}`
const IMAGE = parseDigestRef(`ghcr.io/acme/api@${DIGEST}`)
const CTX = { project: 'shop', environment: 'prod', service: 'api' }
const ACA = { provider: 'azure-container-apps', subscription: 'sub-1', resourceGroup: 'rg-shop', environment: 'env-shop' } as const
const ECS = { provider: 'aws-ecs', mode: 'fargate', region: 'eu-west-1', cluster: 'shop' } as const
const EXPRESS = { provider: 'aws-ecs', mode: 'express', region: 'eu-west-1', cluster: 'shop' } as const
const TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/0123456789abcdef'
const FIXTURE = fileURLToPath(new URL('../fixtures/deploy/sls-run.yaml', import.meta.url))
const ECS_FIXTURE = fileURLToPath(new URL('../fixtures/deploy/ecs-sls-run.yaml', import.meta.url))

const snapshot = (value: unknown, name: string) => expect(stringify(value, { lineWidth: 0 })).toMatchFileSnapshot(`../fixtures/deploy/snapshots/${name}.yaml`)
const svc = (raw: Record<string, unknown> = {}) => serviceSchema.parse(raw)
const codes = (plan: Plan) => plan.warnings.map((w) => w.code)
const step = (plan: Plan, i: number) => plan.steps[i] as Extract<Plan['steps'][number], { kind: 'request' }>
const body = (plan: Plan, i: number) => step(plan, i).body as any

/** Every setting away from its default (as in deploy-plan.test.ts), timeout above ACA's 240 s. */
const EVERYTHING = {
  port: 3000,
  command: 'node server.js --fast',
  env: { B: '2', A: '1' },
  envFile: '.env',
  resources: { cpu: 2, memory: '2Gi' },
  scaling: { minInstances: 0, maxInstances: 30, concurrency: 40, idleTimeout: '2m', queueTimeout: '5s' },
  timeout: '600s',
  startupProbe: { type: 'http', path: '/healthz', timeout: '30s' },
  cpuThrottling: true,
}

describe('azure-container-apps plan', () => {
  it('defaults: GET the environment for its location, then one PUT', async () => {
    const plan = planAzureContainerApps(svc(), IMAGE, ACA, CTX)
    expect(plan.steps.map((s) => s.kind === 'request' && `${s.method} ${s.url}`)).toEqual([
      'GET https://management.azure.com/subscriptions/sub-1/resourceGroups/rg-shop/providers/Microsoft.App/managedEnvironments/env-shop?api-version=2024-03-01',
      'PUT https://management.azure.com/subscriptions/sub-1/resourceGroups/rg-shop/providers/Microsoft.App/containerApps/api?api-version=2024-03-01',
    ])
    expect(plan.target.location).toMatch(/^<deploy-time lookup: location of managed environment env-shop>$/)
    // cpu 1 / 512Mi: memory is 2Gi per vCPU; idleTimeout 60s is not ACA's 300s cooldown; timeout 300s > 240s.
    expect(codes(plan)).toEqual(['ACA_MEMORY_FOR_CPU', 'ACA_IDLE_TIMEOUT', 'ACA_TIMEOUT_MAX'])
    const app = body(plan, 1)
    expect(app.properties.configuration).toEqual({
      activeRevisionsMode: 'Single',
      ingress: { external: false, targetPort: 8080, transport: 'auto', allowInsecure: false, traffic: [{ latestRevision: true, weight: 100 }] },
    })
    expect(app.properties.template.scale).toEqual({ minReplicas: 0, maxReplicas: 10, rules: [{ name: 'http', http: { metadata: { concurrentRequests: '80' } } }] })
    // No initialDelaySeconds: the 2024-03-01 spec documents 1–60 for it (0 was out of range).
    expect(app.properties.template.containers[0].probes).toEqual([{ type: 'Startup', tcpSocket: { port: 8080 }, periodSeconds: 24, timeoutSeconds: 10, failureThreshold: 10 }])
    expect(app.properties.template.containers[0].env).toEqual([{ name: 'PORT', value: '8080' }])
    await snapshot(plan, 'aca-defaults')
  })

  it('every setting and every warning; location given, public, a non-amd64 image', async () => {
    const plan = planAzureContainerApps(svc(EVERYTHING), parseDigestRef(IMAGE.ref, 'linux/arm64'), { ...ACA, location: 'westeurope', public: true }, CTX)
    expect(codes(plan)).toEqual(['ACA_PLATFORM', 'ACA_MEMORY_FOR_CPU', 'ACA_IDLE_TIMEOUT', 'QUEUE_TIMEOUT_UNSUPPORTED', 'ACA_TIMEOUT_MAX', 'ACA_CPU_THROTTLING', 'ENV_FILE_NOT_DEPLOYED'])
    expect(plan.steps).toHaveLength(1)
    const app = body(plan, 0)
    expect(app.location).toBe('westeurope')
    // environmentId: 2024-03-01 marks managedEnvironmentId deprecated.
    expect(app.properties.environmentId).toBe('/subscriptions/sub-1/resourceGroups/rg-shop/providers/Microsoft.App/managedEnvironments/env-shop')
    expect(app.properties).not.toHaveProperty('managedEnvironmentId')
    expect(app.properties.configuration.ingress).toMatchObject({ external: true, targetPort: 3000 })
    const container = app.properties.template.containers[0]
    expect(container).toMatchObject({ name: 'api', image: IMAGE.ref, command: ['/bin/sh', '-c', 'node server.js --fast'], resources: { cpu: 2, memory: '4Gi' } })
    expect(container.probes[0]).toEqual({
      type: 'Startup',
      httpGet: { path: '/healthz', port: 3000, scheme: 'HTTP' },
      periodSeconds: 10,
      timeoutSeconds: 10,
      failureThreshold: 3,
    })
    expect(app.properties.template.scale).toMatchObject({ minReplicas: 0, maxReplicas: 30, rules: [{ http: { metadata: { concurrentRequests: '40' } } }] })
    await snapshot(plan, 'aca-everything')
  })

  it('fits cpu to 0.25 steps and memory to 2Gi per vCPU', () => {
    const fit = (resources: Record<string, unknown>) => {
      const plan = planAzureContainerApps(svc({ resources, scaling: { idleTimeout: '300s' }, timeout: '60s' }), IMAGE, { ...ACA, location: 'westeurope' }, CTX)
      const { cpu, memory } = body(plan, plan.steps.length - 1).properties.template.containers[0].resources
      return [cpu, memory, ...codes(plan)]
    }
    expect(fit({ cpu: 0.5, memory: '1Gi' })).toEqual([0.5, '1Gi'])
    expect(fit({ cpu: 0.1, memory: '512Mi' })).toEqual([0.25, '0.5Gi', 'ACA_CPU_STEP'])
    expect(fit({ cpu: 0.6, memory: '1Gi' })).toEqual([0.75, '1.5Gi', 'ACA_CPU_STEP', 'ACA_MEMORY_FOR_CPU'])
    expect(fit({ cpu: 0.5, memory: '3Gi' })).toEqual([1.5, '3Gi', 'ACA_CPU_FOR_MEMORY'])
    // Above 2 vCPU / 4Gi: only a workload profiles environment (ACA_WORKLOAD_PROFILE), checked at deploy.
    expect(fit({ cpu: 2.25, memory: '4.5Gi' })).toEqual([2.25, '4.5Gi', 'ACA_WORKLOAD_PROFILE'])
    expect(fit({ cpu: 8, memory: '16Gi' })).toEqual([4, '8Gi', 'ACA_CPU_STEP', 'ACA_MEMORY_MAX', 'ACA_WORKLOAD_PROFILE'])
    expect(fit({ cpu: 1, memory: '64Gi' })).toEqual([4, '8Gi', 'ACA_MEMORY_MAX', 'ACA_CPU_FOR_MEMORY', 'ACA_WORKLOAD_PROFILE'])
  })
})

describe('aws-ecs plan', () => {
  /** The body of the plan's request for `action` (X-Amz-Target `<prefix>.<action>`). */
  const ecsBody = (plan: Plan, action: string) => (plan.steps.find((s) => s.kind === 'request' && s.headers?.['X-Amz-Target']?.endsWith(`.${action}`)) as { body: any } | undefined)?.body

  it('defaults: log group, task definition, describe, create/update, scalable target; no load balancer', async () => {
    const plan = planAwsEcs(svc(), IMAGE, ECS, CTX)
    expect(plan.steps.map((s) => s.kind === 'request' && `${s.method} ${s.url} ${s.headers?.['X-Amz-Target']}`)).toEqual([
      'POST https://logs.eu-west-1.amazonaws.com/ Logs_20140328.CreateLogGroup',
      'POST https://logs.eu-west-1.amazonaws.com/ Logs_20140328.PutRetentionPolicy',
      'POST https://ecs.eu-west-1.amazonaws.com/ AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition',
      'POST https://ecs.eu-west-1.amazonaws.com/ AmazonEC2ContainerServiceV20141113.DescribeServices',
      'POST https://ecs.eu-west-1.amazonaws.com/ AmazonEC2ContainerServiceV20141113.CreateService',
      'POST https://ecs.eu-west-1.amazonaws.com/ AmazonEC2ContainerServiceV20141113.UpdateService',
      'POST https://application-autoscaling.eu-west-1.amazonaws.com/ AnyScaleFrontendService.RegisterScalableTarget',
    ])
    expect(codes(plan)).toEqual(['ECS_MEMORY_STEP', 'ECS_NO_SCALE_TO_ZERO', 'ECS_NO_REQUEST_SCALING', 'ECS_TIMEOUT_NOT_ENFORCED', 'ECS_STARTUP_PROBE_TCP'])
    expect(ecsBody(plan, 'CreateLogGroup')).toEqual({
      logGroupName: '/sls-run/shop/prod',
      tags: { 'managed-by': 'sls-run', 'sls-run-project': 'shop', 'sls-run-environment': 'prod' },
    })
    expect(ecsBody(plan, 'PutRetentionPolicy')).toEqual({ logGroupName: '/sls-run/shop/prod', retentionInDays: 30 })
    const task = ecsBody(plan, 'RegisterTaskDefinition')
    expect(task).toMatchObject({ family: 'shop-prod-api', networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '1024', memory: '2048' })
    expect(task.containerDefinitions[0].healthCheck).toBeUndefined()
    // The plan made the group: the task does not create it (its execution role could not).
    expect(task.containerDefinitions[0].logConfiguration).toEqual({
      logDriver: 'awslogs',
      options: { 'awslogs-group': '/sls-run/shop/prod', 'awslogs-region': 'eu-west-1', 'awslogs-stream-prefix': 'api' },
    })
    expect(ecsBody(plan, 'CreateService')).toMatchObject({ cluster: 'shop', serviceName: 'api', launchType: 'FARGATE', desiredCount: 1 })
    expect(ecsBody(plan, 'CreateService').loadBalancers).toBeUndefined()
    expect(ecsBody(plan, 'UpdateService')).toMatchObject({ service: 'api', desiredCount: 1 })
    expect(ecsBody(plan, 'RegisterScalableTarget')).toEqual({ ServiceNamespace: 'ecs', ResourceId: 'service/shop/api', ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 1, MaxCapacity: 10 })
    expect(plan.target.subnets).toMatch(/^<deploy-time lookup: default VPC subnets/)
    await snapshot(plan, 'ecs-defaults')
  })

  it('every setting and every warning; a target group: request-count target tracking', async () => {
    const settings = { ...ECS, subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-1'], assignPublicIp: true, targetGroupArn: TG, executionRoleArn: 'arn:aws:iam::123456789012:role/exec' }
    const plan = planAwsEcs(svc({ ...EVERYTHING, resources: { cpu: 3, memory: '40Gi' } }), parseDigestRef(IMAGE.ref, 'linux/s390x'), settings, CTX)
    expect(codes(plan)).toEqual([
      'ECS_PLATFORM',
      'ECS_CPU_STEP',
      'ECS_CPU_FOR_MEMORY',
      'ECS_NO_SCALE_TO_ZERO',
      'ECS_CONCURRENCY',
      'ECS_CPU_THROTTLING',
      'IDLE_TIMEOUT_UNSUPPORTED',
      'QUEUE_TIMEOUT_UNSUPPORTED',
      'ECS_TIMEOUT_NOT_ENFORCED',
      'ECS_HEALTHCHECK_CURL',
      'ENV_FILE_NOT_DEPLOYED',
    ])
    const task = ecsBody(plan, 'RegisterTaskDefinition')
    expect(task).toMatchObject({ cpu: '8192', memory: '40960', executionRoleArn: settings.executionRoleArn })
    expect(task.containerDefinitions[0]).toMatchObject({
      image: IMAGE.ref,
      entryPoint: ['/bin/sh', '-c', 'node server.js --fast'],
      portMappings: [{ containerPort: 3000, protocol: 'tcp' }],
      environment: [
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
        { name: 'PORT', value: '3000' },
      ],
      // Exec form: no shell reads the path.
      healthCheck: { command: ['CMD', 'curl', '-fsS', '-g', '-o', '/dev/null', 'http://localhost:3000/healthz'], interval: 30, timeout: 5, retries: 3, startPeriod: 30 },
      logConfiguration: { logDriver: 'awslogs' },
    })
    const create = ecsBody(plan, 'CreateService')
    expect(create).toMatchObject({
      desiredCount: 1,
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-1'], assignPublicIp: 'ENABLED' } },
      loadBalancers: [{ targetGroupArn: TG, containerName: 'api', containerPort: 3000 }],
      healthCheckGracePeriodSeconds: 30,
    })
    expect(ecsBody(plan, 'UpdateService').desiredCount).toBeUndefined() // left to Application Auto Scaling
    expect(ecsBody(plan, 'RegisterScalableTarget')).toMatchObject({ MinCapacity: 1, MaxCapacity: 30 })
    expect(step(plan, 7).headers?.['X-Amz-Target']).toBe('AnyScaleFrontendService.PutScalingPolicy')
    expect(ecsBody(plan, 'PutScalingPolicy').PolicyName).toBe('api-requests')
    expect(ecsBody(plan, 'PutScalingPolicy').TargetTrackingScalingPolicyConfiguration).toMatchObject({
      TargetValue: 2400,
      PredefinedMetricSpecification: { PredefinedMetricType: 'ALBRequestCountPerTarget', ResourceLabel: expect.stringMatching(/\/targetgroup\/api\/0123456789abcdef$/) },
    })
    await snapshot(plan, 'ecs-everything')
  })

  it('fits cpu and memory to the Fargate combinations', () => {
    const fit = (resources: Record<string, unknown>) => {
      const plan = planAwsEcs(svc({ resources }), IMAGE, ECS, CTX)
      const task = ecsBody(plan, 'RegisterTaskDefinition')
      return [task.cpu, task.memory, ...codes(plan).filter((c) => c.startsWith('ECS_CPU') || c.startsWith('ECS_MEMORY'))]
    }
    expect(fit({ cpu: 0.25, memory: '512Mi' })).toEqual(['256', '512'])
    expect(fit({ cpu: 0.25, memory: '3Gi' })).toEqual(['512', '3072', 'ECS_CPU_FOR_MEMORY'])
    expect(fit({ cpu: 1, memory: '2Gi' })).toEqual(['1024', '2048'])
    expect(fit({ cpu: 2, memory: '4500Mi' })).toEqual(['2048', '5120', 'ECS_MEMORY_STEP'])
    expect(fit({ cpu: 8, memory: '17Gi' })).toEqual(['8192', '20480', 'ECS_MEMORY_STEP'])
    expect(fit({ cpu: 64, memory: '64Gi' })).toEqual(['16384', '65536', 'ECS_CPU_STEP'])
  })

  it('minInstances above 0 is the desired count; arm64 images run on ARM64', () => {
    const plan = planAwsEcs(svc({ scaling: { minInstances: 3, maxInstances: 5 } }), parseDigestRef(IMAGE.ref, 'linux/arm64'), ECS, CTX)
    expect(codes(plan)).not.toContain('ECS_NO_SCALE_TO_ZERO')
    expect(ecsBody(plan, 'RegisterTaskDefinition').runtimePlatform).toEqual({ operatingSystemFamily: 'LINUX', cpuArchitecture: 'ARM64' })
    expect(ecsBody(plan, 'CreateService').desiredCount).toBe(3)
    expect(ecsBody(plan, 'RegisterScalableTarget')).toMatchObject({ MinCapacity: 3, MaxCapacity: 5 })
  })
})

describe('aws-ecs express plan', () => {
  const target = (plan: Plan) => plan.steps.map((s) => s.kind === 'request' && `${s.method} ${s.url} ${s.headers?.['X-Amz-Target']}`)

  it('defaults: describe, create with the full body, update; account lookups; default VPC is public', async () => {
    const plan = planAwsEcs(svc(), IMAGE, EXPRESS, CTX)
    expect(target(plan)).toEqual([
      'POST https://ecs.eu-west-1.amazonaws.com/ AmazonEC2ContainerServiceV20141113.DescribeExpressGatewayService',
      'POST https://ecs.eu-west-1.amazonaws.com/ AmazonEC2ContainerServiceV20141113.CreateExpressGatewayService',
      'POST https://ecs.eu-west-1.amazonaws.com/ AmazonEC2ContainerServiceV20141113.UpdateExpressGatewayService',
    ])
    expect(codes(plan)).toEqual(['ECS_MEMORY_STEP', 'ECS_NO_SCALE_TO_ZERO', 'ECS_CONCURRENCY', 'ECS_TIMEOUT_NOT_ENFORCED', 'ECS_EXPRESS_HEALTH_CHECK_TCP', 'ECS_EXPRESS_PUBLIC'])
    expect(body(plan, 0)).toEqual({ serviceArn: '<deploy-time lookup: arn:aws:ecs:eu-west-1:<account from sts:GetCallerIdentity>:service/shop/api>' })
    expect(body(plan, 1)).toEqual({
      cluster: 'shop',
      serviceName: 'api',
      infrastructureRoleArn: '<deploy-time lookup: arn:aws:iam::<account from sts:GetCallerIdentity>:role/ecsInfrastructureRoleForExpressServices>',
      executionRoleArn: '<deploy-time lookup: arn:aws:iam::<account from sts:GetCallerIdentity>:role/ecsTaskExecutionRole>',
      primaryContainer: { image: IMAGE.ref, containerPort: 8080, environment: [{ name: 'PORT', value: '8080' }] },
      healthCheckPath: '/',
      cpu: '1024',
      memory: '2048',
      cpuArchitecture: 'X86_64',
      scalingTarget: { minTaskCount: 1, maxTaskCount: 10, autoScalingMetric: 'REQUEST_COUNT_PER_TARGET', autoScalingTargetValue: 4800 },
      tags: [
        { key: 'managed-by', value: 'sls-run' },
        { key: 'sls-run-project', value: 'shop' },
        { key: 'sls-run-environment', value: 'prod' },
      ],
    })
    const { cluster: _c, serviceName: _s, infrastructureRoleArn: _i, tags: _t, ...configuration } = body(plan, 1)
    expect(body(plan, 2)).toEqual({ serviceArn: body(plan, 0).serviceArn, ...configuration })
    expect(plan.target).toMatchObject({ mode: 'express', subnets: 'default VPC (chosen by ECS)' })
    await snapshot(plan, 'ecs-express-defaults')
  })

  it('every setting and every warning; roles, subnets and security groups given', async () => {
    const settings = {
      ...EXPRESS,
      subnets: ['subnet-a', 'subnet-b'],
      securityGroups: ['sg-1'],
      assignPublicIp: true,
      targetGroupArn: TG,
      executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      infrastructureRoleArn: 'arn:aws:iam::123456789012:role/infra',
    }
    const plan = planAwsEcs(svc({ ...EVERYTHING, resources: { cpu: 3, memory: '40Gi' } }), parseDigestRef(IMAGE.ref, 'linux/s390x'), settings, CTX)
    expect(codes(plan)).toEqual([
      'ECS_PLATFORM',
      'ECS_CPU_STEP',
      'ECS_CPU_FOR_MEMORY',
      'ECS_NO_SCALE_TO_ZERO',
      'ECS_CONCURRENCY',
      'ECS_CPU_THROTTLING',
      'IDLE_TIMEOUT_UNSUPPORTED',
      'QUEUE_TIMEOUT_UNSUPPORTED',
      'ECS_TIMEOUT_NOT_ENFORCED',
      'ECS_EXPRESS_COMMAND',
      'ECS_EXPRESS_ASSIGN_PUBLIC_IP',
      'ECS_EXPRESS_TARGET_GROUP',
      'ENV_FILE_NOT_DEPLOYED',
    ])
    expect(body(plan, 1)).toMatchObject({
      infrastructureRoleArn: settings.infrastructureRoleArn,
      executionRoleArn: settings.executionRoleArn,
      primaryContainer: {
        image: IMAGE.ref,
        containerPort: 3000,
        command: ['/bin/sh', '-c', 'node server.js --fast'],
        environment: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
          { name: 'PORT', value: '3000' },
        ],
      },
      healthCheckPath: '/healthz',
      cpu: '8192',
      memory: '40960',
      networkConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-1'] },
      scalingTarget: { minTaskCount: 1, maxTaskCount: 30, autoScalingMetric: 'REQUEST_COUNT_PER_TARGET', autoScalingTargetValue: 2400 },
    })
    expect(JSON.stringify(plan.steps)).not.toContain('deploy-time lookup: arn:aws:iam')
    expect(JSON.stringify(plan.steps)).not.toContain(TG)
    await snapshot(plan, 'ecs-express-everything')
  })

  it('minInstances above 0 is minTaskCount; arm64 images run on ARM64', () => {
    const plan = planAwsEcs(svc({ scaling: { minInstances: 3, maxInstances: 5 } }), parseDigestRef(IMAGE.ref, 'linux/arm64'), EXPRESS, CTX)
    expect(codes(plan)).not.toContain('ECS_NO_SCALE_TO_ZERO')
    expect(body(plan, 1)).toMatchObject({ cpuArchitecture: 'ARM64', scalingTarget: { minTaskCount: 3, maxTaskCount: 5 } })
  })

  it('sls-run.yaml: mode defaults to express, mode: fargate keeps the Fargate plan', async () => {
    const loaded = await loadConfig({ file: ECS_FIXTURE, env: {} })
    const [express] = await planDeploy(loaded, { environment: 'aws', services: ['api'], images: [IMAGE.ref] })
    expect(target(express!).map((t) => String(t).split('.').pop())).toEqual(['DescribeExpressGatewayService', 'CreateExpressGatewayService', 'UpdateExpressGatewayService'])
    expect(body(express!, 1)).toMatchObject({ cluster: 'default', primaryContainer: { containerPort: 3000 }, scalingTarget: { maxTaskCount: 20 } })
    const [fargate] = await planDeploy(loaded, { environment: 'aws-fargate', services: ['api'], images: [IMAGE.ref] })
    expect(step(fargate!, 2).headers?.['X-Amz-Target']).toBe('AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition')
  })
})

describe('registry and planDeploy', () => {
  it('loads both adapters; sls-run.yaml environment "azure" plans with the ACA adapter', async () => {
    expect((await loadProvider('azure-container-apps')).id).toBe('azure-container-apps')
    expect((await loadProvider('aws-ecs')).id).toBe('aws-ecs')
    const loaded = await loadConfig({ file: FIXTURE, env: {} })
    const [plan] = await planDeploy(loaded, { environment: 'azure', services: ['api'], images: [IMAGE.ref] })
    expect(plan!.provider).toBe('azure-container-apps')
    expect(body(plan!, 1).properties.template.containers[0]).toMatchObject({
      image: IMAGE.ref,
      env: [
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'PORT', value: '3000' },
      ],
    })
  })
})
