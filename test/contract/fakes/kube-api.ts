/**
 * A fake Kubernetes API server with Knative Serving installed: HTTPS with the test CA, bearer token,
 * basic or client-certificate authentication, and GET / PATCH (server-side apply) / DELETE of
 * `serving.knative.dev/v1` Services plus GET of Revisions. Applied manifests are validated strictly
 * against the published Knative CRD schema (./kube-schema.ts); errors are Kubernetes `Status` objects.
 * Like Knative, `metadata.generation` and a new revision (`<svc>-00001`, `-00002`) come only from a
 * changed spec; readiness is reached after a number of GETs, or never, or fails (see `scenario`).
 *
 * With Knative Eventing (`eventing`, the default), `sources.knative.dev/v1` PingSources too: apply, GET,
 * list by label and DELETE. They are validated against the published PingSource CRD
 * (../published/check.ts, checkPingSource) and the webhook's own rules (knative/eventing
 * pkg/apis/sources/v1/ping_validation.go: a 5-field cron or descriptor, data xor dataBase64, a JSON object
 * with contentType application/json); a PingSource is Ready once its sink Service exists, with the sink's
 * address + `uri` resolved as a Destination is (a relative URI against the Service's address).
 */
import { randomUUID } from 'node:crypto'
import { createServer, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { parse as parseYaml } from 'yaml'
import { checkPingSource } from '../published/check.js'
import type { TestPki } from './tls.js'
import { knativeServiceErrors } from './kube-schema.js'
import { closeServer } from './server.js'

export type Rollout =
  | { kind: 'ready'; afterPolls: number }
  | { kind: 'fail'; afterPolls: number; reason: string; message: string }
  /** Ready stays Unknown forever. */
  | { kind: 'stuck' }

export interface Scenario {
  /** How the next apply is refused (before it changes anything), if at all. */
  applyFailure: 'forbidden' | 'conflict' | 'quota' | null
  rollout: Rollout
}

export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  contentType: string | undefined
  auth: 'bearer' | 'basic' | 'cert' | 'none'
  body: string
}

interface Stored {
  manifest: Record<string, any>
  generation: number
  observedGeneration: number
  uid: string
  revisionCount: number
  latestCreated: string
  latestReady: string | null
  polls: number
  rollout: Rollout
  settled: boolean
}

export interface StoredPingSource {
  manifest: Record<string, any>
  generation: number
  uid: string
}

export interface FakeKube {
  url: string
  requests: RecordedRequest[]
  scenario: Scenario
  namespaces: Set<string>
  services: Map<string, Stored>
  /** PingSources by `namespace/name`. */
  pingSources: Map<string, StoredPingSource>
  /** Revision name → image, for every revision ever created. */
  revisions: Map<string, { namespace: string; service: string; image: string }>
  close(): Promise<void>
}

export interface FakeKubeOptions {
  pki: TestPki
  token?: string
  basic?: { username: string; password: string }
  /** Accept client certificates signed by the test CA with this CN. */
  clientCn?: string
  namespaces?: string[]
  /** Knative Eventing installed (the PingSource CRD served): default true. */
  eventing?: boolean
}

const status = (code: number, reason: string, message: string, details?: Record<string, unknown>) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: code < 300 ? 'Success' : 'Failure',
  message,
  reason,
  ...(details ? { details } : {}),
  code,
})

const canonical = (v: unknown): string =>
  v && typeof v === 'object'
    ? Array.isArray(v)
      ? `[${v.map(canonical).join(',')}]`
      : `{${Object.keys(v)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
          .join(',')}}`
    : JSON.stringify(v)

const ROUTE = /^\/apis\/serving\.knative\.dev\/v1\/namespaces\/([^/]+)\/(services|revisions)\/([^/]+)$/
const GR = 'services.serving.knative.dev'
const PING_ROUTE = /^\/apis\/sources\.knative\.dev\/v1\/namespaces\/([^/]+)\/pingsources(?:\/([^/]+))?$/
const PING_GR = 'pingsources.sources.knative.dev'
/** robfig/cron's ParseStandard descriptors (@every is refused by the webhook). */
const DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'])

