/**
 * `sls-run push`'s error codes, each from pushServices against a fake engine whose push stream ends with
 * what a registry says (the engine reports a refused push inside its HTTP 200 stream).
 */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import type Dockerode from 'dockerode'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/core/config/load.js'
import { pushServices } from '../../src/core/registry/push.js'
import { useTempDir } from '../helpers/temp.js'

const tempDir = useTempDir('sls-run-errors-registry-')

/** An engine that has every image and answers each push with `lines` (NDJSON objects). */
function fakeEngine(lines: object[]) {
  let pushes = 0
  const docker = {
    getImage: () => ({
      inspect: async () => ({ Config: { Labels: {} } }),
      push: async () => {
        pushes++
        return Readable.from(lines.map((l) => Buffer.from(`${JSON.stringify(l)}\n`)))
      },
    }),
  } as unknown as Dockerode
  return { docker, pushes: () => pushes }
}

async function project(image: string | undefined) {
  const dir = tempDir()
  writeFileSync(path.join(dir, 'sls-run.yaml'), `name: shop\nservices:\n  api:\n${image ? `    image: ${image}\n` : ''}    build: { context: . }\n`)
  // An empty Docker config folder: no credentials from this machine's config.
  return { config: (await loadConfig({ cwd: dir, env: {} })).config, env: { DOCKER_CONFIG: dir } }
}

const refused = (message: string) => [{ status: 'The push refers to repository [registry.example/acme/api]' }, { errorDetail: { message }, error: message }]

describe('push error codes', () => {
  it('PUSH_NO_REGISTRY (exit 2): an image without a registry or namespace is not pushed', async () => {
    const { config, env } = await project(undefined) // the image is then shop-api
    const engine = fakeEngine([])
    await expect(pushServices(engine.docker, config, { services: [], tag: 't', env }, () => {})).rejects.toMatchObject({
      code: 'PUSH_NO_REGISTRY',
      exitCode: 2,
      message: expect.stringContaining('"shop-api"'),
    })
    expect(engine.pushes()).toBe(0)
  })

  it.each([
    ['denied: requested access to the resource is denied', 'REGISTRY_DENIED'],
    ['name unknown: repository name not known to registry', 'REGISTRY_REPO_UNKNOWN'],
    ['unauthorized: authentication required', 'REGISTRY_AUTH'],
    ['received unexpected HTTP status: 503 Service Unavailable', 'REGISTRY_UNAVAILABLE'],
    ['manifest invalid: manifest invalid', 'PUSH_FAILED'],
  ])('the registry says %j: %s (exit 1)', async (said, code) => {
    const { config, env } = await project('registry.example/acme/api')
    const engine = fakeEngine(refused(said))
    const error = await pushServices(engine.docker, config, { services: [], tag: 't', env, attempts: 1 }, () => {}).catch((e: unknown) => e)
    expect(error).toMatchObject({ code, exitCode: 1, message: expect.stringContaining(said) })
    expect(engine.pushes()).toBe(1)
  })
})
