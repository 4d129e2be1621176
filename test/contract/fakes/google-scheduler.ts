/**
 * A fake Cloud Scheduler API v1 (REST) on 127.0.0.1: `projects.locations.jobs` get / create / patch
 * (updateMask) / delete / list. Every Job body is validated against Google's published discovery document
 * (../published/check.ts, checkCloudSchedulerJob) and against the rules the reference states in words
 * (JOB_ID characters and length, a unix-cron schedule, an IANA time zone, an http(s) uri, a body only with
 * POST / PUT / PATCH, retryCount 0–5, attemptDeadline 15s–30m); an invalid one gets 400 INVALID_ARGUMENT.
 * Stored jobs answer as Google does: output-only fields added (state, userUpdateTime, scheduleTime),
 * defaults left out, and the headers Cloud Scheduler adds (User-Agent, Content-Type for a body) in
 * httpTarget.headers. Only bearer tokens in `tokens` (those the fake STS issued) are accepted.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { checkCloudSchedulerJob } from '../published/check.js'
import type { GoogleError } from './google-run.js'
import { listenGoogleApi } from './server.js'

export interface SchedulerJob {
  name: string
  schedule?: string
  timeZone?: string
  httpTarget?: { uri?: string; httpMethod?: string; headers?: Record<string, string>; body?: string; oidcToken?: { serviceAccountEmail?: string; audience?: string } }
  retryConfig?: Record<string, unknown>
  [key: string]: unknown
}

export interface FakeScheduler {
  /** `http://127.0.0.1:PORT/`: the value for CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDSCHEDULER. */
  endpoint: string
  jobs: Map<string, SchedulerJob>
  /** Answer the next create or patch with this error instead. */
  scenario: { writeError?: GoogleError }
  /** Every request that passed auth: rpc, path, body, and the validator's verdict. */
  log: Array<{ rpc: string; method: string; path: string; body: unknown; errors: string[] }>
  calls(rpc: string): number
  close(): Promise<void>
}

const JOB = /^\/v1\/(projects\/([A-Za-z0-9:.-]+)\/locations\/([^/]+))\/jobs\/([^/:]+)$/
const JOBS = /^\/v1\/(projects\/[A-Za-z0-9:.-]+\/locations\/[^/]+)\/jobs$/
/** Job.name in the v1 reference: JOB_ID "can contain only letters ([A-Za-z]), numbers ([0-9]), hyphens (-), or underscores (_). The maximum length is 500 characters." */
const JOB_NAME = /^projects\/[A-Za-z0-9:.-]+\/locations\/[^/]+\/jobs\/[A-Za-z0-9_-]{1,500}$/
const FIELDS = new Set(['description', 'schedule', 'timeZone', 'httpTarget', 'pubsubTarget', 'appEngineHttpTarget', 'retryConfig', 'attemptDeadline'])
const STATUS: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 404: 'NOT_FOUND', 409: 'ALREADY_EXISTS' }

const seconds = (d: unknown) => (typeof d === 'string' && /^\d+(\.\d+)?s$/.test(d) ? Number(d.slice(0, -1)) : NaN)

/** unix-cron: five fields of digits, names, `*`, `,`, `-`, `/` (no croner L / W / #, no `?`, no nicknames). */
function cronErrors(schedule: unknown): string[] {
  if (typeof schedule !== 'string') return ['schedule: required']
  const fields = schedule.trim().split(/\s+/)
  if (fields.length !== 5 || fields.some((f) => !/^[0-9A-Za-z*,/-]+$/.test(f)) || /[LW]/i.test(fields[2]!)) return [`schedule: Schedule or time zone is invalid: "${schedule}" is not unix-cron`]
  return []
}

