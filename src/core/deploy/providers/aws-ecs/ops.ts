/** `status`, `remove` and `registryAuth` (ECR) of the ECS adapter. */
import type { Service as EcsService } from '@aws-sdk/client-ecs'
import { ExitCode, SlsError } from '../../../../errors.js'
import type { DeployContext, RegistryCredentials, ServiceStatus } from '../../types.js'
import { revisionOf } from './compare.js'
import { loadBalancerOf } from './lookups.js'
import { deploymentOf, describeService, stoppedReasons } from './rollout.js'
import { AwsSession } from './session.js'
import type { EcsSettings } from './settings.js'

export async function statusEcs(name: string, settings: EcsSettings, ctx: DeployContext): Promise<ServiceStatus | null> {
  const session = await AwsSession.open(settings.region, ctx)
  try {
    const service = await describeService(session, { cluster: settings.cluster, services: [name] })
    if (!service) return null
    const arn = service.taskDefinition
    const ecs = await session.ecs()
    const image = arn
      ? await session
          .call('ECS', 'DescribeTaskDefinition', (abortSignal) => ecs.client.send(new ecs.sdk.DescribeTaskDefinitionCommand({ taskDefinition: arn }), { abortSignal }))
          .then((out) => {
            const containers = out.taskDefinition?.containerDefinitions ?? []
            return (containers.find((c) => c.name === name) ?? containers[0])?.image ?? null
          })
      : null
    const { ready, reason } = await readiness(session, settings.cluster, service)
    const targetGroup = service.loadBalancers?.find((l) => l.targetGroupArn)?.targetGroupArn ?? settings.targetGroupArn
    const url = targetGroup ? (await loadBalancerOf(session, targetGroup)).url || null : null
    return { service: name, url, revision: revisionOf(arn), image, ready, reason }
  } finally {
    session.destroy()
  }
}

async function readiness(session: AwsSession, cluster: string, service: EcsService): Promise<{ ready: boolean; reason: string | null }> {
  if (service.status === 'DRAINING') return { ready: false, reason: 'the service is being deleted (DRAINING)' }
  const primary = (service.deployments ?? []).find((d) => d.status === 'PRIMARY') ?? (service.taskDefinition ? deploymentOf(service, service.taskDefinition) : undefined)
  const running = service.runningCount ?? 0
  const desired = service.desiredCount ?? 0
  if (primary?.rolloutState === 'COMPLETED' && running >= desired && desired > 0) return { ready: true, reason: null }
  const failed = (service.deployments ?? []).find((d) => d.rolloutState === 'FAILED')
  const stopped = primary?.taskDefinition && (failed || running < desired) ? await stoppedReasons(session, cluster, service.serviceName!, failed?.taskDefinition ?? primary.taskDefinition) : []
  const reason = [
    failed?.rolloutStateReason ?? (primary ? `rollout ${primary.rolloutState ?? 'pending'}: ${running}/${desired} tasks running` : `${running}/${desired} tasks running`),
    ...stopped.map((r) => `stopped task: ${r}`),
  ].join('; ')
  return { ready: false, reason }
}

/** Scale to 0, delete (force), and deregister the scalable target. False when there was no service. */
export async function removeEcs(name: string, settings: EcsSettings, ctx: DeployContext): Promise<boolean> {
  const session = await AwsSession.open(settings.region, ctx)
  try {
    const service = await describeService(session, { cluster: settings.cluster, services: [name] })
    if (!service) return false
    const progress = (message: string) => ctx.emit?.({ type: 'progress', service: name, message })
    const autoscaling = await session.autoscaling()
    progress('deregistering the scalable target')
    try {
      await session.call('Application Auto Scaling', 'DeregisterScalableTarget', (abortSignal) =>
        autoscaling.client.send(
          new autoscaling.sdk.DeregisterScalableTargetCommand({ ServiceNamespace: 'ecs', ResourceId: `service/${settings.cluster}/${name}`, ScalableDimension: 'ecs:service:DesiredCount' }),
          { abortSignal },
        ),
      )
    } catch (err) {
      if ((err as SlsError).code !== 'DEPLOY_NOT_FOUND') throw err
    }
    const ecs = await session.ecs()
    try {
      if (service.status === 'ACTIVE') {
        progress('scaling to 0 tasks')
        await session.call('ECS', 'UpdateService', (abortSignal) => ecs.client.send(new ecs.sdk.UpdateServiceCommand({ cluster: settings.cluster, service: name, desiredCount: 0 }), { abortSignal }))
      }
      progress(`deleting service ${name}`)
      await session.call('ECS', 'DeleteService', (abortSignal) => ecs.client.send(new ecs.sdk.DeleteServiceCommand({ cluster: settings.cluster, service: name, force: true }), { abortSignal }))
    } catch (err) {
      // Deleted by someone else between DescribeServices and here.
      if ((err as SlsError).code === 'DEPLOY_NOT_FOUND') return false
      throw err
    }
    return true
  } finally {
    session.destroy()
  }
}

const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/

/** ECR: GetAuthorizationToken → base64 `AWS:<password>`. Other registries: null. */
export async function registryAuthEcs(registry: string, settings: EcsSettings, ctx: DeployContext): Promise<RegistryCredentials | null> {
  const host = registry
    .replace(/^https?:\/\//, '')
    .replace(/\/.*$/, '')
    .toLowerCase()
  const match = ECR_HOST.exec(host)
  if (!match) return null
  const region = match[2]!
  const session = await AwsSession.open(region || settings.region, ctx)
  const ecr = await session.ecr(region)
  try {
    const out = await session.call('ECR', 'GetAuthorizationToken', (abortSignal) => ecr.client.send(new ecr.sdk.GetAuthorizationTokenCommand({}), { abortSignal }))
    const token = out.authorizationData?.[0]?.authorizationToken
    const decoded = token ? Buffer.from(token, 'base64').toString('utf8') : ''
    const colon = decoded.indexOf(':')
    if (colon < 0) throw new SlsError('DEPLOY_API', `AWS ECR: GetAuthorizationToken returned no usable token for ${host}`, { exitCode: ExitCode.failure })
    return { registry: host, username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
  } finally {
    ecr.client.destroy()
    session.destroy()
  }
}
