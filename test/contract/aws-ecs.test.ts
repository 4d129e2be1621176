/**
 * The ECS adapter (AWS SDK v3 clients + SigV4 Query and JSON calls) against a local AWS fake that verifies
 * signatures and validates every body against the SDK's published input shapes (CloudWatch Logs: AWS's
 * Smithy model). Also the `mode: fargate` rules of issue 27: names (deployName, ECS's naming rule), the
 * health check's exec form, the log group the plan creates, and schedules refused.
 */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/core/config/load.js'
import { service as serviceSchema } from '../../src/core/config/schema.js'
import awsEcs, { planAwsEcs } from '../../src/core/deploy/providers/aws-ecs/index.js'
import { ECS_FAMILY_RULE, ECS_SERVICE_RULE, SCALING_POLICY_RULE } from '../../src/core/deploy/providers/aws-ecs/names.js'
import { fits } from '../../src/core/deploy/naming.js'
import { PLATFORM_DEFAULTED } from '../../src/core/deploy/defaults.js'
import { parseDigestRef } from '../../src/core/deploy/image-ref.js'
import { planDeploy } from '../../src/core/deploy/plan.js'
import type { Plan, ProviderSettings } from '../../src/core/deploy/types.js'
import { SlsError } from '../../src/errors.js'
import { ACCOUNT } from './fakes/aws-ecs-state.js'
import { inputSchema, SDK, validate } from './fakes/aws-shapes.js'
import { failure } from './fakes/server.js'
import { faultCases, KEY, useAwsFake, type FaultCase } from './fakes/aws-harness.js'
import { inspectAwsJsonTarget } from './published/check.js'

const IMAGE_A = parseDigestRef(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api@sha256:${'a1'.repeat(32)}`)
const IMAGE_B = parseDigestRef(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api@sha256:${'b2'.repeat(32)}`)
const PLAN_CTX = { project: 'shop', environment: 'prod', service: 'api' }
const SETTINGS: ProviderSettings<'aws-ecs'> = { provider: 'aws-ecs', mode: 'fargate', region: 'eu-west-1', cluster: 'shop' }
const TG = `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:targetgroup/api/0123456789abcdef`
const LB = `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:loadbalancer/app/shop-web/50dc6c495c0c9188`

const aws = useAwsFake('sls-run-aws-', { scenario: { completeAfter: 2 } })
const ctx = aws.ctx

const svc = (raw: Record<string, unknown> = {}) => serviceSchema.parse(raw)
const plan = (image = IMAGE_A, settings = SETTINGS, raw: Record<string, unknown> = {}) => planAwsEcs(svc(raw), image, settings, PLAN_CTX)
const bodyOf = (p: Plan, action: string) => (p.steps.find((s) => s.kind === 'request' && s.headers?.['X-Amz-Target']?.endsWith(`.${action}`)) as { body: unknown }).body

/** The plan's body with the lookups the fake answers filled in, as deploy must send it. */
function filled(p: Plan, action: string, lb = 'app/shop-web/50dc6c495c0c9188'): unknown {
  const text = JSON.stringify(bodyOf(p, action))
    .replace(/"<deploy-time lookup: default VPC subnets[^"]*"/g, aws.fake.subnets.map((s) => JSON.stringify(s)).join(','))
    .replace(/<deploy-time lookup: arn:aws:iam::<account from sts:GetCallerIdentity>:role\/ecsTaskExecutionRole>/g, `arn:aws:iam::${ACCOUNT}:role/ecsTaskExecutionRole`)
    .replace(/<deploy-time lookup: app\/<load balancer name>\/<load balancer id>>/g, lb)
  return JSON.parse(text)
}

