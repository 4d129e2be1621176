/**
 * The Fargate plan (`mode: fargate`, AWS JSON 1.1 protocol): register a task definition, then create the
 * service or update it (DescribeServices decides at deploy time, ./deploy.ts), then Application Auto
 * Scaling: a scalable target (min/max tasks) and, when the environment names an ALB target group, a
 * target-tracking policy on ALBRequestCountPerTarget. ECS never scales to zero and has no per-task
 * concurrency limit: the warnings say what happens instead. CPU and memory are fitted to Fargate's
 * combinations. No SDK here.
 */
import type { ServiceConfig } from '../../../config/schema.js'
import { commandList, envList, seconds, unsupportedTimeouts } from '../../common.js'
import { withPlatformDefaults } from '../../defaults.js'
import type { DigestRef } from '../../image-ref.js'
import type { Plan, PlanContext, PlanStep, PlanWarning } from '../../types.js'
import { ECS_DEFAULTS } from './defaults.js'
import { EXECUTION_ROLE_LOOKUP, LOAD_BALANCER_LABEL_LOOKUP, LOAD_BALANCER_LOOKUP, SUBNETS_LOOKUP } from './placeholders.js'
import type { EcsSettings } from './settings.js'
import { cpuArchitecture, fitResources } from './sizes.js'

/** Container health check limits (seconds): startPeriod 0–300. */
const MAX_START_PERIOD_S = 300
const HEALTH_INTERVAL_S = 30
const HEALTH_TIMEOUT_S = 5
const HEALTH_RETRIES = 3
/** An ALB closes a connection idle this long unless the load balancer's idle_timeout.timeout_seconds says otherwise. */
const ALB_DEFAULT_IDLE_TIMEOUT_S = 60
/** ALBRequestCountPerTarget is a per-minute count; concurrency is converted assuming ~1 s per request. */
const ASSUMED_REQUEST_S = 1

const ECS_TARGET = 'AmazonEC2ContainerServiceV20141113'
const AUTOSCALING_TARGET = 'AnyScaleFrontendService'

/** http: a container health check (curl inside the image), with the whole startup timeout as grace. tcp: none. */
function healthCheck(service: ServiceConfig, warnings: PlanWarning[], hasTargetGroup: boolean) {
  const total = seconds(service.startupProbe.timeout)
  if (service.startupProbe.type === 'tcp') {
    if (!hasTargetGroup) {
      warnings.push({ code: 'ECS_STARTUP_PROBE_TCP', setting: 'startupProbe', message: 'ECS has no TCP health check: without a target group a task counts as started as soon as its container runs' })
    }
    return undefined
  }
  warnings.push({
    code: 'ECS_HEALTHCHECK_CURL',
    setting: 'startupProbe',
    message: `ECS runs the http check inside the container (curl -f http://localhost:${service.port}${service.startupProbe.path}): the image needs curl, or the task is marked unhealthy and replaced`,
  })
  return {
    command: ['CMD-SHELL', `curl -fsS -o /dev/null http://localhost:${service.port}${service.startupProbe.path} || exit 1`],
    interval: HEALTH_INTERVAL_S,
    timeout: HEALTH_TIMEOUT_S,
    retries: HEALTH_RETRIES,
    startPeriod: Math.min(MAX_START_PERIOD_S, total),
  }
}

