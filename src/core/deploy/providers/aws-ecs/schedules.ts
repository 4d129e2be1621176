/**
 * A service's `schedules:` on ECS: refused, before anything is sent (DEPLOY_SCHEDULE_UNSUPPORTED).
 *
 * AWS's scheduler, EventBridge Scheduler, starts a target named by ARN with an IAM role: a schedule's
 * `Target` requires `Arn` and `RoleArn`, and its other members are parameters for ECS RunTask, EventBridge,
 * Kinesis, SageMaker and SQS targets (CreateSchedule, https://docs.aws.amazon.com/scheduler/latest/APIReference/API_Target.html;
 * the same in the Scheduler Smithy model, test/contract/published/aws/scheduler.extract.json). There is no HTTP
 * target: it cannot send a request (method, path, headers, body) to a service's URL, which is what a schedule
 * of sls-run.yaml is. Sending it from a one-off ECS task instead would need a URL such a task can reach
 * (`mode: fargate` without a load balancer has none), an image with an HTTP client, and a role for the
 * scheduler that sls-run does not manage; EventBridge rules can call an HTTPS "API destination" on a schedule,
 * but only a public HTTPS endpoint, with a connection for its authorization, and cron read in UTC. So the plan
 * stops and says what to do instead (docs/deploy/aws-ecs.md#schedules).
 */
import { ExitCode, SlsError } from '../../../../errors.js'
import type { ServiceConfig } from '../../../config/schema.js'
import type { PlanContext } from '../../types.js'

/** Throws DEPLOY_SCHEDULE_UNSUPPORTED naming each of the service's schedules; nothing when it has none. */
export function refuseSchedules(service: ServiceConfig, ctx: PlanContext): void {
  if (!service.schedules.length) return
  const named = service.schedules.map((s) => `${s.name} ("${s.cron}": ${s.method} ${s.path})`).join(', ')
  throw new SlsError(
    'DEPLOY_SCHEDULE_UNSUPPORTED',
    `services.${ctx.service}.schedules: AWS ECS cannot deploy ${service.schedules.length === 1 ? 'this schedule' : 'these schedules'}: ${named}. ` +
      "AWS's scheduler (EventBridge Scheduler) starts a target by ARN with an IAM role (an ECS task, a queue…) and cannot send an HTTP request to a service",
    {
      exitCode: ExitCode.usage,
      hints: [
        `Leave them out of this environment (environments.${ctx.environment}.services.${ctx.service}.schedules: []) and run the job as a scheduled ECS task that does the work itself (EventBridge Scheduler with an ECS RunTask target), or send the request from a scheduler that can reach the service's URL.`,
        'What a schedule needs on AWS: docs/deploy/aws-ecs.md#schedules',
      ],
    },
  )
}
