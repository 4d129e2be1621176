/**
 * The `<deploy-time lookup: …>` values an ECS plan carries (./index.ts and ./express-plan.ts write them, ./lookups.ts
 * fills them): one place, so the plan's text and the filler cannot drift apart. No SDK here.
 */
import { deployTimeLookup } from '../../common.js'

export const EXECUTION_ROLE_LOOKUP = deployTimeLookup('arn:aws:iam::<account from sts:GetCallerIdentity>:role/ecsTaskExecutionRole')
export const SUBNETS_LOOKUP = deployTimeLookup('default VPC subnets (ec2:DescribeSubnets default-for-az=true)')
export const LOAD_BALANCER_LOOKUP = deployTimeLookup('the load balancer of the target group (elasticloadbalancing:DescribeTargetGroups)')
export const LOAD_BALANCER_LABEL_LOOKUP = deployTimeLookup('app/<load balancer name>/<load balancer id>')

/** What every account lookup says; ./lookups.ts replaces it with the caller's account (express: sts:GetCallerIdentity). */
export const ACCOUNT_MARKER = '<account from sts:GetCallerIdentity>'
/** Express: the documented default name of the infrastructure role (AmazonECSInfrastructureRoleforExpressGatewayServices attached). */
export const INFRASTRUCTURE_ROLE_LOOKUP = deployTimeLookup(`arn:aws:iam::${ACCOUNT_MARKER}:role/ecsInfrastructureRoleForExpressServices`)
/** Express: Describe/Update/Delete take the service ARN, which holds the account. */
export const expressServiceArnLookup = (region: string, cluster: string, service: string) => deployTimeLookup(`arn:aws:ecs:${region}:${ACCOUNT_MARKER}:service/${cluster}/${service}`)
