/**
 * Apply, read and delete an ECS Express Mode service (./express-plan.ts writes the plan). The plan's
 * bodies are sent as SDK commands (the account in its ARNs filled from STS GetCallerIdentity):
 * DescribeExpressGatewayService first; missing or INACTIVE → CreateExpressGatewayService; else the
 * newest active configuration is compared with the planned one: equal → nothing sent (unchanged),
 * otherwise UpdateExpressGatewayService. Then a bounded wait: the Express service ACTIVE, and the ECS
 * deployment of the configuration's task definition COMPLETED (an Express service is an ECS service,
 * so DescribeServices shows its rollout: FAILED / rolled back → DEPLOY_ROLLOUT_FAILED with ECS's reason
 * and the stopped tasks'). The URL is the configuration's ingress endpoint (https://…on.aws).
 */
import type { ECSExpressGatewayService, ExpressGatewayServiceConfiguration } from '@aws-sdk/client-ecs'
import { ExitCode, SlsError } from '../../../../errors.js'
import { rolloutFailed, waitFor, type Probe } from '../../api.js'
import type { Deployment, DeployContext, Plan, PlanStep, ServiceStatus } from '../../types.js'
import { revisionOf, sameExpressConfiguration } from './compare.js'
import { fillExpressLookups } from './lookups.js'
import { expressServiceArnLookup } from './placeholders.js'
import { deploymentOf, describeService, probeRollout, stoppedReasons } from './rollout.js'
import { AwsSession, sdkInput } from './session.js'
import type { EcsSettings } from './settings.js'

type Body = Record<string, unknown>
type RequestStep = Extract<PlanStep, { kind: 'request' }>
const PLATFORM = 'AWS ECS Express'
const ACTIONS = ['DescribeExpressGatewayService', 'CreateExpressGatewayService', 'UpdateExpressGatewayService'] as const

const actionOf = (step: PlanStep) => (step.kind === 'request' ? step.headers?.['X-Amz-Target']?.split('.')[1] : undefined)

/** Whether a plan is an Express one (its steps decide, not the settings: deploy applies the plan it is given). */
export const isExpressPlan = (plan: Plan) => plan.steps.some((s) => actionOf(s) === 'CreateExpressGatewayService')

/** The service, or null when it does not exist (not found, or INACTIVE: deleted). */
async function describeExpress(session: AwsSession, serviceArn: string): Promise<ECSExpressGatewayService | null> {
  const ecs = await session.ecs()
  try {
    const out = await session.call('ECS', 'DescribeExpressGatewayService', (abortSignal) => ecs.client.send(new ecs.sdk.DescribeExpressGatewayServiceCommand({ serviceArn }), { abortSignal }))
    return out.service && out.service.status?.statusCode !== 'INACTIVE' ? out.service : null
  } catch (err) {
    if ((err as SlsError).code === 'DEPLOY_NOT_FOUND') return null
    throw err
  }
}

/** The newest active configuration (during a rollout the old one stays active until the new one serves). */
function newest(service: { activeConfigurations?: ExpressGatewayServiceConfiguration[] } | undefined): ExpressGatewayServiceConfiguration | undefined {
  const list = [...(service?.activeConfigurations ?? [])]
  return list.sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))[0]
}

