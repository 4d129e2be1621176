/**
 * The AWS Query protocol (form-encoded POST, XML answers) for the two deploy-time lookups whose SDK
 * clients sls-run does not depend on: EC2 DescribeSubnets (default subnets) and Elastic Load Balancing
 * v2 DescribeTargetGroups / DescribeLoadBalancers (the load balancer of a target group), and STS
 * GetCallerIdentity (the account, for ECS Express Mode). Signed with
 * SigV4 (@smithy/signature-v4, which the SDK clients use) and the session's credentials; sent with
 * callApi. AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2 / AWS_ENDPOINT_URL_STS /
 * AWS_ENDPOINT_URL override the endpoints.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto'
import { callApi } from '../../api.js'
import { endpointFromEnv } from './credentials.js'
import { awsError } from './errors.js'
import type { AwsSession } from './session.js'

/** The hash constructor SigV4 wants (sha256, or HMAC-sha256 with a secret), on node:crypto. */
export class Sha256 {
  private readonly hash: Hash | Hmac
  constructor(secret?: string | Uint8Array | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret))
  }
  update(data: string | Uint8Array | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBuffer(data))
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest())
  }
}

function toBuffer(data: string | Uint8Array | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8')
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  return Buffer.from(data)
}

export interface QueryApi {
  /** The SDK serviceId, for the endpoint variable: `EC2`, `Elastic Load Balancing v2`. */
  serviceId: string
  /** SigV4 signing name and host prefix: `ec2`, `elasticloadbalancing`. */
  signingName: string
  version: string
}

export const EC2: QueryApi = { serviceId: 'EC2', signingName: 'ec2', version: '2016-11-15' }
export const ELBV2: QueryApi = { serviceId: 'Elastic Load Balancing v2', signingName: 'elasticloadbalancing', version: '2015-12-01' }
/** STS GetCallerIdentity (the account for Express's ARNs); the regional endpoint, like the SDK's default. */
export const STS: QueryApi = { serviceId: 'STS', signingName: 'sts', version: '2011-06-15' }

/** One Query call; the XML answer as text. AWS errors (`<Code>`, `<Message>`) map like SDK errors. */
export async function queryCall(session: AwsSession, api: QueryApi, action: string, params: Record<string, string>): Promise<string> {
  const body = new URLSearchParams({ Action: action, Version: api.version, ...params }).toString()
  const res = await signedPost(session, api, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body)
  if (res.status >= 200 && res.status < 300) return res.text
  const name = xmlValues(res.text, 'Code')[0] ?? `HTTP ${res.status}`
  throw awsError(api.serviceId, action, Object.assign(new Error(xmlValues(res.text, 'Message')[0] ?? res.text.slice(0, 300)), { name, $metadata: { httpStatusCode: res.status } }))
}

/**
 * A SigV4-signed POST of `body` to an AWS service (`serviceId` names its AWS_ENDPOINT_URL_<ID> override, else its
 * regional endpoint for `signingName`), with the session's credentials: the query calls here and the awsJson calls
 * of ./logs.ts.
 */
export async function signedPost(session: AwsSession, api: { serviceId: string; signingName: string }, headers: Record<string, string>, body: string) {
  const suffix = session.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'
  const url = new URL(endpointFromEnv(session.ctx.env, api.serviceId) ?? `https://${api.signingName}.${session.region}.${suffix}/`)
  const { SignatureV4 } = await import('@smithy/signature-v4')
  const signer = new SignatureV4({ service: api.signingName, region: session.region, credentials: session.credentials, sha256: Sha256 })
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname,
    query: {},
    headers: { host: url.host, ...headers },
    body,
  })
  return callApi(`AWS ${api.serviceId}`, { method: 'POST', url: url.toString(), headers: signed.headers as Record<string, string>, body, signal: session.ctx.signal })
}

/** Every text value of `<tag>…</tag>` (flat, in order); enough for the few fields the lookups read. */
export function xmlValues(xml: string, tag: string): string[] {
  const out: string[] = []
  const re = new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g')
  for (let m = re.exec(xml); m; m = re.exec(xml)) out.push(unescapeXml(m[1]!))
  return out
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]!)
}