describe('aws-ecs deploy', () => {
  it('first deploy: signed requests with the plan bodies, CreateService, waits for the rollout', async () => {
    const p = plan()
    const out = await awsEcs.deploy(p, SETTINGS, ctx())
    expect(out).toEqual({ service: 'api', url: null, revision: 'shop-prod-api:1', unchanged: false, ready: true })
    const ops = aws.fake.requests.map((r) => r.operation)
    expect(ops.slice(0, 9)).toEqual([
      'DescribeClusters',
      'DescribeSubnets',
      'CreateLogGroup',
      'PutRetentionPolicy',
      'DescribeServices',
      'DescribeTaskDefinition',
      'RegisterTaskDefinition',
      'CreateService',
      'RegisterScalableTarget',
    ])
    expect(ops).not.toContain('UpdateService')
    // Rollout: IN_PROGRESS for two polls, COMPLETED on the third.
    expect(aws.fake.calls('DescribeServices')).toHaveLength(1 + 3)
    for (const action of ['CreateLogGroup', 'PutRetentionPolicy', 'RegisterTaskDefinition', 'DescribeServices', 'CreateService', 'RegisterScalableTarget']) {
      expect(aws.fake.calls(action)[0]!.body, action).toEqual(filled(p, action))
    }
    // SigV4 from the env keys, scoped to the region and each API's signing name.
    const signing = new Set(aws.fake.requests.map((r) => `${r.accessKeyId} ${r.region} ${r.signingService}`))
    expect([...signing].sort()).toEqual([
      'AKIDFAKEENV0000000001 eu-west-1 application-autoscaling',
      'AKIDFAKEENV0000000001 eu-west-1 ec2',
      'AKIDFAKEENV0000000001 eu-west-1 ecs',
      'AKIDFAKEENV0000000001 eu-west-1 logs',
    ])
    expect(aws.fake.state.logGroups.get('/sls-run/shop/prod')).toEqual({ retentionInDays: 30, tags: { 'managed-by': 'sls-run', 'sls-run-project': 'shop', 'sls-run-environment': 'prod' } })
    expect(aws.fake.state.scalableTargets.get('ecs|service/shop/api|ecs:service:DesiredCount')).toMatchObject({ MinCapacity: 1, MaxCapacity: 10 })
    expect(aws.events.map((e) => e.message)).toContain('creating service api with shop-prod-api:1')
    expect(aws.events.every((e) => e.service === 'api' && e.type === 'progress')).toBe(true)
  })

  it('same digest again: unchanged, no second revision, no UpdateService', async () => {
    await awsEcs.deploy(plan(), SETTINGS, ctx())
    const again = await awsEcs.deploy(plan(), SETTINGS, ctx())
    expect(again).toMatchObject({ revision: 'shop-prod-api:1', unchanged: true, ready: true })
    expect(aws.fake.calls('RegisterTaskDefinition')).toHaveLength(1)
    expect(aws.fake.calls('UpdateService')).toHaveLength(0)
    expect(aws.fake.state.families.get('shop-prod-api')).toHaveLength(1)
  })

  it('nothing set in sls-run.yaml: a 1 vCPU / 2 GB task and 1-20 tasks are sent, valid, then unchanged', async () => {
    const p = planAwsEcs(svc(), IMAGE_A, SETTINGS, { ...PLAN_CTX, unset: PLATFORM_DEFAULTED })
    await awsEcs.deploy(p, SETTINGS, ctx())
    for (const action of ['RegisterTaskDefinition', 'CreateService', 'RegisterScalableTarget']) expect(aws.fake.calls(action)[0]!.body, action).toEqual(filled(p, action))
    expect(aws.fake.calls('RegisterTaskDefinition')[0]!.body).toMatchObject({ cpu: '1024', memory: '2048' })
    expect(aws.fake.state.scalableTargets.get('ecs|service/shop/api|ecs:service:DesiredCount')).toMatchObject({ MinCapacity: 1, MaxCapacity: 20 })
    expect((await awsEcs.deploy(p, SETTINGS, ctx())).unchanged).toBe(true)
  })

  it('new digest: a new revision and UpdateService with the plan body', async () => {
    await awsEcs.deploy(plan(), SETTINGS, ctx())
    const p = plan(IMAGE_B)
    const out = await awsEcs.deploy(p, SETTINGS, ctx())
    expect(out).toMatchObject({ revision: 'shop-prod-api:2', unchanged: false, ready: true })
    expect(aws.fake.calls('RegisterTaskDefinition')).toHaveLength(2)
    expect(aws.fake.calls('RegisterTaskDefinition')[1]!.body).toEqual(filled(p, 'RegisterTaskDefinition'))
    expect(aws.fake.calls('UpdateService')).toHaveLength(1)
    expect(aws.fake.calls('UpdateService')[0]!.body).toEqual(filled(p, 'UpdateService'))
    expect(aws.fake.state.services.get('shop/api')!.taskDefinition).toMatch(/task-definition\/shop-prod-api:2$/)
  })

  it('same digest, other settings: an added env var or a dropped command (entryPoint) make a new revision', async () => {
    await awsEcs.deploy(plan(), SETTINGS, ctx())
    const out = await awsEcs.deploy(plan(IMAGE_A, SETTINGS, { env: { MODE: 'fast' }, command: ['node', 'server.js'] }), SETTINGS, ctx())
    expect(out).toMatchObject({ revision: 'shop-prod-api:2', unchanged: false })
    const withoutCommand = await awsEcs.deploy(plan(IMAGE_A, SETTINGS, { env: { MODE: 'fast' } }), SETTINGS, ctx())
    expect(withoutCommand).toMatchObject({ revision: 'shop-prod-api:3', unchanged: false })
    expect((aws.fake.calls('RegisterTaskDefinition')[2]!.body as { containerDefinitions: Array<Record<string, unknown>> }).containerDefinitions[0]).not.toHaveProperty('entryPoint')
  })

  it('same task definition, other service settings (more tasks): UpdateService without a new revision', async () => {
    await awsEcs.deploy(plan(), SETTINGS, ctx())
    const p = plan(IMAGE_A, SETTINGS, { scaling: { minInstances: 2 } })
    const out = await awsEcs.deploy(p, SETTINGS, ctx())
    expect(out).toMatchObject({ revision: 'shop-prod-api:1', unchanged: false, ready: true })
    expect(aws.fake.calls('RegisterTaskDefinition')).toHaveLength(1)
    expect(aws.fake.calls('UpdateService')[0]!.body).toEqual(filled(p, 'UpdateService'))
    expect(aws.fake.state.services.get('shop/api')!.desiredCount).toBe(2)
    expect(aws.fake.calls('RegisterScalableTarget').at(-1)!.body).toMatchObject({ MinCapacity: 2 })
  })

  it('--no-wait returns once ECS accepted the service', async () => {
    const out = await awsEcs.deploy(plan(), SETTINGS, ctx(KEY, { wait: false }))
    expect(out).toMatchObject({ ready: false, revision: 'shop-prod-api:1' })
    expect(aws.fake.calls('DescribeServices')).toHaveLength(1)
  })

  it('target group: ResourceLabel and URL from the load balancer, request-count policy, explicit subnets', async () => {
    aws.fake.targetGroups.set(TG, { loadBalancerArn: LB, dnsName: 'shop-web-1234.eu-west-1.elb.amazonaws.com', protocols: ['HTTP', 'HTTPS'] })
    const settings = { ...SETTINGS, targetGroupArn: TG, subnets: ['subnet-x'], securityGroups: ['sg-1'], executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/exec` }
    const p = plan(IMAGE_A, settings, { startupProbe: { type: 'http', path: '/healthz' } })
    const out = await awsEcs.deploy(p, settings, ctx())
    expect(out.url).toBe('https://shop-web-1234.eu-west-1.elb.amazonaws.com')
    expect(aws.fake.calls('DescribeSubnets')).toHaveLength(0)
    expect(aws.fake.calls('DescribeClusters')).toHaveLength(0)
    const policy = aws.fake.calls('PutScalingPolicy')[0]!.body as { TargetTrackingScalingPolicyConfiguration: { PredefinedMetricSpecification: { ResourceLabel: string } } }
    expect(policy).toEqual(filled(p, 'PutScalingPolicy'))
    expect(policy.TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.ResourceLabel).toBe('app/shop-web/50dc6c495c0c9188/targetgroup/api/0123456789abcdef')
    expect(aws.fake.calls('CreateService')[0]!.body).toEqual(filled(p, 'CreateService'))
    const again = await awsEcs.deploy(p, settings, ctx())
    expect(again.unchanged).toBe(true)
  })
})

describe('aws-ecs failures', () => {
  const cases: FaultCase[] = [
    {
      operation: 'RegisterTaskDefinition',
      type: 'AccessDeniedException',
      status: 400,
      message: 'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecs:RegisterTaskDefinition',
      code: 'DEPLOY_PERMISSION_DENIED',
    },
    { operation: 'DescribeServices', type: 'AccessDeniedException', status: 403, message: 'not authorized to perform: ecs:DescribeServices', code: 'DEPLOY_PERMISSION_DENIED' },
    { operation: 'CreateService', type: 'ThrottlingException', status: 400, message: 'Rate exceeded', code: 'DEPLOY_QUOTA' },
    { operation: 'RegisterScalableTarget', type: 'LimitExceededException', status: 400, message: 'Maximum number of scalable targets reached', code: 'DEPLOY_QUOTA' },
    { operation: 'CreateService', type: 'ConflictException', status: 409, message: 'The service is being updated by another request', code: 'DEPLOY_CONFLICT' },
    { operation: 'RegisterTaskDefinition', type: 'ClientException', status: 400, message: 'Invalid setting for container', code: 'DEPLOY_API' },
    { operation: 'DescribeServices', type: 'ClusterNotFoundException', status: 400, message: 'Cluster not found.', code: 'DEPLOY_NOT_FOUND' },
    {
      operation: 'CreateLogGroup',
      type: 'AccessDeniedException',
      status: 400,
      message: 'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: logs:CreateLogGroup',
      code: 'DEPLOY_PERMISSION_DENIED',
    },
    { operation: 'PutRetentionPolicy', type: 'OperationAbortedException', status: 400, message: 'Multiple concurrent requests to update the same resource were in conflict.', code: 'DEPLOY_CONFLICT' },
    { operation: 'CreateLogGroup', type: 'LimitExceededException', status: 400, message: 'Resource limit exceeded.', code: 'DEPLOY_QUOTA' },
  ]
  faultCases(aws, cases, () => awsEcs.deploy(plan(), SETTINGS, ctx()))

  it('an unknown access key → DEPLOY_AUTH; a wrong secret fails the signature check → DEPLOY_AUTH', async () => {
    const unknown = await failure(awsEcs.deploy(plan(), SETTINGS, ctx({ AWS_ACCESS_KEY_ID: 'AKIDNOTKNOWN', AWS_SECRET_ACCESS_KEY: 'x' })))
    expect(unknown.code).toBe('DEPLOY_AUTH')
    expect(unknown.message).toMatch(/security token included in the request is invalid/)
    const wrong = await failure(awsEcs.deploy(plan(), SETTINGS, ctx({ ...KEY, AWS_SECRET_ACCESS_KEY: 'not-the-secret' })))
    expect(wrong.code).toBe('DEPLOY_AUTH')
    expect(wrong.message).toMatch(/signature we calculated does not match/)
  })

  it('a missing cluster → DEPLOY_NOT_FOUND before anything is registered', async () => {
    const err = await failure(awsEcs.deploy(plan(IMAGE_A, { ...SETTINGS, cluster: 'nope' }), { ...SETTINGS, cluster: 'nope' }, ctx()))
    expect(err.code).toBe('DEPLOY_NOT_FOUND')
    expect(err.message).toMatch(/cluster nope not found/)
    expect(aws.fake.calls('RegisterTaskDefinition')).toHaveLength(0)
  })

  it('rollout FAILED → DEPLOY_ROLLOUT_FAILED with the circuit breaker reason and the stopped task reason', async () => {
    aws.fake.state.scenario.rollout = 'fail'
    const err = await failure(awsEcs.deploy(plan(), SETTINGS, ctx()))
    expect(err.code).toBe('DEPLOY_ROLLOUT_FAILED')
    expect(err.message).toContain('ECS deployment circuit breaker: tasks failed to start.')
    expect(err.message).toContain('Essential container in task exited')
    expect(err.message).toContain('exit code 1')
    expect(aws.fake.calls('ListTasks')[0]!.body).toEqual({ cluster: 'shop', serviceName: 'api', desiredStatus: 'STOPPED' })
  })

  it('a rollout that never completes → DEPLOY_TIMEOUT with the last state seen', async () => {
    aws.fake.state.scenario.rollout = 'never'
    const err = await failure(awsEcs.deploy(plan(), SETTINGS, ctx(KEY, { timeoutMs: 150, pollIntervalMs: 20 })))
    expect(err.code).toBe('DEPLOY_TIMEOUT')
    expect(err.message).toMatch(/rollout IN_PROGRESS, 0\/1 tasks running/)
  })

  it('no credentials anywhere → DEPLOY_CREDENTIALS (exit 3), nothing sent', async () => {
    const err = await failure(awsEcs.deploy(plan(), SETTINGS, ctx({})))
    expect(err.code).toBe('DEPLOY_CREDENTIALS')
    expect(err.exitCode).toBe(3)
    expect(aws.fake.requests).toHaveLength(0)
  })

  it('an unknown profile → DEPLOY_CREDENTIALS naming it', async () => {
    const err = await failure(awsEcs.deploy(plan(), SETTINGS, ctx({ AWS_PROFILE: 'missing' })))
    expect(err.code).toBe('DEPLOY_CREDENTIALS')
    expect(err.message).toMatch(/profile missing/)
  })
})

describe('aws-ecs credentials', () => {
  it('a profile in the shared credentials file (AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE)', async () => {
    const dir = aws.tempDir()
    const file = path.join(dir, 'credentials')
    writeFileSync(file, '[deploy]\naws_access_key_id = AKIDFAKEPROFILE00001\naws_secret_access_key = profile-secret\n')
    aws.fake.secrets.AKIDFAKEPROFILE00001 = 'profile-secret'
    await awsEcs.deploy(plan(), SETTINGS, ctx({ AWS_PROFILE: 'deploy', AWS_SHARED_CREDENTIALS_FILE: file, AWS_CONFIG_FILE: path.join(dir, 'config') }))
    expect(new Set(aws.fake.requests.map((r) => r.accessKeyId))).toEqual(new Set(['AKIDFAKEPROFILE00001']))
  })

  it('web identity (CI OIDC): STS AssumeRoleWithWebIdentity with the token file, then temporary keys + session token', async () => {
    const tokenFile = path.join(aws.tempDir(), 'token')
    writeFileSync(tokenFile, aws.fake.webIdentityToken)
    await awsEcs.deploy(plan(), SETTINGS, ctx({ AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/deploy`, AWS_ROLE_SESSION_NAME: 'ci-run-7' }))
    const sts = aws.fake.calls('AssumeRoleWithWebIdentity')
    expect(sts).toHaveLength(1)
    expect(sts[0]!.body).toMatchObject({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/deploy`, RoleSessionName: 'ci-run-7', WebIdentityToken: aws.fake.webIdentityToken })
    const signed = aws.fake.requests.filter((r) => r.api !== 'sts')
    expect(signed.length).toBeGreaterThan(3)
    for (const r of signed) {
      expect(r.accessKeyId).toMatch(/^ASIAFAKEWEB/)
      expect(r.sessionToken).toBe(aws.fake.sessionTokens[r.accessKeyId!])
    }
  })
})

describe('aws-ecs endpoints', () => {
  /** A port nothing listens on. */
  async function deadUrl(): Promise<string> {
    const { createServer } = await import('node:net')
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    await new Promise<void>((resolve) => server.close(() => resolve()))
    return `http://127.0.0.1:${port}`
  }

  it('AWS_ENDPOINT_URL_<SERVICE> wins over AWS_ENDPOINT_URL (ECS, APPLICATION_AUTO_SCALING, EC2, ECR, CLOUDWATCH_LOGS)', async () => {
    const env = {
      ...KEY,
      AWS_ENDPOINT_URL: await deadUrl(),
      AWS_ENDPOINT_URL_ECS: aws.fake.url,
      AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING: aws.fake.url,
      AWS_ENDPOINT_URL_EC2: aws.fake.url,
      AWS_ENDPOINT_URL_ECR: aws.fake.url,
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: aws.fake.url,
    }
    expect(await awsEcs.deploy(plan(), SETTINGS, ctx(env))).toMatchObject({ ready: true, revision: 'shop-prod-api:1' })
    expect(await awsEcs.registryAuth!(`${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`, SETTINGS, ctx(env))).toMatchObject({ username: 'AWS' })
  })

  it('an endpoint that does not answer → DEPLOY_UNREACHABLE naming it', async () => {
    const dead = await deadUrl()
    const err = await failure(awsEcs.status!('api', SETTINGS, ctx({ ...KEY, AWS_ENDPOINT_URL: dead })))
    expect(err.code).toBe('DEPLOY_UNREACHABLE')
    expect(err.message).toContain(dead)
    const query = await failure(awsEcs.deploy(plan(), SETTINGS, ctx({ ...KEY, AWS_ENDPOINT_URL_EC2: dead })))
    expect(query.code).toBe('DEPLOY_UNREACHABLE')
    const logs = await failure(awsEcs.deploy(plan(), SETTINGS, ctx({ ...KEY, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: dead })))
    expect(logs.code).toBe('DEPLOY_UNREACHABLE')
    expect(logs.message).toContain(`CloudWatch Logs API did not answer POST ${dead}`)
  })
})

describe('aws-ecs status and remove', () => {
  it('status: null when missing; ready with revision and image after a deploy', async () => {
    expect(await awsEcs.status!('api', SETTINGS, ctx())).toBeNull()
    await awsEcs.deploy(plan(), SETTINGS, ctx())
    expect(await awsEcs.status!('api', SETTINGS, ctx())).toEqual({ service: 'api', url: null, revision: 'shop-prod-api:1', image: IMAGE_A.ref, ready: true, reason: null })
  })

  it('status of a failed rollout: not ready, with the reason', async () => {
    aws.fake.state.scenario.rollout = 'fail'
    await failure(awsEcs.deploy(plan(), SETTINGS, ctx()))
    const status = await awsEcs.status!('api', SETTINGS, ctx())
    expect(status).toMatchObject({ ready: false, revision: 'shop-prod-api:1' })
    expect(status!.reason).toContain('circuit breaker')
    expect(status!.reason).toContain('Essential container in task exited')
  })

  it('remove: scalable target deregistered, scaled to 0, deleted (force); then false', async () => {
    await awsEcs.deploy(plan(), SETTINGS, ctx())
    expect(await awsEcs.remove!('api', SETTINGS, ctx())).toBe(true)
    expect(aws.fake.calls('DeregisterScalableTarget')[0]!.body).toEqual({ ServiceNamespace: 'ecs', ResourceId: 'service/shop/api', ScalableDimension: 'ecs:service:DesiredCount' })
    expect(aws.fake.calls('UpdateService').at(-1)!.body).toEqual({ cluster: 'shop', service: 'api', desiredCount: 0 })
    expect(aws.fake.calls('DeleteService')[0]!.body).toEqual({ cluster: 'shop', service: 'api', force: true })
    expect(aws.fake.state.scalableTargets.size).toBe(0)
    expect(await awsEcs.status!('api', SETTINGS, ctx())).toBeNull()
    expect(await awsEcs.remove!('api', SETTINGS, ctx())).toBe(false)
  })
})

describe('aws-ecs registryAuth', () => {
  it('ECR: GetAuthorizationToken in the registry region → AWS + password', async () => {
    const creds = await awsEcs.registryAuth!(`${ACCOUNT}.dkr.ecr.us-east-2.amazonaws.com`, SETTINGS, ctx())
    expect(creds).toEqual({ registry: `${ACCOUNT}.dkr.ecr.us-east-2.amazonaws.com`, username: 'AWS', password: aws.fake.state.ecrPassword })
    const call = aws.fake.calls('GetAuthorizationToken')[0]!
    expect(call).toMatchObject({ region: 'us-east-2', signingService: 'ecr', accessKeyId: KEY.AWS_ACCESS_KEY_ID, body: {} })
  })

  it('other registries: null, nothing sent', async () => {
    expect(await awsEcs.registryAuth!('ghcr.io', SETTINGS, ctx())).toBeNull()
    expect(await awsEcs.registryAuth!('public.ecr.aws', SETTINGS, ctx())).toBeNull()
    expect(aws.fake.requests).toHaveLength(0)
  })

  it('ECR access denied → DEPLOY_PERMISSION_DENIED', async () => {
    aws.fake.faults.push({ operation: 'GetAuthorizationToken', type: 'AccessDeniedException', status: 400, message: 'not authorized to perform: ecr:GetAuthorizationToken' })
    const err = await failure(awsEcs.registryAuth!(`${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`, SETTINGS, ctx()))
    expect(err.code).toBe('DEPLOY_PERMISSION_DENIED')
    expect(err.message).toContain('ecr:GetAuthorizationToken')
  })
})

describe('the fake validates against the SDK input shapes', () => {
  it('every body of a plan with every setting matches its operation input shape', () => {
    const settings = { ...SETTINGS, targetGroupArn: TG, subnets: ['subnet-a'], securityGroups: ['sg-1'], assignPublicIp: true, executionRoleArn: 'arn:aws:iam::1:role/x' }
    const p = plan(IMAGE_A, settings, { command: ['node', 'server.js'], env: { A: '1' }, startupProbe: { type: 'http', path: '/healthz' } })
    for (const s of p.steps) {
      if (s.kind !== 'request') continue
      const [prefix, op] = s.headers!['X-Amz-Target']!.split('.') as [string, string]
      // No SDK client for CloudWatch Logs: its bodies are checked against AWS's model (as the fake does).
      if (prefix === 'Logs_20140328') {
        expect(inspectAwsJsonTarget(`${prefix}.${op}`, s.body).problems, op).toEqual([])
        continue
      }
      const sdk = prefix === 'AnyScaleFrontendService' ? SDK.autoscaling : SDK.ecs
      expect(validate(sdk, inputSchema(sdk, op), s.body), op).toEqual([])
    }
  })

  it('rejects unknown members, wrong types, bad enum values and missing required members', () => {
    const schema = inputSchema(SDK.ecs, 'RegisterTaskDefinition')
    const problems = validate(SDK.ecs, schema, {
      family: 'f',
      containerDefinitions: [{ name: 'c', image: 'i', bogus: true, portMappings: [{ containerPort: '80', protocol: 'sctp' }] }],
      networkMode: 'awsvpc',
    })
    expect(problems).toEqual([
      '$.containerDefinitions[0].bogus: unknown member of ContainerDefinition',
      '$.containerDefinitions[0].portMappings[0].containerPort: expected number, got string "80"',
      '$.containerDefinitions[0].portMappings[0].protocol: "sctp" is not one of TransportProtocol (tcp, udp)',
    ])
    expect(validate(SDK.ecs, inputSchema(SDK.ecs, 'CreateService'), { cluster: 'x' })).toEqual(['$.serviceName: required by CreateServiceRequest'])
  })

  it('answers 400 to a signed request with an unknown member (the SDK would drop it, so send it raw)', async () => {
    const { SignatureV4 } = await import('@smithy/signature-v4')
    const { Sha256 } = await import('../../src/core/deploy/providers/aws-ecs/query.js')
    const url = new URL(aws.fake.url)
    const body = JSON.stringify({ cluster: 'shop', services: ['api'], surprise: 1 })
    const signer = new SignatureV4({ service: 'ecs', region: 'eu-west-1', credentials: { accessKeyId: KEY.AWS_ACCESS_KEY_ID, secretAccessKey: KEY.AWS_SECRET_ACCESS_KEY }, sha256: Sha256 })
    const headers = { host: url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.DescribeServices' }
    const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', query: {}, headers, body })
    const res = await fetch(aws.fake.url, { method: 'POST', headers: signed.headers as Record<string, string>, body })
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ __type: 'InvalidParameterException', message: 'request does not match the DescribeServices input shape: $.surprise: unknown member of DescribeServicesRequest' })
  })
})

