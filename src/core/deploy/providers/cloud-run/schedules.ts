/**
 * A service's `schedules:` on Cloud Run: one Cloud Scheduler job each (Cloud Scheduler API v1,
 * `projects.locations.jobs`, https://cloud.google.com/scheduler/docs/reference/rest/v1/projects.locations.jobs),
 * an HTTP target that calls the service's URL + path with an OIDC token of `schedulerServiceAccount`, the
 * way Cloud Run documents scheduled invocation
 * (https://cloud.google.com/run/docs/triggering/using-scheduler: "audience" = the service URL, and the
 * account holds roles/run.invoker on the service, which the plan's setIamPolicy step grants).
 *
 * The service URL exists once Cloud Run has created the service, so the plan shows it as a deploy-time
 * lookup (`<deploy-time lookup: …>`) and deploy fills it in (./run-deploy.ts). What Cloud Scheduler cannot
 * send as written is refused before anything is sent (DEPLOY_SCHEDULE_UNSUPPORTED); what it sends
 * differently is a warning.
 */
import { ExitCode, SlsError } from '../../../../errors.js'
import type { ServiceConfig } from '../../../config/schema.js'
import { standardCron } from '../../../cron.js'
import { deployTimeLookup, seconds } from '../../common.js'
import type { PlanContext, PlanStep, PlanWarning, ProviderSettings } from '../../types.js'

export const SCHEDULER_API = 'https://cloudscheduler.googleapis.com/v1'

/** The fields of a Job the plan sets: an update replaces each of them whole (PATCH …?updateMask=). */
export const JOB_FIELDS = ['description', 'schedule', 'timeZone', 'httpTarget', 'retryConfig', 'attemptDeadline'] as const

/**
 * JOB_ID "can contain only letters ([A-Za-z]), numbers ([0-9]), hyphens (-), or underscores (_). The
 * maximum length is 500 characters." (Job.name in the v1 reference).
 */
const JOB_ID = /^[A-Za-z0-9_-]{1,500}$/

/** "Values greater than 5 and negative values are not allowed." (RetryConfig.retryCount). */
const MAX_RETRY_COUNT = 5

/** attemptDeadline of HTTP targets "must be in the interval [15 seconds, 30 minutes]" (Job.attemptDeadline). */
const DEADLINE_MIN_S = 15
const DEADLINE_MAX_S = 30 * 60

/** "A request body is allowed only if the HTTP method is POST, PUT, or PATCH." (HttpTarget.body). */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH'])

/**
 * Headers Cloud Scheduler computes or replaces (HttpTarget.headers: Host, Content-Length, User-Agent,
 * X-Google-*, X-AppEngine-*, X-CloudScheduler*), and Authorization, which the OIDC token fills
 * (HttpTarget.oidcToken): none of them reaches the service as written.
 */
const REPLACED_HEADER = /^(host|content-length|user-agent|authorization|x-google-.*|x-appengine-.*|x-cloudscheduler.*)$/i

/** Every `<deploy-time lookup: …>` of a job body that deploy replaces with the service's URL. */
export const serviceUrlLookup = (name: string) => deployTimeLookup(`uri of Cloud Run service ${name}`)
export const SERVICE_URL_LOOKUP = /<deploy-time lookup: uri of Cloud Run service [^<>]*>/g

/**
 * A job's description names the schedule and the service, so that deploy and remove can tell the jobs of a
 * service from others (Cloud Scheduler jobs have no labels): `sls-run schedule <schedule> of Cloud Run service <name> (…)`.
 */
