/**
 * Checks credentials against a registry with the distribution v2 auth flow: `GET /v2/`; 200 needs no
 * auth; 401 with `WWW-Authenticate: Basic …` is retried with Basic; `Bearer realm=…,service=…` sends the
 * credentials to the realm for a token (GET with Basic, or a refresh_token POST for an identity token),
 * then retries `/v2/` with it. Loopback registries are spoken to over plain HTTP (the Docker engine treats
 * 127.0.0.0/8 and ::1 as insecure by default), everything else over HTTPS. No secret reaches an error.
 */
import { ExitCode, SlsError } from '../../errors.js'
import { DOCKER_HUB_KEY, normalizeRegistry, registryHost, type Credentials } from './credentials.js'
import { basicCredentials, redact, type Secret } from '../redact.js'

export interface Challenge {
  /** Lower case: 'basic', 'bearer'… */
  scheme: string
  /** Parameter names in lower case, values unquoted. */
  params: Record<string, string>
}

export interface VerifyOptions {
  /** true: plain HTTP for any host; false: HTTPS even for loopback; default: HTTP for localhost/127.0.0.0/8/::1 only. */
  insecure?: boolean
  /** Per request; default 15 s. */
  timeoutMs?: number
  fetchImpl?: typeof fetch
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y

/** Every challenge of a WWW-Authenticate header (RFC 7235): quoted values may hold commas and escapes. */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const out: Challenge[] = []
  let i = 0
  const skip = (chars: RegExp) => {
    while (i < header.length && chars.test(header[i]!)) i++
  }
  while (i < header.length) {
    skip(/[\s,]/)
    TOKEN.lastIndex = i
    const name = TOKEN.exec(header)?.[0]
    if (!name) {
      i++
      continue
    }
    i += name.length
    skip(/[ \t]/)
    const current = out[out.length - 1]
    if (header[i] !== '=' || !current) {
      out.push({ scheme: name.toLowerCase(), params: {} })
      continue
    }
    i++
    skip(/[ \t]/)
    let value = ''
    if (header[i] === '"') {
      for (i++; i < header.length && header[i] !== '"'; i++) {
        if (header[i] === '\\' && i + 1 < header.length) i++
        value += header[i]
      }
      i++
    } else {
      while (i < header.length && !/[,\s]/.test(header[i]!)) value += header[i++]
    }
    current.params[name.toLowerCase()] = value
  }
  return out
}

/** The first challenge of a header (kept for callers that only need one). */
export function parseChallenge(header: string): Challenge {
  return parseWwwAuthenticate(header)[0] ?? { scheme: '', params: {} }
}

/** localhost, 127.0.0.0/8 and ::1, with or without a port. */
export function isLoopbackHost(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '')
  return name === 'localhost' || name === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)
}

export function registryBase(registry: string, insecure?: boolean): string {
  const host = registryHost(registry)
  return (insecure ?? isLoopbackHost(host)) ? `http://${host}` : `https://${host}`
}

