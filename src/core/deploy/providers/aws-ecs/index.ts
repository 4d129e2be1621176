/**
 * Amazon ECS, in one of two modes (the environment's `mode`, default express):
 *
 * - express: an ECS Express Mode service (CreateExpressGatewayService…): ECS makes the task definition,
 *   service, HTTPS load balancer and scaling policy itself; the plan is in ./express-plan.ts, applied by ./express.ts.
 * - fargate: the pieces one by one, as before Express existed: a task definition, a service and
 *   Application Auto Scaling; the plan is in ./fargate-plan.ts, applied by ./deploy.ts.
 *
 * Status, remove and ECR tokens live beside them (./ops.ts; the AWS SDK clients load lazily: ./session.ts).
 * Names follow ECS's rules (./names.ts); `schedules:` cannot be deployed to ECS and stop the plan (./schedules.ts).
 */
import type { ServiceConfig } from '../../../config/schema.js'
import type { DigestRef } from '../../image-ref.js'
import type { Plan, PlanContext, Provider, ProviderSettings } from '../../types.js'
import { deployEcs } from './deploy.js'
import { deployExpress, isExpressPlan, removeExpress, statusExpress } from './express.js'
import { planExpress } from './express-plan.js'
import { planFargate } from './fargate-plan.js'
import { ECS_SERVICE_RULE } from './names.js'
import { registryAuthEcs, removeEcs, statusEcs } from './ops.js'
import { platformName } from '../../naming.js'
import { refuseSchedules } from './schedules.js'
import { awsEcsSettings } from './settings.js'

/** DEPLOY_SCHEDULE_UNSUPPORTED for a service with schedules (./schedules.ts), DEPLOY_NAME_INVALID for a deployName ECS refuses (./names.ts). */
export function planAwsEcs(service: ServiceConfig, image: DigestRef, given: ProviderSettings<'aws-ecs'>, ctx: PlanContext): Plan {
  refuseSchedules(service, ctx)
  const settings = awsEcsSettings.complete(given)
  return settings.mode === 'express' ? planExpress(service, image, settings, ctx) : planFargate(service, image, settings, ctx)
}

const { complete } = awsEcsSettings
const awsEcs: Provider<'aws-ecs'> = {
  id: 'aws-ecs',
  plan: async (service, image, settings, ctx) => planAwsEcs(service, image, settings, ctx),
  // deploy follows the plan it is given (its steps say which mode); status and remove follow the settings.
  deploy: (plan, settings, ctx) => (isExpressPlan(plan) ? deployExpress(plan, complete(settings), ctx) : deployEcs(plan, complete(settings), ctx)),
  // The ECS service's name: the deployName (ctx), else derived as the plans derive it (./names.ts).
  status: async (name, given, ctx) => {
    const settings = complete(given)
    const ecsName = platformName(name, ECS_SERVICE_RULE, ctx.deployName).name
    const found = await (settings.mode === 'express' ? statusExpress(ecsName, settings, ctx) : statusEcs(ecsName, settings, ctx))
    return found && { ...found, service: name }
  },
  remove: (name, given, ctx) => {
    const settings = complete(given)
    const ecsName = platformName(name, ECS_SERVICE_RULE, ctx.deployName).name
    return settings.mode === 'express' ? removeExpress(ecsName, settings, ctx) : removeEcs(ecsName, settings, ctx)
  },
  registryAuth: (registry, settings, ctx) => registryAuthEcs(registry, complete(settings), ctx),
}
export default awsEcs