/** What the reference states in words about a Job (beyond its JSON Schema). */
function semanticErrors(job: SchedulerJob): string[] {
  const errors: string[] = []
  if (typeof job.name !== 'string' || !JOB_NAME.test(job.name))
    errors.push(`name: "${job.name}" is not projects/PROJECT_ID/locations/LOCATION_ID/jobs/JOB_ID with a JOB_ID of letters, numbers, hyphens, underscores (at most 500)`)
  errors.push(...cronErrors(job.schedule))
  if (job.timeZone !== undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: job.timeZone })
    } catch {
      errors.push(`timeZone: "${job.timeZone}" is not a tz database time zone`)
    }
  }
  const target = job.httpTarget
  if (!target) errors.push('httpTarget: this fake takes HTTP targets only')
  else {
    if (!/^https?:\/\/[^/\s]+/.test(target.uri ?? '') || (target.uri ?? '').length > 2083) errors.push(`httpTarget.uri: must begin with http:// or https:// (got "${target.uri}")`)
    if (target.body !== undefined && !['POST', 'PUT', 'PATCH'].includes(target.httpMethod ?? 'POST'))
      errors.push(`httpTarget.body: a request body is allowed only with POST, PUT or PATCH (got ${target.httpMethod})`)
    if (target.oidcToken && !/@[^@\s]+\.gserviceaccount\.com$/.test(target.oidcToken.serviceAccountEmail ?? ''))
      errors.push('httpTarget.oidcToken.serviceAccountEmail: must be a service account email')
  }
  const retry = job.retryConfig ?? {}
  if (typeof retry.retryCount === 'number' && (retry.retryCount < 0 || retry.retryCount > 5))
    errors.push(`retryConfig.retryCount: values greater than 5 and negative values are not allowed (got ${retry.retryCount})`)
  if (job.attemptDeadline !== undefined) {
    const s = seconds(job.attemptDeadline)
    if (!(s >= 15 && s <= 1800)) errors.push(`attemptDeadline: must be in the interval [15 seconds, 30 minutes] for HTTP targets (got ${String(job.attemptDeadline)})`)
  }
  return errors
}

/** Proto3 JSON output: default values are not written. */
function stripDefaults(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDefaults)
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) {
      const s = stripDefaults(x)
      if (s === false || s === 0 || s === '' || s === null || s === undefined) continue
      out[k] = s
    }
    return out
  }
  return v
}

/** The job as Google stores and answers it. */
function stored(job: SchedulerJob): SchedulerJob {
  const target = job.httpTarget ?? {}
  const own = new Set(Object.keys(target.headers ?? {}).map((h) => h.toLowerCase()))
  const headers = {
    ...target.headers,
    ...(own.has('user-agent') ? {} : { 'User-Agent': 'Google-Cloud-Scheduler' }),
    ...(target.body !== undefined && !own.has('content-type') ? { 'Content-Type': 'application/octet-stream' } : {}),
  }
  return stripDefaults({
    ...job,
    httpTarget: { ...target, httpMethod: target.httpMethod ?? 'POST', headers },
    retryConfig: { maxRetryDuration: '0s', minBackoffDuration: '5s', maxBackoffDuration: '3600s', maxDoublings: 5, ...job.retryConfig },
    attemptDeadline: job.attemptDeadline ?? '180s',
    state: 'ENABLED',
    userUpdateTime: new Date().toISOString(),
    scheduleTime: new Date(Date.now() + 60_000).toISOString(),
  }) as SchedulerJob
}

