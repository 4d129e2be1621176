/**
 * What keeps an offline stand-in base out of a real image, on the real engine: `build` refuses an image
 * built FROM one (STANDIN_IMAGE, exit 1, nothing tagged) unless --allow-standin; `push` (to a real
 * registry) and `deploy --dry-run` refuse it the same way; `doctor` lists the stand-ins. Then the offline
 * base-image error: it names the base of the stage that failed (not the final stage's), and tells a base
 * the engine lacks from a present one whose pull failed (--pull).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { buildJson, git, standins } from '../helpers/build-fixture.js'
import { envelope, runCli } from '../helpers/cli.js'
import { startRegistry, type TestRegistry } from '../helpers/registry.js'
import { useTempDir } from '../helpers/temp.js'

const docker = new Docker()
const run = Math.random().toString(36).slice(2, 8)
const MISSING = 'sls-run-test-missing/golang:0' // our own name, in no registry: never pullable

/** A committed one-service project: `files` plus sls-run.yaml. */
function project(dir: string, image: string, files: Record<string, string>, extraYaml = ''): string {
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text)
  writeFileSync(path.join(dir, 'sls-run.yaml'), `name: guard\nservices:\n  web:\n    build: { context: ., args: { ALPINE_IMAGE: ${standins().alpine} } }\n    image: ${image}\n${extraYaml}`)
  git(dir, 'init', '-q', '-b', 'main')
  git(dir, 'add', '-A')
  git(dir, 'commit', '-qm', 'guard')
  return dir
}

const removeRepo = async (repo: string) => {
  for (const image of await docker.listImages({ filters: { reference: [repo] } }))
    await docker
      .getImage(image.Id)
      .remove({ force: true })
      .catch(() => {})
}

describe.skipIf(!inject('engine'))('stand-in guard: build, push and deploy refuse an image on a stand-in', () => {
  let registry: TestRegistry
  let dir: string
  let home: string
  let repo: string
  const env = () => ({ DOCKER_HOST: process.env.DOCKER_HOST, HOME: home, DOCKER_CONFIG: home, SLS_RUN_REGISTRY_USERNAME: registry.username, SLS_RUN_REGISTRY_PASSWORD: registry.password })
  const cli = (args: string[]) => runCli(args, { cwd: dir, env: env(), timeoutMs: 100_000 })

  beforeAll(async () => {
    registry = await startRegistry()
    dir = mkdtempSync(path.join(os.tmpdir(), 'sls-run-standin-guard-'))
    home = mkdtempSync(path.join(os.tmpdir(), 'sls-run-standin-guard-home-'))
    repo = `${registry.host}/guard/web-${run}`
    // Like the templates: the base is a build argument (defaulting to the real image), set here to the stand-in.
    project(
      dir,
      repo,
      { Dockerfile: 'ARG ALPINE_IMAGE=alpine:3.20\nFROM ${ALPINE_IMAGE}\nCOPY hello.txt /hello.txt\nCMD ["cat", "/hello.txt"]\n', 'hello.txt': 'hello\n' },
      'environments:\n  k: { provider: knative, namespace: shop }\n',
    )
  }, 60_000)

  afterAll(async () => {
    await registry?.stop()
    if (repo) await removeRepo(repo)
    for (const d of [dir, home]) if (d) rmSync(d, { recursive: true, force: true })
  })

  it('build: STANDIN_IMAGE (exit 1) naming the stand-in, nothing tagged; --allow-standin builds and tags it, with a warning', async () => {
    const refused = await cli(['build', '--json'])
    expect(refused.code, refused.stderr + refused.stdout).toBe(1)
    const { error } = buildJson(refused).result
    expect(error).toMatchObject({ code: 'STANDIN_IMAGE', details: { service: 'web', standinFor: 'alpine:3.20', standin: standins().alpine } })
    expect(error!.message).toMatch(/not tagged/)
    expect(error!.hints.join('\n')).toMatch(/--allow-standin/)
    expect(error!.hints.join('\n')).toMatch(/docker pull alpine:3\.20/)
    expect(await docker.listImages({ filters: { reference: [repo] } })).toEqual([])

    const human = await cli(['build'])
    expect(human.code).toBe(1)
    expect(human.stderr).toMatch(/error STANDIN_IMAGE web: .* is built FROM an offline stand-in for alpine:3\.20/)

    const allowed = await cli(['build', '--json', '--allow-standin'])
    expect(allowed.code, allowed.stderr + allowed.stdout).toBe(0)
    const { result } = buildJson(allowed)
    expect(result.result![0].standin).toEqual({ for: 'alpine:3.20', standin: standins().alpine })
    expect(result.warnings!.join('\n')).toMatch(/offline stand-in for alpine:3\.20/)
    expect((await docker.getImage(`${repo}:latest`).inspect()).Id).toBe(result.result![0].id)
  })

  it('push: STANDIN_IMAGE, nothing sent to the registry; --allow-standin pushes it', async () => {
    const refused = await cli(['push', '--json'])
    expect(refused.code, refused.stderr + refused.stdout).toBe(1)
    expect(buildJson(refused).result.error).toMatchObject({ code: 'STANDIN_IMAGE', details: { standinFor: 'alpine:3.20' } })
    expect(buildJson(refused).result.error!.message).toMatch(/not pushed/)
    const tags = await fetch(`${registry.url}/v2/guard/web-${run}/tags/list`, { headers: { authorization: `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}` } })
    expect(tags.status).toBe(404) // the repository does not exist: nothing was pushed

    const pushed = await cli(['push', '--json', '--allow-standin'])
    expect(pushed.code, pushed.stderr + pushed.stdout).toBe(0)
    expect(buildJson(pushed).result.result![0].digest).toMatch(/^sha256:[0-9a-f]{64}$/)
  })

  it('deploy --dry-run: STANDIN_IMAGE; --allow-standin plans the pushed digest', async () => {
    const refused = await cli(['deploy', '--env', 'k', '--dry-run', '--json'])
    expect(refused.code, refused.stderr + refused.stdout).toBe(1)
    expect(envelope(refused).error).toMatchObject({ code: 'STANDIN_IMAGE', details: { service: 'web', standinFor: 'alpine:3.20' } })
    expect(envelope(refused).error!.message).toMatch(/not deployed/)

    const planned = await cli(['deploy', '--env', 'k', '--dry-run', '--json', '--allow-standin'])
    expect(planned.code, planned.stderr + planned.stdout).toBe(0)
    expect(JSON.stringify(envelope(planned).result)).toMatch(new RegExp(`${repo.replace(/[/.]/g, '\\$&')}@sha256:[0-9a-f]{64}`))
  })

  it('doctor lists the stand-ins on the engine and the images built on them', async () => {
    const r = await runCli(['doctor', '--json'], { env: { DOCKER_HOST: process.env.DOCKER_HOST } })
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const check = envelope(r).result.checks.find((c: { id: string }) => c.id === 'standin-images')
    expect(check).toMatchObject({ status: 'warn', required: false })
    for (const name of [standins().alpine, standins().node]) expect(check.detail).toContain(name)
    expect(check.detail).toContain(`${repo}:latest`) // built on one: listed with them
    expect(check.fix).toMatch(/--allow-standin/)
    const human = await runCli(['doctor'], { env: { DOCKER_HOST: process.env.DOCKER_HOST } })
    expect(human.stdout).toMatch(/Stand-in images\s+warn\s+\d+ offline stand-ins: /)
  })
})

