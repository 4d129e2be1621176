/**
 * Registry credentials: Docker's registry-key rules, the lookup order (env, credHelpers, auths,
 * credsStore) with a real fake credential helper (test/fixtures/credential-helper) on PATH, atomic
 * config.json writes, and the v2 auth flow against real Basic and Bearer servers on 127.0.0.1.
 * A distinctive password must never show up in any error.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { isLoopbackHost, parseWwwAuthenticate, registryBase, verifyCredentials } from '../../src/core/registry/challenge.js'
import {
  DOCKER_HUB_KEY as HUB,
  eraseCredentials,
  normalizeRegistry,
  registryHost,
  repositoryPath,
  resolveCredentials,
  storeCredentials,
  type Credentials,
} from '../../src/core/registry/credentials.js'
import { summarizeDockerConfig } from '../../src/core/registry/docker-config.js'
import { SlsError } from '../../src/errors.js'
import { useTempDir } from '../helpers/temp.js'

const HELPERS = fileURLToPath(new URL('../fixtures/credential-helper', import.meta.url))
const SECRET = 'S3cr3t-pa55-XYZ'
const b64 = (s: string) => Buffer.from(s).toString('base64')
const tempDir = useTempDir('sls-run-creds-')

/** Everything a user could see of an error: it must never hold the secret. */
function expectNoSecret(error: unknown): void {
  const e = error as SlsError
  expect(JSON.stringify({ message: e.message, hints: e.hints, details: e.details, code: e.code, cause: String(e.cause ?? '') })).not.toContain(SECRET)
}
async function failure(promise: Promise<unknown>): Promise<SlsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(SlsError)
  expectNoSecret(error)
  return error as SlsError
}

/** A DOCKER_CONFIG folder, an env with the fake helper on PATH, and the helper's store file. */
function setup(config?: object, store?: Record<string, { Username: string; Secret: string }>) {
  const dir = tempDir()
  const file = path.join(dir, 'config.json')
  const storeFile = path.join(dir, 'helper-store.json')
  if (config) writeFileSync(file, JSON.stringify(config))
  if (store) writeFileSync(storeFile, JSON.stringify(store))
  const env: NodeJS.ProcessEnv = { DOCKER_CONFIG: dir, PATH: `${HELPERS}${path.delimiter}${process.env.PATH}`, SLSRUNTEST_STORE: storeFile }
  const read = () => JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>
  const readStore = () => (existsSync(storeFile) ? JSON.parse(readFileSync(storeFile, 'utf8')) : {}) as Record<string, { Username: string; Secret: string }>
  return { dir, file, env, read, readStore }
}

