/**
 * ECS's published defaults, for what sls-run.yaml leaves unset (../../defaults.ts). ECS publishes them for
 * Express Mode services (a 1 vCPU / 2 GB Fargate task, 1 to 20 tasks, target tracking on average CPU at
 * 60%): https://docs.aws.amazon.com/AmazonECS/latest/developerguide/express-service-work.html. A Fargate
 * task definition and Application Auto Scaling target have no defaults of their own (the API requires
 * cpu, memory and the bounds), so `mode: fargate` uses the same sizes and bounds; its request-count
 * scaling (with targetGroupArn) keeps sls-run's concurrency. ECS has no request timeout: an
 * Application Load Balancer closes a connection idle for 60 s by default:
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html#connection-idle-timeout
 */
import type { PlatformDefaults } from '../../defaults.js'

const EXPRESS = 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/express-service-work.html'
/** Express Mode's default scaling metric and target when sls-run.yaml sets no concurrency. */
export const EXPRESS_DEFAULT_METRIC = { autoScalingMetric: 'AVERAGE_CPU', autoScalingTargetValue: 60 } as const

export const ECS_DEFAULTS: PlatformDefaults = {
  'resources.cpu': { value: 1, shown: '1 (cpu 1024)', source: EXPRESS },
  'resources.memory': { value: 2 * 1024 ** 3, shown: '2Gi (memory 2048)', source: EXPRESS },
  'scaling.minInstances': { value: 1, source: EXPRESS },
  'scaling.maxInstances': { value: 20, source: EXPRESS },
  timeout: {
    shown: "none: ECS has no request timeout (a load balancer's idle timeout, 60s by default, applies)",
    source: 'https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html#connection-idle-timeout',
  },
}

/** Express only: with no concurrency set it scales as Express does by default. */
export const ECS_EXPRESS_DEFAULTS: PlatformDefaults = {
  ...ECS_DEFAULTS,
  'scaling.concurrency': { shown: `none: scales on average CPU, target ${EXPRESS_DEFAULT_METRIC.autoScalingTargetValue}% (${EXPRESS_DEFAULT_METRIC.autoScalingMetric})`, source: EXPRESS },
}
