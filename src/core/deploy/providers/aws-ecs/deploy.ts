/**
 * Apply an ECS plan. The plan's requests are sent as SDK commands with the plan's bodies (lookups
 * filled in; CloudWatch Logs, which has no SDK client here, as signed JSON requests: ./logs.ts). Order:
 * the tasks' log group first (CreateLogGroup, an existing one is fine, and PutRetentionPolicy), then
 * DescribeServices (the plan's body), then the family's latest revision
 * (DescribeTaskDefinition) is compared with the planned one: equal → no RegisterTaskDefinition (ECS
 * would make a new revision every time); and when the service already runs it with the planned
 * network and load balancer settings, no UpdateService either (unchanged). Then CreateService or
 * UpdateService, the Application Auto Scaling requests (idempotent upserts: always sent), and a
 * bounded wait for the rollout.
 *
 * This is the `mode: fargate` path; `mode: express` plans (ECS Express Mode) are applied by ./express.ts.
 */
import type { TaskDefinition } from '@aws-sdk/client-ecs'
import { ExitCode, SlsError } from '../../../../errors.js'
import { waitFor } from '../../api.js'
import type { Deployment, DeployContext, Plan, PlanStep } from '../../types.js'
import { revisionOf, sameServiceSettings, sameTaskDefinition } from './compare.js'
import { fillLookups } from './lookups.js'
import { ensureLogGroup } from './logs.js'
import { describeService, probeRollout } from './rollout.js'
import { AwsSession, sdkInput } from './session.js'
import type { EcsSettings } from './settings.js'

type Body = Record<string, unknown>
type RequestStep = Extract<PlanStep, { kind: 'request' }>

/** The plan's request for `action` (X-Amz-Target `<prefix>.<action>`). */
function stepsByAction(plan: Plan): Map<string, RequestStep> {
  const map = new Map<string, RequestStep>()
  for (const step of plan.steps) {
    if (step.kind !== 'request') continue
    const target = step.headers?.['X-Amz-Target']
    if (target) map.set(target.slice(target.indexOf('.') + 1), step)
  }
  return map
}

/** The family's latest ACTIVE revision, or undefined when the family has none yet. */
async function latestRevision(session: AwsSession, family: string): Promise<TaskDefinition | undefined> {
  const ecs = await session.ecs()
  try {
    const out = await session.call('ECS', 'DescribeTaskDefinition', (abortSignal) => ecs.client.send(new ecs.sdk.DescribeTaskDefinitionCommand({ taskDefinition: family }), { abortSignal }))
    return out.taskDefinition
  } catch (err) {
    // ECS answers ClientException "Unable to describe task definition." for a family with no revision.
    const name = ((err as SlsError).details as { name?: string } | undefined)?.name
    if (name === 'ClientException' && /unable to describe task definition/i.test((err as Error).message)) return undefined
    throw err
  }
}

export async function deployEcs(plan: Plan, settings: EcsSettings, ctx: DeployContext): Promise<Deployment> {
  const progress = (message: string) => ctx.emit?.({ type: 'progress', service: plan.service, message })
  const steps = stepsByAction(plan)
  const actions = ['RegisterTaskDefinition', 'DescribeServices', 'CreateService', 'UpdateService', 'RegisterScalableTarget', 'PutScalingPolicy', 'CreateLogGroup', 'PutRetentionPolicy'] as const
  const missing = actions.slice(0, 5).filter((a) => !steps.has(a))
  if (missing.length) throw new Error(`aws-ecs: the plan has no ${missing.join(', ')} step`)
  // The ECS service's name (the plan's, ./names.ts: deployName or the service name), which rollout polls ask for.
  const name = String((steps.get('CreateService')!.body as Body).serviceName)

  const session = await AwsSession.open(settings.region, ctx)
  try {
    const filled = await fillLookups(
      session,
      actions.map((a) => steps.get(a)?.body ?? null),
      settings,
    )
    const [register, describe, create, update, scalable, policy, logGroup, retention] = filled.bodies as Array<Body | null>
    const ecs = await session.ecs()

    // First, as planned: the tasks' log group (the tasks cannot create it with the default execution role).
    if (logGroup) {
      const outcome = await ensureLogGroup(session, logGroup, retention)
      progress(`log group ${String(logGroup.logGroupName)} ${outcome === 'created' ? 'created' : 'already exists'}${retention ? `, logs kept ${String(retention.retentionInDays)} days` : ''}`)
    }
    progress(`looking up service ${name} in cluster ${settings.cluster}`)
    const current = await describeService(session, describe as { cluster: string; services: string[] })
    if (current?.status === 'DRAINING') {
      throw new SlsError('DEPLOY_CONFLICT', `AWS ECS: service ${name} is being deleted (DRAINING); deploy again once it is gone`, { exitCode: ExitCode.failure })
    }
    const family = String(register!.family)
    const latest = await latestRevision(session, family)
    let taskDefinitionArn: string
    if (latest?.taskDefinitionArn && sameTaskDefinition(register!, latest as unknown as Body)) {
      taskDefinitionArn = latest.taskDefinitionArn
      progress(`task definition ${revisionOf(taskDefinitionArn)} already matches the plan`)
    } else {
      progress(`registering a new revision of task definition ${family}`)
      const out = await session.call('ECS', 'RegisterTaskDefinition', (abortSignal) => ecs.client.send(new ecs.sdk.RegisterTaskDefinitionCommand(sdkInput(register)), { abortSignal }))
      taskDefinitionArn = out.taskDefinition!.taskDefinitionArn!
    }

    let unchanged = false
    if (!current) {
      progress(`creating service ${name} with ${revisionOf(taskDefinitionArn)}`)
      await session.call('ECS', 'CreateService', (abortSignal) => ecs.client.send(new ecs.sdk.CreateServiceCommand(sdkInput(create)), { abortSignal }))
    } else if (current.taskDefinition === taskDefinitionArn && sameServiceSettings(update!, current as unknown as Body)) {
      unchanged = true
      progress(`service ${name} already runs ${revisionOf(taskDefinitionArn)} as planned: no new revision`)
    } else {
      progress(`updating service ${name} to ${revisionOf(taskDefinitionArn)}`)
      await session.call('ECS', 'UpdateService', (abortSignal) => ecs.client.send(new ecs.sdk.UpdateServiceCommand(sdkInput(update)), { abortSignal }))
    }

    const autoscaling = await session.autoscaling()
    progress('registering the scalable target (Application Auto Scaling)')
    await session.call('Application Auto Scaling', 'RegisterScalableTarget', (abortSignal) =>
      autoscaling.client.send(new autoscaling.sdk.RegisterScalableTargetCommand(sdkInput(scalable)), { abortSignal }),
    )
    if (policy) {
      progress('putting the request-count scaling policy')
      await session.call('Application Auto Scaling', 'PutScalingPolicy', (abortSignal) => autoscaling.client.send(new autoscaling.sdk.PutScalingPolicyCommand(sdkInput(policy)), { abortSignal }))
    }

    if (ctx.wait) {
      progress(`waiting for the rollout of ${revisionOf(taskDefinitionArn)}`)
      await waitFor(`AWS ECS service ${name}`, () => probeRollout(session, settings.cluster, name, taskDefinitionArn), {
        timeoutMs: ctx.timeoutMs,
        intervalMs: ctx.pollIntervalMs,
        signal: ctx.signal,
      })
    }
    return { service: plan.service, url: filled.loadBalancer?.url || null, revision: revisionOf(taskDefinitionArn), unchanged, ready: ctx.wait }
  } finally {
    session.destroy()
  }
}