/** What knative/eventing's webhook refuses beyond the CRD schema (pkg/apis/sources/v1/ping_validation.go). */
function pingWebhookErrors(m: Record<string, any>): string[] {
  const spec = m.spec ?? {}
  const errors: string[] = []
  const schedule = String(spec.schedule ?? '* * * * *').trim()
  const fields = schedule.split(/\s+/)
  if (!DESCRIPTORS.has(schedule) && (fields.length !== 5 || fields.some((f) => !/^[0-9A-Za-z*,/?-]+$/.test(f)) || /[LW]/i.test(fields[2]!) || /#/.test(fields[4]!)))
    errors.push(`invalid value: expected exactly 5 fields, found ${fields.length}: [${schedule}]: spec.schedule`)
  if (spec.timezone !== undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: spec.timezone })
    } catch {
      errors.push(`invalid value: provided bad location ${spec.timezone}: unknown time zone ${spec.timezone}: spec.timezone`)
    }
  }
  if (spec.data && spec.dataBase64) errors.push('expected exactly one, got both: spec.data, spec.dataBase64')
  const text = spec.dataBase64 ? Buffer.from(String(spec.dataBase64), 'base64').toString('utf8') : spec.data
  if (text && spec.contentType === 'application/json') {
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      value = undefined
    }
    if (!value || typeof value !== 'object' || Array.isArray(value))
      errors.push(`invalid value: json: cannot unmarshal into Go value of type map[string]interface {}: spec.${spec.dataBase64 ? 'dataBase64' : 'data'}`)
  }
  const sink = spec.sink ?? {}
  if (!sink.ref && !sink.uri) errors.push('expected exactly one, got neither: spec.sink.ref, spec.sink.uri')
  if (sink.ref && sink.uri && /^[a-z]+:\/\//i.test(sink.uri)) errors.push('absolute URI is not allowed when Ref or [apiVersion, kind, name] exists: spec.sink.uri')
  return errors
}

