/**
 * A fake Cloud Run Admin API v2 (REST) on 127.0.0.1: services get / patch (allowMissing) / delete,
 * operations get, getIamPolicy / setIamPolicy (Cloud Scheduler, which schedules call, is ./google-scheduler.ts). Routes come from the protos' `google.api.http` rules and
 * every request is validated against the published messages (./google-proto.ts); an invalid one gets
 * 400 INVALID_ARGUMENT like the real API. Answers are proto3 JSON as Google sends it: default values
 * left out, int64 as strings, server-side defaults added. Errors are `{error:{code,message,status}}`.
 * Only bearer tokens in `tokens` (those the fake STS issued) are accepted.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { checkMessage, httpRules, matchRequest } from './google-proto.js'
import { listenGoogleApi } from './server.js'

export interface GoogleError {
  code: number
  status: string
  message: string
}

export interface RunScenario {
  /** GETs of an operation before it reports done (default 1). */
  opPolls?: number
  /** Answer the next PATCH with this error instead. */
  patchError?: GoogleError
  /** How rollouts end: ready, the operation fails, the revision's container fails, or never done. */
  rollout?: 'ok' | 'operation-error' | 'container-failed' | 'never-done'
}

interface StoredService {
  spec: Record<string, unknown>
  generation: number
  revisions: number
  latestCreated: string
  latestReady: string | null
  terminal: Record<string, unknown>
  uri: string | null
  createTime: string
}
interface StoredOperation {
  name: string
  service: string
  pollsLeft: number
  done: boolean
  error?: { code: number; message: string }
  finish: () => unknown
  never: boolean
  response?: unknown
}

export interface FakeRun {
  /** `http://127.0.0.1:PORT/`: the value for CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN. */
  endpoint: string
  scenario: RunScenario
  services: Map<string, StoredService>
  policies: Map<string, { version: number; etag: string; bindings: Array<{ role: string; members: string[] }> }>
  /** Every request that passed auth: rpc (or '?'), path, body, and the validator's verdict. */
  log: Array<{ rpc: string; method: string; path: string; body: unknown; errors: string[]; userProject?: string }>
  calls(rpc: string): number
  close(): Promise<void>
}

const SERVICE = 'google.cloud.run.v2.Service'
const RULES = [
  ...httpRules('google.cloud.run.v2.Revisions').filter((r) => r.rpc === 'GetRevision'),
  ...httpRules('google.cloud.run.v2.Services', [
    {
      rpc: 'GetOperation',
      method: 'GET',
      template: '/v2/{name=projects/*/locations/*/operations/*}',
      requestType: 'google.longrunning.GetOperationRequest',
      responseType: 'google.longrunning.Operation',
    },
  ]),
]
const STATUS_CODE: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ABORTED', 429: 'RESOURCE_EXHAUSTED' }

/** Proto3 JSON output: default values (false, 0, "", [], {}) are not written. */
function stripDefaults(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDefaults)
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) {
      const s = stripDefaults(x)
      if (s === false || s === 0 || s === '' || s === null || s === undefined || (Array.isArray(s) && !s.length)) continue
      if (typeof s === 'object' && !Array.isArray(s) && !Object.keys(s as object).length) continue
      out[k] = s
    }
    return out
  }
  return v
}

