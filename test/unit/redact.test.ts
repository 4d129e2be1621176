/**
 * The one redaction rule (src/core/redact.ts), kind by kind: registry passwords (every spelling), Bearer
 * tokens, AWS keys, values named SECRET / TOKEN / PASSWORD, and URLs' user info and query; then what it
 * must leave alone. Registry and push flows that echo credentials are in registry-redact.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { basicCredentials, redact } from '../../src/core/redact.js'

const PASSWORD = 'S3cr3t?>>~"pa55 x'
const creds = { username: 'alice', password: PASSWORD }

describe('redact: registry passwords', () => {
  // Every spelling (JSON, percent and form encoding, base64url…) through the real login and push paths: registry-redact.test.ts.
  it('the password in use, raw and as the Basic value, whatever surrounds it', () => {
    const basic = basicCredentials('alice', PASSWORD)
    expect(redact(`denied for alice:${PASSWORD}`, creds)).toBe('denied for alice:***')
    expect(redact(`{"auth":"${basic}"}`, creds)).toBe('{"auth":"***"}')
    expect(redact(`auth=${encodeURIComponent(PASSWORD)}&x=1`, creds)).toBe('auth=***&x=1')
  })

  it('an identity token and a raw token given as such', () => {
    expect(redact('grant refresh=id-tok/en+1== failed', { username: '', identityToken: 'id-tok/en+1==' })).toBe('grant refresh=*** failed')
    expect(redact('helper printed opaque-helper-secret', 'opaque-helper-secret')).toBe('helper printed ***')
  })

  it('a secret shorter than 3 characters is not searched for', () => {
    expect(redact('ab ab', { username: 'u', password: 'ab' })).toBe('ab ab')
  })
})

describe('redact: Bearer tokens', () => {
  it.each([
    ['a JWT', 'Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl rejected', 'Authorization: Bearer *** rejected'],
    ['an opaque token with padding', 'sent bearer ya29.a0AfH6SMBx-token_value== to the API', 'sent bearer *** to the API'],
    ['a Google access token', '{"authorization":"Bearer ya29.c.b0Aaekm1K"}', '{"authorization":"Bearer ***"}'],
  ])('%s', (_kind, text, shown) => {
    expect(redact(text)).toBe(shown)
  })

  it('leaves challenges and words after "Bearer" alone', () => {
    for (const text of [
      'www-authenticate: Bearer realm="https://auth.example.com/token",service="registry"',
      'asks for Bearer authentication, which sls-run does not speak',
      'Bearer error="invalid_token"',
    ]) {
      expect(redact(text)).toBe(text)
    }
  })
})

describe('redact: AWS keys', () => {
  it('access key ids (long-term AKIA…, temporary ASIA…)', () => {
    expect(redact('Credential=AKIAIOSFODNN7EXAMPLE/20250101/eu-west-1/ecs/aws4_request')).toBe('Credential=***/20250101/eu-west-1/ecs/aws4_request')
    expect(redact('the key ASIAQWERTYUIOPASDFGH expired')).toBe('the key *** expired')
  })

  it('secret access keys, bare and named', () => {
    expect(redact('secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in the log')).toBe('secret *** in the log')
    expect(redact('aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')).toBe('aws_secret_access_key = ***')
  })

  it('leaves digests, git SHA-1s and ARNs alone', () => {
    const text = `image ghcr.io/acme/api@sha256:${'ab'.repeat(32)} from commit ${'0123456789abcdef0123'.repeat(2)} in arn:aws:ecs:eu-west-1:123456789012:service/shop/api`
    expect(redact(text)).toBe(text)
  })
})

describe('redact: values named SECRET, TOKEN or PASSWORD', () => {
  it.each([
    ['an environment variable', 'AWS_SECRET_ACCESS_KEY=abc123def failed', 'AWS_SECRET_ACCESS_KEY=*** failed'],
    ['a quoted one', 'export SLS_RUN_REGISTRY_PASSWORD="hunter2 with spaces"; exit 1', 'export SLS_RUN_REGISTRY_PASSWORD="***"; exit 1'],
    ['a session token', 'AWS_SESSION_TOKEN=FwoGZXIvYXdzEJr//////////wEaDH', 'AWS_SESSION_TOKEN=***'],
    ['a form field', 'body: grant_type=refresh_token&refresh_token=1//0gabc&client_id=x', 'body: grant_type=refresh_token&refresh_token=***&client_id=x'],
    ['a signed header', 'x-amz-security-token:IQoJb3JpZ2luX2VjE', 'x-amz-security-token:***'],
    ['a JSON field', '{"ServerURL":"r.example.com","Username":"u","Secret":"p4ss","clientSecret": "s3cr3t\\"x"}', '{"ServerURL":"r.example.com","Username":"u","Secret":"***","clientSecret": "***"}'],
    ['a lower-case password', 'password=letmein', 'password=***'],
  ])('%s', (_kind, text, shown) => {
    expect(redact(text)).toBe(shown)
  })

  it('leaves the names alone when no value follows', () => {
    const text = 'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or SLS_RUN_REGISTRY_USERNAME/PASSWORD: the token is invalid'
    expect(redact(text)).toBe(text)
  })
})

describe('redact: URLs', () => {
  it.each([
    ['a signed query', 'GET https://bucket.s3.amazonaws.com/layer?X-Amz-Signature=abc&X-Amz-Credential=x failed', 'GET https://bucket.s3.amazonaws.com/layer failed'],
    ['user info', 'cannot reach https://bob:hunter2@registry.example.com:5000/v2/ (refused)', 'cannot reach https://registry.example.com:5000/v2/ (refused)'],
    ['a fragment, then closing punctuation', '(see https://login.example.com/cb#access_token=abc).', '(see https://login.example.com/cb).'],
    ['a URL alone', 'https://management.azure.com/op/123?api-version=2024-03-01&sig=abc', 'https://management.azure.com/op/123'],
  ])('%s', (_kind, text, shown) => {
    expect(redact(text)).toBe(shown)
  })

  it('leaves URLs without user info or query alone, and other schemes too', () => {
    const text = 'Head "https://registry.example.com/v2/acme/web/blobs/sha256:abc": unauthorized; engine at unix:///var/run/docker.sock'
    expect(redact(text)).toBe(text)
  })
})

describe('redact: what stays', () => {
  it('undefined and empty text', () => {
    expect(redact(undefined, creds)).toBeUndefined()
    expect(redact('', creds)).toBe('')
  })

  it('ordinary messages, other base64, the user name', () => {
    const text = `unauthorized: alice may not push to acme/web (auth=Basic ${Buffer.from('bob:other').toString('base64')}); revision api-00002 Ready False: RevisionMissing`
    expect(redact(text, creds)).toBe(text)
  })
})
