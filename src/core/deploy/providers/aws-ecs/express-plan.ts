/**
 * The ECS Express Mode plan (pure): DescribeExpressGatewayService, then CreateExpressGatewayService
 * with the full body or UpdateExpressGatewayService (./express.ts decides at deploy time, as the
 * Fargate path does with DescribeServices). ECS makes the task definition, the service, an HTTPS
 * Application Load Balancer with its own URL, security groups and a target-tracking scaling policy
 * from these bodies. Mapping: image, port, command, env (+PORT) → primaryContainer; resources → cpu /
 * memory (Fargate's combinations); scaling → scalingTarget (REQUEST_COUNT_PER_TARGET); an http
 * startup probe → healthCheckPath (the load balancer's check, an HTTP GET of the path as written: no shell
 * reads it). The service's name follows ECS's rule (./names.ts). No SDK here.
 */
import type { ServiceConfig } from '../../../config/schema.js'
import { commandList, envList, seconds, unsupportedTimeouts } from '../../common.js'
import { withPlatformDefaults, type WithDefaults } from '../../defaults.js'
import type { DigestRef } from '../../image-ref.js'
import type { Plan, PlanContext, PlanStep, PlanWarning } from '../../types.js'
import { ecsNames } from './names.js'
import { EXECUTION_ROLE_LOOKUP, expressServiceArnLookup, INFRASTRUCTURE_ROLE_LOOKUP } from './placeholders.js'
import { ECS_EXPRESS_DEFAULTS, EXPRESS_DEFAULT_METRIC } from './defaults.js'
import { cpuArchitecture, fitResources } from './sizes.js'
import type { EcsSettings } from './settings.js'

const ECS_TARGET = 'AmazonEC2ContainerServiceV20141113'
/** The idle timeout of the load balancer Express creates (the ALB default). */
const ALB_DEFAULT_IDLE_TIMEOUT_S = 60
/** REQUEST_COUNT_PER_TARGET tracks ALBRequestCountPerTarget, a per-minute count; concurrency is converted assuming ~1 s per request. */
const ASSUMED_REQUEST_S = 1
/** What the load balancer checks when the startup probe is tcp (Express's own default, /ping, rarely exists). */
const TCP_FALLBACK_PATH = '/'

function warnSettings({ service, unset }: WithDefaults, settings: EcsSettings, requestsPerMinute: number, warnings: PlanWarning[]): void {
  const { scaling } = service
  if (scaling.minInstances === 0) {
    warnings.push({
      code: 'ECS_NO_SCALE_TO_ZERO',
      setting: 'scaling.minInstances',
      message: 'ECS Express services do not scale to zero (a stopped service does not start when a request arrives); minInstances 0 becomes minTaskCount 1',
    })
  }
  if (!unset('scaling.concurrency')) {
    warnings.push({
      code: 'ECS_CONCURRENCY',
      setting: 'scaling.concurrency',
      message: `ECS has no per-task concurrency limit; concurrency ${scaling.concurrency} becomes an Express scaling target of ${requestsPerMinute} requests per task per minute (REQUEST_COUNT_PER_TARGET), which equals ${scaling.concurrency} in flight only if requests take about ${ASSUMED_REQUEST_S}s`,
    })
  }
  if (service.cpuThrottling) {
    warnings.push({ code: 'ECS_CPU_THROTTLING', setting: 'cpuThrottling', message: 'Fargate tasks keep their CPU (and are billed) while running, between requests too; cpuThrottling is not honoured' })
  }
  unsupportedTimeouts(service, warnings, 'ECS Express', {
    idleTimeout: 'has no idle timeout: target tracking removes tasks only after the request count stays below target for about 15 minutes; scaling.idleTimeout is not sent',
    queueTimeout: 'has no queue timeout: requests wait in the load balancer until a target answers or the connection times out; scaling.queueTimeout is not sent',
  })
  if (!unset('timeout')) {
    warnings.push({
      code: 'ECS_TIMEOUT_NOT_ENFORCED',
      setting: 'timeout',
      message: `ECS has no request timeout; the load balancer Express creates ends a request that sends nothing for ${ALB_DEFAULT_IDLE_TIMEOUT_S}s (idle_timeout.timeout_seconds): set it to at least ${seconds(service.timeout)}s on that load balancer (not changed by this plan)`,
    })
  }
  if (service.startupProbe.type === 'tcp') {
    warnings.push({
      code: 'ECS_EXPRESS_HEALTH_CHECK_TCP',
      setting: 'startupProbe',
      message: `Express health checks are HTTP from the load balancer: the tcp startup probe becomes healthCheckPath ${TCP_FALLBACK_PATH} (GET must answer 200), or tasks are replaced; use an http startupProbe with a health path`,
    })
  }
  if (service.command !== undefined) {
    warnings.push({ code: 'ECS_EXPRESS_COMMAND', setting: 'command', message: "Express sets the container's command (CMD) only: when the image has an ENTRYPOINT, command becomes its arguments" })
  }
  if (!settings.subnets) {
    warnings.push({
      code: 'ECS_EXPRESS_PUBLIC',
      setting: 'subnets',
      message:
        'without subnets Express uses the default VPC, whose subnets are public: its load balancer is internet-facing and the URL is reachable from the internet; give private subnets for an internal one',
    })
  }
  if (settings.assignPublicIp) {
    warnings.push({ code: 'ECS_EXPRESS_ASSIGN_PUBLIC_IP', setting: 'assignPublicIp', message: 'Express has no public IP setting for tasks (ECS decides from the subnets); assignPublicIp is not sent' })
  }
  if (settings.targetGroupArn) {
    warnings.push({
      code: 'ECS_EXPRESS_TARGET_GROUP',
      setting: 'targetGroupArn',
      message: 'Express creates and manages its own load balancer and target group; targetGroupArn is not used (mode: fargate uses it)',
    })
  }
}