export const jobDescription = (schedule: string, name: string, ctx: PlanContext) => `sls-run schedule ${schedule} of Cloud Run service ${name} (project ${ctx.project}, environment ${ctx.environment})`
export const isJobOf = (description: string | undefined, name: string) => /^sls-run schedule \S+ of Cloud Run service (\S+) \(/.exec(description ?? '')?.[1] === name

type Schedule = ServiceConfig['schedules'][number]

const durationOf = (ms: number) => `${ms / 1000}s`

/** The unix-cron form of a schedule's cron (Cloud Scheduler reads unix-cron: https://cloud.google.com/scheduler/docs/configuring/cron-job-schedules), or why it has none. */
function unixCron(cron: string): { schedule: string } | { problem: string } {
  const standard = standardCron(cron)
  return 'problem' in standard ? standard : { schedule: standard.fields }
}

function refuse(ctx: PlanContext, schedule: Schedule, why: string, hint: string): never {
  throw new SlsError('DEPLOY_SCHEDULE_UNSUPPORTED', `services.${ctx.service}.schedules: ${schedule.name} cannot be deployed to Cloud Scheduler as written: ${why}`, {
    exitCode: ExitCode.usage,
    hints: [hint, 'What Cloud Scheduler sends: docs/deploy/cloud-run.md#schedules'],
  })
}

export interface PlannedSchedules {
  /** One request per schedule (create or update its job). */
  steps: PlanStep[]
  /** The member to grant roles/run.invoker on the service, when there are schedules. */
  invoker: string | null
}

/**
 * The Cloud Scheduler jobs of `service` (deployed as `name`), one PATCH step each, or none. Throws
 * DEPLOY_SCHEDULE_UNSUPPORTED for schedules without a scheduler service account, or one Cloud Scheduler
 * cannot send as written.
 */
export function planSchedules(service: ServiceConfig, settings: ProviderSettings<'cloud-run'>, ctx: PlanContext, name: string, warnings: PlanWarning[]): PlannedSchedules {
  if (!service.schedules.length) return { steps: [], invoker: null }
  const account = settings.schedulerServiceAccount
  if (!account) {
    throw new SlsError(
      'DEPLOY_SCHEDULE_UNSUPPORTED',
      `services.${ctx.service}.schedules: Cloud Scheduler calls a Cloud Run service with an OIDC token of a service account, and environment ${ctx.environment} names none (schedulerServiceAccount)`,
      {
        exitCode: ExitCode.usage,
        hints: [
          `Set environments.${ctx.environment}.schedulerServiceAccount to a service account of project ${settings.project} (e.g. scheduler@${settings.project}.iam.gserviceaccount.com); deploy grants it roles/run.invoker on the service.`,
          'What schedules need on Cloud Run: docs/deploy/cloud-run.md#schedules',
        ],
      },
    )
  }
  const lookup = serviceUrlLookup(name)
  const parent = `projects/${settings.project}/locations/${settings.region}`
  // The scheduler waits as long as the service may take to answer, within what it allows.
  const timeout = seconds(service.timeout)
  const deadline = Math.min(Math.max(timeout, DEADLINE_MIN_S), DEADLINE_MAX_S)
  if (timeout > DEADLINE_MAX_S) {
    warnings.push({
      code: 'CLOUD_SCHEDULER_ATTEMPT_DEADLINE',
      setting: 'timeout',
      message: `Cloud Scheduler waits at most 30 minutes for an answer (attemptDeadline); the jobs of ${ctx.service} give up after 1800s though its timeout is ${timeout}s`,
    })
  }
  const steps = service.schedules.map((schedule): PlanStep => {
    const cron = unixCron(schedule.cron)
    if ('problem' in cron) refuse(ctx, schedule, cron.problem, 'Write the cron as 5 unix-cron fields (minute hour day-of-month month day-of-week).')
    if (schedule.body !== undefined && !BODY_METHODS.has(schedule.method)) {
      refuse(ctx, schedule, `Cloud Scheduler sends a body only with POST, PUT or PATCH, and this schedule is ${schedule.method} with a body`, 'Leave out the body, or use POST, PUT or PATCH.')
    }
    const replaced = Object.keys(schedule.headers).filter((h) => REPLACED_HEADER.test(h))
    if (replaced.length) {
      refuse(
        ctx,
        schedule,
        `Cloud Scheduler sets ${replaced.join(', ')} itself (Host, Content-Length, User-Agent, Authorization with the OIDC token, X-Google-*, X-AppEngine-*, X-CloudScheduler*)`,
        'Leave those headers out: Cloud Scheduler sends its own.',
      )
    }
    if (schedule.retry.count > MAX_RETRY_COUNT) {
      warnings.push({
        code: 'CLOUD_SCHEDULER_RETRY_COUNT',
        setting: `schedules.${schedule.name}.retry.count`,
        message: `Cloud Scheduler retries a job at most 5 times; schedule ${schedule.name}'s retry.count ${schedule.retry.count} becomes 5`,
      })
    }
    const jobId = `${name}-${schedule.name}`
    if (!JOB_ID.test(jobId)) throw new Error(`Cloud Scheduler job id ${jobId} breaks the JOB_ID rule`) // names are DNS labels: a bug
    const jobName = `${parent}/jobs/${jobId}`
    const headers = Object.keys(schedule.headers).length ? { headers: { ...schedule.headers } } : {}
    const body = {
      name: jobName,
      description: jobDescription(schedule.name, name, ctx),
      schedule: cron.schedule,
      timeZone: schedule.timezone,
      httpTarget: {
        uri: `${lookup}${schedule.path}`,
        httpMethod: schedule.method,
        ...headers,
        ...(schedule.body !== undefined ? { body: Buffer.from(schedule.body, 'utf8').toString('base64') } : {}),
        oidcToken: { serviceAccountEmail: account, audience: lookup },
      },
      retryConfig: {
        retryCount: Math.min(schedule.retry.count, MAX_RETRY_COUNT),
        minBackoffDuration: durationOf(schedule.retry.minBackoff),
        maxBackoffDuration: durationOf(schedule.retry.maxBackoff),
        maxDoublings: schedule.retry.maxDoublings,
      },
      attemptDeadline: `${deadline}s`,
    }
    return {
      kind: 'request',
      purpose: `create or update Cloud Scheduler job ${jobId} (schedule ${schedule.name}): read first; POST ${parent}/jobs with this body when it does not exist, nothing when it already matches`,
      method: 'PATCH',
      url: `${SCHEDULER_API}/${jobName}?updateMask=${JOB_FIELDS.join(',')}`,
      body,
    }
  })
  return { steps, invoker: `serviceAccount:${account}` }
}
