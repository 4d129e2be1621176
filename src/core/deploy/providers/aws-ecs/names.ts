/**
 * The names an ECS plan gives what it creates (the shared rules and derivation: ../../naming.ts). Every
 * name comes from the service's platform name: `deployName` as written, else the service name when it
 * fits ECS's rule, else one derived from it (DEPLOY_NAME_DERIVED).
 *
 * - ECS service (CreateService `serviceName`, CreateExpressGatewayService `serviceName`) and task definition
 *   family (RegisterTaskDefinition `family`): "Up to 255 letters (uppercase and lowercase), numbers,
 *   underscores, and hyphens are allowed" (Amazon ECS API Reference, CreateService and
 *   RegisterTaskDefinition, https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html,
 *   https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html; the same words
 *   in the ECS Smithy model, test/contract/published/SOURCES.md). The family is
 *   `<project>-<environment>-<service name>`, so it too is checked (and derived when too long).
 * - Application Auto Scaling policy (PutScalingPolicy `PolicyName`): 1–256 printable characters (the model's
 *   `length` 1..256 and `^\p{Print}+$`, https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PutScalingPolicy.html):
 *   `<service name>-requests`, derived when a long service name leaves no room for the suffix.
 * - awslogs: the stream prefix is the service name (CloudWatch Logs log stream names: 1–512 characters, no
 *   `:` or `*`, https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogStream.html);
 *   the log group, `/sls-run/<project>/<environment>`, is shared by an environment's services. Log group names:
 *   1–512 of `a-z A-Z 0-9 _ - / . #`, not starting with `aws/` (CreateLogGroup,
 *   https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html); project and
 *   environment names are DNS labels, so it always fits.
 *
 * No ALB target group is named by a plan (fargate takes `targetGroupArn` as given; Express makes its own), so
 * their 32-character rule does not apply here.
 */
import type { ServiceConfig } from '../../../config/schema.js'
import { platformName, type NameRule } from '../../naming.js'
import type { PlanContext, PlanWarning } from '../../types.js'

const ECS_NAME = { min: 1, max: 255, allowed: /^[A-Za-z0-9_-]$/, valid: /^[A-Za-z0-9_-]+$/, describe: 'up to 255 letters, digits, hyphens and underscores' }

export const ECS_SERVICE_RULE: NameRule = {
  platform: 'Amazon ECS',
  what: 'service',
  ...ECS_NAME,
  source: 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html#ECS-CreateService-request-serviceName',
}

export const ECS_FAMILY_RULE: NameRule = {
  platform: 'Amazon ECS',
  what: 'task definition family',
  ...ECS_NAME,
  source: 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html#ECS-RegisterTaskDefinition-request-family',
}

export const SCALING_POLICY_RULE: NameRule = {
  platform: 'Application Auto Scaling',
  what: 'scaling policy',
  min: 1,
  max: 256,
  allowed: /^[A-Za-z0-9_-]$/,
  valid: /^[\x20-\x7E]+$/,
  describe: '1–256 printable characters',
  source: 'https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PutScalingPolicy.html#autoscaling-PutScalingPolicy-request-PolicyName',
}

export interface EcsNames {
  /** The ECS service (also the awslogs stream prefix and the scalable target's resource id). */
  service: string
  /** The task definition family (fargate). */
  family: string
  /** The CloudWatch Logs group (fargate), shared by the environment's services. */
  logGroup: string
  /** The request-count scaling policy (fargate with a target group). */
  policy: string
  /** DEPLOY_NAME_DERIVED for each name that had to be derived, by what it names. */
  derived: { service?: PlanWarning; family?: PlanWarning; policy?: PlanWarning }
}

/** DEPLOY_NAME_INVALID when `service.deployName` breaks ECS's rule. */
export function ecsNames(service: ServiceConfig, ctx: PlanContext): EcsNames {
  const chosen = platformName(ctx.service, ECS_SERVICE_RULE, service.deployName)
  const family = platformName(`${ctx.project}-${ctx.environment}-${chosen.name}`, ECS_FAMILY_RULE)
  const policy = platformName(`${chosen.name}-requests`, SCALING_POLICY_RULE)
  return {
    service: chosen.name,
    family: family.name,
    logGroup: `/sls-run/${ctx.project}/${ctx.environment}`,
    policy: policy.name,
    derived: { service: chosen.warning, family: family.warning, policy: policy.warning },
  }
}