const readBody = async (req: IncomingMessage) => {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export async function startFakeRun(tokens: Set<string>, scenario: RunScenario = {}): Promise<FakeRun> {
  const services = new Map<string, StoredService>()
  const operations = new Map<string, StoredOperation>()
  const policies: FakeRun['policies'] = new Map()
  const log: FakeRun['log'] = []
  const fake = { scenario } as FakeRun

  const render = (name: string, s: StoredService): Record<string, unknown> => {
    const out = stripDefaults({
      traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }],
      launchStage: 'GA',
      ...s.spec,
      template: { serviceAccount: '123456789-compute@developer.gserviceaccount.com', ...(s.spec.template as object) },
      name,
      uid: 'b1c2d3e4-0000-4000-8000-000000000001',
      generation: String(s.generation),
      observedGeneration: String(s.generation),
      createTime: s.createTime,
      updateTime: new Date().toISOString(),
      creator: 'deployer@example.iam.gserviceaccount.com',
      lastModifier: 'deployer@example.iam.gserviceaccount.com',
      terminalCondition: s.terminal,
      conditions: [s.terminal],
      latestCreatedRevision: `${name}/revisions/${s.latestCreated}`,
      latestReadyRevision: s.latestReady ? `${name}/revisions/${s.latestReady}` : undefined,
      uri: s.uri ?? undefined,
      urls: s.uri ? [s.uri] : [],
      reconciling: s.terminal.state === 'CONDITION_RECONCILING',
      etag: `"${s.generation}"`,
    }) as Record<string, unknown>
    // The fake's own answers must fit the published model too.
    const errors = checkMessage(SERVICE, out, '', [], { request: false })
    if (errors.length) throw new Error(`fake Cloud Run renders an invalid Service: ${errors.join('; ')}`)
    return out
  }
  const condition = (state: string, extra: Record<string, unknown> = {}) => ({ type: 'Ready', state, lastTransitionTime: new Date().toISOString(), ...extra })
  const opJson = (op: StoredOperation, name: string) => {
    const s = services.get(name)
    const metadata = { '@type': 'type.googleapis.com/google.cloud.run.v2.Service', ...(s ? render(name, s) : { name }) }
    return { name: op.name, metadata, done: op.done, ...(op.error ? { error: op.error } : {}), ...(op.done && !op.error ? { response: op.response ?? metadata } : {}) }
  }
  const newOperation = (serviceName: string, finish: () => unknown): StoredOperation => {
    const location = serviceName.split('/services/')[0]!
    const op: StoredOperation = {
      name: `${location}/operations/${randomUUID()}`,
      service: serviceName,
      pollsLeft: fake.scenario.opPolls ?? 1,
      done: false,
      finish,
      never: fake.scenario.rollout === 'never-done',
    }
    operations.set(op.name, op)
    return op
  }

  /** Each revision's container images, by full revision name (GetRevision). */
  const revisionImages = new Map<string, string[]>()

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' })
      res.end(JSON.stringify(body))
    }
    const fail = (e: GoogleError) => send(e.code, { error: e })
    const error = (code: number, message: string) => fail({ code, status: STATUS_CODE[code] ?? 'UNKNOWN', message })
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const text = await readBody(req)
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    if (!token || !tokens.has(token)) {
      return error(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.')
    }
    let body: unknown
    if (text) {
      if (!/application\/json/.test(req.headers['content-type'] ?? '')) return error(400, 'expected a JSON body (content-type application/json)')
      try {
        body = JSON.parse(text)
      } catch {
        return error(400, 'Invalid JSON payload received.')
      }
    }
    const match = matchRequest(RULES, req.method ?? 'GET', url, body)
    log.push({
      rpc: match?.rule.rpc ?? '?',
      method: req.method ?? '',
      path: url.pathname + url.search,
      body,
      errors: match?.errors ?? [],
      userProject: req.headers['x-goog-user-project'] as string | undefined,
    })
    if (!match) return error(404, `The requested URL ${url.pathname} was not found on this server.`)
    if (match.errors.length) return error(400, `Invalid JSON payload received. ${match.errors.join('; ')}`)
    const name = match.params.name ?? match.params['service.name'] ?? match.params.resource ?? ''
    const stored = services.get(name)
    const notFound = () => error(404, `Resource '${name.split('/').pop()}' of kind 'SERVICE' in region '${name.split('/')[3]}' in project '${name.split('/')[1]}' does not exist.`)

    switch (match.rule.rpc) {
      case 'GetRevision': {
        const images = revisionImages.get(name)
        if (!images) return error(404, `Revision '${name.split('/').pop()}' does not exist.`)
        return send(200, { name, service: name.split('/revisions/')[0], containers: images.map((image) => ({ image })) })
      }
      case 'GetService':
        return stored ? send(200, render(name, stored)) : notFound()
      case 'UpdateService': {
        if (fake.scenario.patchError) {
          const e = fake.scenario.patchError
          fake.scenario.patchError = undefined
          return fail(e)
        }
        if (!stored && url.searchParams.get('allowMissing') !== 'true') return notFound()
        const spec = body as Record<string, unknown>
        const svc: StoredService = stored ?? { spec, generation: 0, revisions: 0, latestCreated: '', latestReady: null, terminal: {}, uri: null, createTime: new Date().toISOString() }
        const short = name.split('/').pop()!
        if (!stored || JSON.stringify(stored.spec.template) !== JSON.stringify(spec.template)) {
          svc.revisions += 1
          svc.latestCreated = `${short}-${String(svc.revisions).padStart(5, '0')}-${randomBytes(2).toString('hex').slice(0, 3)}`
          const containers = (spec.template as { containers?: Array<{ image?: string }> } | undefined)?.containers ?? []
          revisionImages.set(
            `${name}/revisions/${svc.latestCreated}`,
            containers.map((c) => c.image ?? ''),
          )
        }
        svc.spec = spec
        // Cloud Run assigns the service's URL when it creates the service, before any revision is ready.
        svc.uri ??= `https://${name.split('/').pop()!}-abcdefghij-ew.a.run.app`
        svc.generation += 1
        svc.terminal = condition('CONDITION_RECONCILING', { message: 'Deploying revision.' })
        services.set(name, svc)
        const revision = svc.latestCreated
        const failedToStart = `Revision '${revision}' is not ready and cannot serve traffic. The user-provided container failed to start and listen on the port defined provided by the PORT=8080 environment variable within the allocated timeout.`
        const op = newOperation(name, () => {
          if (fake.scenario.rollout === 'operation-error') {
            svc.terminal = condition('CONDITION_FAILED', { message: failedToStart, reason: 'REVISION_FAILED' })
            return { code: 9, message: failedToStart }
          }
          if (fake.scenario.rollout === 'container-failed') {
            svc.terminal = condition('CONDITION_FAILED', { message: failedToStart, revisionReason: 'HEALTH_CHECK_CONTAINER_ERROR', severity: 'ERROR' })
            return undefined
          }
          svc.latestReady = revision
          svc.uri = `https://${short}-abcdefghij-ew.a.run.app`
          svc.terminal = condition('CONDITION_SUCCEEDED')
          return undefined
        })
        return send(200, opJson(op, name))
      }
      case 'DeleteService': {
        if (!stored) return notFound()
        const op = newOperation(name, () => {
          services.delete(name)
          policies.delete(name)
          return undefined
        })
        op.never = false
        op.response = { '@type': 'type.googleapis.com/google.cloud.run.v2.Service', ...render(name, stored) }
        return send(200, opJson(op, name))
      }
      case 'GetOperation': {
        const op = operations.get(name)
        if (!op) return error(404, `Operation '${name}' not found.`)
        if (!op.done && !op.never && --op.pollsLeft <= 0) {
          op.done = true
          const err = op.finish() as StoredOperation['error']
          if (err) op.error = err
        }
        return send(200, opJson(op, op.service))
      }
      case 'GetIamPolicy':
        if (!stored) return notFound()
        return send(200, policies.get(name) ?? { version: 1, etag: 'ACAB' })
      case 'SetIamPolicy': {
        if (!stored) return notFound()
        const current = policies.get(name) ?? { version: 1, etag: 'ACAB', bindings: [] }
        const policy = (body as { policy: { etag?: string; bindings?: Array<{ role: string; members: string[] }> } }).policy
        if (policy.etag && policy.etag !== current.etag) return error(409, 'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.')
        const next = { version: 1, etag: randomBytes(6).toString('base64'), bindings: policy.bindings ?? [] }
        policies.set(name, next)
        return send(200, next)
      }
      default:
        return error(501, `${match.rule.rpc} is not implemented by the fake`)
    }
  }

  const { endpoint, close } = await listenGoogleApi(handle)
  return Object.assign(fake, {
    endpoint,
    services,
    policies,
    log,
    calls: (rpc: string) => log.filter((l) => l.rpc === rpc && !l.errors.length).length,
    close,
  })
}
