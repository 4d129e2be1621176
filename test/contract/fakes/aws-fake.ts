/**
 * A local AWS on 127.0.0.1 (port 0) for the ECS adapter's contract tests. One HTTP server speaks:
 *
 * - awsJson1_1 (POST /, X-Amz-Target) for ECS (AmazonEC2ContainerServiceV20141113.*), Application Auto
 *   Scaling (AnyScaleFrontendService.*) and ECR (AmazonEC2ContainerRegistry_V20150921.*): every body is
 *   validated against the operation's input shape from the installed SDK (./aws-shapes.ts); errors are
 *   `{__type, message}` with the status AWS uses; CloudWatch Logs (Logs_20140328.CreateLogGroup,
 *   .PutRetentionPolicy) the same way, validated against AWS's Smithy model of CloudWatch Logs
 *   (../published/aws/cloudwatch-logs.extract.json, through ../published/check.ts: sls-run has no SDK client for it);
 * - the Query protocol (form POST, XML answers) for EC2 DescribeSubnets, ELBv2 DescribeTargetGroups /
 *   DescribeLoadBalancers / DescribeListeners, STS GetCallerIdentity (parameters checked against a hand
 *   list from the API references: sls-run has no SDK client for them) and STS AssumeRoleWithWebIdentity
 *   (unsigned). ECS Express Mode operations are ECS JSON operations like the others.
 *
 * Every signed request is verified (./aws-sigv4.ts): known access key, the expected region and signing
 * service in the scope, the signature itself, and the session token of temporary credentials.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { inspectAws } from '../published/check.js'
import { inputSchema, SDK, validate } from './aws-shapes.js'
import { ACCOUNT, AwsFault, FakeAwsState, type Scenario } from './aws-ecs-state.js'
import { verifySigV4 } from './aws-sigv4.js'

export interface Fault {
  operation: string
  type: string
  status: number
  message: string
  /** How many calls fail (default: all). */
  times?: number
}

export interface SeenRequest {
  api: 'ecs' | 'autoscaling' | 'ecr' | 'logs' | 'ec2' | 'elbv2' | 'sts'
  operation: string
  body: Record<string, unknown>
  accessKeyId?: string
  region?: string
  signingService?: string
  sessionToken?: string
}

export interface AwsFake {
  url: string
  state: FakeAwsState
  requests: SeenRequest[]
  faults: Fault[]
  /** Access key id → secret; temporary keys also need their session token. */
  secrets: Record<string, string>
  sessionTokens: Record<string, string>
  /** What STS AssumeRoleWithWebIdentity accepts as WebIdentityToken. */
  webIdentityToken: string
  subnets: string[]
  /** ELBv2: target group ARN → load balancer ARN (and its DNS name, listener protocols). */
  targetGroups: Map<string, { loadBalancerArn: string; dnsName: string; protocols: string[] }>
  calls(operation: string): SeenRequest[]
  close(): Promise<void>
}

const JSON_APIS: Record<string, { api: 'ecs' | 'autoscaling' | 'ecr' | 'logs'; signingName: string; invalid: string }> = {
  AmazonEC2ContainerServiceV20141113: { api: 'ecs', signingName: 'ecs', invalid: 'InvalidParameterException' },
  AnyScaleFrontendService: { api: 'autoscaling', signingName: 'application-autoscaling', invalid: 'ValidationException' },
  AmazonEC2ContainerRegistry_V20150921: { api: 'ecr', signingName: 'ecr', invalid: 'InvalidParameterException' },
  Logs_20140328: { api: 'logs', signingName: 'logs', invalid: 'InvalidParameterException' },
}
/** The CloudWatch Logs operations the fake answers (the ones the kept model extract has). */
const LOGS_OPERATIONS = new Set(['CreateLogGroup', 'PutRetentionPolicy'])

/** Problems of a body against its operation's input: the SDK's shapes, or for CloudWatch Logs the Smithy model; undefined for an unknown operation. */
function inputProblems(api: 'ecs' | 'autoscaling' | 'ecr' | 'logs', prefix: string, operation: string, body: unknown): string[] | undefined {
  if (api === 'logs') return LOGS_OPERATIONS.has(operation) ? inspectAws(prefix, operation, body).problems : undefined
  const schema = inputSchema(SDK[api], operation)
  return schema ? validate(SDK[api], schema, body) : undefined
}