export async function startFakeKube(opts: FakeKubeOptions): Promise<FakeKube> {
  const fake: Omit<FakeKube, 'url' | 'close'> = {
    requests: [],
    scenario: { applyFailure: null, rollout: { kind: 'ready', afterPolls: 2 } },
    namespaces: new Set(opts.namespaces ?? ['default']),
    services: new Map(),
    pingSources: new Map(),
    revisions: new Map(),
  }

  function authenticate(req: IncomingMessage): RecordedRequest['auth'] | null {
    const header = req.headers.authorization ?? ''
    if (opts.token && header === `Bearer ${opts.token}`) return 'bearer'
    if (opts.basic && header === `Basic ${Buffer.from(`${opts.basic.username}:${opts.basic.password}`).toString('base64')}`) return 'basic'
    const sock = req.socket as TLSSocket
    if (!header && opts.clientCn && sock.authorized && sock.getPeerCertificate().subject?.CN === opts.clientCn) return 'cert'
    return null
  }

  function view(ns: string, name: string, s: Stored): Record<string, unknown> {
    const ready = s.settled && s.rollout.kind === 'ready'
    const failed = s.settled && s.rollout.kind === 'fail'
    const cond = (type: string) => {
      if (ready) return { type, status: 'True' }
      if (failed && s.rollout.kind === 'fail') {
        const message = `Revision "${s.latestCreated}" failed with message: ${s.rollout.message}.`
        return { type, status: type === 'RoutesReady' ? 'True' : 'False', reason: s.rollout.reason, message }
      }
      return { type, status: 'Unknown', reason: 'RevisionMissing', message: `Configuration "${name}" is waiting for a Revision to become ready.` }
    }
    return {
      ...s.manifest,
      metadata: { ...s.manifest.metadata, namespace: ns, uid: s.uid, generation: s.generation, resourceVersion: String(1000 + s.generation) },
      spec: { ...s.manifest.spec, traffic: [{ latestRevision: true, percent: 100 }] },
      status: {
        observedGeneration: s.observedGeneration,
        latestCreatedRevisionName: s.latestCreated,
        ...(s.latestReady ? { latestReadyRevisionName: s.latestReady, url: `http://${name}.${ns}.example.com` } : {}),
        conditions: ['ConfigurationsReady', 'Ready', 'RoutesReady'].map(cond),
      },
    }
  }

  /** A GET moves the rollout along: the controller "observes" the generation after `afterPolls` reads. */
  function poll(s: Stored): void {
    if (s.settled || s.rollout.kind === 'stuck') {
      if (s.rollout.kind === 'stuck') s.observedGeneration = s.generation
      return
    }
    s.polls += 1
    if (s.polls < s.rollout.afterPolls) return
    s.settled = true
    s.observedGeneration = s.generation
    if (s.rollout.kind === 'ready') s.latestReady = s.latestCreated
  }

  function apply(ns: string, name: string, req: RecordedRequest, send: (code: number, body: unknown) => void): void {
    const user = req.auth === 'cert' ? opts.clientCn : req.auth === 'basic' ? opts.basic?.username : 'system:serviceaccount:ci:deployer'
    if (fake.scenario.applyFailure === 'forbidden') {
      return send(
        403,
        status(403, 'Forbidden', `${GR} "${name}" is forbidden: User "${user}" cannot patch resource "services" in API group "serving.knative.dev" in the namespace "${ns}"`, {
          name,
          group: 'serving.knative.dev',
          kind: 'services',
        }),
      )
    }
    if (req.contentType !== 'application/apply-patch+yaml')
      return send(
        415,
        status(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
        ),
      )
    if (!req.query.fieldManager) return send(422, status(422, 'Invalid', `PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch`))
    let manifest: Record<string, any>
    try {
      manifest = parseYaml(req.body) as Record<string, any>
    } catch (err) {
      return send(400, status(400, 'BadRequest', `error decoding YAML: ${(err as Error).message}`))
    }
    const errors = knativeServiceErrors(manifest)
    if (errors.length) {
      return send(400, status(400, 'BadRequest', `failed to create typed patch object (${ns}/${name}; serving.knative.dev/v1, Kind=Service): ${errors.join('; ')}`))
    }
    if (manifest.metadata?.name !== name) return send(400, status(400, 'BadRequest', `the name of the object (${manifest.metadata?.name}) does not match the name on the URL (${name})`))
    if (manifest.metadata?.namespace !== undefined && manifest.metadata.namespace !== ns) {
      return send(400, status(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request'))
    }
    if (!fake.namespaces.has(ns)) return send(404, status(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' }))
    if (fake.scenario.applyFailure === 'conflict') {
      return send(
        409,
        status(409, 'Conflict', `Operation cannot be fulfilled on ${GR} "${name}": the object has been modified; please apply your changes to the latest version and try again`, {
          name,
          group: 'serving.knative.dev',
          kind: 'services',
        }),
      )
    }
    const key = `${ns}/${name}`
    const existing = fake.services.get(key)
    if (fake.scenario.applyFailure === 'quota') {
      return send(403, status(403, 'Forbidden', `${GR} "${name}" is forbidden: exceeded quota: object-counts, requested: count/${GR}=1, used: count/${GR}=10, limited: count/${GR}=10`))
    }
    const newRevision = (s: Stored) => {
      s.revisionCount += 1
      s.latestCreated = `${name}-${String(s.revisionCount).padStart(5, '0')}`
      fake.revisions.set(s.latestCreated, { namespace: ns, service: name, image: manifest.spec?.template?.spec?.containers?.[0]?.image })
    }
    if (!existing) {
      const s: Stored = {
        manifest,
        generation: 1,
        observedGeneration: 0,
        uid: randomUUID(),
        revisionCount: 0,
        latestCreated: '',
        latestReady: null,
        polls: 0,
        rollout: fake.scenario.rollout,
        settled: false,
      }
      newRevision(s)
      fake.services.set(key, s)
      return send(201, view(ns, name, s))
    }
    const specChanged = canonical(existing.manifest.spec) !== canonical(manifest.spec)
    const templateChanged = canonical(existing.manifest.spec?.template) !== canonical(manifest.spec?.template)
    existing.manifest = manifest
    if (specChanged) {
      existing.generation += 1
      Object.assign(existing, { polls: 0, settled: false, rollout: fake.scenario.rollout })
      if (templateChanged) newRevision(existing)
    }
    return send(200, view(ns, name, existing))
  }

  /** A PingSource as the API server answers it: status from the (fake) Eventing controller. */
  function pingView(ns: string, p: StoredPingSource): Record<string, unknown> {
    const sink = p.manifest.spec?.sink ?? {}
    const target = sink.ref ? fake.services.get(`${sink.ref.namespace ?? ns}/${sink.ref.name}`) : undefined
    const address = sink.ref ? `http://${sink.ref.name}.${sink.ref.namespace ?? ns}.svc.cluster.local` : undefined
    const sinkUri = address ? new URL(sink.uri ?? '', address).toString() : sink.uri
    const ok = !sink.ref || (target !== undefined && target.latestReady !== null)
    const said = ok ? {} : { reason: 'NotFound', message: `failed to get object ${ns}/${sink.ref.name}: services.serving.knative.dev "${sink.ref.name}" not found` }
    return {
      ...p.manifest,
      metadata: { ...p.manifest.metadata, namespace: ns, uid: p.uid, generation: p.generation },
      status: {
        observedGeneration: p.generation,
        ...(ok ? { sinkUri } : {}),
        conditions: [
          { type: 'Deployed', status: 'True' },
          { type: 'SinkProvided', status: ok ? 'True' : 'False', ...said },
          { type: 'Ready', status: ok ? 'True' : 'False', ...said },
        ],
      },
    }
  }

  function pingSource(ns: string, name: string | undefined, url: URL, req: RecordedRequest, send: (code: number, body: unknown) => void): void {
    const notFound = (n: string) => send(404, status(404, 'NotFound', `${PING_GR} "${n}" not found`, { name: n, group: 'sources.knative.dev', kind: 'pingsources' }))
    if (!name) {
      if (req.method !== 'GET') return send(405, status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'))
      const [key, value] = (url.searchParams.get('labelSelector') ?? '').split('=')
      const items = [...fake.pingSources.entries()].filter(([k, p]) => k.startsWith(`${ns}/`) && (!key || p.manifest.metadata?.labels?.[key] === value)).map(([, p]) => pingView(ns, p))
      return send(200, { apiVersion: 'sources.knative.dev/v1', kind: 'PingSourceList', metadata: { resourceVersion: '1' }, items })
    }
    const key = `${ns}/${name}`
    const stored = fake.pingSources.get(key)
    if (req.method === 'GET') return stored ? send(200, pingView(ns, stored)) : notFound(name)
    if (req.method === 'DELETE') {
      if (!stored) return notFound(name)
      fake.pingSources.delete(key)
      return send(200, status(200, '', '', { name, group: 'sources.knative.dev', kind: 'pingsources', uid: stored.uid }))
    }
    if (req.method !== 'PATCH') return send(405, status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'))
    if (req.contentType !== 'application/apply-patch+yaml' || !req.query.fieldManager) return send(422, status(422, 'Invalid', 'expected a server-side apply with a fieldManager'))
    let manifest: Record<string, any>
    try {
      manifest = parseYaml(req.body) as Record<string, any>
    } catch (err) {
      return send(400, status(400, 'BadRequest', `error decoding YAML: ${(err as Error).message}`))
    }
    const schema = checkPingSource(manifest)
    if (schema.length) return send(400, status(400, 'BadRequest', `failed to create typed patch object (${ns}/${name}; sources.knative.dev/v1, Kind=PingSource): ${schema.join('; ')}`))
    const webhook = pingWebhookErrors(manifest)
    if (webhook.length) return send(400, status(400, 'BadRequest', `admission webhook "validation.webhook.eventing.knative.dev" denied the request: validation failed: ${webhook.join('\n')}`))
    if (manifest.metadata?.name !== name) return send(400, status(400, 'BadRequest', `the name of the object (${manifest.metadata?.name}) does not match the name on the URL (${name})`))
    if (manifest.metadata?.namespace !== undefined && manifest.metadata.namespace !== ns) {
      return send(400, status(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request'))
    }
    if (!fake.namespaces.has(ns)) return send(404, status(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' }))
    if (!stored) {
      const created = { manifest, generation: 1, uid: randomUUID() }
      fake.pingSources.set(key, created)
      return send(201, pingView(ns, created))
    }
    if (canonical(stored.manifest.spec) !== canonical(manifest.spec)) stored.generation += 1
    stored.manifest = manifest
    return send(200, pingView(ns, stored))
  }

  function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'https://fake')
    const rec: RecordedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: req.headers['content-type'],
      auth: 'none',
      body,
    }
    fake.requests.push(rec)
    const send = (code: number, payload: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' })
      res.end(JSON.stringify(payload))
    }
    const auth = authenticate(req)
    if (!auth) return send(401, status(401, 'Unauthorized', 'Unauthorized'))
    rec.auth = auth
    const ping = PING_ROUTE.exec(url.pathname)
    if (ping && opts.eventing !== false) return pingSource(ping[1]!, ping[2], url, rec, send)
    const m = ROUTE.exec(url.pathname)
    if (!m) return send(404, status(404, 'NotFound', 'the server could not find the requested resource'))
    const [, ns, resource, name] = m as unknown as [string, string, string, string]
    if (resource === 'revisions') {
      const rev = fake.revisions.get(name)
      if (req.method !== 'GET' || !rev || rev.namespace !== ns) return send(404, status(404, 'NotFound', `revisions.serving.knative.dev "${name}" not found`))
      return send(200, { apiVersion: 'serving.knative.dev/v1', kind: 'Revision', metadata: { name, namespace: ns }, spec: { containers: [{ image: rev.image }] } })
    }
    const stored = fake.services.get(`${ns}/${name}`)
    const notFound = () => send(404, status(404, 'NotFound', `${GR} "${name}" not found`, { name, group: 'serving.knative.dev', kind: 'services' }))
    if (req.method === 'GET') {
      if (!stored) return notFound()
      poll(stored)
      return send(200, view(ns, name, stored))
    }
    if (req.method === 'PATCH') return apply(ns, name, rec, send)
    if (req.method === 'DELETE') {
      if (!stored) return notFound()
      fake.services.delete(`${ns}/${name}`)
      for (const [rev, r] of fake.revisions) if (r.namespace === ns && r.service === name) fake.revisions.delete(rev)
      return send(200, status(200, '', '', { name, group: 'serving.knative.dev', kind: 'services', uid: stored.uid }))
    }
    return send(405, status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`))
  }

  const server: Server = createServer({ key: opts.pki.key, cert: opts.pki.cert, ca: [opts.pki.caPem], requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return Object.assign(fake, {
    url: `https://127.0.0.1:${port}`,
    close: () => closeServer(server),
  })
}
