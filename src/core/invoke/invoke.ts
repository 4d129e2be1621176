/**
 * `sls-run invoke`: one request to a service of a running `sls-run dev` session, found through its admin
 * port. A plain HTTP request or a CloudEvent (binary mode) goes straight to the service's gateway, as a
 * client's would, so it can wake the service from zero; `--schedule` asks the session's scheduler to
 * fire that job now (it then runs with its headers and retries, and shows in the session's log).
 */
import { randomUUID } from 'node:crypto'
import { request } from 'undici'
import { ExitCode, SlsError } from '../../errors.js'
import type { ScheduleRunEvent } from '../events/types.js'

export interface InvokeRequest {
  service: string
  /** The session's admin URL (http://127.0.0.1:4280). */
  admin: string
  method?: string
  path?: string
  headers: Record<string, string>
  data?: Buffer
  event?: { type: string; source: string; id?: string }
  schedule?: string
  timeoutMs: number
}

export interface InvokeResult {
  service: string
  method: string
  url: string
  status: number
  headers: Record<string, string>
  /** The body as text when it is UTF-8, else base64 (`bodyEncoding`). */
  body: string
  bodyEncoding: 'utf8' | 'base64'
  durationMs: number
  /** The request waited for a cold start (`x-sls-run-cold-start`). */
  coldStart: boolean
  /** The cold start's phases, from `Server-Timing` (ms). */
  timing: Record<string, number>
  instance: string | null
  event?: { id: string; type: string; source: string }
}

interface SessionService {
  service: string
  url: string
  subscriptions?: Array<{ type: string; source?: string; path: string }>
  schedules?: Array<{ name: string }>
}

/** The session's services, or DEV_SESSION_NOT_FOUND. */
export async function sessionServices(admin: string, timeoutMs = 5000): Promise<SessionService[]> {
  try {
    const res = await request(`${admin}/api/status`, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
    const json = (await res.body.json()) as { services?: SessionService[] }
    if (res.statusCode !== 200 || !Array.isArray(json.services)) throw new Error(`HTTP ${res.statusCode}`)
    return json.services
  } catch (error) {
    throw new SlsError('DEV_SESSION_NOT_FOUND', `no sls-run dev session answers at ${admin} (${(error as { code?: string }).code ?? (error as Error).message})`, {
      exitCode: ExitCode.environment,
      hints: ['Start one with `sls-run dev` (in another terminal), or point at its admin port with --admin-port.'],
    })
  }
}

export async function invoke(input: InvokeRequest): Promise<InvokeResult | ScheduleRunEvent> {
  let req = input // its data becomes the encoded CloudEvent body below
  const services = await sessionServices(req.admin)
  const target = services.find((s) => s.service === req.service)
  if (!target) {
    throw new SlsError('UNKNOWN_SERVICE', `the dev session at ${req.admin} runs no service "${req.service}"`, {
      exitCode: ExitCode.usage,
      hints: [`It runs: ${services.map((s) => s.service).join(', ') || 'nothing'}.`],
    })
  }
  if (req.schedule) return fireSchedule(req, target)
  const headers = { ...req.headers }
  let event: InvokeResult['event']
  let path = req.path
  if (req.event) {
    const { CloudEvent } = await import('cloudevents')
    const { toBinary, isJsonType } = await import('../events/cloudevents.js')
    const given = Object.entries(headers).find(([h]) => h.toLowerCase() === 'content-type')?.[1]
    const contentType = given ?? (req.data ? (looksJson(req.data) ? 'application/json' : 'application/octet-stream') : undefined)
    const data = req.data === undefined ? undefined : isJsonType(contentType) ? parseJsonData(req.data) : req.data
    const ce = new CloudEvent(
      {
        id: req.event.id ?? randomUUID(),
        type: req.event.type,
        source: req.event.source,
        time: new Date().toISOString(),
        ...(contentType ? { datacontenttype: contentType } : {}),
        ...(data === undefined ? {} : { data }),
      },
      false,
    )
    event = { id: ce.id, type: ce.type, source: ce.source }
    const binary = toBinary(ce)
    Object.assign(headers, binary.headers)
    if (binary.body !== undefined) req = { ...req, data: Buffer.from(binary.body) }
    path ??= target.subscriptions?.find((s) => s.type === event!.type && (!s.source || s.source === event!.source))?.path
  }
  const method = (req.method ?? (req.event || req.data ? 'POST' : 'GET')).toUpperCase()
  const url = new URL(path ?? '/', target.url).toString()
  const started = performance.now()
  const res = await request(url, { method: method as 'GET', headers, body: req.data, headersTimeout: req.timeoutMs, bodyTimeout: req.timeoutMs }).catch((error: Error & { code?: string }) => {
    throw noAnswer(`${method} ${url}`, error)
  })
  const body = Buffer.from(await res.body.arrayBuffer().catch((error: Error & { code?: string }): Promise<ArrayBuffer> => Promise.reject(noAnswer(`${method} ${url}`, error))))
  const durationMs = Math.round((performance.now() - started) * 100) / 100
  const flat = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v ?? '')]))
  const utf8 = body.toString('utf8')
  const isText = Buffer.from(utf8, 'utf8').equals(body)
  return {
    service: req.service,
    method,
    url,
    status: res.statusCode,
    headers: flat,
    body: isText ? utf8 : body.toString('base64'),
    bodyEncoding: isText ? 'utf8' : 'base64',
    durationMs,
    coldStart: flat['x-sls-run-cold-start'] === '1',
    timing: serverTiming(flat['server-timing'] ?? ''),
    instance: flat['x-sls-run-instance'] ?? null,
    ...(event ? { event } : {}),
  }
}