const readBody = async (req: IncomingMessage) => {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export async function startFakeScheduler(tokens: Set<string>): Promise<FakeScheduler> {
  const jobs = new Map<string, SchedulerJob>()
  const log: FakeScheduler['log'] = []
  const fake = { scenario: {} } as FakeScheduler

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' })
      res.end(JSON.stringify(body))
    }
    const fail = (e: GoogleError) => send(e.code, { error: e })
    const error = (code: number, message: string) => fail({ code, status: STATUS[code] ?? 'UNKNOWN', message })
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const text = await readBody(req)
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    if (!token || !tokens.has(token)) return error(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.')
    let body: SchedulerJob | undefined
    if (text) {
      try {
        body = JSON.parse(text) as SchedulerJob
      } catch {
        return error(400, 'Invalid JSON payload received.')
      }
    }
    const method = req.method ?? 'GET'
    const one = JOB.exec(url.pathname)
    const many = JOBS.exec(url.pathname)
    const rpc = one
      ? ({ GET: 'GetJob', PATCH: 'UpdateJob', DELETE: 'DeleteJob' } as Record<string, string>)[method]
      : many
        ? ({ GET: 'ListJobs', POST: 'CreateJob' } as Record<string, string>)[method]
        : undefined
    const errors: string[] = []
    if (rpc === 'CreateJob' || rpc === 'UpdateJob') {
      errors.push(...checkCloudSchedulerJob(body ?? {}), ...semanticErrors(body ?? ({} as SchedulerJob)))
      const mask = url.searchParams.get('updateMask')
      if (rpc === 'UpdateJob') {
        if (body?.name !== undefined && body.name !== `${one![1]}/jobs/${one![4]}`) errors.push(`name: "${body.name}" does not match the URL`)
        for (const field of mask?.split(',') ?? []) if (!FIELDS.has(field)) errors.push(`updateMask: unknown field "${field}"`)
      } else if (typeof body?.name === 'string' && !body.name.startsWith(`${many![1]}/jobs/`)) errors.push(`name: "${body.name}" is not in ${many![1]}`)
    }
    log.push({ rpc: rpc ?? '?', method, path: url.pathname + url.search, body, errors })
    if (!rpc) return error(404, `The requested URL ${url.pathname} was not found on this server.`)
    if (errors.length) return error(400, `Invalid JSON payload received. ${errors.join('; ')}`)
    if ((rpc === 'CreateJob' || rpc === 'UpdateJob') && fake.scenario.writeError) {
      const e = fake.scenario.writeError
      fake.scenario.writeError = undefined
      return fail(e)
    }
    const name = one ? `${one[1]}/jobs/${one[4]}` : ''
    const notFound = () => error(404, 'Job not found.')
    switch (rpc) {
      case 'GetJob':
        return jobs.has(name) ? send(200, jobs.get(name)) : notFound()
      case 'CreateJob': {
        if (jobs.has(body!.name)) return error(409, 'Job already exists.')
        jobs.set(body!.name, stored(body!))
        return send(200, jobs.get(body!.name))
      }
      case 'UpdateJob': {
        const current = jobs.get(name)
        if (!current) return notFound()
        const mask = url.searchParams.get('updateMask')?.split(',') ?? Object.keys(body!).filter((k) => FIELDS.has(k))
        const next: SchedulerJob = { ...current }
        for (const field of mask) {
          if (body![field] === undefined) delete next[field]
          else next[field] = body![field]
        }
        // What the plan sends replaces what Google added the last time (headers are stored as sent + added).
        jobs.set(name, stored({ ...next, httpTarget: mask.includes('httpTarget') ? body!.httpTarget : current.httpTarget }))
        return send(200, jobs.get(name))
      }
      case 'DeleteJob':
        if (!jobs.delete(name)) return notFound()
        return send(200, {})
      case 'ListJobs': {
        const parent = many![1]
        const all = [...jobs.values()].filter((j) => j.name.startsWith(`${parent}/jobs/`))
        const size = Math.min(Number(url.searchParams.get('pageSize') ?? 500) || 500, 500)
        const start = Number(url.searchParams.get('pageToken') ?? 0)
        const page = all.slice(start, start + size)
        return send(200, { jobs: page, ...(start + size < all.length ? { nextPageToken: String(start + size) } : {}) })
      }
      default:
        return error(404, `The requested URL ${url.pathname} was not found on this server.`)
    }
  }

  const { endpoint, close } = await listenGoogleApi(handle)
  return Object.assign(fake, {
    endpoint,
    jobs,
    log,
    calls: (rpc: string) => log.filter((l) => l.rpc === rpc && !l.errors.length).length,
    close,
  })
}
