/**
 * SigV4 verification for the AWS fake, written from the published algorithm (canonical request →
 * string to sign → HMAC chain), independent of the signer the SDK uses: the fake knows the secret of
 * each access key it accepts and recomputes the signature of every signed request.
 */
import { createHash, createHmac } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

export interface Signed {
  accessKeyId: string
  date: string
  region: string
  service: string
  signedHeaders: string[]
  sessionToken?: string
}

export type Verdict = { ok: true; signed: Signed } | { ok: false; type: string; status: number; message: string }

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest()

const encode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

function canonicalQuery(search: URLSearchParams): string {
  return [...search.entries()]
    .map(([k, v]) => [encode(k), encode(v)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&')
}

/** Check the Authorization header of `req` (with its `body`) against the known `secrets` (access key id → secret). */
export function verifySigV4(req: IncomingMessage, body: Buffer, secrets: Record<string, string>): Verdict {
  const header = String(req.headers.authorization ?? '')
  const m = AUTH.exec(header)
  if (!m) return { ok: false, type: 'MissingAuthenticationTokenException', status: 400, message: 'Missing Authentication Token' }
  const [, accessKeyId, date, region, service, signedHeaderList, signature] = m as unknown as string[]
  const secret = secrets[accessKeyId!]
  if (secret === undefined) return { ok: false, type: 'UnrecognizedClientException', status: 400, message: 'The security token included in the request is invalid.' }
  const amzDate = String(req.headers['x-amz-date'] ?? '')
  if (!amzDate.startsWith(date!)) return { ok: false, type: 'IncompleteSignatureException', status: 400, message: 'X-Amz-Date does not match the credential scope date' }
  const signedHeaders = signedHeaderList!.split(';')
  const url = new URL(req.url ?? '/', 'http://fake')
  const canonicalHeaders = signedHeaders
    .map(
      (h) =>
        `${h}:${String(req.headers[h] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('')
  const payloadHash = String(req.headers['x-amz-content-sha256'] ?? sha256(body))
  const canonicalRequest = [req.method, url.pathname || '/', canonicalQuery(url.searchParams), canonicalHeaders, signedHeaderList, payloadHash].join('\n')
  const scope = `${date}/${region}/${service}/aws4_request`
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n')
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date!), region!), service!), 'aws4_request')
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex')
  if (expected !== signature) {
    return {
      ok: false,
      type: 'InvalidSignatureException',
      status: 403,
      message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    }
  }
  const token = req.headers['x-amz-security-token']
  return { ok: true, signed: { accessKeyId: accessKeyId!, date: date!, region: region!, service: service!, signedHeaders, ...(token ? { sessionToken: String(token) } : {}) } }
}
