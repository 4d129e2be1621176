/**
 * A fake Google token service on 127.0.0.1: the STS token exchange that workload identity federation
 * (`external_account` credentials) uses (RFC 8693, as sts.googleapis.com/v1/token), and the OAuth token
 * endpoint that `authorized_user` credentials refresh against. It checks what google-auth-library sends
 * and issues opaque access tokens that the Cloud Run fake accepts.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { closeServer } from './server.js'

export interface FakeStsOptions {
  /** The subject token the credential_source file must hold. */
  subjectToken: string
  /** The workload identity provider audience the credentials must name. */
  audience: string
  /** authorized_user refresh credentials the OAuth endpoint accepts. */
  refresh?: { clientId: string; clientSecret: string; refreshToken: string }
}

export interface FakeSts {
  /** http://127.0.0.1:PORT */
  origin: string
  /** STS exchange URL (external_account `token_url`). */
  tokenUrl: string
  /** OAuth token URL (for authorized_user). */
  oauthUrl: string
  /** Access tokens issued so far. */
  issued: Set<string>
  /** Every form posted, for assertions. */
  requests: Array<Record<string, string>>
  close(): Promise<void>
}

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token'
const SUBJECT_TYPES = new Set([
  'urn:ietf:params:oauth:token-type:jwt',
  'urn:ietf:params:oauth:token-type:id_token',
  'urn:ietf:params:aws:token-type:aws4_request',
  'urn:ietf:params:oauth:token-type:saml2',
])
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform'

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export async function startFakeSts(options: FakeStsOptions): Promise<FakeSts> {
  const issued = new Set<string>()
  const requests: Array<Record<string, string>> = []
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }
  const oauthError = (res: ServerResponse, error: string, description: string) => send(res, 400, { error, error_description: description })
  const issue = () => {
    const token = `ya29.fake-${randomBytes(12).toString('hex')}`
    issued.add(token)
    return token
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      const text = await readBody(req)
      if (req.method !== 'POST' || !/application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) {
        return oauthError(res, 'invalid_request', 'expected a form POST')
      }
      const form = Object.fromEntries(new URLSearchParams(text))
      requests.push(form)
      if (req.url === '/v1/token') {
        if (form.grant_type !== TOKEN_EXCHANGE) return oauthError(res, 'unsupported_grant_type', `grant_type must be ${TOKEN_EXCHANGE}`)
        if (form.requested_token_type !== ACCESS_TOKEN_TYPE) return oauthError(res, 'invalid_request', 'requested_token_type must be an access token')
        if (!SUBJECT_TYPES.has(form.subject_token_type ?? '')) return oauthError(res, 'invalid_request', `unsupported subject_token_type ${form.subject_token_type}`)
        if (form.audience !== options.audience) return oauthError(res, 'invalid_target', `The target service indicated by the "audience" parameters is invalid: ${form.audience}`)
        if (form.subject_token !== options.subjectToken) return oauthError(res, 'invalid_grant', 'The incoming token is not valid')
        if (!form.scope?.split(' ').includes(CLOUD_PLATFORM)) return oauthError(res, 'invalid_scope', `scope must include ${CLOUD_PLATFORM}`)
        return send(res, 200, { access_token: issue(), issued_token_type: ACCESS_TOKEN_TYPE, token_type: 'Bearer', expires_in: 3599 })
      }
      if (req.url === '/token') {
        const r = options.refresh
        if (form.grant_type !== 'refresh_token') return oauthError(res, 'unsupported_grant_type', 'grant_type must be refresh_token')
        if (!r || form.client_id !== r.clientId || form.client_secret !== r.clientSecret || form.refresh_token !== r.refreshToken) return oauthError(res, 'invalid_grant', 'Bad Request')
        return send(res, 200, { access_token: issue(), expires_in: 3599, token_type: 'Bearer', scope: CLOUD_PLATFORM })
      }
      return send(res, 404, { error: 'not_found' })
    })().catch((err: unknown) => send(res, 500, { error: 'internal', error_description: String(err) }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    origin,
    tokenUrl: `${origin}/v1/token`,
    oauthUrl: `${origin}/token`,
    issued,
    requests,
    close: () => closeServer(server),
  }
}