/** The configuration's endpoint, public first, as an https URL. */
export function endpointOf(config: ExpressGatewayServiceConfiguration | undefined): string | null {
  const paths = config?.ingressPaths ?? []
  const endpoint = (paths.find((p) => p.accessType === 'PUBLIC') ?? paths[0])?.endpoint
  if (!endpoint) return null
  return (/^https?:\/\//.test(endpoint) ? endpoint : `https://${endpoint}`).replace(/\/+$/, '')
}

interface Ready {
  config: ExpressGatewayServiceConfiguration | undefined
}

/** One poll: ACTIVE, the deployment of `taskDefinitionArn` COMPLETED, and an endpoint. */
async function probeExpress(session: AwsSession, cluster: string, name: string, serviceArn: string, known: string | undefined): Promise<Probe<Ready>> {
  const service = await describeExpress(session, serviceArn)
  if (!service) throw rolloutFailed(PLATFORM, name, 'the service disappeared while rolling out (deleted meanwhile?)')
  const code = service.status?.statusCode
  const said = service.status?.statusReason ? `: ${service.status.statusReason}` : ''
  if (code === 'DRAINING') throw rolloutFailed(PLATFORM, name, `the service is being deleted (DRAINING)${said}`)
  if (code !== 'ACTIVE') return { done: false, detail: `service ${code ?? 'pending'}${said}` }
  const arn = known ?? newest(service)?.taskDefinitionArn
  if (!arn) return { done: false, detail: `waiting for ECS to register the task definition${said}` }
  const config = (service.activeConfigurations ?? []).find((c) => c.taskDefinitionArn === arn) ?? newest(service)
  const rollout = await probeRollout(session, cluster, name, arn)
  if (!rollout.done) return { done: false, detail: rollout.detail }
  if (!endpointOf(config)) return { done: false, detail: 'deployment completed, waiting for the load balancer endpoint' }
  return { done: true, value: { config } }
}

export async function deployExpress(plan: Plan, settings: EcsSettings, ctx: DeployContext): Promise<Deployment> {
  const progress = (message: string) => ctx.emit?.({ type: 'progress', service: plan.service, message })
  const steps = new Map(plan.steps.map((s) => [actionOf(s), s] as const))
  const missing = ACTIONS.filter((a) => !steps.has(a))
  if (missing.length) throw new Error(`aws-ecs: the plan has no ${missing.join(', ')} step`)
  // The service's name on ECS (the plan's, ./names.ts: deployName or the service name): the ECS service polled while rolling out.
  const name = String(((steps.get('CreateExpressGatewayService') as RequestStep).body as Body).serviceName)

  const session = await AwsSession.open(settings.region, ctx)
  try {
    const filled = await fillExpressLookups(
      session,
      ACTIONS.map((a) => (steps.get(a) as RequestStep).body ?? null),
    )
    const [describe, create, update] = filled.bodies as Body[]
    const serviceArn = String(describe!.serviceArn)
    const ecs = await session.ecs()

    progress(`looking up Express service ${name} in cluster ${settings.cluster}`)
    const current = await describeExpress(session, serviceArn)
    if (current?.status?.statusCode === 'DRAINING') {
      throw new SlsError('DEPLOY_CONFLICT', `${PLATFORM}: service ${name} is being deleted (DRAINING); deploy again once it is gone`, { exitCode: ExitCode.failure })
    }
    let config: ExpressGatewayServiceConfiguration | undefined
    let unchanged = false
    if (!current) {
      progress(`creating Express service ${name}`)
      const out = await session.call('ECS', 'CreateExpressGatewayService', (abortSignal) => ecs.client.send(new ecs.sdk.CreateExpressGatewayServiceCommand(sdkInput(create)), { abortSignal }))
      config = newest(out.service)
    } else if (sameExpressConfiguration(update!, newest(current) as Body | undefined)) {
      unchanged = true
      config = newest(current)
      progress(`Express service ${name} already runs ${revisionOf(config?.taskDefinitionArn) ?? 'this configuration'} as planned: no new revision`)
    } else {
      progress(`updating Express service ${name}`)
      const out = await session.call('ECS', 'UpdateExpressGatewayService', (abortSignal) => ecs.client.send(new ecs.sdk.UpdateExpressGatewayServiceCommand(sdkInput(update)), { abortSignal }))
      config = out.service?.targetConfiguration
    }

    let taskDefinitionArn = config?.taskDefinitionArn
    let url = endpointOf(config)
    if (ctx.wait) {
      progress(`waiting for the deployment of ${revisionOf(taskDefinitionArn) ?? 'the new configuration'}`)
      const ready = await waitFor(`${PLATFORM} service ${name}`, () => probeExpress(session, settings.cluster, name, serviceArn, taskDefinitionArn), {
        timeoutMs: ctx.timeoutMs,
        intervalMs: ctx.pollIntervalMs,
        signal: ctx.signal,
      })
      taskDefinitionArn = ready.config?.taskDefinitionArn ?? taskDefinitionArn
      url = endpointOf(ready.config) ?? url
    }
    return { service: plan.service, url, revision: revisionOf(taskDefinitionArn), unchanged, ready: ctx.wait }
  } finally {
    session.destroy()
  }
}

/** The service's ARN in the caller's account (STS GetCallerIdentity). */
async function serviceArnOf(session: AwsSession, settings: EcsSettings, name: string): Promise<string> {
  const { bodies } = await fillExpressLookups(session, [expressServiceArnLookup(settings.region, settings.cluster, name)])
  return String(bodies[0])
}

export async function statusExpress(name: string, settings: EcsSettings, ctx: DeployContext): Promise<ServiceStatus | null> {
  const session = await AwsSession.open(settings.region, ctx)
  try {
    const service = await describeExpress(session, await serviceArnOf(session, settings, name))
    if (!service) return null
    const config = newest(service)
    const arn = config?.taskDefinitionArn
    const base = { service: name, url: endpointOf(config), revision: revisionOf(arn), image: config?.primaryContainer?.image ?? null }
    const code = service.status?.statusCode
    if (code !== 'ACTIVE') return { ...base, ready: false, reason: [`service ${code ?? 'pending'}`, service.status?.statusReason].filter(Boolean).join(': ') }
    const ecsService = await describeService(session, { cluster: settings.cluster, services: [name] })
    const deployment = ecsService && arn ? deploymentOf(ecsService, arn) : undefined
    if (deployment?.status === 'PRIMARY' && deployment.rolloutState === 'COMPLETED') return { ...base, ready: true, reason: null }
    const failed = deployment?.rolloutState === 'FAILED' || (ecsService && arn && !deployment)
    const stopped = failed && arn ? await stoppedReasons(session, settings.cluster, name, arn) : []
    const state = deployment
      ? `rollout ${deployment.rolloutState ?? 'pending'}: ${deployment.runningCount ?? 0}/${deployment.desiredCount ?? 0} tasks running`
      : 'no deployment of the active configuration'
    const reason = [deployment?.rolloutState === 'FAILED' ? (deployment.rolloutStateReason ?? state) : state, ...stopped.map((r) => `stopped task: ${r}`)].join('; ')
    return { ...base, ready: false, reason }
  } finally {
    session.destroy()
  }
}

/** DeleteExpressGatewayService (ECS removes the load balancer, scaling and the service). False when there was none. */
export async function removeExpress(name: string, settings: EcsSettings, ctx: DeployContext): Promise<boolean> {
  const session = await AwsSession.open(settings.region, ctx)
  try {
    const serviceArn = await serviceArnOf(session, settings, name)
    if (!(await describeExpress(session, serviceArn))) return false
    const ecs = await session.ecs()
    ctx.emit?.({ type: 'progress', service: name, message: `deleting Express service ${name}` })
    try {
      await session.call('ECS', 'DeleteExpressGatewayService', (abortSignal) => ecs.client.send(new ecs.sdk.DeleteExpressGatewayServiceCommand({ serviceArn }), { abortSignal }))
    } catch (err) {
      // Deleted by someone else between the Describe and here.
      if ((err as SlsError).code === 'DEPLOY_NOT_FOUND') return false
      throw err
    }
    return true
  } finally {
    session.destroy()
  }
}