/** Verifies that the registry accepts the credentials (or needs none). */
export async function verifyCredentials(registry: string, creds: Credentials | undefined, options: VerifyOptions = {}): Promise<{ ok: true; scheme: 'basic' | 'bearer' | 'none' }> {
  const key = normalizeRegistry(registry)
  const name = key === DOCKER_HUB_KEY ? 'docker.io' : key
  const base = registryBase(key, options.insecure)
  const timeoutMs = options.timeoutMs ?? 15_000
  const fetchFn = options.fetchImpl ?? fetch
  /** The credentials, then the Bearer token once the token service gave one. */
  const secrets: Secret[] = [creds]
  const source = creds?.source ?? 'none'

  const unavailable = (what: string, hint = `Check the address and that ${name} is reachable from here, then try again.`) =>
    new SlsError('REGISTRY_UNAVAILABLE', `${name}: ${what}`, { exitCode: ExitCode.failure, details: { registry: key, url: base }, hints: [hint] })
  const send = async (url: string, init: RequestInit = {}): Promise<Response> => {
    try {
      return await fetchFn(url, { ...init, redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) })
    } catch (error) {
      const err = error as { name?: string; cause?: { code?: string; name?: string } }
      const reason = err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err.cause?.code ?? err.cause?.name ?? err.name ?? 'network error')
      throw unavailable(`${new URL(url).origin} did not answer (${reason})`)
    }
  }
  const discard = (res: Response) => res.body?.cancel().catch(() => undefined)
  /** The registry's own words (`errors[0].message`, `details`), short and redacted. */
  const reasonOf = async (res: Response): Promise<string> => {
    const text = await res.text().catch(() => '')
    let said: unknown
    try {
      const body = JSON.parse(text) as { errors?: Array<{ message?: unknown }>; details?: unknown; message?: unknown }
      said = body.errors?.[0]?.message ?? body.details ?? body.message
    } catch {
      said = undefined
    }
    const clean =
      typeof said === 'string'
        ? redact(said, ...secrets)
            .replace(/\s+/g, ' ')
            .trim()
            .slice(0, 160)
        : ''
    return `HTTP ${res.status}${clean ? `: ${clean}` : ''}`
  }
  const refused = async (res: Response | undefined, scheme: string, why?: string) => {
    const reason = why ?? (res ? await reasonOf(res) : 'no credentials')
    const who = creds ? `the credentials${creds.username ? ` of ${creds.username}` : ''} from ${source}` : 'anonymous access'
    return new SlsError('REGISTRY_AUTH', `${name} refused ${who} (${reason})`, {
      exitCode: ExitCode.failure,
      details: { registry: key, scheme, credentials: source, ...(res ? { status: res.status } : {}) },
      hints: [
        creds ? `Credentials tried: ${source}.` : `No credentials were found for ${name} (env SLS_RUN_REGISTRY_USERNAME/PASSWORD, Docker config, credential helpers).`,
        `Check the user name and password (or token), then run \`sls-run login ${name}\`.`,
      ],
    })
  }
  /** The last answer of /v2/: 2xx is success, 401/403 a refusal, anything else the registry's fault. */
  const settle = async (res: Response, scheme: 'basic' | 'bearer') => {
    if (res.ok) {
      await discard(res)
      return { ok: true as const, scheme }
    }
    if (res.status === 401 || res.status === 403) throw await refused(res, scheme)
    throw unavailable(`/v2/ answered ${await reasonOf(res)}`)
  }

  const first = await send(`${base}/v2/`)
  if (first.ok) {
    await discard(first)
    return { ok: true, scheme: 'none' }
  }
  if (first.status === 403) throw await refused(first, 'none')
  if (first.status !== 401) {
    throw unavailable(`${base}/v2/ answered ${await reasonOf(first)}`, first.status >= 500 ? 'The registry is failing; try again later.' : `Is ${name} a container registry (the distribution v2 API)?`)
  }
  const challenges = parseWwwAuthenticate(first.headers.get('www-authenticate') ?? '')
  await discard(first)
  const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm)
  const basicAuth = creds?.password !== undefined ? `Basic ${basicCredentials(creds.username, creds.password)}` : undefined

  if (!bearer) {
    if (challenges.length > 0 && !challenges.some((c) => c.scheme === 'basic')) {
      throw unavailable(`asks for ${challenges.map((c) => c.scheme).join(', ')} authentication, which sls-run does not speak`, 'Only Basic and Bearer token registries are supported.')
    }
    if (!creds) throw await refused(undefined, 'basic')
    if (!basicAuth) throw await refused(undefined, 'basic', 'an identity token cannot be used with Basic authentication')
    return settle(await send(`${base}/v2/`, { headers: { authorization: basicAuth } }), 'basic')
  }

  let realm: URL
  try {
    realm = new URL(bearer.params.realm!)
  } catch {
    throw unavailable('its token realm is not a URL')
  }
  if (realm.protocol !== 'https:' && realm.protocol !== 'http:') throw unavailable(`its token realm uses ${realm.protocol}`)
  if (realm.protocol === 'http:' && base.startsWith('https:') && !isLoopbackHost(realm.host) && options.insecure !== true) {
    throw unavailable(`its token realm ${realm.origin} is plain HTTP; sls-run does not send credentials there`, 'Fix the registry configuration (the realm of its Bearer challenge).')
  }
  const service = bearer.params.service
  const scope = bearer.params.scope
  let tokenRes: Response
  if (creds?.identityToken) {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'sls-run' })
    if (service) form.set('service', service)
    if (scope) form.set('scope', scope)
    tokenRes = await send(realm.toString(), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() })
  } else {
    if (service) realm.searchParams.set('service', service)
    if (scope) realm.searchParams.set('scope', scope)
    if (creds?.username) realm.searchParams.set('account', creds.username)
    tokenRes = await send(realm.toString(), basicAuth ? { headers: { authorization: basicAuth } } : {})
  }
  if (tokenRes.status >= 500) throw unavailable(`its token service answered ${await reasonOf(tokenRes)}`, 'The registry is failing; try again later.')
  if (!tokenRes.ok) throw await refused(tokenRes, 'bearer')
  const body = (await tokenRes.json().catch(() => ({}))) as { token?: unknown; access_token?: unknown }
  const token = typeof body.token === 'string' && body.token ? body.token : typeof body.access_token === 'string' ? body.access_token : ''
  if (!token) throw unavailable('its token service answered without a token')
  secrets.push(token)
  return settle(await send(`${base}/v2/`, { headers: { authorization: `Bearer ${token}` } }), 'bearer')
}