/** Query parameters each action accepts (from the EC2 / ELBv2 / STS API references); `*` ends a prefix. */
const QUERY: Record<string, { api: 'ec2' | 'elbv2' | 'sts'; version: string; params: string[]; required: string[] }> = {
  DescribeSubnets: { api: 'ec2', version: '2016-11-15', params: ['Filter.*', 'SubnetId.*', 'DryRun', 'MaxResults', 'NextToken'], required: [] },
  DescribeTargetGroups: { api: 'elbv2', version: '2015-12-01', params: ['TargetGroupArns.member.*', 'Names.member.*', 'LoadBalancerArn', 'Marker', 'PageSize'], required: [] },
  DescribeLoadBalancers: { api: 'elbv2', version: '2015-12-01', params: ['LoadBalancerArns.member.*', 'Names.member.*', 'Marker', 'PageSize'], required: [] },
  DescribeListeners: { api: 'elbv2', version: '2015-12-01', params: ['LoadBalancerArn', 'ListenerArns.member.*', 'Marker', 'PageSize'], required: [] },
  AssumeRoleWithWebIdentity: {
    api: 'sts',
    version: '2011-06-15',
    params: ['RoleArn', 'RoleSessionName', 'WebIdentityToken', 'ProviderId', 'PolicyArns.member.*', 'Policy', 'DurationSeconds'],
    required: ['RoleArn', 'RoleSessionName', 'WebIdentityToken'],
  },
  GetCallerIdentity: { api: 'sts', version: '2011-06-15', params: [], required: [] },
}
const SIGNING: Record<string, string> = { ec2: 'ec2', elbv2: 'elasticloadbalancing', sts: 'sts' }
/** The one unsigned action (it is how unsigned callers get credentials). */
const UNSIGNED = new Set(['AssumeRoleWithWebIdentity'])

