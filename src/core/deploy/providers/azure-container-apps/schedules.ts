/**
 * A service's `schedules:` on Azure Container Apps: one Container Apps job each (Microsoft.App/jobs,
 * api-version 2024-03-01, `configuration.triggerType: Schedule`), whose one container sends the request to the
 * app with curl, in the app's managed environment, so the app's internal FQDN is reachable when the app is not
 * public ("Jobs in Azure Container Apps", https://learn.microsoft.com/en-us/azure/container-apps/jobs: "Container
 * apps and jobs run in the same environment, allowing them to share capabilities such as networking").
 *
 * What the platform decides, with its sources:
 * - Cron: "the standard cron expression format with five fields", "evaluated in Coordinated Universal Time
 *   (UTC)" (the jobs page above); the 2024-03-01 schema has no time zone (JobConfigurationScheduleTriggerConfig:
 *   cronExpression, parallelism, replicaCompletionCount; test/contract/published/azure). So a schedule whose
 *   `timezone` is not UTC (or one of its aliases, offset 0 and no daylight saving time) is refused
 *   (DEPLOY_SCHEDULE_UNSUPPORTED) rather than converted, since an offset conversion is wrong half the year where
 *   clocks change; so are six fields (seconds, a local extension) and croner's L, W and # (not standard cron).
 *   The nicknames (@hourly…) are sent as the five fields they stand for, which is exact.
 * - Retries: `replicaRetryLimit` ("Maximum number of retries before failing the job", JobConfiguration) is
 *   `retry.count`; Container Apps has no back-off settings, so minBackoff/maxBackoff/maxDoublings are not sent.
 * - `replicaTimeout` ("Maximum number of seconds a replica is allowed to run") covers curl's --max-time (the
 *   service's timeout, at most the ingress's 240 s) plus a minute to pull and start the small image.
 *
 * The URL is `https://<the app's ingress FQDN><path>`: the FQDN is only known once the app exists, so the plan
 * shows a deploy-time lookup that ./apply.ts fills from the app (as it fills the environment's location).
 */
import { ExitCode, SlsError } from '../../../../errors.js'
import type { ServiceConfig } from '../../../config/schema.js'
import { standardCron } from '../../../cron.js'
import { deployTimeLookup, seconds } from '../../common.js'
import type { PlanContext, PlanStep, PlanWarning } from '../../types.js'
import type { SettingsOf } from '../settings.js'
import { isAcr } from './acr.js'
import { ACA_API_VERSION, ARM_API, jobId } from './ids.js'
import { jobName } from './names.js'
import { USER_ASSIGNED_IDENTITY, type azureContainerAppsSettings } from './settings.js'

type Settings = SettingsOf<typeof azureContainerAppsSettings>
type Schedule = ServiceConfig['schedules'][number]

/** IANA names of UTC itself (tzdata `etcetera` and `backward`: links to Etc/UTC or zones at offset 0 without DST). */
const UTC_ZONES = new Set(
  [
    'UTC',
    'Etc/UTC',
    'Etc/UCT',
    'UCT',
    'Etc/Universal',
    'Universal',
    'Etc/Zulu',
    'Zulu',
    'Etc/GMT',
    'GMT',
    'Etc/GMT0',
    'GMT0',
    'Etc/GMT+0',
    'GMT+0',
    'Etc/GMT-0',
    'GMT-0',
    'Etc/Greenwich',
    'Greenwich',
  ].map((z) => z.toLowerCase()),
)

/** The ingress ends every request after 240 s (https://learn.microsoft.com/en-us/azure/container-apps/ingress-overview). */
const INGRESS_TIMEOUT_S = 240
/** Time for a job replica to pull the image and start, beyond the request itself. */
const START_MARGIN_S = 60
/** The smallest consumption allocation (https://learn.microsoft.com/en-us/azure/container-apps/containers#allocations). */
const JOB_RESOURCES = { cpu: 0.25, memory: '0.5Gi' }
const RETRY_DEFAULTS = { minBackoff: 5_000, maxBackoff: 3_600_000, maxDoublings: 5 }

const JOBS = 'https://learn.microsoft.com/en-us/azure/container-apps/jobs'

function unsupported(ctx: PlanContext, schedule: Schedule, why: string, hint: string): SlsError {
  return new SlsError('DEPLOY_SCHEDULE_UNSUPPORTED', `services.${ctx.service}.schedules.${schedule.name}: Azure Container Apps cannot deploy this schedule: ${why}`, {
    exitCode: ExitCode.usage,
    hints: [hint, `Container Apps jobs: ${JOBS}`],
  })
}

/** The schedule's cron as a Container Apps job reads it (five fields, UTC), or a DEPLOY_SCHEDULE_UNSUPPORTED error. */
export function jobCron(schedule: Schedule, ctx: PlanContext): string {
  if (!UTC_ZONES.has(schedule.timezone.toLowerCase())) {
    throw unsupported(
      ctx,
      schedule,
      `timezone ${schedule.timezone}: Container Apps jobs read cron expressions in UTC only (the 2024-03-01 API has no time zone)`,
      `Write the cron in UTC and set timezone: Etc/UTC (in this environment: environments.${ctx.environment}.services.${ctx.service}.schedules). A fixed offset is not converted for you: it would be wrong whenever ${schedule.timezone} changes its clocks.`,
    )
  }
  const standard = standardCron(schedule.cron)
  if ('problem' in standard) {
    throw unsupported(
      ctx,
      schedule,
      `cron "${schedule.cron}": ${standard.problem}; Container Apps jobs read standard cron`,
      'Use five fields (minute hour day-of-month month day-of-week) of numbers, names, *, ranges, lists and steps.',
    )
  }
  return standard.fields
}

