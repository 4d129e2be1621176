/**
 * The ECS adapter in `mode: express` (ECS Express Mode, SDK commands *ExpressGatewayService) against the
 * local AWS fake: SigV4 verified, every body validated against the SDK's published input shapes, the
 * Express service backed by an ECS service whose deployment rolls out over DescribeServices polls.
 */
import { describe, expect, it } from 'vitest'
import { service as serviceSchema } from '../../src/core/config/schema.js'
import awsEcs, { planAwsEcs } from '../../src/core/deploy/providers/aws-ecs/index.js'
import { PLATFORM_DEFAULTED } from '../../src/core/deploy/defaults.js'
import { parseDigestRef } from '../../src/core/deploy/image-ref.js'
import type { Plan, ProviderSettings } from '../../src/core/deploy/types.js'
import { ACCOUNT } from './fakes/aws-ecs-state.js'
import { inputSchema, SDK, validate } from './fakes/aws-shapes.js'
import { failure } from './fakes/server.js'
import { faultCases, KEY, useAwsFake, type FaultCase } from './fakes/aws-harness.js'

const IMAGE_A = parseDigestRef(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api@sha256:${'a1'.repeat(32)}`)
const IMAGE_B = parseDigestRef(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api@sha256:${'b2'.repeat(32)}`)
const PLAN_CTX = { project: 'shop', environment: 'prod', service: 'api' }
/** No mode: express is the default. */
const SETTINGS: ProviderSettings<'aws-ecs'> = { provider: 'aws-ecs', region: 'eu-west-1', cluster: 'shop' }
const SERVICE_ARN = `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/shop/api`

const aws = useAwsFake('sls-run-aws-express-', { scenario: { completeAfter: 2 } })
const ctx = aws.ctx

const svc = (raw: Record<string, unknown> = {}) => serviceSchema.parse({ startupProbe: { type: 'http', path: '/healthz' }, ...raw })
const plan = (image = IMAGE_A, settings = SETTINGS, raw: Record<string, unknown> = {}) => planAwsEcs(svc(raw), image, settings, PLAN_CTX)
const bodyOf = (p: Plan, action: string) => (p.steps.find((s) => s.kind === 'request' && s.headers?.['X-Amz-Target']?.endsWith(`.${action}`)) as { body: unknown }).body

/** The plan's body with the account filled in, as deploy must send it. */
function filled(p: Plan, action: string): unknown {
  return JSON.parse(JSON.stringify(bodyOf(p, action)).replace(/<deploy-time lookup: (arn:aws:[^"<>]*)<account from sts:GetCallerIdentity>([^"<>]*)>/g, `$1${ACCOUNT}$2`))
}
const URL_A = 'https://api-5eed.ecs.eu-west-1.on.aws'