export function planFargate(written: ServiceConfig, image: DigestRef, settings: EcsSettings, ctx: PlanContext): Plan {
  const warnings: PlanWarning[] = []
  const { service, defaults, unset } = withPlatformDefaults(written, ctx, ECS_DEFAULTS)
  const { scaling } = service
  const targetGroup = settings.targetGroupArn
  const architecture = cpuArchitecture(image, warnings)
  const { cpu, memory } = fitResources(service, warnings, !unset('resources.memory'))

  const minCapacity = Math.max(1, scaling.minInstances)
  if (scaling.minInstances === 0) {
    warnings.push({
      code: 'ECS_NO_SCALE_TO_ZERO',
      setting: 'scaling.minInstances',
      message: 'ECS services do not scale to zero on requests (a stopped service does not start when a request arrives); minInstances 0 becomes desiredCount and minCapacity 1',
    })
  }
  const requestsPerMinute = Math.round((scaling.concurrency * 60) / ASSUMED_REQUEST_S)
  if (targetGroup) {
    warnings.push({
      code: 'ECS_CONCURRENCY',
      setting: 'scaling.concurrency',
      message: `ECS has no per-task concurrency limit; concurrency ${scaling.concurrency} becomes a scaling target of ${requestsPerMinute} ALB requests per task per minute (ALBRequestCountPerTarget), which equals ${scaling.concurrency} in flight only if requests take about ${ASSUMED_REQUEST_S}s`,
    })
  } else {
    warnings.push({
      code: 'ECS_NO_REQUEST_SCALING',
      setting: 'scaling',
      message: `without targetGroupArn there is no request metric to scale on: the service runs ${minCapacity} task(s); maxInstances only bounds the scalable target and concurrency is not used`,
    })
  }
  if (service.cpuThrottling) {
    warnings.push({ code: 'ECS_CPU_THROTTLING', setting: 'cpuThrottling', message: 'Fargate tasks keep their CPU (and are billed) while running, between requests too; cpuThrottling is not honoured' })
  }
  unsupportedTimeouts(service, warnings, 'ECS', {
    idleTimeout: 'has no idle timeout: target tracking removes tasks only after the request count stays below target for about 15 minutes; scaling.idleTimeout is not sent',
    queueTimeout: 'has no queue timeout: requests wait in the load balancer until a target answers or the connection times out; scaling.queueTimeout is not sent',
  })
  const timeout = seconds(service.timeout)
  if (!unset('timeout')) {
    warnings.push({
      code: 'ECS_TIMEOUT_NOT_ENFORCED',
      setting: 'timeout',
      message: targetGroup
        ? `ECS has no request timeout; the ALB's idle timeout (load balancer attribute idle_timeout.timeout_seconds, default ${ALB_DEFAULT_IDLE_TIMEOUT_S}s) ends a request that sends nothing for that long: set it to at least ${timeout}s on the load balancer (not changed by this plan)`
        : `ECS has no request timeout and without a load balancer nothing enforces timeout ${timeout}s`,
    })
  }

  const family = `${ctx.project}-${ctx.environment}-${ctx.service}`
  const suffix = settings.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'
  const ecsUrl = `https://ecs.${settings.region}.${suffix}/`
  const autoscalingUrl = `https://application-autoscaling.${settings.region}.${suffix}/`
  const ecs = (action: string, purpose: string, body: unknown): PlanStep => ({
    kind: 'request',
    purpose: `${action}: ${purpose}`,
    method: 'POST',
    url: ecsUrl,
    headers: { 'X-Amz-Target': `${ECS_TARGET}.${action}`, 'Content-Type': 'application/x-amz-json-1.1' },
    body,
  })
  const autoscaling = (action: string, purpose: string, body: unknown): PlanStep => ({
    kind: 'request',
    purpose: `${action}: ${purpose}`,
    method: 'POST',
    url: autoscalingUrl,
    headers: { 'X-Amz-Target': `${AUTOSCALING_TARGET}.${action}`, 'Content-Type': 'application/x-amz-json-1.1' },
    body,
  })

  // Fresh objects for each request (no shared references: YAML output would show anchors).
  const tags = () => [
    { key: 'managed-by', value: 'sls-run' },
    { key: 'sls-run-project', value: ctx.project },
    { key: 'sls-run-environment', value: ctx.environment },
  ]
  const command = commandList(service.command)
  const check = healthCheck(service, warnings, Boolean(targetGroup))
  const executionRoleArn = settings.executionRoleArn ?? EXECUTION_ROLE_LOOKUP
  const taskDefinition = {
    family,
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: String(cpu),
    memory: String(memory),
    runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: architecture },
    executionRoleArn,
    containerDefinitions: [
      {
        name: ctx.service,
        image: image.ref,
        essential: true,
        // sls-run's command replaces the entrypoint (as Kubernetes' command does): ECS entryPoint.
        ...(command ? { entryPoint: command } : {}),
        portMappings: [{ containerPort: service.port, protocol: 'tcp' }],
        environment: envList(service, warnings, 'ECS', { setPort: true }),
        ...(check ? { healthCheck: check } : {}),
        logConfiguration: {
          logDriver: 'awslogs',
          options: {
            'awslogs-group': `/sls-run/${ctx.project}/${ctx.environment}`,
            'awslogs-region': settings.region,
            'awslogs-stream-prefix': ctx.service,
            'awslogs-create-group': 'true',
          },
        },
      },
    ],
    tags: tags(),
  }

  const subnets = settings.subnets ?? [SUBNETS_LOOKUP]
  const networkConfiguration = () => ({
    awsvpcConfiguration: {
      subnets: [...subnets],
      ...(settings.securityGroups ? { securityGroups: [...settings.securityGroups] } : {}),
      assignPublicIp: settings.assignPublicIp ? 'ENABLED' : 'DISABLED',
    },
  })
  const balancing = () =>
    targetGroup
      ? {
          loadBalancers: [{ targetGroupArn: targetGroup, containerName: ctx.service, containerPort: service.port }],
          healthCheckGracePeriodSeconds: seconds(service.startupProbe.timeout),
        }
      : {}
  const deploymentConfiguration = () => ({ minimumHealthyPercent: 100, maximumPercent: 200, deploymentCircuitBreaker: { enable: true, rollback: true } })

  const resourceId = `service/${settings.cluster}/${ctx.service}`
  const steps: PlanStep[] = [
    ecs('RegisterTaskDefinition', `register a new revision of task definition ${family}`, taskDefinition),
    ecs('DescribeServices', 'does the service exist? CreateService if it is missing or INACTIVE, else UpdateService', { cluster: settings.cluster, services: [ctx.service] }),
    ecs('CreateService', 'only when DescribeServices finds no ACTIVE service', {
      cluster: settings.cluster,
      serviceName: ctx.service,
      taskDefinition: family,
      launchType: 'FARGATE',
      desiredCount: minCapacity,
      networkConfiguration: networkConfiguration(),
      ...balancing(),
      deploymentConfiguration: deploymentConfiguration(),
      propagateTags: 'SERVICE',
      enableECSManagedTags: true,
      tags: tags(),
    }),
    ecs('UpdateService', `otherwise: roll out the new revision${targetGroup ? ' (desiredCount left to Application Auto Scaling)' : ''}`, {
      cluster: settings.cluster,
      service: ctx.service,
      taskDefinition: family,
      ...(targetGroup ? {} : { desiredCount: minCapacity }),
      networkConfiguration: networkConfiguration(),
      ...balancing(),
      deploymentConfiguration: deploymentConfiguration(),
    }),
    autoscaling('RegisterScalableTarget', 'bound the number of tasks', {
      ServiceNamespace: 'ecs',
      ResourceId: resourceId,
      ScalableDimension: 'ecs:service:DesiredCount',
      MinCapacity: minCapacity,
      MaxCapacity: Math.max(minCapacity, scaling.maxInstances),
    }),
  ]
  let loadBalancer: string | null = null
  if (targetGroup) {
    // ResourceLabel: app/<lb name>/<lb id>/targetgroup/<tg name>/<tg id>; the load balancer comes from DescribeTargetGroups.
    loadBalancer = LOAD_BALANCER_LOOKUP
    const targetGroupPart = targetGroup.includes('targetgroup/') ? targetGroup.slice(targetGroup.indexOf('targetgroup/')) : targetGroup
    steps.push(
      autoscaling('PutScalingPolicy', 'scale on requests per task', {
        PolicyName: `${ctx.service}-requests`,
        ServiceNamespace: 'ecs',
        ResourceId: resourceId,
        ScalableDimension: 'ecs:service:DesiredCount',
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: {
          TargetValue: requestsPerMinute,
          PredefinedMetricSpecification: {
            PredefinedMetricType: 'ALBRequestCountPerTarget',
            ResourceLabel: `${LOAD_BALANCER_LABEL_LOOKUP}/${targetGroupPart}`,
          },
        },
      }),
    )
  }

  return {
    provider: 'aws-ecs',
    environment: ctx.environment,
    service: ctx.service,
    image: image.ref,
    target: {
      region: settings.region,
      cluster: settings.cluster,
      subnets: settings.subnets ? settings.subnets.join(',') : subnets[0]!,
      executionRole: executionRoleArn,
      loadBalancer,
    },
    steps,
    warnings,
    defaults,
  }
}
