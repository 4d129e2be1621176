/**
 * One HTTPS server (MSAL insists on an https authority) playing Microsoft Entra ID, ARM and an Azure
 * Container Registry's token exchange, on 127.0.0.1 with a test CA:
 *
 * - GET /{tenant}/v2.0/.well-known/openid-configuration, POST /{tenant}/oauth2/v2.0/token: the
 *   client-credentials grant, with client_secret, a federated token (workload identity) or a
 *   certificate-signed client_assertion (verified with the registered certificate); scope must be
 *   `<this server>/.default` (the ARM audience the adapter is pointed at).
 * - ARM (see azure-arm.ts): every call needs a bearer token this server issued.
 * - POST /oauth2/exchange: ACR's grant_type=access_token exchange for a refresh token.
 */
import { createPublicKey, randomUUID, verify, X509Certificate, constants } from 'node:crypto'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { FakeArm, type Reply } from './azure-arm.js'
import type { TestPki } from './tls.js'
import { closeServer } from './server.js'

export interface FakeAzureOptions {
  tenant: string
  clientId: string
  clientSecret?: string
  /** The content of AZURE_FEDERATED_TOKEN_FILE accepted as client_assertion. */
  federatedToken?: string
  /** PEM certificate whose key signs client assertions. */
  certificatePem?: string
  /** The ACR host name the exchange serves (`service=`). */
  registry?: string
}

export interface FakeAzure {
  url: string
  arm: FakeArm
  /** Form fields of every token request. */
  tokenRequests: Array<Record<string, string>>
  /** Form fields of every ACR exchange. */
  exchanges: Array<Record<string, string>>
  /** Every request as `METHOD /path`. */
  log: string[]
  issued: Set<string>
  close(): Promise<void>
}

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')

function oauthError(status: number, error: string, description: string): Reply {
  return {
    status,
    body: {
      error,
      error_description: description,
      error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)],
      timestamp: new Date().toISOString(),
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
    },
  }
}

/** A certificate-signed assertion (RS256 or PS256) from the registered certificate, for `aud`. */
function assertionValid(assertion: string, certPem: string, clientId: string, audience: string): string | null {
  const [h, p, s] = assertion.split('.')
  if (!h || !p || !s) return 'client_assertion is not a JWT'
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string; x5t?: string; 'x5t#S256'?: string }
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { aud?: string; iss?: string; sub?: string; exp?: number }
  const cert = new X509Certificate(certPem)
  const key = createPublicKey(cert.publicKey.export({ type: 'spki', format: 'pem' }))
  const data = Buffer.from(`${h}.${p}`)
  const sig = Buffer.from(s, 'base64url')
  const ok = header.alg === 'PS256' ? verify('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig) : header.alg === 'RS256' && verify('sha256', data, key, sig)
  if (!ok) return `client_assertion signature (${header.alg}) does not verify with the registered certificate`
  const thumb = cert.fingerprint256.replace(/:/g, '')
  if (header['x5t#S256'] && Buffer.from(header['x5t#S256'], 'base64url').toString('hex').toUpperCase() !== thumb) return 'x5t#S256 is not the registered certificate'
  if (claims.iss !== clientId || claims.sub !== clientId) return 'iss/sub must be the client id'
  if (claims.aud !== audience) return `aud ${claims.aud} is not the token endpoint ${audience}`
  if (!claims.exp || claims.exp * 1000 < Date.now()) return 'assertion expired'
  return null
}