describe('normalizeRegistry / registryHost / repositoryPath', () => {
  const digest = `sha256:${'a'.repeat(64)}`
  it.each([
    ['ubuntu', HUB, 'registry-1.docker.io', 'library/ubuntu'],
    ['ubuntu:22.04', HUB, 'registry-1.docker.io', 'library/ubuntu'],
    ['node:20-alpine', HUB, 'registry-1.docker.io', 'library/node'],
    ['registry:5000', 'registry:5000', 'registry:5000', undefined],
    [`ubuntu@${digest}`, HUB, 'registry-1.docker.io', 'library/ubuntu'],
    ['library/ubuntu', HUB, 'registry-1.docker.io', 'library/ubuntu'],
    ['acme/api:1.0', HUB, 'registry-1.docker.io', 'acme/api'],
    ['docker.io/x', HUB, 'registry-1.docker.io', 'library/x'],
    ['docker.io/library/ubuntu:latest', HUB, 'registry-1.docker.io', 'library/ubuntu'],
    ['index.docker.io/acme/api', HUB, 'registry-1.docker.io', 'acme/api'],
    ['docker.io', HUB, 'registry-1.docker.io', undefined],
    ['index.docker.io', HUB, 'registry-1.docker.io', undefined],
    ['registry-1.docker.io', HUB, 'registry-1.docker.io', undefined],
    ['https://index.docker.io/v1/', HUB, 'registry-1.docker.io', undefined],
    ['ghcr.io/acme/api:tag', 'ghcr.io', 'ghcr.io', 'acme/api'],
    ['GHCR.io/acme/api', 'ghcr.io', 'ghcr.io', 'acme/api'],
    ['ghcr.io', 'ghcr.io', 'ghcr.io', undefined],
    ['https://ghcr.io', 'ghcr.io', 'ghcr.io', undefined],
    ['ghcr.io/v1/', 'ghcr.io', 'ghcr.io', undefined],
    ['europe-docker.pkg.dev/proj/repo/img:1', 'europe-docker.pkg.dev', 'europe-docker.pkg.dev', 'proj/repo/img'],
    ['localhost:5000/x', 'localhost:5000', 'localhost:5000', 'x'],
    ['localhost/team/x:dev', 'localhost', 'localhost', 'team/x'],
    ['localhost:5000', 'localhost:5000', 'localhost:5000', undefined],
    ['http://localhost:5000/', 'localhost:5000', 'localhost:5000', undefined],
    [`127.0.0.1:5000/x@${digest}`, '127.0.0.1:5000', '127.0.0.1:5000', 'x'],
    ['myhost:5000/team/app:v2', 'myhost:5000', 'myhost:5000', 'team/app'],
    ['[::1]:5000/app', '[::1]:5000', '[::1]:5000', 'app'],
  ])('%s → %s', (input, key, host, repo) => {
    expect(normalizeRegistry(input)).toBe(key)
    expect(registryHost(input)).toBe(host)
    if (repo !== undefined) expect(repositoryPath(input)).toBe(repo)
  })

  it('rejects something that is neither a host nor a reference', () => {
    expect(() => normalizeRegistry('')).toThrow(SlsError)
    expect(() => normalizeRegistry('https://bad host/')).toThrow(/not a registry host/)
  })
})