/** curl's arguments for the schedule's request to `url`: fails (exit 22) on a non-2xx answer, so the execution fails. */
export function curlArgs(schedule: Schedule, url: string, maxTimeS: number): string[] {
  const args = ['--silent', '--show-error', '--fail-with-body', '--max-time', String(maxTimeS)]
  if (schedule.method === 'HEAD') args.push('--head')
  else args.push('--request', schedule.method)
  const headers = Object.entries(schedule.headers)
  // As the emulator and Cloud Scheduler send a body: application/octet-stream unless the schedule sets its own.
  if (schedule.body !== undefined && !headers.some(([name]) => name.toLowerCase() === 'content-type')) headers.push(['Content-Type', 'application/octet-stream'])
  // `Name;` is curl's way to send a header with an empty value (`Name:` would remove it).
  for (const [name, value] of headers) args.push('--header', value === '' ? `${name};` : `${name}: ${value}`)
  // --data-raw: the body as written (no @file reading, unlike --data / --data-binary).
  if (schedule.body !== undefined) args.push('--data-raw', schedule.body)
  args.push(url)
  return args
}

/** The registry host of an image reference (`docker.io` when it names none). */
export function registryOf(image: string): string {
  const first = image.split('/')[0] ?? ''
  return image.includes('/') && /[.:]/.test(first) ? first.toLowerCase() : 'docker.io'
}

export interface JobsPlan {
  steps: PlanStep[]
  /** The jobs' names, in `schedules:` order. */
  names: string[]
}

/** One PUT of a scheduled job per schedule, after the app's PUT. */
export function planJobs(
  service: ServiceConfig,
  settings: Settings,
  ctx: PlanContext,
  app: { name: string; environmentId: string; location: string; tags: Record<string, string> },
  warnings: PlanWarning[],
): JobsPlan {
  const steps: PlanStep[] = []
  const names: string[] = []
  if (!service.schedules.length) return { steps, names }
  const imageRegistry = registryOf(settings.scheduleImage)
  const acr = isAcr(imageRegistry)
  if (acr && !USER_ASSIGNED_IDENTITY.test(settings.identity)) {
    // A job's system-assigned identity is created with the job, so it cannot hold AcrPull before its first run.
    throw unsupported(
      ctx,
      service.schedules[0]!,
      `scheduleImage ${settings.scheduleImage} is in Azure Container Registry, which a job pulls from with a managed identity that has AcrPull; identity: system would give each job a new identity without it`,
      'Set identity: to a user-assigned identity that has AcrPull on the registry, or leave scheduleImage at its default (a public image).',
    )
  }
  const maxTime = Math.min(seconds(service.timeout), INGRESS_TIMEOUT_S)
  const host = deployTimeLookup(`ingress FQDN of container app ${app.name}`)
  for (const schedule of service.schedules) {
    const cronExpression = jobCron(schedule, ctx)
    const { name, warning } = jobName(app.name, schedule.name)
    if (warning) warnings.push(warning)
    if (
      schedule.retry.count > 0 &&
      (schedule.retry.minBackoff !== RETRY_DEFAULTS.minBackoff || schedule.retry.maxBackoff !== RETRY_DEFAULTS.maxBackoff || schedule.retry.maxDoublings !== RETRY_DEFAULTS.maxDoublings)
    ) {
      warnings.push({
        code: 'ACA_SCHEDULE_BACKOFF',
        setting: `schedules.${schedule.name}.retry`,
        message: `Container Apps jobs retry a failed run up to ${schedule.retry.count} times (replicaRetryLimit) with their own back-off; minBackoff, maxBackoff and maxDoublings are not sent`,
      })
    }
    names.push(name)
    const body = {
      location: app.location,
      tags: { ...app.tags, 'sls-run-app': app.name, 'sls-run-schedule': schedule.name },
      ...(acr ? { identity: { type: 'UserAssigned', userAssignedIdentities: { [settings.identity]: {} } } } : {}),
      properties: {
        environmentId: app.environmentId,
        configuration: {
          triggerType: 'Schedule',
          replicaTimeout: maxTime + START_MARGIN_S,
          replicaRetryLimit: schedule.retry.count,
          scheduleTriggerConfig: { cronExpression, parallelism: 1, replicaCompletionCount: 1 },
          ...(acr ? { registries: [{ server: imageRegistry, identity: settings.identity }] } : {}),
        },
        template: {
          containers: [{ name: 'request', image: settings.scheduleImage, command: ['curl'], args: curlArgs(schedule, `https://${host}${schedule.path}`, maxTime), resources: JOB_RESOURCES }],
        },
      },
    }
    steps.push({
      kind: 'request',
      purpose: `create or update job ${name}: ${schedule.method} ${schedule.path} at "${cronExpression}" (UTC)`,
      method: 'PUT',
      url: `${ARM_API}${jobId(settings, name)}?api-version=${ACA_API_VERSION}`,
      body,
    })
  }
  return { steps, names }
}