export function planExpress(written: ServiceConfig, image: DigestRef, settings: EcsSettings, ctx: PlanContext): Plan {
  // Express names the task definition family and the log group itself: only the service is named here.
  const names = ecsNames(written, ctx)
  const name = names.service
  const warnings: PlanWarning[] = names.derived.service ? [names.derived.service] : []
  const withDefaults = withPlatformDefaults(written, ctx, ECS_EXPRESS_DEFAULTS)
  const { service, defaults, unset } = withDefaults
  const { scaling } = service
  const architecture = cpuArchitecture(image, warnings)
  const { cpu, memory } = fitResources(service, warnings, !unset('resources.memory'))
  const minTaskCount = Math.max(1, scaling.minInstances)
  const requestsPerMinute = Math.round((scaling.concurrency * 60) / ASSUMED_REQUEST_S)
  const metric = unset('scaling.concurrency') ? EXPRESS_DEFAULT_METRIC : { autoScalingMetric: 'REQUEST_COUNT_PER_TARGET', autoScalingTargetValue: requestsPerMinute }
  warnSettings(withDefaults, settings, requestsPerMinute, warnings)

  const suffix = settings.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'
  const ecs = (action: string, purpose: string, body: unknown): PlanStep => ({
    kind: 'request',
    purpose: `${action}: ${purpose}`,
    method: 'POST',
    url: `https://ecs.${settings.region}.${suffix}/`,
    headers: { 'X-Amz-Target': `${ECS_TARGET}.${action}`, 'Content-Type': 'application/x-amz-json-1.1' },
    body,
  })

  const command = commandList(service.command)
  const environment = envList(service, warnings, 'ECS', { setPort: true })
  const executionRoleArn = settings.executionRoleArn ?? EXECUTION_ROLE_LOOKUP
  const infrastructureRoleArn = settings.infrastructureRoleArn ?? INFRASTRUCTURE_ROLE_LOOKUP
  const serviceArn = expressServiceArnLookup(settings.region, settings.cluster, name)
  // Fresh objects for each request (no shared references: YAML output would show anchors).
  const configuration = () => ({
    executionRoleArn,
    primaryContainer: {
      image: image.ref,
      containerPort: service.port,
      ...(command ? { command: [...command] } : {}),
      environment: environment.map((e) => ({ ...e })),
    },
    healthCheckPath: service.startupProbe.type === 'http' ? service.startupProbe.path : TCP_FALLBACK_PATH,
    cpu: String(cpu),
    memory: String(memory),
    cpuArchitecture: architecture,
    ...(settings.subnets
      ? { networkConfiguration: { subnets: [...settings.subnets], ...(settings.securityGroups ? { securityGroups: [...settings.securityGroups] } : {}) } }
      : settings.securityGroups
        ? { networkConfiguration: { securityGroups: [...settings.securityGroups] } }
        : {}),
    scalingTarget: {
      minTaskCount,
      maxTaskCount: Math.max(minTaskCount, scaling.maxInstances),
      ...metric,
    },
  })

  const steps: PlanStep[] = [
    ecs('DescribeExpressGatewayService', 'does the Express service exist? CreateExpressGatewayService if it is missing or INACTIVE, else UpdateExpressGatewayService', { serviceArn }),
    ecs('CreateExpressGatewayService', 'only when DescribeExpressGatewayService finds no ACTIVE service', {
      cluster: settings.cluster,
      serviceName: name,
      infrastructureRoleArn,
      ...configuration(),
      tags: [
        { key: 'managed-by', value: 'sls-run' },
        { key: 'sls-run-project', value: ctx.project },
        { key: 'sls-run-environment', value: ctx.environment },
      ],
    }),
    ecs('UpdateExpressGatewayService', 'otherwise, unless the active configuration already is this one: roll out a new service revision', { serviceArn, ...configuration() }),
  ]

  return {
    provider: 'aws-ecs',
    environment: ctx.environment,
    service: ctx.service,
    image: image.ref,
    target: {
      mode: 'express',
      region: settings.region,
      cluster: settings.cluster,
      subnets: settings.subnets ? settings.subnets.join(',') : 'default VPC (chosen by ECS)',
      executionRole: executionRoleArn,
      infrastructureRole: infrastructureRoleArn,
    },
    steps,
    warnings,
    defaults,
  }
}