describe('resolveCredentials', () => {
  const REG = '127.0.0.1:5000'
  it('env beats the Docker config; a lone username is ignored', async () => {
    const { env, file } = setup({ auths: { [REG]: { auth: b64(`cfg:${SECRET}`) } } })
    expect(await resolveCredentials(`${REG}/app`, { ...env, SLS_RUN_REGISTRY_USERNAME: 'ci', SLS_RUN_REGISTRY_PASSWORD: 'envpw' })).toEqual({
      username: 'ci',
      password: 'envpw',
      source: 'env SLS_RUN_REGISTRY_USERNAME',
    })
    expect(await resolveCredentials(REG, { ...env, SLS_RUN_REGISTRY_USERNAME: 'ci' })).toEqual({ username: 'cfg', password: SECRET, source: `docker config auths (${file})` })
  })

  it("a deploy provider's registry token comes after env and before the Docker config, only for its registries", async () => {
    const { env, file } = setup({ auths: { [REG]: { auth: b64(`cfg:${SECRET}`) }, 'other.example': { auth: b64(`cfg2:${SECRET}`) } } })
    const asked: string[] = []
    const platform = async (registry: string): Promise<Credentials | undefined> => {
      asked.push(registry)
      return registry === REG ? { username: 'oauth2accesstoken', password: 'tok', source: 'cloud-run registry token' } : undefined
    }
    expect(await resolveCredentials(REG, env, platform)).toEqual({ username: 'oauth2accesstoken', password: 'tok', source: 'cloud-run registry token' })
    expect(await resolveCredentials('other.example', env, platform)).toMatchObject({ username: 'cfg2', source: `docker config auths (${file})` })
    expect(await resolveCredentials(REG, { ...env, SLS_RUN_REGISTRY_USERNAME: 'ci', SLS_RUN_REGISTRY_PASSWORD: 'pw' }, platform)).toMatchObject({ username: 'ci' })
    expect(asked).toEqual([REG, 'other.example'])
  })
  it('a provider that cannot get its token falls back to the Docker config; its error stands only when that has nothing', async () => {
    const { env, file } = setup({ auths: { [REG]: { auth: b64(`cfg:${SECRET}`) } } })
    const broken = async (): Promise<Credentials | undefined> => {
      throw new SlsError('DEPLOY_CREDENTIALS', 'no Google Cloud credentials')
    }
    expect(await resolveCredentials(REG, env, broken)).toMatchObject({ username: 'cfg', source: `docker config auths (${file})` })
    await expect(resolveCredentials('other.example', env, broken)).rejects.toMatchObject({ code: 'DEPLOY_CREDENTIALS' })
  })

  it('credHelpers beats auths (and does not fall back to them)', async () => {
    const { env } = setup({ credHelpers: { [REG]: 'slsruntest' }, auths: { [REG]: { auth: b64('cfg:other') } } }, { [REG]: { Username: 'helper-user', Secret: SECRET } })
    expect(await resolveCredentials(`${REG}/x:1`, env)).toEqual({ username: 'helper-user', password: SECRET, source: 'credential helper docker-credential-slsruntest' })
    expect(await resolveCredentials(REG, { ...env, SLSRUNTEST_STORE: path.join(tempDir(), 'empty.json') })).toBeUndefined()
  })

  it('auths: base64 auth, identitytoken, legacy fields, and keys written as URLs', async () => {
    const { env } = setup({
      auths: {
        'https://ghcr.io': { auth: b64(`octo:${SECRET}`) },
        'quay.io/v1/': { auth: b64('robot:'), identitytoken: 'id-token-1' },
        'legacy.example.com': { username: 'old', password: 'pw' },
        [HUB]: { auth: b64('hubuser:hubpw') },
        'empty.example.com': {},
      },
    })
    expect(await resolveCredentials('ghcr.io/acme/api', env)).toMatchObject({ username: 'octo', password: SECRET })
    expect(await resolveCredentials('quay.io', env)).toEqual({ username: 'robot', identityToken: 'id-token-1', source: expect.stringMatching(/^docker config auths/) })
    expect(await resolveCredentials('legacy.example.com', env)).toMatchObject({ username: 'old', password: 'pw' })
    expect(await resolveCredentials('ubuntu', env)).toMatchObject({ username: 'hubuser', password: 'hubpw' })
    expect(await resolveCredentials('docker.io/library/node:20', env)).toMatchObject({ username: 'hubuser' })
    expect(await resolveCredentials('empty.example.com', env)).toBeUndefined()
  })

  it('credsStore after auths; a <token> user name means an identity token', async () => {
    const { env } = setup(
      { credsStore: 'slsruntest', auths: { 'ghcr.io': {}, [REG]: { auth: b64('file:pw') } } },
      { 'ghcr.io': { Username: '<token>', Secret: 'refresh-1' }, [REG]: { Username: 'store', Secret: 'x' } },
    )
    expect(await resolveCredentials('ghcr.io', env)).toEqual({ username: '', identityToken: 'refresh-1', source: 'credsStore docker-credential-slsruntest' })
    expect(await resolveCredentials(REG, env)).toMatchObject({ username: 'file', source: expect.stringMatching(/^docker config auths/) })
    expect(await resolveCredentials('quay.io', env)).toBeUndefined()
  })

  it('none: no config file, or nothing for this registry', async () => {
    expect(await resolveCredentials(REG, setup().env)).toBeUndefined()
    expect(await resolveCredentials(REG, setup({ auths: { 'ghcr.io': { auth: b64('a:b') } } }).env)).toBeUndefined()
  })

  it('a missing helper binary is REGISTRY_CREDENTIAL_HELPER (exit 3) with an install-or-remove hint', async () => {
    const error = await failure(resolveCredentials(REG, setup({ credHelpers: { [REG]: 'nosuchhelper' } }).env))
    expect(error).toMatchObject({ code: 'REGISTRY_CREDENTIAL_HELPER', exitCode: 3 })
    expect(error.message).toContain('docker-credential-nosuchhelper')
    expect(error.hints.join(' ')).toMatch(/Install docker-credential-nosuchhelper, or remove it/)
  })

  it('a failing helper: exit 3 with the first stderr line only, scrubbed of the secret it was given', async () => {
    const { env } = setup({ credsStore: 'slsruntest' })
    const get = await failure(resolveCredentials(REG, { ...env, SLSRUNTEST_FAIL: '1' }))
    expect(get).toMatchObject({ code: 'REGISTRY_CREDENTIAL_HELPER', exitCode: 3, details: { helper: 'docker-credential-slsruntest', action: 'get' } })
    expect(get.message).toMatch(/exit code 3: helper exploded on input 127\.0\.0\.1:5000$/)
    const store = await failure(storeCredentials(REG, { username: 'u', password: SECRET }, { ...env, SLSRUNTEST_FAIL: '1' }))
    expect(store.message).toContain('helper exploded on input {"ServerURL":"127.0.0.1:5000","Username":"u","Secret":"***"}')
    expect(store.message).not.toContain('second line')
  })

  it('a broken config.json is DOCKER_CONFIG_INVALID without quoting it', async () => {
    const { env } = setup()
    writeFileSync(path.join(env.DOCKER_CONFIG!, 'config.json'), `{"auths": ${SECRET}}`)
    expect(await failure(resolveCredentials(REG, env))).toMatchObject({ code: 'DOCKER_CONFIG_INVALID', exitCode: 3 })
    expect(JSON.stringify(await summarizeDockerConfig(env))).not.toContain(SECRET)
    await failure(storeCredentials(REG, { username: 'u', password: 'p' }, env))
    expect(readFileSync(path.join(env.DOCKER_CONFIG!, 'config.json'), 'utf8')).toContain(SECRET)
    const bad = setup({ auths: { [REG]: { auth: b64(SECRET) } } })
    expect(await failure(resolveCredentials(REG, bad.env))).toMatchObject({ code: 'DOCKER_CONFIG_INVALID' })
  })
})

