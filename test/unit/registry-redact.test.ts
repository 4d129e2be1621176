/**
 * One redaction rule for registry secrets (src/core/redact.ts): every spelling of a secret in
 * use becomes ***, and what a registry or the engine echoes back never reaches an SlsError, through the
 * real code paths (the /v2/ auth flow with a fake fetch, a push with a fake engine; no network).
 */
import type Dockerode from 'dockerode'
import { describe, expect, it } from 'vitest'
import type { Config } from '../../src/core/config/index.js'
import { verifyCredentials } from '../../src/core/registry/challenge.js'
import { pushServices, type PushEvent } from '../../src/core/registry/push.js'
import { redact } from '../../src/core/redact.js'
import { SlsError } from '../../src/errors.js'

// Chosen so that every spelling differs: base64 with '+' and '=', JSON escapes, percent and form encoding.
const USER = 'alice'
const PASSWORD = 'S3cr3t?>>~"pa55 x'
const BASIC = Buffer.from(`${USER}:${PASSWORD}`).toString('base64')
const BASIC_URL = BASIC.replace(/\+/g, '-').replace(/\//g, '_')
const IDENTITY_TOKEN = 'id-tok/en+1=='
const BEARER = 'eyJhbGciOi.bearer-token.sig'
const creds = { username: USER, password: PASSWORD, source: 'env SLS_RUN_REGISTRY_USERNAME' }

/** Every spelling that must never be shown. */
const FORMS = [PASSWORD, JSON.stringify(PASSWORD).slice(1, -1), encodeURIComponent(PASSWORD), BASIC, BASIC.replace(/=+$/, ''), BASIC_URL, BASIC_URL.replace(/=+$/, '')]

/** Everything a user could see of an error (plain and --json output): none of the forms. */
function expectNothingSecret(error: unknown, secrets: string[] = FORMS): SlsError {
  expect(error).toBeInstanceOf(SlsError)
  const e = error as SlsError
  const shown = JSON.stringify({ message: e.message, hints: e.hints, details: e.details })
  for (const form of secrets) expect(shown).not.toContain(form)
  return e
}

describe('redact', () => {
  it('the forms differ from each other (the test password exercises each encoding)', () => {
    expect(new Set(FORMS).size).toBe(FORMS.length)
    expect(BASIC).toMatch(/\+.*=$/)
  })

  it.each([
    ['the raw password', PASSWORD],
    ['the JSON-escaped password', JSON.stringify(PASSWORD).slice(1, -1)],
    ['the URL-encoded password', encodeURIComponent(PASSWORD)],
    ['the URL-encoded password, lower-case hex', encodeURIComponent(PASSWORD).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())],
    ['the form-encoded password', new URLSearchParams({ p: PASSWORD }).toString().slice(2)],
    ['the Basic value base64(user:password)', BASIC],
    ['the Basic value without padding', BASIC.replace(/=+$/, '')],
    ['the Basic value in base64url', BASIC_URL],
    ['the Basic value in base64url without padding', BASIC_URL.replace(/=+$/, '')],
  ])('%s', (_name, form) => {
    expect(redact(`registry said: auth=Basic ${form}; retry`, creds)).toBe('registry said: auth=Basic ***; retry')
  })

  it('an identity token (raw and URL-encoded) and a Bearer token', () => {
    const identity = { username: '', identityToken: IDENTITY_TOKEN }
    expect(redact(`refresh_token=${IDENTITY_TOKEN}`, identity)).toBe('refresh_token=***')
    expect(redact(`refresh_token=${encodeURIComponent(IDENTITY_TOKEN)}`, identity)).toBe('refresh_token=***')
    expect(redact(`Authorization: Bearer ${BEARER} rejected`, creds, BEARER)).toBe('Authorization: Bearer *** rejected')
  })

  it('leaves unrelated text alone (the user name, other base64, no credentials at all)', () => {
    const text = `unauthorized: ${USER} may not push to acme/web (auth=Basic ${Buffer.from('bob:other').toString('base64')})`
    expect(redact(text, creds, BEARER)).toBe(text)
    expect(redact(text)).toBe(text)
    expect(redact(undefined, creds)).toBeUndefined()
    expect(redact('ab ab', { username: USER, password: 'ab' })).toBe('ab ab') // too short to mean anything
  })
})