describe.skipIf(!inject('engine')).each(['classic', 'buildkit'])('the offline base image error (%s builder)', (builder) => {
  const tempDir = useTempDir('sls-run-base-error-')
  // No --allow-standin: both builds fail on their base before the stand-in check could refuse anything.
  const build = (dir: string, ...args: string[]) => runCli(['build', '--json', '--builder', builder, ...args], { cwd: dir, env: { DOCKER_HOST: process.env.DOCKER_HOST }, timeoutMs: 100_000 })
  const repo = `sls-run-test/base-error-${builder}-${run}`
  afterAll(() => removeRepo(repo))

  it("names the missing base of the stage that failed, not the final stage's present one, with an offline path", async () => {
    const dir = project(tempDir(), repo, { Dockerfile: `ARG ALPINE_IMAGE=alpine:3.20\nFROM ${MISSING} AS build\nRUN echo built > /out\n\nFROM \${ALPINE_IMAGE}\nCOPY --from=build /out /out\n` })
    const r = await build(dir)
    expect(r.code, r.stderr + r.stdout).toBe(1)
    const { error } = buildJson(r).result
    expect(error).toMatchObject({ code: 'BASE_IMAGE_UNAVAILABLE', details: { base: MISSING, line: 2, present: false } })
    expect(error!.message).toContain(`the base image ${MISSING} (${path.join(dir, 'Dockerfile')}:2) is not on this machine and could not be pulled`)
    expect(error!.message).not.toContain(standins().alpine)
    const hints = error!.hints.join('\n')
    expect(hints).toContain(`docker pull ${MISSING}`)
    expect(hints).toMatch(/docker save .* -o base\.tar.*docker load -i base\.tar/)
    expect(hints).toMatch(/--build-arg NODE_IMAGE=/)
    expect(await docker.listImages({ filters: { reference: [repo] } })).toEqual([])
  })

  it('--pull of a base that is present but cannot be pulled: "present but the pull failed"', async () => {
    const dir = project(tempDir(), repo, { Dockerfile: 'ARG ALPINE_IMAGE=alpine:3.20\nFROM ${ALPINE_IMAGE}\nRUN true\n' })
    const r = await build(dir, '--pull')
    expect(r.code, r.stderr + r.stdout).toBe(1)
    const { error } = buildJson(r).result
    expect(error).toMatchObject({ code: 'BASE_IMAGE_UNAVAILABLE', details: { base: standins().alpine, line: 2, present: true } })
    expect(error!.message).toContain(`the base image ${standins().alpine} (${path.join(dir, 'Dockerfile')}:2) is present on this machine but the pull failed (--pull`)
    expect(error!.message).not.toMatch(/not on this machine/)
    expect(error!.hints[0]).toMatch(/without --pull/)
  })
})
