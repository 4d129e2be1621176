/**
 * The Fargate plan (`mode: fargate`, AWS JSON 1.1 protocol): the CloudWatch Logs group the tasks log to
 * (created with its retention: the task execution role cannot create it, see LOGS below), then register a
 * task definition, then create the service or update it (DescribeServices decides at deploy time,
 * ./deploy.ts), then Application Auto Scaling: a scalable target (min/max tasks) and, when the environment
 * names an ALB target group, a target-tracking policy on ALBRequestCountPerTarget. ECS never scales to zero
 * and has no per-task concurrency limit: the warnings say what happens instead. CPU and memory are fitted to
 * Fargate's combinations; names follow ECS's rules (./names.ts). No SDK here.
 */
import type { ServiceConfig } from '../../../config/schema.js'
import { commandList, envList, seconds, unsupportedTimeouts } from '../../common.js'
import { withPlatformDefaults } from '../../defaults.js'
import type { DigestRef } from '../../image-ref.js'
import type { Plan, PlanContext, PlanStep, PlanWarning } from '../../types.js'
import { ECS_DEFAULTS } from './defaults.js'
import { ecsNames } from './names.js'
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
/**
 * CloudWatch Logs (awsJson1_1, X-Amz-Target `Logs_20140328.<action>`). The plan creates the log group itself:
 * the awslogs option `awslogs-create-group` makes the task create it with the task execution role, which then
 * needs logs:CreateLogGroup ("Your IAM policy must include the logs:CreateLogGroup permission", LogConfiguration
 * `options`, https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_LogConfiguration.html), and the
 * AWS-managed AmazonECSTaskExecutionRolePolicy grants only logs:CreateLogStream and logs:PutLogEvents
 * (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonECSTaskExecutionRolePolicy.html): with the
 * default ecsTaskExecutionRole such tasks fail to start. CreateLogGroup answers ResourceAlreadyExistsException
 * on every later deploy (./deploy.ts ignores it); PutRetentionPolicy sets `logRetentionDays`.
 */
const LOGS_TARGET = 'Logs_20140328'

/**
 * http: a container health check (curl inside the image), with the whole startup timeout as grace. tcp: none.
 * The exec form (`CMD`: "run the command arguments directly", no shell; `CMD-SHELL` would run it with the
 * container's default shell: HealthCheck `command`, https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html),
 * so the path is one argument, never read by a shell: `&` in a query, `;` or `$(…)` (legal URL characters)
 * stay as written. `-g` (--globoff) keeps curl from reading `[]{}` as URL globs. Any non-zero exit is unhealthy
 * ("An exit code of 0 indicates success, and non-zero exit code indicates failure", the same page), so curl's
 * own exit code (22 on an HTTP error with -f) needs no `|| exit 1`.
 */
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
    command: ['CMD', 'curl', '-fsS', '-g', '-o', '/dev/null', `http://localhost:${service.port}${service.startupProbe.path}`],
    interval: HEALTH_INTERVAL_S,
    timeout: HEALTH_TIMEOUT_S,
    retries: HEALTH_RETRIES,
    startPeriod: Math.min(MAX_START_PERIOD_S, total),
  }
}

export function planFargate(written: ServiceConfig, image: DigestRef, settings: EcsSettings, ctx: PlanContext): Plan {
  const names = ecsNames(written, ctx)
  const warnings: PlanWarning[] = [names.derived.service, names.derived.family].filter((w): w is PlanWarning => w !== undefined)
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

  const { family, logGroup } = names
  const suffix = settings.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'
  const ecsUrl = `https://ecs.${settings.region}.${suffix}/`
  const autoscalingUrl = `https://application-autoscaling.${settings.region}.${suffix}/`
  const logsUrl = `https://logs.${settings.region}.${suffix}/`
  const ecs = (action: string, purpose: string, body: unknown): PlanStep => ({
    kind: 'request',
    purpose: `${action}: ${purpose}`,
    method: 'POST',
    url: ecsUrl,
    headers: { 'X-Amz-Target': `${ECS_TARGET}.${action}`, 'Content-Type': 'application/x-amz-json-1.1' },
    body,
  })
  const logs = (action: string, purpose: string, body: unknown): PlanStep => ({
    kind: 'request',
    purpose: `${action}: ${purpose}`,
    method: 'POST',
    url: logsUrl,
    headers: { 'X-Amz-Target': `${LOGS_TARGET}.${action}`, 'Content-Type': 'application/x-amz-json-1.1' },
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
        // The container keeps the sls-run service name (ECS's rule for container names is the service rule,
        // which every sls-run service name fits); the ECS service takes the platform name.
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
          // No awslogs-create-group: the plan's first steps create the group (LOGS_TARGET above).
          options: {
            'awslogs-group': logGroup,
            'awslogs-region': settings.region,
            'awslogs-stream-prefix': names.service,
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

  const resourceId = `service/${settings.cluster}/${names.service}`
  const steps: PlanStep[] = [
    logs('CreateLogGroup', `the tasks' log group (already there on later deploys: ResourceAlreadyExistsException is ignored)`, {
      logGroupName: logGroup,
      tags: Object.fromEntries(tags().map((t) => [t.key, t.value])),
    }),
    logs('PutRetentionPolicy', `keep the logs ${settings.logRetentionDays} days`, { logGroupName: logGroup, retentionInDays: settings.logRetentionDays }),
    ecs('RegisterTaskDefinition', `register a new revision of task definition ${family}`, taskDefinition),
    ecs('DescribeServices', 'does the service exist? CreateService if it is missing or INACTIVE, else UpdateService', { cluster: settings.cluster, services: [names.service] }),
    ecs('CreateService', 'only when DescribeServices finds no ACTIVE service', {
      cluster: settings.cluster,
      serviceName: names.service,
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
      service: names.service,
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
    if (names.derived.policy) warnings.push(names.derived.policy)
    steps.push(
      autoscaling('PutScalingPolicy', 'scale on requests per task', {
        PolicyName: names.policy,
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