const xmlEscape = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`)

export async function startAwsFake(options: { region?: string; scenario?: Partial<Scenario> } = {}): Promise<AwsFake> {
  const region = options.region ?? 'eu-west-1'
  const state = new FakeAwsState(region, { completeAfter: 2, rollout: 'complete', ...options.scenario })
  const fake: Omit<AwsFake, 'url' | 'close'> = {
    state,
    requests: [],
    faults: [],
    secrets: { AKIDFAKEENV0000000001: 'env-secret' },
    sessionTokens: {},
    webIdentityToken: 'oidc-token-from-ci',
    subnets: ['subnet-0aaa', 'subnet-0bbb'],
    targetGroups: new Map(),
    calls: (operation) => fake.requests.filter((r) => r.operation === operation),
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const raw = Buffer.concat(chunks)
    const target = String(req.headers['x-amz-target'] ?? '')
    if (target) return json(req, res, target, raw)
    return query(req, res, raw)
  }

  const sendJson = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `req-${Math.random().toString(16).slice(2)}` })
    res.end(JSON.stringify(body))
  }
  const jsonError = (res: ServerResponse, status: number, type: string, message: string) => sendJson(res, status, { __type: type, message })

  const checkSigned = (req: IncomingMessage, raw: Buffer, service: string, wantRegion: string | null) => {
    const verdict = verifySigV4(req, raw, fake.secrets)
    if (!verdict.ok) return verdict
    const s = verdict.signed
    if ((wantRegion !== null && s.region !== wantRegion) || s.service !== service) {
      return {
        ok: false as const,
        type: 'InvalidSignatureException',
        status: 403,
        message: `Credential should be scoped to a valid region and service: ${s.region}/${s.service}, not ${wantRegion}/${service}`,
      }
    }
    const token = fake.sessionTokens[s.accessKeyId]
    if (token !== undefined && token !== s.sessionToken)
      return { ok: false as const, type: 'UnrecognizedClientException', status: 400, message: 'The security token included in the request is invalid.' }
    return verdict
  }

  const takeFault = (operation: string): Fault | undefined => {
    const f = fake.faults.find((x) => x.operation === operation && (x.times === undefined || x.times > 0))
    if (f && f.times !== undefined) f.times -= 1
    return f
  }

  const json = (req: IncomingMessage, res: ServerResponse, target: string, raw: Buffer) => {
    const [prefix, operation = ''] = target.split('.')
    const api = JSON_APIS[prefix!]
    if (!api || req.method !== 'POST') return jsonError(res, 400, 'UnknownOperationException', `unknown target ${target}`)
    if (!/application\/x-amz-json-1\.1/.test(String(req.headers['content-type']))) return jsonError(res, 400, 'SerializationException', 'expected application/x-amz-json-1.1')
    // ECR tokens are asked for in the registry's own region (recorded, checked by the test); the rest in the fake's.
    const verdict = checkSigned(req, raw, api.signingName, api.api === 'ecr' ? null : region)
    if (!verdict.ok) return jsonError(res, verdict.status, verdict.type, verdict.message)
    let body: Record<string, unknown>
    try {
      body = raw.length ? JSON.parse(raw.toString('utf8')) : {}
    } catch {
      return jsonError(res, 400, 'SerializationException', 'body is not JSON')
    }
    fake.requests.push({
      api: api.api,
      operation,
      body,
      accessKeyId: verdict.signed.accessKeyId,
      region: verdict.signed.region,
      signingService: verdict.signed.service,
      sessionToken: verdict.signed.sessionToken,
    })
    const problems = inputProblems(api.api, prefix!, operation, body)
    if (!problems) return jsonError(res, 400, 'UnknownOperationException', `${prefix} has no operation ${operation}`)
    if (problems.length) return jsonError(res, 400, api.invalid, `request does not match the ${operation} input shape: ${problems.join('; ')}`)
    const fault = takeFault(operation)
    if (fault) return jsonError(res, fault.status, fault.type, fault.message)
    try {
      const out =
        api.api === 'ecs' ? state.ecs(operation, body) : api.api === 'autoscaling' ? state.autoscaling(operation, body) : api.api === 'logs' ? state.logs(operation, body) : state.ecr(operation)
      sendJson(res, 200, out)
    } catch (err) {
      if (err instanceof AwsFault) return jsonError(res, err.status, err.type, err.message)
      throw err
    }
  }

  const sendXml = (res: ServerResponse, status: number, xml: string) => {
    res.writeHead(status, { 'content-type': 'text/xml' })
    res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`)
  }
  const xmlError = (res: ServerResponse, status: number, code: string, message: string) =>
    sendXml(res, status, `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>req-1</RequestId></ErrorResponse>`)

  const query = (req: IncomingMessage, res: ServerResponse, raw: Buffer) => {
    if (req.method !== 'POST' || !/application\/x-www-form-urlencoded/.test(String(req.headers['content-type']))) return xmlError(res, 400, 'InvalidAction', 'expected a form POST')
    const params = new URLSearchParams(raw.toString('utf8'))
    const action = params.get('Action') ?? ''
    const spec = QUERY[action]
    if (!spec) return xmlError(res, 400, 'InvalidAction', `The action ${action} is not valid for this web service.`)
    let signed: { accessKeyId?: string; region?: string; signingService?: string; sessionToken?: string } = {}
    if (!UNSIGNED.has(action)) {
      const verdict = checkSigned(req, raw, SIGNING[spec.api]!, region)
      if (!verdict.ok) return xmlError(res, verdict.status, verdict.type === 'InvalidSignatureException' ? 'SignatureDoesNotMatch' : 'AuthFailure', verdict.message)
      signed = { accessKeyId: verdict.signed.accessKeyId, region: verdict.signed.region, signingService: verdict.signed.service, sessionToken: verdict.signed.sessionToken }
    }
    const body = Object.fromEntries(params)
    fake.requests.push({ api: spec.api, operation: action, body, ...signed })
    if (params.get('Version') !== spec.version) return xmlError(res, 400, 'InvalidParameterValue', `Version must be ${spec.version}`)
    const allowed = (k: string) => k === 'Action' || k === 'Version' || spec.params.some((p) => (p.endsWith('*') ? k.startsWith(p.slice(0, -1)) : k === p))
    const unknown = [...params.keys()].filter((k) => !allowed(k))
    if (unknown.length) return xmlError(res, 400, 'InvalidParameterCombination', `unknown parameter(s) ${unknown.join(', ')} for ${action}`)
    const missing = spec.required.filter((k) => !params.get(k))
    if (missing.length) return xmlError(res, 400, 'MissingParameter', `${action} needs ${missing.join(', ')}`)
    const fault = takeFault(action)
    if (fault) return xmlError(res, fault.status, fault.type, fault.message)
    switch (action) {
      case 'DescribeSubnets': {
        const defaultOnly = params.get('Filter.1.Name') === 'default-for-az' && params.get('Filter.1.Value.1') === 'true'
        const items = (defaultOnly ? fake.subnets : [...fake.subnets, 'subnet-0private']).map(
          (id) => `<item><subnetId>${id}</subnetId><defaultForAz>${defaultOnly}</defaultForAz><vpcId>vpc-1</vpcId></item>`,
        )
        return sendXml(res, 200, `<DescribeSubnetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><subnetSet>${items.join('')}</subnetSet></DescribeSubnetsResponse>`)
      }
      case 'DescribeTargetGroups': {
        const arn = params.get('TargetGroupArns.member.1') ?? ''
        const tg = fake.targetGroups.get(arn)
        if (!tg) return xmlError(res, 400, 'TargetGroupNotFound', `One or more target groups not found`)
        const lbs = tg.loadBalancerArn ? `<member>${tg.loadBalancerArn}</member>` : ''
        return sendXml(
          res,
          200,
          `<DescribeTargetGroupsResponse><DescribeTargetGroupsResult><TargetGroups><member><TargetGroupArn>${arn}</TargetGroupArn><Protocol>HTTP</Protocol><LoadBalancerArns>${lbs}</LoadBalancerArns></member></TargetGroups></DescribeTargetGroupsResult></DescribeTargetGroupsResponse>`,
        )
      }
      case 'DescribeLoadBalancers': {
        const arn = params.get('LoadBalancerArns.member.1') ?? ''
        const tg = [...fake.targetGroups.values()].find((t) => t.loadBalancerArn === arn)
        if (!tg) return xmlError(res, 400, 'LoadBalancerNotFound', 'One or more load balancers not found')
        return sendXml(
          res,
          200,
          `<DescribeLoadBalancersResponse><DescribeLoadBalancersResult><LoadBalancers><member><LoadBalancerArn>${arn}</LoadBalancerArn><DNSName>${tg.dnsName}</DNSName><Type>application</Type></member></LoadBalancers></DescribeLoadBalancersResult></DescribeLoadBalancersResponse>`,
        )
      }
      case 'DescribeListeners': {
        const tg = [...fake.targetGroups.values()].find((t) => t.loadBalancerArn === params.get('LoadBalancerArn'))
        const members = (tg?.protocols ?? []).map((p, i) => `<member><ListenerArn>l-${i}</ListenerArn><Protocol>${p}</Protocol><Port>${p === 'HTTPS' ? 443 : 80}</Port></member>`)
        return sendXml(res, 200, `<DescribeListenersResponse><DescribeListenersResult><Listeners>${members.join('')}</Listeners></DescribeListenersResult></DescribeListenersResponse>`)
      }
      case 'GetCallerIdentity': {
        const user = `arn:aws:iam::${ACCOUNT}:user/${signed.accessKeyId === 'AKIDFAKEENV0000000001' ? 'ci' : 'other'}`
        return sendXml(
          res,
          200,
          `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${user}</Arn><UserId>AIDAFAKE</UserId><Account>${ACCOUNT}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
        )
      }
      case 'AssumeRoleWithWebIdentity': {
        if (params.get('WebIdentityToken') !== fake.webIdentityToken) return xmlError(res, 400, 'InvalidIdentityToken', "Couldn't verify the web identity token")
        const id = `ASIAFAKEWEB${Math.random().toString(36).slice(2, 11).toUpperCase()}`
        fake.secrets[id] = `web-secret-${id}`
        fake.sessionTokens[id] = `web-session-${id}`
        const expiration = new Date(Date.now() + 3600_000).toISOString()
        return sendXml(
          res,
          200,
          `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>${id}</AccessKeyId><SecretAccessKey>${fake.secrets[id]}</SecretAccessKey><SessionToken>${fake.sessionTokens[id]}</SessionToken><Expiration>${expiration}</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::${ACCOUNT}:assumed-role/deploy/${xmlEscape(params.get('RoleSessionName') ?? '')}</Arn><AssumedRoleId>AROAFAKE:${xmlEscape(params.get('RoleSessionName') ?? '')}</AssumedRoleId></AssumedRoleUser><SubjectFromWebIdentityToken>repo:acme/shop</SubjectFromWebIdentityToken></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`,
        )
      }
    }
    return xmlError(res, 400, 'InvalidAction', action)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) jsonError(res, 500, 'InternalFailure', err.message)
      else res.destroy()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    ...fake,
    url,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  } as AwsFake
}
