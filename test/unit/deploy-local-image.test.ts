/**
 * An image in a registry only this machine can reach (loopback, link-local, localhost,
 * host.docker.internal) cannot be pulled by any platform: DEPLOY_IMAGE_LOCAL at plan time, before a
 * build or push; a warning on the plan with --dry-run (allowLocalImages).
 */
import { fileURLToPath } from 'node:url'
import { describe, expect, it, vi } from 'vitest'
import { loadConfig } from '../../src/core/config/load.js'
import { parseDigestRef } from '../../src/core/deploy/image-ref.js'
import { localRegistry } from '../../src/core/deploy/local-image.js'
import { planDeploy } from '../../src/core/deploy/plan.js'

const FIXTURE = fileURLToPath(new URL('../fixtures/deploy/local-sls-run.yaml', import.meta.url))
const DIGEST = `sha256:${'ef'.repeat(32)}`
const ENVIRONMENTS = ['run', 'kn', 'aca', 'ecs', 'fargate'] as const
const load = () => loadConfig({ file: FIXTURE, env: {} })

describe('which registries are local', () => {
  it.each([
    ['127.0.0.1:18500/shop/api', '127.0.0.1:18500'],
    ['127.8.9.10/api', '127.8.9.10'],
    ['localhost/api', 'localhost'],
    ['localhost:5000/acme/api', 'localhost:5000'],
    ['registry.localhost:5000/api', 'registry.localhost:5000'],
    ['host.docker.internal:5000/api', 'host.docker.internal:5000'],
    ['169.254.10.20:5000/api', '169.254.10.20:5000'],
    ['0.0.0.0:5000/api', '0.0.0.0:5000'],
    ['[::1]:5000/api', '[::1]:5000'],
    ['[fe80::1]/api', '[fe80::1]'],
    ['[febf::abcd]:5000/api', '[febf::abcd]:5000'],
    ['[::ffff:127.0.0.1]:5000/api', '[::ffff:127.0.0.1]:5000'],
  ])('%s is in %s', (repository, host) => expect(localRegistry(repository)).toBe(host))

  it.each([
    'ghcr.io/acme/api',
    'myapp', // Docker Hub library/myapp: every platform can pull it
    'acme/api', // Docker Hub acme/api
    'localhost', // Docker Hub library/localhost: a first part is a registry only with a `/` after it
    'localhost.example.com/api',
    '10.0.0.5:5000/api', // a private network: a platform inside it can reach it
    '192.168.1.20/api',
    '128.0.0.1/api',
    '169.255.0.1/api',
    '[fec0::1]:5000/api',
    '[2001:db8::1]:5000/api',
    'europe-docker.pkg.dev/acme/api',
  ])('%s is not local', (repository) => expect(localRegistry(repository)).toBeUndefined())

  it('an IPv6 registry parses as an image reference (so the refusal names the real problem)', () => {
    expect(parseDigestRef(`[::1]:5000/shop/api@${DIGEST}`)).toMatchObject({ repository: '[::1]:5000/shop/api', ref: `[::1]:5000/shop/api@${DIGEST}` })
  })
})

describe('deploy refuses a local image for every provider', () => {
  it.each(ENVIRONMENTS)('%s: --image 127.0.0.1:18500/… is DEPLOY_IMAGE_LOCAL (exit 2) with a hint to push', async (environment) => {
    const loaded = await load()
    const error = await planDeploy(loaded, { environment, services: ['web'], images: [`web=127.0.0.1:18500/acme/web@${DIGEST}`] }).catch((e) => e)
    expect(error).toMatchObject({ code: 'DEPLOY_IMAGE_LOCAL', exitCode: 2, message: expect.stringContaining('127.0.0.1:18500') })
    expect(error.hints.join(' ')).toMatch(/push/i)
  })

  it.each(ENVIRONMENTS)('%s: the image: of sls-run.yaml is refused before anything is built or pushed', async (environment) => {
    const resolveImages = vi.fn(async () => new Map())
    await expect(planDeploy(await load(), { environment, services: ['api'], images: [], resolveImages })).rejects.toMatchObject({ code: 'DEPLOY_IMAGE_LOCAL', exitCode: 2 })
    expect(resolveImages).not.toHaveBeenCalled()
  })

  it.each(ENVIRONMENTS)('%s: a registry the platform can reach passes', async (environment) => {
    const [plan] = await planDeploy(await load(), { environment, services: ['web'], images: [`ghcr.io/acme/web@${DIGEST}`] })
    expect(plan!.warnings.map((w) => w.code)).not.toContain('DEPLOY_IMAGE_LOCAL')
  })

  it.each(['localhost:5000', 'registry.localhost', 'host.docker.internal:5000', '169.254.169.254', '[::1]:5000', '[fe80::1]'])('--image from %s is refused too', async (registry) => {
    await expect(planDeploy(await load(), { environment: 'run', services: ['web'], images: [`${registry}/acme/web@${DIGEST}`] })).rejects.toMatchObject({ code: 'DEPLOY_IMAGE_LOCAL' })
  })

  it('with allowLocalImages (--dry-run) it plans and warns instead, for --image and for image:', async () => {
    const loaded = await load()
    const resolveImages = vi.fn(async (names: string[]) => new Map(names.map((n) => [n, parseDigestRef(`127.0.0.1:18500/shop/api@${DIGEST}`)] as const)))
    const plans = await planDeploy(loaded, { environment: 'run', services: ['api', 'web'], images: [`web=localhost:5000/acme/web@${DIGEST}`], resolveImages, allowLocalImages: true })
    expect(resolveImages).toHaveBeenCalledWith(['api'])
    for (const plan of plans) {
      const warning = plan.warnings.find((w) => w.code === 'DEPLOY_IMAGE_LOCAL')
      expect(warning, plan.service).toMatchObject({ setting: 'image', message: expect.stringMatching(/only this machine/) })
    }
  })

  it('a dry run that finds no digest for a local image: DEPLOY_IMAGE_REQUIRED still says the image is local', async () => {
    const error = await planDeploy(await load(), { environment: 'run', services: ['api'], images: [], resolveImages: async () => new Map(), allowLocalImages: true }).catch((e) => e)
    expect(error).toMatchObject({ code: 'DEPLOY_IMAGE_REQUIRED' })
    expect(error.hints).toContainEqual(expect.stringMatching(/^api: image 127\.0\.0\.1:18500\/shop\/api is in 127\.0\.0\.1:18500.*\[DEPLOY_IMAGE_LOCAL\]$/))
  })
})