describe('aws-ecs express deploy', () => {
  it('first deploy: STS for the account, Describe → Create with the plan body, ACTIVE after the rollout, the https URL', async () => {
    const p = plan()
    const out = await awsEcs.deploy(p, SETTINGS, ctx())
    expect(out).toEqual({ service: 'api', url: URL_A, revision: 'shop-api:1', unchanged: false, ready: true })
    const ops = aws.fake.requests.map((r) => r.operation)
    expect(ops.slice(0, 3)).toEqual(['GetCallerIdentity', 'DescribeExpressGatewayService', 'CreateExpressGatewayService'])
    expect(ops).not.toContain('UpdateExpressGatewayService')
    expect(ops).not.toContain('RegisterTaskDefinition')
    // Polls: IN_PROGRESS twice, COMPLETED on the third DescribeServices.
    expect(aws.fake.calls('DescribeServices')).toHaveLength(3)
    expect(aws.fake.calls('DescribeExpressGatewayService')).toHaveLength(1 + 3)
    for (const action of ['DescribeExpressGatewayService', 'CreateExpressGatewayService']) expect(aws.fake.calls(action)[0]!.body, action).toEqual(filled(p, action))
    const create = aws.fake.calls('CreateExpressGatewayService')[0]!.body
    expect(create).toMatchObject({
      infrastructureRoleArn: `arn:aws:iam::${ACCOUNT}:role/ecsInfrastructureRoleForExpressServices`,
      executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/ecsTaskExecutionRole`,
      healthCheckPath: '/healthz',
      scalingTarget: { minTaskCount: 1, maxTaskCount: 10, autoScalingMetric: 'REQUEST_COUNT_PER_TARGET', autoScalingTargetValue: 4800 },
    })
    const signing = new Set(aws.fake.requests.map((r) => `${r.accessKeyId} ${r.region} ${r.signingService}`))
    expect([...signing].sort()).toEqual(['AKIDFAKEENV0000000001 eu-west-1 ecs', 'AKIDFAKEENV0000000001 eu-west-1 sts'])
    expect(aws.fake.state.services.get('shop/api')).toMatchObject({ status: 'ACTIVE', launchType: 'FARGATE' })
    expect(aws.events.map((e) => e.message)).toContain('creating Express service api')
  })

  it('same digest and settings again: unchanged, no Update, no second task definition', async () => {
    await awsEcs.deploy(plan(), SETTINGS, ctx())
    const again = await awsEcs.deploy(plan(), SETTINGS, ctx())
    expect(again).toEqual({ service: 'api', url: URL_A, revision: 'shop-api:1', unchanged: true, ready: true })
    expect(aws.fake.calls('UpdateExpressGatewayService')).toHaveLength(0)
    expect(aws.fake.state.families.get('shop-api')).toHaveLength(1)
  })

  it("nothing set in sls-run.yaml: Express's defaults (1 vCPU / 2 GB, 1-20 tasks on average CPU) are sent, valid, then unchanged", async () => {
    const p = planAwsEcs(svc(), IMAGE_A, SETTINGS, { ...PLAN_CTX, unset: PLATFORM_DEFAULTED })
    await awsEcs.deploy(p, SETTINGS, ctx())
    const create = aws.fake.calls('CreateExpressGatewayService')[0]!.body
    expect(create).toEqual(filled(p, 'CreateExpressGatewayService'))
    expect(create).toMatchObject({ cpu: '1024', memory: '2048', scalingTarget: { minTaskCount: 1, maxTaskCount: 20, autoScalingMetric: 'AVERAGE_CPU', autoScalingTargetValue: 60 } })
    expect((await awsEcs.deploy(p, SETTINGS, ctx())).unchanged).toBe(true)
    expect(aws.fake.calls('UpdateExpressGatewayService')).toHaveLength(0)
  })

  it('new digest: UpdateExpressGatewayService with the plan body, waits for the new revision', async () => {
    await awsEcs.deploy(plan(), SETTINGS, ctx())
    const p = plan(IMAGE_B)
    const out = await awsEcs.deploy(p, SETTINGS, ctx())
    expect(out).toMatchObject({ url: URL_A, revision: 'shop-api:2', unchanged: false, ready: true })
    expect(aws.fake.calls('UpdateExpressGatewayService')).toHaveLength(1)
    expect(aws.fake.calls('UpdateExpressGatewayService')[0]!.body).toEqual(filled(p, 'UpdateExpressGatewayService'))
    expect(aws.fake.state.services.get('shop/api')!.taskDefinition).toMatch(/task-definition\/shop-api:2$/)
    expect(await awsEcs.status!('api', SETTINGS, ctx())).toMatchObject({ revision: 'shop-api:2', image: IMAGE_B.ref, ready: true })
  })

  it('same digest, other settings (an env var, more tasks, a dropped command) are changes', async () => {
    await awsEcs.deploy(plan(IMAGE_A, SETTINGS, { command: ['node', 'server.js'] }), SETTINGS, ctx())
    expect(await awsEcs.deploy(plan(IMAGE_A, SETTINGS, { command: ['node', 'server.js'], env: { MODE: 'fast' } }), SETTINGS, ctx())).toMatchObject({ unchanged: false, revision: 'shop-api:2' })
    expect(await awsEcs.deploy(plan(IMAGE_A, SETTINGS, { command: ['node', 'server.js'], env: { MODE: 'fast' }, scaling: { minInstances: 2 } }), SETTINGS, ctx())).toMatchObject({ unchanged: false })
    expect(aws.fake.state.services.get('shop/api')!.desiredCount).toBe(2)
    expect(await awsEcs.deploy(plan(IMAGE_A, SETTINGS, { env: { MODE: 'fast' }, scaling: { minInstances: 2 } }), SETTINGS, ctx())).toMatchObject({ unchanged: false })
    expect(aws.fake.calls('UpdateExpressGatewayService')).toHaveLength(3)
  })

  it('explicit roles, subnets and security groups: sent as given, no defaults looked up for them', async () => {
    const settings = {
      ...SETTINGS,
      subnets: ['subnet-x'],
      securityGroups: ['sg-1'],
      executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/exec`,
      infrastructureRoleArn: `arn:aws:iam::${ACCOUNT}:role/infra`,
    }
    const p = plan(IMAGE_A, settings)
    await awsEcs.deploy(p, settings, ctx())
    expect(aws.fake.calls('CreateExpressGatewayService')[0]!.body).toMatchObject({
      infrastructureRoleArn: settings.infrastructureRoleArn,
      executionRoleArn: settings.executionRoleArn,
      networkConfiguration: { subnets: ['subnet-x'], securityGroups: ['sg-1'] },
    })
    expect(aws.fake.calls('DescribeSubnets')).toHaveLength(0)
    expect((await awsEcs.deploy(p, settings, ctx())).unchanged).toBe(true)
  })

  it('--no-wait returns once ECS accepted the service, with the URL it answered', async () => {
    const out = await awsEcs.deploy(plan(), SETTINGS, ctx(KEY, { wait: false }))
    expect(out).toEqual({ service: 'api', url: URL_A, revision: 'shop-api:1', unchanged: false, ready: false })
    expect(aws.fake.calls('DescribeServices')).toHaveLength(0)
  })
})

describe('aws-ecs express: names and the health check path', () => {
  it('an explicit deployName is the Express service (its ARN too); the rollout is polled under it', async () => {
    const p = plan(IMAGE_A, SETTINGS, { deployName: 'Shop_API-v2' })
    expect(bodyOf(p, 'CreateExpressGatewayService')).toMatchObject({ serviceName: 'Shop_API-v2' })
    expect(bodyOf(p, 'DescribeExpressGatewayService')).toEqual({ serviceArn: '<deploy-time lookup: arn:aws:ecs:eu-west-1:<account from sts:GetCallerIdentity>:service/shop/Shop_API-v2>' })
    expect(bodyOf(p, 'UpdateExpressGatewayService')).toMatchObject(bodyOf(p, 'DescribeExpressGatewayService') as object)
    const out = await awsEcs.deploy(p, SETTINGS, ctx())
    expect(out).toMatchObject({ service: 'api', revision: 'shop-Shop_API-v2:1', unchanged: false, ready: true })
    expect(aws.fake.calls('DescribeExpressGatewayService')[0]!.body).toEqual({ serviceArn: `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/shop/Shop_API-v2` })
    for (const r of aws.fake.calls('DescribeServices')) expect(r.body).toEqual({ cluster: 'shop', services: ['Shop_API-v2'] })
    expect(aws.events.map((e) => e.message)).toContain('creating Express service Shop_API-v2')
    expect((await awsEcs.deploy(p, SETTINGS, ctx())).unchanged).toBe(true)
  })

  it('a deployName ECS refuses → DEPLOY_NAME_INVALID before anything is sent', () => {
    expect(() => planAwsEcs({ ...svc(), deployName: 'shop.api' }, IMAGE_A, SETTINGS, PLAN_CTX)).toThrow(
      expect.objectContaining({ code: 'DEPLOY_NAME_INVALID', message: expect.stringContaining('"shop.api" is not a valid Amazon ECS service name') }),
    )
    expect(aws.fake.requests).toHaveLength(0)
  })

  it("the health check path is the load balancer's healthCheckPath as written (no shell): a query with &, $(…)", async () => {
    for (const path of ['/ready?full=1&deep=1', '/a$(id)']) {
      const p = plan(IMAGE_A, SETTINGS, { startupProbe: { type: 'http', path } })
      expect(bodyOf(p, 'CreateExpressGatewayService')).toMatchObject({ healthCheckPath: path })
      expect(bodyOf(p, 'UpdateExpressGatewayService')).toMatchObject({ healthCheckPath: path })
    }
    const p = plan(IMAGE_A, SETTINGS, { startupProbe: { type: 'http', path: '/ready?full=1&deep=1' } })
    await awsEcs.deploy(p, SETTINGS, ctx())
    expect(aws.fake.calls('CreateExpressGatewayService')[0]!.body).toMatchObject({ healthCheckPath: '/ready?full=1&deep=1' })
  })
})

describe('aws-ecs express failures', () => {
  const cases: FaultCase[] = [
    {
      operation: 'CreateExpressGatewayService',
      type: 'AccessDeniedException',
      status: 400,
      message: 'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecs:CreateExpressGatewayService',
      code: 'DEPLOY_PERMISSION_DENIED',
    },
    {
      operation: 'CreateExpressGatewayService',
      type: 'AccessDeniedException',
      status: 400,
      message: 'not authorized to perform: iam:PassRole on resource ecsInfrastructureRoleForExpressServices',
      code: 'DEPLOY_PERMISSION_DENIED',
    },
    { operation: 'DescribeExpressGatewayService', type: 'ThrottlingException', status: 400, message: 'Rate exceeded', code: 'DEPLOY_QUOTA' },
    { operation: 'CreateExpressGatewayService', type: 'LimitExceededException', status: 400, message: 'Too many services', code: 'DEPLOY_QUOTA' },
    { operation: 'CreateExpressGatewayService', type: 'ConflictException', status: 409, message: 'The service is being updated by another request', code: 'DEPLOY_CONFLICT' },
    { operation: 'CreateExpressGatewayService', type: 'InvalidParameterException', status: 400, message: 'Invalid image', code: 'DEPLOY_API' },
    { operation: 'GetCallerIdentity', type: 'AccessDenied', status: 403, message: 'not authorized', code: 'DEPLOY_PERMISSION_DENIED' },
  ]
  faultCases(aws, cases, () => awsEcs.deploy(plan(), SETTINGS, ctx()))

  it('a conflict on Update → DEPLOY_CONFLICT; a DRAINING service → DEPLOY_CONFLICT before any change', async () => {
    await awsEcs.deploy(plan(), SETTINGS, ctx())
    aws.fake.faults.push({ operation: 'UpdateExpressGatewayService', type: 'ConflictException', status: 409, message: 'An update is already in progress', times: 1 })
    expect((await failure(awsEcs.deploy(plan(IMAGE_B), SETTINGS, ctx()))).code).toBe('DEPLOY_CONFLICT')
    aws.fake.state.express.services.get(SERVICE_ARN)!.statusCode = 'DRAINING'
    const err = await failure(awsEcs.deploy(plan(IMAGE_B), SETTINGS, ctx()))
    expect(err.code).toBe('DEPLOY_CONFLICT')
    expect(err.message).toMatch(/DRAINING/)
    expect(aws.fake.calls('UpdateExpressGatewayService')).toHaveLength(1)
  })

  it('a deployment that fails → DEPLOY_ROLLOUT_FAILED with ECS reason and the stopped task', async () => {
    aws.fake.state.scenario.rollout = 'fail'
    const err = await failure(awsEcs.deploy(plan(), SETTINGS, ctx()))
    expect(err.code).toBe('DEPLOY_ROLLOUT_FAILED')
    expect(err.message).toContain('ECS deployment circuit breaker: tasks failed to start.')
    expect(err.message).toContain('Essential container in task exited')
    const status = await awsEcs.status!('api', SETTINGS, ctx())
    expect(status).toMatchObject({ ready: false, revision: 'shop-api:1', url: URL_A })
    expect(status!.reason).toContain('circuit breaker')
  })

  it('never ready → DEPLOY_TIMEOUT with the last state seen', async () => {
    aws.fake.state.scenario.rollout = 'never'
    const err = await failure(awsEcs.deploy(plan(), SETTINGS, ctx(KEY, { timeoutMs: 150, pollIntervalMs: 20 })))
    expect(err.code).toBe('DEPLOY_TIMEOUT')
    expect(err.message).toMatch(/rollout IN_PROGRESS, 0\/1 tasks running/)
  })

  it('a wrong secret fails the signature check → DEPLOY_AUTH; no credentials → DEPLOY_CREDENTIALS, nothing sent', async () => {
    expect((await failure(awsEcs.deploy(plan(), SETTINGS, ctx({ ...KEY, AWS_SECRET_ACCESS_KEY: 'nope' })))).code).toBe('DEPLOY_AUTH')
    const before = aws.fake.requests.length
    expect((await failure(awsEcs.deploy(plan(), SETTINGS, ctx({})))).code).toBe('DEPLOY_CREDENTIALS')
    expect(aws.fake.requests).toHaveLength(before)
  })
})

describe('aws-ecs express status and remove', () => {
  it('status: null when missing; ready with URL, revision and image after a deploy', async () => {
    expect(await awsEcs.status!('api', SETTINGS, ctx())).toBeNull()
    await awsEcs.deploy(plan(), SETTINGS, ctx())
    expect(await awsEcs.status!('api', SETTINGS, ctx())).toEqual({ service: 'api', url: URL_A, revision: 'shop-api:1', image: IMAGE_A.ref, ready: true, reason: null })
    expect(aws.fake.calls('DescribeExpressGatewayService').at(-1)!.body).toEqual({ serviceArn: SERVICE_ARN })
  })

  it('remove: DeleteExpressGatewayService with the ARN; then status null and remove false', async () => {
    await awsEcs.deploy(plan(), SETTINGS, ctx())
    expect(await awsEcs.remove!('api', SETTINGS, ctx())).toBe(true)
    expect(aws.fake.calls('DeleteExpressGatewayService').map((r) => r.body)).toEqual([{ serviceArn: SERVICE_ARN }])
    expect(await awsEcs.status!('api', SETTINGS, ctx())).toBeNull()
    expect(await awsEcs.remove!('api', SETTINGS, ctx())).toBe(false)
    expect(aws.fake.calls('DeleteExpressGatewayService')).toHaveLength(1)
  })

  it('remove racing another delete: ServiceNotFoundException → false', async () => {
    await awsEcs.deploy(plan(), SETTINGS, ctx())
    aws.fake.faults.push({ operation: 'DeleteExpressGatewayService', type: 'ServiceNotFoundException', status: 400, message: 'Service not found.' })
    expect(await awsEcs.remove!('api', SETTINGS, ctx())).toBe(false)
  })

  it('a redeploy after remove creates the service again', async () => {
    await awsEcs.deploy(plan(), SETTINGS, ctx())
    await awsEcs.remove!('api', SETTINGS, ctx())
    expect(await awsEcs.deploy(plan(), SETTINGS, ctx())).toMatchObject({ unchanged: false, ready: true })
    expect(aws.fake.calls('CreateExpressGatewayService')).toHaveLength(2)
  })
})

describe('the fake validates Express bodies against the SDK input shapes', () => {
  it('every body of plans with every setting matches its operation input shape', () => {
    const settings = { ...SETTINGS, subnets: ['subnet-a'], securityGroups: ['sg-1'], assignPublicIp: true, executionRoleArn: 'arn:aws:iam::1:role/x', infrastructureRoleArn: 'arn:aws:iam::1:role/y' }
    for (const p of [plan(), plan(parseDigestRef(IMAGE_A.ref, 'linux/arm64'), settings, { command: 'node server.js', env: { A: '1' }, startupProbe: { type: 'tcp' } })]) {
      for (const s of p.steps) {
        if (s.kind !== 'request') continue
        const op = s.headers!['X-Amz-Target']!.split('.')[1]!
        expect(validate(SDK.ecs, inputSchema(SDK.ecs, op), s.body), op).toEqual([])
      }
    }
  })

  it('rejects unknown members, bad enum values and missing required members', () => {
    const problems = validate(SDK.ecs, inputSchema(SDK.ecs, 'CreateExpressGatewayService'), {
      infrastructureRoleArn: 'r',
      primaryContainer: { image: 'i', port: 80 },
      scalingTarget: { minTaskCount: 1, autoScalingMetric: 'CONCURRENCY' },
      public: true,
    })
    expect(problems).toEqual([
      '$.primaryContainer.port: unknown member of ExpressGatewayContainer',
      '$.scalingTarget.autoScalingMetric: "CONCURRENCY" is not one of ExpressGatewayServiceScalingMetric (AVERAGE_CPU, AVERAGE_MEMORY, REQUEST_COUNT_PER_TARGET)',
      '$.public: unknown member of CreateExpressGatewayServiceRequest',
    ])
    expect(validate(SDK.ecs, inputSchema(SDK.ecs, 'CreateExpressGatewayService'), {})).toEqual(['$.infrastructureRoleArn: required by CreateExpressGatewayServiceRequest'])
    expect(validate(SDK.ecs, inputSchema(SDK.ecs, 'UpdateExpressGatewayService'), { cpu: 1024 })).toEqual([
      '$.serviceArn: required by UpdateExpressGatewayServiceRequest',
      '$.cpu: expected string, got number 1024',
    ])
  })

  it('answers 400 to a signed Express request with an unknown member', async () => {
    const { SignatureV4 } = await import('@smithy/signature-v4')
    const { Sha256 } = await import('../../src/core/deploy/providers/aws-ecs/query.js')
    const url = new URL(aws.fake.url)
    const body = JSON.stringify({ serviceArn: SERVICE_ARN, primaryContainer: { image: 'i', entryPoint: ['sh'] } })
    const signer = new SignatureV4({ service: 'ecs', region: 'eu-west-1', credentials: { accessKeyId: KEY.AWS_ACCESS_KEY_ID, secretAccessKey: KEY.AWS_SECRET_ACCESS_KEY }, sha256: Sha256 })
    const headers = { host: url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.UpdateExpressGatewayService' }
    const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', query: {}, headers, body })
    const res = await fetch(aws.fake.url, { method: 'POST', headers: signed.headers as Record<string, string>, body })
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({
      __type: 'InvalidParameterException',
      message: 'request does not match the UpdateExpressGatewayService input shape: $.primaryContainer.entryPoint: unknown member of ExpressGatewayContainer',
    })
  })
})
