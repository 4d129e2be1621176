/**
 * Reading an ECS service's rollout: the deployment of a task definition revision (rolloutState
 * IN_PROGRESS → COMPLETED or FAILED; with the circuit breaker a failed one is rolled back), and why
 * tasks stopped (ListTasks STOPPED + DescribeTasks: stoppedReason and the containers' reasons).
 */
import type { Deployment as EcsDeployment, Service as EcsService } from '@aws-sdk/client-ecs'
import { rolloutFailed, type Probe } from '../../api.js'
import type { AwsSession } from './session.js'

/** The service as DescribeServices sees it, or null when missing or INACTIVE (deleted). */
export async function describeService(session: AwsSession, body: { cluster: string; services: string[] }): Promise<EcsService | null> {
  const ecs = await session.ecs()
  const out = await session.call('ECS', 'DescribeServices', (abortSignal) => ecs.client.send(new ecs.sdk.DescribeServicesCommand(body), { abortSignal }))
  const service = out.services?.find((s) => s.serviceName === body.services[0] || s.serviceArn === body.services[0])
  return service && service.status !== 'INACTIVE' ? service : null
}

/** Why tasks of `taskDefinitionArn` stopped, newest first, at most three distinct reasons. */
export async function stoppedReasons(session: AwsSession, cluster: string, service: string, taskDefinitionArn: string): Promise<string[]> {
  const ecs = await session.ecs()
  const list = await session.call('ECS', 'ListTasks', (abortSignal) => ecs.client.send(new ecs.sdk.ListTasksCommand({ cluster, serviceName: service, desiredStatus: 'STOPPED' }), { abortSignal }))
  if (!list.taskArns?.length) return []
  const out = await session.call('ECS', 'DescribeTasks', (abortSignal) => ecs.client.send(new ecs.sdk.DescribeTasksCommand({ cluster, tasks: list.taskArns!.slice(0, 100) }), { abortSignal }))
  const reasons: string[] = []
  const tasks = (out.tasks ?? []).filter((t) => t.taskDefinitionArn === taskDefinitionArn).sort((a, b) => (b.stoppedAt?.getTime() ?? 0) - (a.stoppedAt?.getTime() ?? 0))
  for (const task of tasks) {
    const containers = (task.containers ?? [])
      .filter((c) => c.reason || c.exitCode !== undefined)
      .map((c) => `${c.name}: ${[c.reason, c.exitCode !== undefined ? `exit code ${c.exitCode}` : ''].filter(Boolean).join(', ')}`)
    const reason = [task.stoppedReason, ...containers].filter(Boolean).join('; ')
    if (reason && !reasons.includes(reason)) reasons.push(reason)
  }
  return reasons.slice(0, 3)
}

/** The deployment of our revision, preferring PRIMARY. */
export function deploymentOf(service: EcsService, taskDefinitionArn: string): EcsDeployment | undefined {
  const ours = (service.deployments ?? []).filter((d) => d.taskDefinition === taskDefinitionArn)
  return ours.find((d) => d.status === 'PRIMARY') ?? ours[0]
}

const lastEvent = (service: EcsService) => service.events?.[0]?.message

/** One poll of the rollout of `taskDefinitionArn`: done when its PRIMARY deployment has COMPLETED. */
export async function probeRollout(session: AwsSession, cluster: string, name: string, taskDefinitionArn: string): Promise<Probe<EcsService>> {
  const service = await describeService(session, { cluster, services: [name] })
  if (!service) throw rolloutFailed('AWS ECS', name, 'the service disappeared while rolling out (deleted meanwhile?)')
  const deployment = deploymentOf(service, taskDefinitionArn)
  const fail = async (why: string) => {
    const stopped = await stoppedReasons(session, cluster, name, taskDefinitionArn)
    return rolloutFailed('AWS ECS', name, [why, ...stopped.map((r) => `stopped task: ${r}`)].join('; '), [
      'Look at the stopped tasks (aws ecs describe-tasks) and the service events, and the container logs in CloudWatch.',
    ])
  }
  if (!deployment) throw await fail(`ECS replaced the deployment of ${taskDefinitionArn} (rolled back)${lastEvent(service) ? `: ${lastEvent(service)}` : ''}`)
  if (deployment.rolloutState === 'FAILED') throw await fail(deployment.rolloutStateReason ?? 'rollout FAILED')
  if (deployment.status === 'PRIMARY' && deployment.rolloutState === 'COMPLETED') return { done: true, value: service }
  const detail = [
    `rollout ${deployment.rolloutState ?? deployment.status ?? 'pending'}, ${deployment.runningCount ?? 0}/${deployment.desiredCount ?? 0} tasks running`,
    deployment.failedTasks ? `${deployment.failedTasks} failed` : '',
    lastEvent(service) ?? '',
  ]
  return { done: false, detail: detail.filter(Boolean).join(', ') }
}