const codeOf = (run: () => unknown): SlsError => {
  try {
    run()
  } catch (err) {
    if (err instanceof SlsError) return err
    throw err
  }
  throw new Error('expected an SlsError')
}

describe('aws-ecs names: ECS rule, deployName', () => {
  it("ECS's rule: up to 255 letters, digits, hyphens and underscores (service and family); policies up to 256 printable characters", () => {
    for (const rule of [ECS_SERVICE_RULE, ECS_FAMILY_RULE]) {
      expect(fits('Shop_API-v2', rule)).toBe(true)
      expect(fits('a'.repeat(255), rule)).toBe(true)
      expect(fits('a'.repeat(256), rule)).toBe(false)
      for (const bad of ['api.v2', 'api v2', 'api/v2', 'api:1', '']) expect(fits(bad, rule), bad).toBe(false)
    }
    expect(fits(`${'a'.repeat(247)}-requests`, SCALING_POLICY_RULE)).toBe(true)
    expect(fits(`${'a'.repeat(248)}-requests`, SCALING_POLICY_RULE)).toBe(false)
  })

  it('an explicit deployName is the ECS service, the family, the stream prefix, the scalable target and the policy; deploy and rollout use it', async () => {
    aws.fake.targetGroups.set(TG, { loadBalancerArn: LB, dnsName: 'shop-web-1234.eu-west-1.elb.amazonaws.com', protocols: ['HTTPS'] })
    const settings = { ...SETTINGS, targetGroupArn: TG }
    const p = plan(IMAGE_A, settings, { deployName: 'Shop_API-v2' })
    expect(p.warnings.map((w) => w.code)).not.toContain('DEPLOY_NAME_DERIVED')
    expect(bodyOf(p, 'RegisterTaskDefinition')).toMatchObject({
      family: 'shop-prod-Shop_API-v2',
      containerDefinitions: [{ name: 'api', logConfiguration: { options: { 'awslogs-stream-prefix': 'Shop_API-v2' } } }],
    })
    expect(bodyOf(p, 'DescribeServices')).toEqual({ cluster: 'shop', services: ['Shop_API-v2'] })
    expect(bodyOf(p, 'CreateService')).toMatchObject({ serviceName: 'Shop_API-v2', taskDefinition: 'shop-prod-Shop_API-v2', loadBalancers: [{ containerName: 'api' }] })
    expect(bodyOf(p, 'UpdateService')).toMatchObject({ service: 'Shop_API-v2' })
    expect(bodyOf(p, 'RegisterScalableTarget')).toMatchObject({ ResourceId: 'service/shop/Shop_API-v2' })
    expect(bodyOf(p, 'PutScalingPolicy')).toMatchObject({ PolicyName: 'Shop_API-v2-requests', ResourceId: 'service/shop/Shop_API-v2' })
    const out = await awsEcs.deploy(p, settings, ctx())
    expect(out).toMatchObject({ service: 'api', revision: 'shop-prod-Shop_API-v2:1', ready: true })
    expect(aws.fake.state.services.get('shop/Shop_API-v2')).toMatchObject({ status: 'ACTIVE', desiredCount: 1 })
    expect(aws.fake.state.services.has('shop/api')).toBe(false)
    // The rollout was polled under the ECS name.
    for (const r of aws.fake.calls('DescribeServices')) expect(r.body).toEqual({ cluster: 'shop', services: ['Shop_API-v2'] })
    expect(aws.events.map((e) => e.message)).toContain('creating service Shop_API-v2 with shop-prod-Shop_API-v2:1')
    expect(aws.events.every((e) => e.service === 'api')).toBe(true)
  })

  it.each(['api.v2', 'api v2', 'a'.repeat(256)])('a deployName ECS refuses (%j) → DEPLOY_NAME_INVALID, in both modes, before anything is sent', (deployName) => {
    for (const settings of [SETTINGS, { ...SETTINGS, mode: 'express' as const }]) {
      const err = codeOf(() => planAwsEcs({ ...svc(), deployName }, IMAGE_A, settings, PLAN_CTX))
      expect(err.code).toBe('DEPLOY_NAME_INVALID')
      expect(err.message).toContain(`services.api.deployName: "${deployName}" is not a valid Amazon ECS service name (up to 255 letters, digits, hyphens and underscores)`)
      expect(err.hints.join(' ')).toContain('https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html')
    }
    expect(aws.fake.requests).toHaveLength(0)
  })

  it('a long deployName fits as the service; the family and the policy built from it are derived (stable, with a warning)', () => {
    const deployName = `svc_${'x'.repeat(246)}`
    const p = plan(IMAGE_A, { ...SETTINGS, targetGroupArn: TG }, { deployName })
    expect(bodyOf(p, 'CreateService')).toMatchObject({ serviceName: deployName })
    const family = (bodyOf(p, 'RegisterTaskDefinition') as { family: string }).family
    const policy = (bodyOf(p, 'PutScalingPolicy') as { PolicyName: string }).PolicyName
    expect(fits(family, ECS_FAMILY_RULE)).toBe(true)
    expect(family).toMatch(/^shop-prod-svc_x+-[0-9a-f]{6}$/)
    expect(fits(policy, SCALING_POLICY_RULE)).toBe(true)
    expect(policy.length).toBeLessThanOrEqual(256)
    expect(p.warnings.filter((w) => w.code === 'DEPLOY_NAME_DERIVED').map((w) => w.setting)).toEqual(['deployName', 'deployName'])
    expect((bodyOf(plan(IMAGE_B, { ...SETTINGS, targetGroupArn: TG }, { deployName }), 'RegisterTaskDefinition') as { family: string }).family).toBe(family)
  })

  it('deployName per environment in sls-run.yaml (environments.<env>.services.<svc>.deployName) reaches the plan', async () => {
    const dir = aws.tempDir()
    const file = path.join(dir, 'sls-run.yaml')
    writeFileSync(
      file,
      [
        'name: shop',
        'services:',
        '  api:',
        '    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api',
        'environments:',
        '  prod:',
        '    provider: aws-ecs',
        '    mode: fargate',
        '    region: eu-west-1',
        '    cluster: shop',
        '    services:',
        '      api: { deployName: shop_api }',
        '',
      ].join('\n'),
    )
    const loaded = await loadConfig({ file, env: {} })
    const [p] = await planDeploy(loaded, { environment: 'prod', services: ['api'], images: [IMAGE_A.ref] })
    expect(bodyOf(p!, 'CreateService')).toMatchObject({ serviceName: 'shop_api', taskDefinition: 'shop-prod-shop_api' })
  })
})