describe('a registry echoing the credentials', () => {
  /** A fake registry: its /v2/ challenge, then `answer` for every later request. */
  function registry(challenge: string, answer: (url: URL, init: RequestInit) => Response): typeof fetch {
    return (async (input: string | URL | Request, init: RequestInit = {}) => {
      const url = new URL(String(input))
      const authorization = new Headers(init.headers).get('authorization')
      if (url.pathname === '/v2/' && !authorization) return new Response('{}', { status: 401, headers: { 'www-authenticate': challenge } })
      return answer(url, init)
    }) as typeof fetch
  }
  const body = (status: number, value: object) => new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } })

  it('login (Basic): the echoed auth=Basic value is not in the REGISTRY_AUTH message, hints or details', async () => {
    const fetchImpl = registry('Basic realm="r"', (_url, init) =>
      body(401, { errors: [{ code: 'UNAUTHORIZED', message: `bad credentials: auth=Basic ${new Headers(init.headers).get('authorization')!.slice(6)}` }] }),
    )
    const error = expectNothingSecret(await verifyCredentials('registry.example.com', creds, { fetchImpl }).catch((e: unknown) => e))
    expect(error.code).toBe('REGISTRY_AUTH')
    expect(error.message).toContain('HTTP 401: bad credentials: auth=Basic ***')
  })

  it('login (Bearer): neither the Basic value sent to the token service nor the token it gave comes back', async () => {
    const fetchImpl = registry('Bearer realm="https://auth.example.com/token",service="reg"', (url, init) => {
      if (url.pathname === '/token') return body(200, { token: BEARER })
      return body(403, { errors: [{ message: `token ${new Headers(init.headers).get('authorization')} (from auth=Basic ${BASIC_URL}) lacks scope` }] })
    })
    const error = expectNothingSecret(await verifyCredentials('registry.example.com', creds, { fetchImpl }).catch((e: unknown) => e), [...FORMS, BEARER])
    expect(error.message).toContain('HTTP 403: token Bearer *** (from auth=Basic ***) lacks scope')
  })

  it('login (identity token): the refresh token echoed URL-encoded by the token service is redacted', async () => {
    const fetchImpl = registry('Bearer realm="https://auth.example.com/token"', (_url, init) => body(401, { details: `invalid grant: ${String(init.body)}` }))
    const identity = { username: '', identityToken: IDENTITY_TOKEN, source: 'credsStore docker-credential-x' }
    const error = expectNothingSecret(await verifyCredentials('registry.example.com', identity, { fetchImpl }).catch((e: unknown) => e), [IDENTITY_TOKEN, encodeURIComponent(IDENTITY_TOKEN)])
    expect(error.message).toContain('refresh_token=***')
  })

  /** A Docker engine whose push stream ends with `errors` (one per attempt), echoing what the registry said. */
  function engine(errors: string[]): Dockerode {
    return {
      getImage: () => ({
        inspect: async () => ({}),
        push: async () =>
          (async function* () {
            const error = errors.shift() ?? 'no more'
            yield Buffer.from(`${JSON.stringify({ status: 'Preparing', id: 'aaa' })}\n${JSON.stringify({ errorDetail: { message: error }, error })}\n`)
          })(),
      }),
    } as unknown as Dockerode
  }
  const config = { name: 'shop', services: { web: { image: 'registry.example.com/acme/web', build: { context: '.' } } } } as unknown as Config
  const env = { SLS_RUN_REGISTRY_USERNAME: USER, SLS_RUN_REGISTRY_PASSWORD: PASSWORD }

  it('push: an auth failure echoing auth=Basic does not reach REGISTRY_AUTH', async () => {
    const docker = engine([`unauthorized: authentication required (auth=Basic ${BASIC})`])
    const error = expectNothingSecret(await pushServices(docker, config, { services: [], tag: '1.0', env }, () => {}).catch((e: unknown) => e))
    expect(error.code).toBe('REGISTRY_AUTH')
    expect(error.message).toContain('(auth=Basic ***)')
  })

  it('push: a transient failure echoing base64url is redacted in the retry event and in REGISTRY_UNAVAILABLE', async () => {
    const echoed = `received unexpected HTTP status: 503 Service Unavailable (authorization: Basic ${BASIC_URL.replace(/=+$/, '')})`
    const events: PushEvent[] = []
    const docker = engine([echoed, echoed])
    const error = expectNothingSecret(await pushServices(docker, config, { services: [], tag: '1.0', env, attempts: 2, backoffMs: 1 }, (e) => events.push(e)).catch((e: unknown) => e))
    expect(error.code).toBe('REGISTRY_UNAVAILABLE')
    const shown = JSON.stringify(events)
    for (const form of FORMS) expect(shown).not.toContain(form)
    expect(events.find((e) => e.type === 'retry')).toMatchObject({ reason: expect.stringContaining('Basic ***') })
  })
})
