/**
 * `sls-run push`, `login` and `logout` against a real registry (Debian's docker-registry with htpasswd
 * bcrypt auth on 127.0.0.1, test/helpers/registry.ts) and the real engine, with an image built on this
 * run's stand-in base (so every push here says --allow-standin; standin-guard.test.ts checks the refusal).
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { loadConfig } from '../../src/core/config/index.js'
import { pushServices, type PushEvent } from '../../src/core/registry/push.js'
import { buildJson, fixtureRepo, onStandins } from '../helpers/build-fixture.js'
import { BIN, runCli } from '../helpers/cli.js'
import { startRegistry, type TestRegistry } from '../helpers/registry.js'

const HELPERS = fileURLToPath(new URL('../fixtures/credential-helper', import.meta.url))
const docker = new Docker()

describe.skipIf(!inject('engine'))('sls-run push / login / logout with a real registry', () => {
  let registry: TestRegistry
  let dir: string
  let dockerConfig: string
  let repo: string
  const env = (extra: NodeJS.ProcessEnv = {}) => ({ DOCKER_HOST: process.env.DOCKER_HOST, DOCKER_CONFIG: dockerConfig, ...extra })
  const creds = () => ({ SLS_RUN_REGISTRY_USERNAME: registry.username, SLS_RUN_REGISTRY_PASSWORD: registry.password })
  const push = (extra: NodeJS.ProcessEnv, ...args: string[]) => runCli(['push', '--json', '--allow-standin', ...args], { cwd: dir, env: env(extra), timeoutMs: 100_000 })

  beforeAll(async () => {
    registry = await startRegistry()
    dir = mkdtempSync(path.join(os.tmpdir(), 'sls-run-push-'))
    dockerConfig = mkdtempSync(path.join(os.tmpdir(), 'sls-run-docker-config-'))
    repo = `${registry.host}/acme/web`
    fixtureRepo(dir, repo)
    const built = await runCli(['build', '--json', ...onStandins()], { cwd: dir, env: { DOCKER_HOST: process.env.DOCKER_HOST }, timeoutMs: 100_000 })
    expect(built.code, built.stderr).toBe(0)
  }, 120_000)

  afterAll(async () => {
    await registry?.stop()
    for (const image of await docker.listImages({ filters: { reference: [repo] } }))
      await docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => {})
    rmSync(dir, { recursive: true, force: true })
    rmSync(dockerConfig, { recursive: true, force: true })
  })

  it('pushes with env credentials; the registry serves the same digest; a second push finds every layer', async () => {
    const first = await push(creds())
    expect(first.code, first.stderr + first.stdout).toBe(0)
    const result = buildJson(first).result.result![0]
    expect(result).toMatchObject({ service: 'web', image: repo, credentials: 'env SLS_RUN_REGISTRY_USERNAME' })
    expect(result.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(result.pushedLayers).toBeGreaterThan(0)
    const manifest = await fetch(`${registry.url}/v2/acme/web/manifests/${result.tag}`, {
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json', authorization: `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}` },
    })
    expect(manifest.status).toBe(200)
    expect(manifest.headers.get('docker-content-digest')).toBe(result.digest)
    process.stderr.write(`push: fresh ${result.durationMs} ms (${result.pushedLayers} layers)`)

    const again = buildJson(await push(creds())).result.result![0]
    expect(again.digest).toBe(result.digest)
    expect(again.pushedLayers).toBe(0)
    expect(again.existingLayers).toBe(result.pushedLayers + result.existingLayers)
    process.stderr.write(`, unchanged ${again.durationMs} ms (${again.existingLayers} layers already there)\n`)
  })

  it('on a terminal: a listr2 task per service ending with the digest; the password never shows', () => {
    const log = path.join(os.tmpdir(), `sls-run-push-${process.pid}.tty.log`)
    // util-linux `script` gives the command a pseudo-terminal, as a developer's shell would.
    const r = spawnSync('script', ['-qec', `stty cols 300 rows 40; ${process.execPath} ${BIN} push --allow-standin`, log], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm-256color', DOCKER_HOST: process.env.DOCKER_HOST, DOCKER_CONFIG: dockerConfig, ...creds() },
      encoding: 'utf8',
      timeout: 100_000,
    })
    const tty = readFileSync(log, 'utf8')
    rmSync(log, { force: true })
    expect(r.status, tty).toBe(0)
    expect(tty).toContain('\u001b[2K') // listr2 redraws lines in place
    expect(tty).toMatch(new RegExp(`✔\\S* web: pushed ${repo.replace(/[/.]/g, '\\$&')}:\\S+@sha256:[0-9a-f]{64} \\(\\d+ layers pushed, \\d+ already there\\)`))
    expect(tty).not.toContain(registry.password)
  })

  it('a wrong password: exit 1, REGISTRY_AUTH naming the source, not retried, and the password appears nowhere', async () => {
    const secret = `Wrong-${registry.password}-Zz9`
    for (const json of [true, false]) {
      const r = await runCli(['push', '--allow-standin', ...(json ? ['--json'] : [])], {
        cwd: dir,
        env: env({ SLS_RUN_REGISTRY_USERNAME: registry.username, SLS_RUN_REGISTRY_PASSWORD: secret }),
        timeoutMs: 60_000,
      })
      expect(r.code).toBe(1)
      expect(r.stdout + r.stderr).toMatch(/REGISTRY_AUTH/)
      expect(r.stdout + r.stderr).toContain('env SLS_RUN_REGISTRY_USERNAME')
      expect(r.stdout + r.stderr).not.toContain(secret)
      expect(r.stdout + r.stderr).not.toMatch(/"type":"retry"/)
    }
  })

  it('a credential helper named in the Docker config supplies the credentials', async () => {
    const store = path.join(dockerConfig, 'helper-store.json')
    writeFileSync(store, JSON.stringify({ [registry.host]: { Username: registry.username, Secret: registry.password } }))
    writeFileSync(path.join(dockerConfig, 'config.json'), JSON.stringify({ credHelpers: { [registry.host]: 'slsruntest' } }))
    try {
      const r = await push({ PATH: `${HELPERS}:${process.env.PATH}`, SLSRUNTEST_STORE: store })
      expect(r.code, r.stderr + r.stdout).toBe(0)
      expect(buildJson(r).result.result![0].credentials).toMatch(/docker-credential-slsruntest/)
    } finally {
      rmSync(path.join(dockerConfig, 'config.json'), { force: true })
    }
  })

  it('login stores the credentials; push then needs no env; logout removes them', async () => {
    const bad = await runCli(['login', registry.host, '-u', registry.username, '--password-stdin'], { env: env(), input: 'not-the-password\n' })
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/REGISTRY_AUTH/)
    const login = await runCli(['login', registry.host, '-u', registry.username, '--password-stdin', '--json'], { env: env(), input: `${registry.password}\n` })
    expect(login.code, login.stderr).toBe(0)
    expect(login.stdout).not.toContain(registry.password)
    const config = JSON.parse(readFileSync(path.join(dockerConfig, 'config.json'), 'utf8'))
    expect(Buffer.from(config.auths[registry.host].auth, 'base64').toString()).toBe(`${registry.username}:${registry.password}`)
    const r = await push({})
    expect(r.code, r.stderr + r.stdout).toBe(0)
    expect(buildJson(r).result.result![0].credentials).toMatch(/docker config/)
    const logout = await runCli(['logout', registry.host, '--json'], { env: env() })
    expect(logout.code).toBe(0)
    expect(JSON.parse(readFileSync(path.join(dockerConfig, 'config.json'), 'utf8')).auths?.[registry.host]).toBeUndefined()
  })

  it('the registry going down mid-push: bounded retries, then REGISTRY_UNAVAILABLE', async () => {
    // Most of this test's ~50 s is dockerd's own upload retries on the first attempt (5 tries per layer,
    // 5 s more wait each time); our later attempts fail fast on the refused connection.
    await docker.getImage(`${repo}:latest`).tag({ repo, tag: 'down' })
    const { config } = await loadConfig({ file: path.join(dir, 'sls-run.yaml') })
    const events: PushEvent[] = []
    const started = Date.now()
    await expect(
      pushServices(docker, config, { services: ['web'], tag: 'down', env: { ...process.env, ...creds(), DOCKER_CONFIG: dockerConfig }, attempts: 3, backoffMs: 100, allowStandin: true }, (event) => {
        events.push(event)
        if (event.type === 'layer' && events.filter((e) => e.type === 'layer').length === 1) registry.kill() // the first layer event: the push is under way
      }),
    ).rejects.toMatchObject({ code: 'REGISTRY_UNAVAILABLE', message: expect.stringContaining('failed 3 times') })
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(2)
    expect(Date.now() - started).toBeLessThan(60_000)
    await registry.restart()
  })
})