describe('aws-ecs health check: exec form, no shell', () => {
  const command = (path: string) => {
    const task = bodyOf(plan(IMAGE_A, SETTINGS, { startupProbe: { type: 'http', path } }), 'RegisterTaskDefinition') as { containerDefinitions: Array<{ healthCheck: { command: string[] } }> }
    return task.containerDefinitions[0]!.healthCheck.command
  }

  it('a query with & is one argument of curl, run without a shell (CMD, not CMD-SHELL)', async () => {
    expect(command('/ready?full=1&deep=1')).toEqual(['CMD', 'curl', '-fsS', '-g', '-o', '/dev/null', 'http://localhost:8080/ready?full=1&deep=1'])
    const p = plan(IMAGE_A, SETTINGS, { startupProbe: { type: 'http', path: '/ready?full=1&deep=1' } })
    await awsEcs.deploy(p, SETTINGS, ctx())
    expect(aws.fake.calls('RegisterTaskDefinition')[0]!.body).toEqual(filled(p, 'RegisterTaskDefinition'))
    // ECS keeps the command as sent: the same plan again is the same revision.
    expect((await awsEcs.deploy(p, SETTINGS, ctx())).unchanged).toBe(true)
  })

  it('$(…), ; and the other sub-delims are legal URL characters: verbatim in the one URL argument', () => {
    for (const path of ['/a$(id)', "/a;b=c,d'e!(f)*+", '/x?y=$HOME&z=1|2']) {
      if (!serviceSchema.safeParse({ startupProbe: { type: 'http', path } }).success) continue
      const cmd = command(path)
      expect(cmd.slice(0, -1)).toEqual(['CMD', 'curl', '-fsS', '-g', '-o', '/dev/null'])
      expect(cmd.at(-1)).toBe(`http://localhost:8080${path}`)
    }
    expect(command('/a$(id)')).not.toContain('CMD-SHELL')
  })

  it('a path with a space, a quote or a backtick is refused by the config (CONFIG_INVALID), so it never reaches a plan', async () => {
    const dir = aws.tempDir()
    for (const path of ['/x;rm -rf /', '/x"y', '/`id`']) {
      const file = `${dir}/sls-run.yaml`
      writeFileSync(file, `name: shop\nservices:\n  api:\n    image: ghcr.io/acme/api\n    startupProbe: { type: http, path: ${JSON.stringify(path)} }\n`)
      const err = await loadConfig({ file, env: {} }).then(
        () => undefined,
        (e: unknown) => e as SlsError,
      )
      expect(err, path).toBeInstanceOf(SlsError)
      expect(err!.code).toBe('CONFIG_INVALID')
      const diagnostics = (err!.details as { diagnostics: Array<{ path?: string; message: string }> }).diagnostics
      expect(diagnostics.map((d) => `${d.path}: ${d.message}`).join('\n'), path).toMatch(/services\.api\.startupProbe\.path: .*URL path/)
    }
  })
})

