/**
 * `sls-run deploy` end to end through the built CLI: no --image, so it builds the service (real engine,
 * this run's stand-in base image: NODE_IMAGE in build.args, and --allow-standin), pushes it to a real
 * registry (Debian's docker-registry with htpasswd auth) and deploys the pushed digest to Knative (the
 * fake Kubernetes API of test/contract, over TLS, from a kubeconfig). The second run finds the digest the
 * engine recorded and neither builds nor pushes again, and Knative reports no new revision.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { stringify } from 'yaml'
import { startFakeKube, type FakeKube } from '../contract/fakes/kube-api.js'
import { makeTestPki, type TestPki } from '../contract/fakes/tls.js'
import { fixtureRepo, standins } from '../helpers/build-fixture.js'
import { envelope, runCli } from '../helpers/cli.js'
import { startRegistry, type TestRegistry } from '../helpers/registry.js'

const PLUGIN = fileURLToPath(new URL('../fixtures/plugin-provider', import.meta.url))

const docker = new Docker()
const TOKEN = 'deploy-e2e-token'

describe.skipIf(!inject('engine'))('sls-run deploy: build, push, deploy by digest', () => {
  let registry: TestRegistry
  let pki: TestPki
  let kube: FakeKube
  let dir: string
  let home: string
  let repo: string

  beforeAll(async () => {
    registry = await startRegistry()
    pki = makeTestPki()
    kube = await startFakeKube({ pki, token: TOKEN, namespaces: ['shop'] })
    dir = mkdtempSync(path.join(os.tmpdir(), 'sls-run-deploy-publish-'))
    home = mkdtempSync(path.join(os.tmpdir(), 'sls-run-deploy-home-'))
    writeFileSync(path.join(home, 'package.json'), JSON.stringify({ private: true, oclif: { schema: 1, plugins: [{ name: 'sls-run-provider-example', type: 'link', root: PLUGIN }] } }))
    repo = `${registry.host}/acme/web`
    const yaml = stringify({
      name: 'fixture',
      services: { web: { build: { context: '.', target: 'runtime', args: { NODE_IMAGE: standins().node } }, image: repo } },
      environments: { k: { provider: 'knative', namespace: 'shop' }, edge: { provider: 'plugin', plugin: 'example', settings: { stateDir: path.join(home, 'state'), registry: registry.host } } },
    })
    fixtureRepo(dir, repo, yaml)
    mkdirSync(path.join(home, '.kube'))
    writeFileSync(
      path.join(home, '.kube', 'config'),
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'fake',
        clusters: [{ name: 'fake', cluster: { server: kube.url, 'certificate-authority-data': Buffer.from(pki.caPem).toString('base64') } }],
        users: [{ name: 'me', user: { token: TOKEN } }],
        contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'me' } }],
      }),
    )
  }, 60_000)

  afterAll(async () => {
    await kube?.close()
    pki?.dispose()
    await registry?.stop()
    for (const image of await docker.listImages({ filters: { reference: [repo] } }))
      await docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => {})
    rmSync(dir, { recursive: true, force: true })
    rmSync(home, { recursive: true, force: true })
  })

  const deploy = (...args: string[]) =>
    runCli(['deploy', '--env', 'k', '--json', '--allow-standin', '--allow-local-image', ...args], {
      cwd: dir,
      env: {
        HOME: home,
        DOCKER_HOST: process.env.DOCKER_HOST,
        DOCKER_CONFIG: home,
        SLS_RUN_REGISTRY_USERNAME: registry.username,
        SLS_RUN_REGISTRY_PASSWORD: registry.password,
        SLS_RUN_DEPLOY_POLL_MS: '50',
      },
      timeoutMs: 150_000,
    })

  it('builds and pushes what is missing, deploys the digest the registry serves, then finds nothing to do', async () => {
    const first = await deploy()
    expect(first.code, first.stderr + first.stdout).toBe(0)
    const [result] = envelope(first).result
    expect(result).toMatchObject({ service: 'web', env: 'k', provider: 'knative', url: 'http://web.shop.example.com', revision: 'web-00001', unchanged: false, ready: true })
    expect(result.image).toBe(`${repo}@${result.digest}`)
    // The registry serves that digest, and the Service the cluster got runs exactly it.
    const manifest = await fetch(`${registry.url}/v2/acme/web/manifests/${result.digest}`, {
      method: 'HEAD',
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json', authorization: `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}` },
    })
    expect(manifest.status).toBe(200)
    expect(kube.services.get('shop/web')?.manifest.spec.template.spec.containers[0].image).toBe(result.image)

    const again = await deploy()
    expect(again.code, again.stderr).toBe(0)
    expect(envelope(again).result[0]).toMatchObject({ digest: result.digest, revision: 'web-00001', unchanged: true })
    expect(kube.requests.filter((r) => r.method === 'PATCH')).toHaveLength(2)
    expect(kube.services.get('shop/web')?.revisionCount).toBe(1)
  }, 200_000)

  it('without --json: progress on stderr (the recorded digest), one result line per service on stdout', async () => {
    const r = await runCli(['deploy', '--env', 'k', '--yes', '--allow-standin', '--allow-local-image'], {
      cwd: dir,
      env: { HOME: home, DOCKER_HOST: process.env.DOCKER_HOST, DOCKER_CONFIG: home, SLS_RUN_DEPLOY_POLL_MS: '50' },
      timeoutMs: 60_000,
    })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/web: .*already pushed as sha256:[0-9a-f]{64}/)
    expect(r.stdout).toMatch(/^web: unchanged web-00001 http:\/\/web\.shop\.example\.com /m)
  }, 60_000)

  it("push --env: the environment's provider supplies the token for its own registry (a plugin provider here)", async () => {
    const env = { HOME: home, DOCKER_HOST: process.env.DOCKER_HOST, DOCKER_CONFIG: home, SLS_RUN_DATA_DIR: home }
    const refused = await runCli(['push', '--json', '--allow-standin'], { cwd: dir, env, timeoutMs: 60_000 })
    expect(refused.code).toBe(1)
    expect(refused.stdout).toContain('"code":"REGISTRY_AUTH"')
    const pushed = await runCli(['push', '--env', 'edge', '--json', '--allow-standin'], {
      cwd: dir,
      env: { ...env, EXAMPLE_REGISTRY_USER: registry.username, EXAMPLE_REGISTRY_PASSWORD: registry.password },
      timeoutMs: 60_000,
    })
    expect(pushed.code, pushed.stderr + pushed.stdout).toBe(0)
    const last = JSON.parse(pushed.stdout.trim().split('\n').pop()!)
    expect(last.result[0]).toMatchObject({ service: 'web', credentials: 'example registry token' })
    expect(pushed.stdout + pushed.stderr).not.toContain(registry.password)
    // And the same environment deploys through the plugin with that digest.
    const deployed = await runCli(['deploy', '--env', 'edge', '--yes', '--json', '--allow-standin', '--allow-local-image'], { cwd: dir, env, timeoutMs: 60_000 })
    expect(deployed.code, deployed.stderr).toBe(0)
    expect(envelope(deployed).result[0]).toMatchObject({ provider: 'example', digest: last.result[0].digest })
    expect(JSON.parse(readFileSync(path.join(home, 'state', 'web.json'), 'utf8')).manifest.image).toBe(`${repo}@${last.result[0].digest}`)
  }, 120_000)
})
