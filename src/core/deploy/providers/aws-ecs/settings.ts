/** The settings of a `provider: aws-ecs` environment: the only description of them (../settings.ts). */
import { bool, got, list, nonEmpty, oneOf } from '../../../config/fields.js'
import * as z from '../../../../vendor/zod.js'
import { defineSettings, type SettingsOf } from '../settings.js'

/**
 * The retention periods CloudWatch Logs accepts, in days (PutRetentionPolicy `retentionInDays`:
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html; the model
 * types it as a plain integer and lists the values in its documentation).
 */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const
const retentionDays = () => z.literal(LOG_RETENTION_DAYS, { error: (issue) => `must be one of ${LOG_RETENTION_DAYS.join(', ')} (days; got ${got(issue.input)})` })

export const awsEcsSettings = defineSettings('aws-ecs', {
  mode: oneOf(['express', 'fargate'])
    .prefault('express')
    .describe('express: an ECS Express Mode service (ECS manages the load balancer, HTTPS URL and scaling); fargate: task definition + service + Application Auto Scaling'),
  region: nonEmpty('a region such as eu-west-1').describe('AWS region'),
  cluster: nonEmpty('a cluster name').prefault('default').describe('ECS cluster'),
  subnets: list(nonEmpty('a subnet id'), 'subnet ids').optional().describe('awsvpc subnets (default: the default VPC; fargate reads its subnets at deploy time)'),
  securityGroups: list(nonEmpty('a security group id'), 'security group ids').optional().describe('awsvpc security groups'),
  assignPublicIp: bool().prefault(false).describe('fargate: give tasks a public IP'),
  targetGroupArn: nonEmpty('a target group ARN').optional().describe('fargate: ALB target group: requests route through it and scale tasks'),
  executionRoleArn: nonEmpty('an IAM role ARN').optional().describe('Task execution role (default: ecsTaskExecutionRole)'),
  logRetentionDays: retentionDays()
    .prefault(30)
    .describe("fargate: days CloudWatch Logs keeps the tasks' logs (the plan creates the log group /sls-run/<project>/<environment> and sets its retention)"),
  infrastructureRoleArn: nonEmpty('an IAM role ARN')
    .optional()
    .describe('express: the role ECS uses to manage the load balancer, security groups and scaling (default: ecsInfrastructureRoleForExpressServices)'),
})

/** What the adapter works with: every default in place. */
export type EcsSettings = SettingsOf<typeof awsEcsSettings>
