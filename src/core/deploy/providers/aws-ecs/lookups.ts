/**
 * Fill the `<deploy-time lookup: …>` values of an ECS plan: the account (the caller's, which the plan
 * names after sts:GetCallerIdentity; Fargate reads it from the cluster's ARN, ECS DescribeClusters,
 * because the cluster must exist anyway and a missing one is then a clean DEPLOY_NOT_FOUND), the default-VPC
 * subnets (EC2 DescribeSubnets) and the load balancer of the target group (ELBv2 DescribeTargetGroups,
 * DescribeLoadBalancers, DescribeListeners). Only the lookups the plan contains are made.
 * Express plans (fillExpressLookups) need only the account, from STS GetCallerIdentity: Express creates
 * the `default` cluster itself, so the cluster may not exist yet.
 */
import { ExitCode, SlsError } from '../../../../errors.js'
import { EC2, ELBV2, queryCall, STS, xmlValues } from './query.js'
import { ACCOUNT_MARKER, EXECUTION_ROLE_LOOKUP, LOAD_BALANCER_LABEL_LOOKUP, SUBNETS_LOOKUP } from './placeholders.js'
import type { AwsSession } from './session.js'

export interface LoadBalancer {
  /** `app/<name>/<id>`: the part of the ARN that ALBRequestCountPerTarget's ResourceLabel starts with. */
  label: string
  dnsName: string
  /** `https://dns` when a listener speaks HTTPS, else `http://dns`. */
  url: string
}

const partition = (region: string) => (region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws')

export async function accountOfCluster(session: AwsSession, cluster: string): Promise<string> {
  const ecs = await session.ecs()
  const out = await session.call('ECS', 'DescribeClusters', (abortSignal) => ecs.client.send(new ecs.sdk.DescribeClustersCommand({ clusters: [cluster] }), { abortSignal }))
  const found = out.clusters?.find((c) => c.status !== 'INACTIVE')
  const account = found?.clusterArn?.split(':')[4]
  if (!account) {
    throw new SlsError('DEPLOY_NOT_FOUND', `AWS ECS: cluster ${cluster} not found in ${session.region}${out.failures?.[0]?.reason ? ` (${out.failures[0].reason})` : ''}`, {
      exitCode: ExitCode.failure,
      hints: ['Create it (aws ecs create-cluster --cluster-name …) or fix cluster/region in sls-run.yaml.'],
    })
  }
  return account
}

export async function defaultSubnets(session: AwsSession): Promise<string[]> {
  const xml = await queryCall(session, EC2, 'DescribeSubnets', { 'Filter.1.Name': 'default-for-az', 'Filter.1.Value.1': 'true' })
  const subnets = xmlValues(xml, 'subnetId')
  if (!subnets.length) {
    throw new SlsError('DEPLOY_NOT_FOUND', `AWS EC2: no default VPC subnets in ${session.region}`, {
      exitCode: ExitCode.failure,
      hints: ['Set subnets (and securityGroups) for the environment in sls-run.yaml.'],
    })
  }
  return subnets
}

export async function loadBalancerOf(session: AwsSession, targetGroupArn: string): Promise<LoadBalancer> {
  const groups = await queryCall(session, ELBV2, 'DescribeTargetGroups', { 'TargetGroupArns.member.1': targetGroupArn })
  const arn = xmlValues(groups, 'member').find((m) => m.includes(':loadbalancer/'))
  if (!arn) {
    throw new SlsError('DEPLOY_API', `AWS ELB: target group ${targetGroupArn} is not attached to a load balancer`, {
      exitCode: ExitCode.failure,
      hints: ['Add a listener rule on an Application Load Balancer that forwards to the target group, then deploy again.'],
    })
  }
  const balancers = await queryCall(session, ELBV2, 'DescribeLoadBalancers', { 'LoadBalancerArns.member.1': arn })
  const dnsName = xmlValues(balancers, 'DNSName')[0]
  const listeners = await queryCall(session, ELBV2, 'DescribeListeners', { LoadBalancerArn: arn })
  const https = xmlValues(listeners, 'Protocol').includes('HTTPS')
  const label = arn.slice(arn.indexOf(':loadbalancer/') + ':loadbalancer/'.length)
  return { label, dnsName: dnsName ?? '', url: dnsName ? `${https ? 'https' : 'http'}://${dnsName.toLowerCase()}` : '' }
}

export interface Filled {
  /** The plan's bodies with the lookups replaced (same order as the steps). */
  bodies: unknown[]
  loadBalancer: LoadBalancer | null
}

const has = (json: string, marker: string) => json.includes(JSON.stringify(marker).slice(1, -1))

/** Resolve what the bodies ask for, then replace: a subnets placeholder in a list becomes the subnets. */
export async function fillLookups(session: AwsSession, bodies: unknown[], settings: { cluster: string; targetGroupArn?: string }): Promise<Filled> {
  const json = JSON.stringify(bodies)
  const account = has(json, EXECUTION_ROLE_LOOKUP) ? await accountOfCluster(session, settings.cluster) : null
  const subnets = has(json, SUBNETS_LOOKUP) ? await defaultSubnets(session) : null
  const loadBalancer = settings.targetGroupArn ? await loadBalancerOf(session, settings.targetGroupArn) : null
  const role = account ? `arn:${partition(session.region)}:iam::${account}:role/ecsTaskExecutionRole` : null
  const replace = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.flatMap((v) => (v === SUBNETS_LOOKUP && subnets ? subnets : [replace(v)]))
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replace(v)]))
    if (typeof value !== 'string') return value
    let s = value
    if (role) s = s.split(EXECUTION_ROLE_LOOKUP).join(role)
    if (loadBalancer) s = s.split(LOAD_BALANCER_LABEL_LOOKUP).join(loadBalancer.label)
    return s
  }
  const filled = bodies.map(replace)
  const left = JSON.stringify(filled).match(/<deploy-time lookup: [^"]*/)
  if (left) throw new Error(`aws-ecs: unfilled plan value ${left[0]}`)
  return { bodies: filled, loadBalancer }
}

/** The account of the credentials (STS GetCallerIdentity, which needs no permission). */
export async function accountOfCaller(session: AwsSession): Promise<string> {
  const account = xmlValues(await queryCall(session, STS, 'GetCallerIdentity', {}), 'Account')[0]
  if (!account) throw new SlsError('DEPLOY_API', 'AWS STS: GetCallerIdentity returned no account', { exitCode: ExitCode.failure })
  return account
}

/** Express: every `<deploy-time lookup: arn:…<account>…>` becomes the ARN in the caller's account and the region's partition. */
export async function fillExpressLookups(session: AwsSession, bodies: unknown[]): Promise<{ bodies: unknown[]; account: string | null }> {
  const json = JSON.stringify(bodies)
  const account = json.includes(ACCOUNT_MARKER) ? await accountOfCaller(session) : null
  const pattern = /^<deploy-time lookup: arn:aws:([^<>]*)<account from sts:GetCallerIdentity>([^<>]*)>$/
  const replace = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(replace)
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replace(v)]))
    const m = typeof value === 'string' && account ? pattern.exec(value) : null
    return m ? `arn:${partition(session.region)}:${m[1]}${account}${m[2]}` : value
  }
  const filled = bodies.map(replace)
  const left = JSON.stringify(filled).match(/<deploy-time lookup: [^"]*/)
  if (left) throw new Error(`aws-ecs: unfilled plan value ${left[0]}`)
  return { bodies: filled, account }
}