async function fireSchedule(req: InvokeRequest, target: SessionService): Promise<ScheduleRunEvent> {
  if (!target.schedules?.some((s) => s.name === req.schedule)) {
    throw new SlsError('UNKNOWN_SCHEDULE', `service ${req.service} has no schedule "${req.schedule}" in this session`, {
      exitCode: ExitCode.usage,
      hints: [target.schedules?.length ? `Its schedules: ${target.schedules.map((s) => s.name).join(', ')}.` : `Add one under services.${req.service}.schedules in sls-run.yaml.`],
    })
  }
  const what = `firing schedule ${req.schedule}`
  const res = await request(`${req.admin}/api/schedules/${encodeURIComponent(req.service)}/${encodeURIComponent(req.schedule!)}/run`, {
    method: 'POST',
    headersTimeout: req.timeoutMs,
    bodyTimeout: req.timeoutMs,
  }).catch((error: Error & { code?: string }) => {
    throw noAnswer(what, error)
  })
  const text = await res.body.text().catch((error: Error & { code?: string }): Promise<string> => Promise.reject(noAnswer(what, error)))
  let json: ScheduleRunEvent | { error: string }
  try {
    json = JSON.parse(text) as ScheduleRunEvent | { error: string }
  } catch {
    json = { error: text.trim() || `HTTP ${res.statusCode}` }
  }
  if (res.statusCode !== 200 || 'error' in json)
    throw new SlsError('INVOKE_FAILED', `the session could not fire ${req.schedule}: ${'error' in json ? json.error : `HTTP ${res.statusCode}`}`, { exitCode: ExitCode.failure })
  return json
}

const noAnswer = (what: string, error: Error & { code?: string }) =>
  new SlsError('INVOKE_FAILED', `${what}: no answer (${error.code ?? error.message})`, {
    exitCode: ExitCode.failure,
    hints: ['Is the dev session still running? Its log says why. A long cold start or retries may need a larger --timeout.'],
  })

function parseJsonData(data: Buffer): unknown {
  try {
    return JSON.parse(data.toString('utf8'))
  } catch (error) {
    throw new SlsError('USAGE', `--data is not JSON, but the content type says it is (${(error as Error).message})`, {
      exitCode: ExitCode.usage,
      hints: ['Fix the JSON, or send it with another -H content-type.'],
    })
  }
}

const looksJson = (data: Buffer) => {
  try {
    JSON.parse(data.toString('utf8'))
    return true
  } catch {
    return false
  }
}

/** `Server-Timing: queue;dur=1.2, spawn;dur=3` → { queue: 1.2, spawn: 3 }. */
export function serverTiming(header: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().split(';')
    const dur = params.map((p) => p.trim()).find((p) => p.startsWith('dur='))
    if (name && dur) out[name] = Number(dur.slice(4))
  }
  return out
}