export async function startFakeAzure(pki: TestPki, options: FakeAzureOptions): Promise<FakeAzure> {
  let base = ''
  const arm = new FakeArm(() => base)
  const tokenRequests: Array<Record<string, string>> = []
  const exchanges: Array<Record<string, string>> = []
  const log: string[] = []
  const issued = new Set<string>()
  const { tenant, clientId } = options

  function token(url: URL, form: Record<string, string>): Reply {
    tokenRequests.push(form)
    const endpoint = `${base}/${tenant}/oauth2/v2.0/token`
    if (!url.pathname.startsWith(`/${tenant}/`)) return oauthError(400, 'invalid_tenant', `AADSTS90002: Tenant '${url.pathname.split('/')[1]}' not found.`)
    if (form.grant_type !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', `AADSTS70003: grant_type ${form.grant_type} is not supported here.`)
    if (form.client_id !== clientId) return oauthError(400, 'unauthorized_client', `AADSTS700016: Application with identifier '${form.client_id}' was not found in the directory.`)
    if (form.scope?.split(' ').sort().join(' ') !== [`${base}/.default`].join(' ')) return oauthError(400, 'invalid_scope', `AADSTS70011: The provided value for scope ${form.scope} is not valid.`)
    if (form.client_secret !== undefined) {
      if (form.client_secret !== options.clientSecret)
        return oauthError(
          401,
          'invalid_client',
          `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
        )
    } else if (form.client_assertion_type === JWT_BEARER && form.client_assertion) {
      const federated = options.federatedToken !== undefined && form.client_assertion === options.federatedToken
      const problem = federated ? null : options.certificatePem ? assertionValid(form.client_assertion, options.certificatePem, clientId, endpoint) : 'no federated credential matches the assertion'
      if (problem) return oauthError(401, 'invalid_client', `AADSTS700027: Client assertion failed signature validation or did not match a federated credential: ${problem}`)
    } else {
      return oauthError(401, 'invalid_client', "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
    }
    const now = Math.floor(Date.now() / 1000)
    const access = `${b64({ typ: 'JWT', alg: 'RS256' })}.${b64({ aud: base, iss: `${base}/${tenant}/`, tid: tenant, appid: clientId, oid: randomUUID(), iat: now, exp: now + 3600 })}.${randomUUID().replace(/-/g, '')}`
    issued.add(access)
    return { status: 200, body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: access } }
  }

  function exchange(form: Record<string, string>): Reply {
    exchanges.push(form)
    if (form.grant_type !== 'access_token') return { status: 400, body: { errors: [{ code: 'UNSUPPORTED', message: `grant_type ${form.grant_type}` }] } }
    if (form.service !== options.registry) return { status: 400, body: { errors: [{ code: 'UNAUTHORIZED', message: `service ${form.service} is not this registry` }] } }
    if (form.tenant !== undefined && form.tenant !== tenant) return { status: 401, body: { errors: [{ code: 'UNAUTHORIZED', message: 'tenant mismatch' }] } }
    if (!form.access_token || !issued.has(form.access_token)) return { status: 401, body: { errors: [{ code: 'UNAUTHORIZED', message: 'invalid access_token' }] } }
    return { status: 200, body: { refresh_token: `acr-refresh-${randomUUID()}` } }
  }

  function route(method: string, url: URL, raw: string, headers: Record<string, string | string[] | undefined>): Reply {
    const form = () => Object.fromEntries(new URLSearchParams(raw))
    if (method === 'GET' && url.pathname === `/${tenant}/v2.0/.well-known/openid-configuration`) {
      const t = `${base}/${tenant}`
      return {
        status: 200,
        body: {
          token_endpoint: `${t}/oauth2/v2.0/token`,
          authorization_endpoint: `${t}/oauth2/v2.0/authorize`,
          end_session_endpoint: `${t}/oauth2/v2.0/logout`,
          issuer: `${t}/v2.0`,
          jwks_uri: `${t}/discovery/v2.0/keys`,
          response_types_supported: ['code'],
        },
      }
    }
    if (method === 'POST' && /^\/[^/]+\/oauth2\/v2\.0\/token$/.test(url.pathname)) return token(url, form())
    if (method === 'POST' && url.pathname === '/oauth2/exchange') return exchange(form())
    if (url.pathname.startsWith('/subscriptions/')) {
      const bearer = /^Bearer (.+)$/.exec(String(headers.authorization ?? ''))?.[1]
      if (!bearer) return { status: 401, body: { error: { code: 'AuthenticationFailed', message: "Authentication failed. The 'Authorization' header is missing." } } }
      if (!issued.has(bearer)) return { status: 401, body: { error: { code: 'InvalidAuthenticationToken', message: 'The access token is invalid.' } } }
      let body: unknown
      if (raw) {
        try {
          body = JSON.parse(raw)
        } catch {
          return { status: 400, body: { error: { code: 'InvalidRequestContent', message: 'The request content was not valid JSON.' } } }
        }
      }
      return arm.handle(method, url, body)
    }
    return { status: 404, body: { error: { code: 'NotFound', message: `${method} ${url.pathname}` } } }
  }

  const server: Server = createServer({ key: pki.key, cert: pki.cert }, (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', base)
      log.push(`${req.method} ${url.pathname}`)
      let reply: Reply
      try {
        reply = route(req.method ?? 'GET', url, Buffer.concat(chunks).toString('utf8'), req.headers)
      } catch (e) {
        reply = { status: 500, body: { error: { code: 'InternalServerError', message: (e as Error).message } } }
      }
      const headers: Record<string, string> = { ...reply.headers }
      if (reply.body !== undefined) headers['content-type'] = 'application/json; charset=utf-8'
      res.writeHead(reply.status, headers)
      res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: base,
    arm,
    tokenRequests,
    exchanges,
    log,
    issued,
    close: () => closeServer(server),
  }
}
