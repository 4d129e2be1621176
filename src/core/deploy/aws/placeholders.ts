/**
 * The `<deploy-time lookup: …>` values an ECS plan carries (../aws-ecs.ts writes them, ./lookups.ts
 * fills them): one place, so the plan's text and the filler cannot drift apart. No SDK here.
 */
import { deployTimeLookup } from '../common.js'

export const EXECUTION_ROLE_LOOKUP = deployTimeLookup('arn:aws:iam::<account from sts:GetCallerIdentity>:role/ecsTaskExecutionRole')
export const SUBNETS_LOOKUP = deployTimeLookup('default VPC subnets (ec2:DescribeSubnets default-for-az=true)')
export const LOAD_BALANCER_LOOKUP = deployTimeLookup('the load balancer of the target group (elasticloadbalancing:DescribeTargetGroups)')
export const LOAD_BALANCER_LABEL_LOOKUP = deployTimeLookup('app/<load balancer name>/<load balancer id>')
