/**
 * A service's `schedules:` on Knative: one Knative Eventing `sources.knative.dev/v1` PingSource each
 * (https://knative.dev/docs/eventing/sources/ping-source/), applied with the Service. Its sink is the
 * Service (`ref`) with `uri` = the schedule's path: a relative URI "will be resolved using the base URI
 * retrieved from Ref" (Destination, knative.dev/pkg apis/duck/v1/destination.go), i.e. the Service's
 * address + path.
 *
 * A PingSource always POSTs a CloudEvent (binary mode: `ce-*` headers, the data as the body) and takes no
 * other header than its `contentType` (the PingSource CRD: schedule, timezone, contentType, data /
 * dataBase64, sink, ceOverrides). So a schedule with another method, or with headers other than
 * Content-Type, cannot be sent as written: DEPLOY_SCHEDULE_UNSUPPORTED, before anything is applied. Its
 * cron is read by robfig/cron's ParseStandard (knative/eventing pkg/apis/sources/v1/ping_validation.go):
 * five fields and the @hourly… descriptors.
 */
import { ExitCode, SlsError } from '../../../../errors.js'
import type { ServiceConfig } from '../../../config/schema.js'
import { standardCron } from '../../../cron.js'
import type { PlanContext, PlanWarning } from '../../types.js'

export const PINGSOURCE_API_VERSION = 'sources.knative.dev/v1'
/** The label that ties a PingSource to its Service (deploy prunes, remove deletes by it). */
export const SERVICE_LABEL = 'sls-run.dev/service'

/** The webhook checks `data` / `dataBase64` as a JSON object when contentType is exactly this (cloudevents.ApplicationJSON). */
const APPLICATION_JSON = 'application/json'
/** What Cloud Scheduler sends a body as when the job sets no Content-Type (HttpTarget.headers). */
const OCTET_STREAM = 'application/octet-stream'

type Schedule = ServiceConfig['schedules'][number]

function refuse(ctx: PlanContext, schedule: Schedule, why: string, hint: string): never {
  throw new SlsError('DEPLOY_SCHEDULE_UNSUPPORTED', `services.${ctx.service}.schedules: ${schedule.name} cannot be deployed as a Knative PingSource as written: ${why}`, {
    exitCode: ExitCode.usage,
    hints: [hint, 'What a PingSource sends: docs/deploy/knative.md#schedules'],
  })
}

/** Why robfig/cron's ParseStandard (PingSource's parser) cannot read `cron` as sls-run means it, or null. */
function cronProblem(cron: string): string | null {
  if (cron.trim().startsWith('@')) return null // croner's nicknames are ParseStandard's descriptors (@every is neither's)
  const standard = standardCron(cron)
  return 'problem' in standard ? `${standard.problem}; PingSource reads standard cron` : null
}

/** True when `text` is a JSON object, as the webhook wants data with contentType application/json. */
function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text)
    return value !== null && typeof value === 'object' && !Array.isArray(value)
  } catch {
    return false
  }
}

/**
 * The PingSources of `service` (its Knative Service named `name`), one per schedule. Throws
 * DEPLOY_SCHEDULE_UNSUPPORTED for a schedule a PingSource cannot send as written.
 */
export function pingSources(service: ServiceConfig, ctx: PlanContext, name: string, namespace: string, labels: Record<string, string>, warnings: PlanWarning[]): Array<Record<string, unknown>> {
  if (!service.schedules.length) return []
  // The mt-ping adapter retries every delivery the same way (knative/eventing pkg/adapter/mtping/runner.go:
  // ContextWithRetriesExponentialBackoff(ctx, 50*time.Millisecond, 5)); a PingSource has no retry setting.
  warnings.push({
    code: 'KNATIVE_SCHEDULE_RETRY',
    setting: 'schedules.retry',
    message: `Knative's PingSource retries a failed delivery up to 5 times (50ms apart, doubling) whatever a schedule says: the retry settings of ${service.schedules.map((s) => s.name).join(', ')} are not sent`,
  })
  return service.schedules.map((schedule) => {
    const problem = cronProblem(schedule.cron)
    if (problem) refuse(ctx, schedule, problem, 'Write the cron as 5 fields (minute hour day-of-month month day-of-week) or a descriptor such as @hourly.')
    if (schedule.method !== 'POST') {
      refuse(
        ctx,
        schedule,
        `a PingSource always POSTs (a CloudEvent), and this schedule is ${schedule.method}`,
        'Use method POST (the default), or deploy the service to a platform whose scheduler sends other methods (Cloud Run).',
      )
    }
    const headers = Object.entries(schedule.headers)
    const other = headers.filter(([h]) => h.toLowerCase() !== 'content-type').map(([h]) => h)
    if (other.length) {
      refuse(
        ctx,
        schedule,
        `a PingSource sends no headers but its content type (and the CloudEvents ce-* ones), and this schedule sets ${other.join(', ')}`,
        'Leave out every header but Content-Type, or put the value in the path or the body.',
      )
    }
    const body = schedule.body ?? ''
    // Without one, a body goes as application/octet-stream, as Cloud Scheduler sends it (and sls-run dev).
    const contentType = headers.find(([h]) => h.toLowerCase() === 'content-type')?.[1] ?? (body ? OCTET_STREAM : undefined)
    if (contentType === APPLICATION_JSON && body && !isJsonObject(body)) {
      refuse(ctx, schedule, 'with Content-Type application/json, Knative accepts only a JSON object as PingSource data', 'Send a JSON object, or another content type.')
    }
    // With application/json the adapter re-encodes `data` (key order, spacing): dataBase64 is sent byte for byte.
    const data = !body ? {} : contentType === APPLICATION_JSON ? { dataBase64: Buffer.from(body, 'utf8').toString('base64') } : { data: body }
    return {
      apiVersion: PINGSOURCE_API_VERSION,
      kind: 'PingSource',
      metadata: { name: `${name}-${schedule.name}`, namespace, labels: { ...labels, [SERVICE_LABEL]: name } },
      spec: {
        schedule: schedule.cron,
        timezone: schedule.timezone,
        ...(contentType !== undefined ? { contentType } : {}),
        ...data,
        sink: { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name }, uri: schedule.path },
      },
    }
  })
}