describe('aws-ecs log group: created by the plan, not by the task', () => {
  it('the task definition does not ask tasks to create the group; the plan creates it (tags) and sets its retention', () => {
    const p = plan()
    const task = bodyOf(p, 'RegisterTaskDefinition') as { containerDefinitions: Array<{ logConfiguration: { options: Record<string, string> } }> }
    expect(task.containerDefinitions[0]!.logConfiguration.options).not.toHaveProperty('awslogs-create-group')
    const order = p.steps.map((s) => (s.kind === 'request' ? s.headers?.['X-Amz-Target']?.split('.')[1] : s.kind))
    expect(order.indexOf('CreateLogGroup')).toBeLessThan(order.indexOf('RegisterTaskDefinition'))
    expect(bodyOf(p, 'PutRetentionPolicy')).toEqual({ logGroupName: '/sls-run/shop/prod', retentionInDays: 30 })
    expect(bodyOf(plan(IMAGE_A, { ...SETTINGS, logRetentionDays: 365 }), 'PutRetentionPolicy')).toEqual({ logGroupName: '/sls-run/shop/prod', retentionInDays: 365 })
  })

  it('re-deploys: ResourceAlreadyExistsException is no failure, the retention is set again', async () => {
    await awsEcs.deploy(plan(), SETTINGS, ctx())
    aws.events.length = 0
    const settings = { ...SETTINGS, logRetentionDays: 90 as const }
    const again = await awsEcs.deploy(plan(IMAGE_A, settings), settings, ctx())
    // The log group's retention is no part of the service: the same revision keeps running.
    expect(again).toMatchObject({ unchanged: true, ready: true })
    expect(aws.fake.calls('CreateLogGroup')).toHaveLength(2)
    expect(aws.fake.calls('PutRetentionPolicy').map((r) => r.body.retentionInDays)).toEqual([30, 90])
    expect(aws.fake.state.logGroups.get('/sls-run/shop/prod')!.retentionInDays).toBe(90)
    expect(aws.events.map((e) => e.message)).toContain('log group /sls-run/shop/prod already exists, logs kept 90 days')
  })

  it('what the plan no longer does fails with the default execution role: awslogs-create-group without the group stops the tasks', async () => {
    // The old plan: no CreateLogGroup step, the task asked to create the group (the fake's execution roles
    // have AmazonECSTaskExecutionRolePolicy only, like ecsTaskExecutionRole).
    const p = plan()
    const old: Plan = { ...p, steps: p.steps.filter((s) => !(s.kind === 'request' && s.headers?.['X-Amz-Target']?.startsWith('Logs_'))) }
    const task = bodyOf(old, 'RegisterTaskDefinition') as { containerDefinitions: Array<{ logConfiguration: { options: Record<string, string> } }> }
    task.containerDefinitions[0]!.logConfiguration.options['awslogs-create-group'] = 'true'
    const err = await failure(awsEcs.deploy(old, SETTINGS, ctx()))
    expect(err.code).toBe('DEPLOY_ROLLOUT_FAILED')
    expect(err.message).toContain('not authorized to perform: logs:CreateLogGroup')
    // The plan as it is now starts its tasks.
    expect(await awsEcs.deploy(plan(IMAGE_B), SETTINGS, ctx())).toMatchObject({ ready: true })
  })

  it('the fake refuses a Logs body that breaks the CloudWatch Logs model', async () => {
    const { SignatureV4 } = await import('@smithy/signature-v4')
    const { Sha256 } = await import('../../src/core/deploy/providers/aws-ecs/query.js')
    const url = new URL(aws.fake.url)
    const body = JSON.stringify({ logGroupName: '/sls-run/shop/prod', retentionInDays: '30', retention: 30 })
    const signer = new SignatureV4({ service: 'logs', region: 'eu-west-1', credentials: { accessKeyId: KEY.AWS_ACCESS_KEY_ID, secretAccessKey: KEY.AWS_SECRET_ACCESS_KEY }, sha256: Sha256 })
    const headers = { host: url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Logs_20140328.PutRetentionPolicy' }
    const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', query: {}, headers, body })
    const res = await fetch(aws.fake.url, { method: 'POST', headers: signed.headers as Record<string, string>, body })
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({
      __type: 'InvalidParameterException',
      message: 'request does not match the PutRetentionPolicy input shape: retention: unknown member (not in PutRetentionPolicyRequest); retentionInDays: must be of type integer (got "30")',
    })
  })
})

describe('aws-ecs schedules: refused before anything is sent', () => {
  const schedules = [
    { name: 'nightly', cron: '0 3 * * *', path: '/tasks/nightly', body: '{}' },
    { name: 'hourly', cron: '@hourly', path: '/tasks/hourly', method: 'GET' },
  ]

  it('DEPLOY_SCHEDULE_UNSUPPORTED (exit 2) naming each schedule and why, with a hint, in both modes', () => {
    for (const settings of [SETTINGS, { ...SETTINGS, mode: 'express' as const }]) {
      const err = codeOf(() => plan(IMAGE_A, settings, { schedules }))
      expect(err.code).toBe('DEPLOY_SCHEDULE_UNSUPPORTED')
      expect(err.exitCode).toBe(2)
      expect(err.message).toContain('services.api.schedules: AWS ECS cannot deploy these schedules: nightly ("0 3 * * *": POST /tasks/nightly), hourly ("@hourly": GET /tasks/hourly)')
      expect(err.message).toContain('cannot send an HTTP request to a service')
      expect(err.hints[0]).toContain('environments.prod.services.api.schedules: []')
      expect(err.hints[0]).toContain('ECS RunTask')
    }
    expect(aws.fake.requests).toHaveLength(0)
  })

  it('sls-run.yaml: the deploy stops at the plan; an environment that leaves the schedules out plans as before', async () => {
    const dir = aws.tempDir()
    const file = path.join(dir, 'sls-run.yaml')
    const config = (override: string) =>
      [
        'name: shop',
        'services:',
        '  api:',
        '    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api',
        '    schedules:',
        '      - { name: nightly, cron: "0 3 * * *", path: /tasks/nightly }',
        'environments:',
        '  prod:',
        '    provider: aws-ecs',
        '    region: eu-west-1',
        override,
        '',
      ].join('\n')
    writeFileSync(file, config(''))
    const refused = await planDeploy(await loadConfig({ file, env: {} }), { environment: 'prod', services: ['api'], images: [IMAGE_A.ref] }).then(
      () => undefined,
      (e: unknown) => e as SlsError,
    )
    expect(refused?.code).toBe('DEPLOY_SCHEDULE_UNSUPPORTED')
    expect(refused?.message).toContain('nightly')
    writeFileSync(file, config('    services:\n      api: { schedules: [] }'))
    const [p] = await planDeploy(await loadConfig({ file, env: {} }), { environment: 'prod', services: ['api'], images: [IMAGE_A.ref] })
    expect(p!.steps.map((s) => (s.kind === 'request' ? s.headers?.['X-Amz-Target']?.split('.')[1] : s.kind))).toEqual([
      'DescribeExpressGatewayService',
      'CreateExpressGatewayService',
      'UpdateExpressGatewayService',
    ])
  })
})