describe('storeCredentials / eraseCredentials', () => {
  it('without a helper: auths in config.json, atomic, 0600 in a 0700 folder, other keys kept', async () => {
    const dir = path.join(tempDir(), 'nested', '.docker')
    const env = { DOCKER_CONFIG: dir }
    const file = path.join(dir, 'config.json')
    expect(await storeCredentials('127.0.0.1:5000', { username: 'me', password: SECRET }, env)).toBe(file)
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const config = JSON.parse(readFileSync(file, 'utf8'))
    writeFileSync(file, JSON.stringify({ ...config, psFormat: 'table {{.ID}}', proxies: { default: { httpProxy: 'http://p:3128' } }, auths: { ...config.auths, 'other.io': { auth: b64('o:p') } } }))
    await storeCredentials('docker.io', { username: 'hub', password: 'hubpw' }, env)
    const after = JSON.parse(readFileSync(file, 'utf8'))
    expect(after).toMatchObject({ psFormat: 'table {{.ID}}', proxies: { default: { httpProxy: 'http://p:3128' } }, auths: { 'other.io': { auth: b64('o:p') }, [HUB]: { auth: b64('hub:hubpw') } } })
    expect(Buffer.from(after.auths['127.0.0.1:5000'].auth, 'base64').toString()).toBe(`me:${SECRET}`)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(await resolveCredentials('127.0.0.1:5000/app', env)).toMatchObject({ username: 'me', password: SECRET, source: `docker config auths (${file})` })

    expect(await eraseCredentials('127.0.0.1:5000', env)).toBe(true)
    expect(await eraseCredentials('127.0.0.1:5000', env)).toBe(false)
    const erased = JSON.parse(readFileSync(file, 'utf8'))
    expect(erased.auths['127.0.0.1:5000']).toBeUndefined()
    expect(erased).toMatchObject({ psFormat: 'table {{.ID}}', auths: { 'other.io': {}, [HUB]: {} } })
  })

  it('erase removes every spelling of the key; nothing stored and no file → false, no file written', async () => {
    const { env, read } = setup({ auths: { 'https://ghcr.io': { auth: b64('a:b') }, 'ghcr.io': { auth: b64('a:c') }, 'quay.io': {} } })
    expect(await eraseCredentials('ghcr.io/acme/api', env)).toBe(true)
    expect(read()).toEqual({ auths: { 'quay.io': {} } })
    const empty = setup()
    expect(await eraseCredentials('ghcr.io', empty.env)).toBe(false)
    expect(existsSync(empty.file)).toBe(false)
  })

  it('through credHelpers: the helper stores and erases, config.json is untouched', async () => {
    const { env, read, readStore } = setup({ credHelpers: { 'ghcr.io': 'slsruntest' }, auths: { 'quay.io': {} } })
    expect(await storeCredentials('https://ghcr.io', { username: 'octo', password: SECRET }, env)).toBe('credential helper docker-credential-slsruntest')
    expect(readStore()).toEqual({ 'ghcr.io': { Username: 'octo', Secret: SECRET } })
    expect(read()).toEqual({ credHelpers: { 'ghcr.io': 'slsruntest' }, auths: { 'quay.io': {} } })
    expect(await resolveCredentials('ghcr.io/acme/api', env)).toMatchObject({ username: 'octo', password: SECRET })
    expect(await eraseCredentials('ghcr.io', env)).toBe(true)
    expect(readStore()).toEqual({})
    expect(await eraseCredentials('ghcr.io', env)).toBe(false)
  })

  it('through credsStore: the helper keeps the secret, auths only records the registry', async () => {
    const { env, read, readStore, file } = setup({ credsStore: 'slsruntest', currentContext: 'default' })
    expect(await storeCredentials('localhost:5000', { username: 'me', password: SECRET }, env)).toBe('credsStore docker-credential-slsruntest')
    expect(read()).toEqual({ credsStore: 'slsruntest', currentContext: 'default', auths: { 'localhost:5000': {} } })
    expect(readFileSync(file, 'utf8')).not.toContain(SECRET)
    expect(readStore()['localhost:5000']).toEqual({ Username: 'me', Secret: SECRET })
    expect(await resolveCredentials('localhost:5000/app', env)).toMatchObject({ password: SECRET, source: 'credsStore docker-credential-slsruntest' })
    expect(await eraseCredentials('localhost:5000', env)).toBe(true)
    expect(read().auths).toEqual({})
    expect(readStore()).toEqual({})
  })

  it('a symlinked config.json is written through; a user name with ":" is refused', async () => {
    const dir = tempDir()
    mkdirSync(path.join(dir, 'dotfiles'))
    writeFileSync(path.join(dir, 'dotfiles', 'docker.json'), JSON.stringify({ auths: {} }))
    symlinkSync(path.join(dir, 'dotfiles', 'docker.json'), path.join(dir, 'config.json'))
    await storeCredentials('ghcr.io', { username: 'u', password: 'p' }, { DOCKER_CONFIG: dir })
    expect(lstatSync(path.join(dir, 'config.json')).isSymbolicLink()).toBe(true)
    expect(JSON.parse(readFileSync(path.join(dir, 'dotfiles', 'docker.json'), 'utf8')).auths['ghcr.io']).toEqual({ auth: b64('u:p') })
    expect(await failure(storeCredentials('ghcr.io', { username: 'a:b', password: SECRET }, { DOCKER_CONFIG: dir }))).toMatchObject({ code: 'USAGE' })
  })
})

describe('verifyCredentials', () => {
  const servers: http.Server[] = []
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
  async function serve(handler: http.RequestListener): Promise<string> {
    const server = http.createServer(handler)
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return `127.0.0.1:${(server.address() as AddressInfo).port}`
  }
  const creds = (password: string, source = 'env SLS_RUN_REGISTRY_USERNAME'): Credentials => ({ username: 'alice', password, source })
  const json = (res: http.ServerResponse, status: number, body: object, headers: Record<string, string> = {}) =>
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
  const unauthorized = { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }

  const basicRegistry = () =>
    serve((req, res) => {
      if (req.headers.authorization === `Basic ${b64(`alice:${SECRET}`)}`) return json(res, 200, {})
      json(res, 401, unauthorized, { 'www-authenticate': 'Basic realm="Registry Realm"' })
    })

  /** A token server in the same process: checks Basic (or a refresh token) and the service parameter. */
  async function bearerRegistry() {
    const tokenRequests: Array<{ method: string; url: URL; authorization?: string; body: string }> = []
    const service = 'sls-run test, "registry"'
    const host = await serve((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x')
      let body = ''
      req.on('data', (chunk) => (body += chunk))
      req.on('end', () => {
        if (url.pathname === '/v2/') {
          if (req.headers.authorization === 'Bearer good-token') return json(res, 200, {})
          return json(res, 401, unauthorized, { 'www-authenticate': `Bearer realm="http://${host}/token",service="${service.replace(/"/g, '\\"')}"` })
        }
        tokenRequests.push({ method: req.method!, url, authorization: req.headers.authorization, body })
        if (url.pathname !== '/token') return json(res, 404, {})
        const form = new URLSearchParams(body)
        const okService = (req.method === 'POST' ? form.get('service') : url.searchParams.get('service')) === service
        if (okService && req.method === 'GET' && req.headers.authorization === `Basic ${b64(`alice:${SECRET}`)}`) return json(res, 200, { token: 'good-token' })
        if (okService && req.method === 'POST' && form.get('grant_type') === 'refresh_token' && form.get('refresh_token') === 'id-token-1') return json(res, 200, { access_token: 'good-token' })
        json(res, 401, { details: 'incorrect username or password' })
      })
    })
    return { host, tokenRequests, service }
  }

  it('Basic: the right password passes, a wrong one is REGISTRY_AUTH naming the source and the login command', async () => {
    const host = await basicRegistry()
    expect(await verifyCredentials(host, creds(SECRET))).toEqual({ ok: true, scheme: 'basic' })
    const error = await failure(verifyCredentials(host, creds(`${SECRET}-wrong`, 'docker config auths (/tmp/x/config.json)')))
    expect(error).toMatchObject({ code: 'REGISTRY_AUTH', exitCode: 1, details: { registry: host, status: 401, credentials: 'docker config auths (/tmp/x/config.json)' } })
    expect(error.message).toMatch(/refused the credentials of alice .*HTTP 401: authentication required/)
    expect(error.hints.join('\n')).toContain('Credentials tried: docker config auths (/tmp/x/config.json).')
    expect(error.hints.join('\n')).toContain(`sls-run login ${host}`)
    const none = await failure(verifyCredentials(host, undefined))
    expect(none).toMatchObject({ code: 'REGISTRY_AUTH' })
    expect(none.hints[0]).toMatch(/No credentials were found/)
  })

  it('Bearer: the token endpoint gets Basic and the service (quoted, with commas); then /v2/ with the token', async () => {
    const { host, tokenRequests, service } = await bearerRegistry()
    expect(await verifyCredentials(host, creds(SECRET))).toEqual({ ok: true, scheme: 'bearer' })
    expect(tokenRequests).toHaveLength(1)
    expect(tokenRequests[0]!.url.searchParams.get('service')).toBe(service)
    expect(tokenRequests[0]!.url.searchParams.get('account')).toBe('alice')
    expect(tokenRequests[0]!.url.searchParams.has('scope')).toBe(false)
    const error = await failure(verifyCredentials(host, creds('wrong-pa55')))
    expect(error).toMatchObject({ code: 'REGISTRY_AUTH', exitCode: 1, details: { scheme: 'bearer', status: 401 } })
    expect(error.message).toContain('incorrect username or password')
  })

  it('Bearer with an identity token: refresh_token POST; anonymous access is refused', async () => {
    const { host, tokenRequests } = await bearerRegistry()
    expect(await verifyCredentials(host, { username: '', identityToken: 'id-token-1', source: 'credsStore docker-credential-x' })).toEqual({ ok: true, scheme: 'bearer' })
    expect(tokenRequests[0]).toMatchObject({ method: 'POST', authorization: undefined })
    expect(await failure(verifyCredentials(host, undefined))).toMatchObject({ code: 'REGISTRY_AUTH' })
  })

  it('an open registry needs no auth; a custom fetch is used', async () => {
    const host = await serve((_req, res) => json(res, 200, {}))
    const urls: string[] = []
    const fetchImpl: typeof fetch = (input, init) => (urls.push(String(input)), fetch(input, init))
    expect(await verifyCredentials(host, creds(SECRET), { fetchImpl })).toEqual({ ok: true, scheme: 'none' })
    expect(urls).toEqual([`http://${host}/v2/`])
  })

  it('server down, 5xx and silence are REGISTRY_UNAVAILABLE', async () => {
    const down = await serve(() => undefined)
    await new Promise((resolve) => {
      servers[0]!.close(resolve)
    })
    servers.splice(0)
    const refused = await failure(verifyCredentials(down, creds(SECRET)))
    expect(refused).toMatchObject({ code: 'REGISTRY_UNAVAILABLE', exitCode: 1 })
    expect(refused.message).toMatch(/ECONNREFUSED/)
    expect(refused.hints[0]).toMatch(/reachable/)
    const failing = await serve((_req, res) => json(res, 503, { errors: [{ message: 'maintenance' }] }))
    expect((await failure(verifyCredentials(failing, creds(SECRET)))).message).toMatch(/HTTP 503: maintenance/)
    const silent = await serve(() => undefined)
    expect((await failure(verifyCredentials(silent, creds(SECRET), { timeoutMs: 200 }))).message).toMatch(/no answer within 200 ms/)
  })

  it('never sends credentials to a plain-HTTP realm of an HTTPS registry', async () => {
    const seen: string[] = []
    const fetchImpl = (async (input: string | URL | Request) => {
      seen.push(String(input))
      return new Response('{}', { status: 401, headers: { 'www-authenticate': 'Bearer realm="http://auth.example.com/token",service="x"' } })
    }) as typeof fetch
    expect(await failure(verifyCredentials('registry.example.com', creds(SECRET), { fetchImpl }))).toMatchObject({ code: 'REGISTRY_UNAVAILABLE' })
    expect(seen).toEqual(['https://registry.example.com/v2/'])
  })

  it('WWW-Authenticate parsing, loopback hosts and the base URL', () => {
    expect(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull,push"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:a/b:pull,push' } },
    ])
    expect(parseWwwAuthenticate('Basic realm="a \\"quoted\\", realm", Bearer Realm=https://x/t , Service = svc')).toEqual([
      { scheme: 'basic', params: { realm: 'a "quoted", realm' } },
      { scheme: 'bearer', params: { realm: 'https://x/t', service: 'svc' } },
    ])
    expect(parseWwwAuthenticate('')).toEqual([])
    expect([isLoopbackHost('localhost:5000'), isLoopbackHost('127.1.2.3'), isLoopbackHost('[::1]:5000'), isLoopbackHost('ghcr.io'), isLoopbackHost('10.0.0.1:5000')]).toEqual([
      true,
      true,
      true,
      false,
      false,
    ])
    expect([registryBase('127.0.0.1:5000/x'), registryBase('ghcr.io'), registryBase('ubuntu'), registryBase('myhost:5000', true), registryBase('localhost:5000', false)]).toEqual([
      'http://127.0.0.1:5000',
      'https://ghcr.io',
      'https://registry-1.docker.io',
      'http://myhost:5000',
      'https://localhost:5000',
    ])
  })
})
