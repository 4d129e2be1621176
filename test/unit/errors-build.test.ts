/**
 * Error codes of `sls-run build` that no other unit test reaches: the CA bundle's (ca.ts) and TAG_FAILED
 * (build.ts), the latter against a fake engine that builds but refuses the tag.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import type Dockerode from 'dockerode'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/core/config/load.js'
import { buildTarget, planBuild, type BuildEvent, type BuildRequest } from '../../src/core/image/build.js'
import { CA_ARG_MAX, readCaBundle } from '../../src/core/image/ca.js'
import { useTempDir } from '../helpers/temp.js'

const tempDir = useTempDir('sls-run-errors-build-')

/** A PEM block that is no public root: random bytes, base64 in 64-column lines. */
const fakeCertificate = () =>
  `-----BEGIN CERTIFICATE-----\n${randomBytes(768)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`

describe('CA bundle errors', () => {
  it('CA_BUNDLE_UNREADABLE (exit 2): the file cannot be read', async () => {
    const file = path.join(tempDir(), 'missing.pem')
    await expect(readCaBundle(file)).rejects.toMatchObject({ code: 'CA_BUNDLE_UNREADABLE', exitCode: 2, message: expect.stringContaining('ENOENT') })
  })

  it('CA_BUNDLE_TOO_LARGE (exit 2): the extra certificates do not fit in a build argument', async () => {
    const file = path.join(tempDir(), 'many.pem')
    const one = fakeCertificate()
    writeFileSync(file, Array.from({ length: Math.ceil(CA_ARG_MAX / one.length) + 5 }, fakeCertificate).join(''))
    await expect(readCaBundle(file)).rejects.toMatchObject({ code: 'CA_BUNDLE_TOO_LARGE', exitCode: 2 })
  })

  it('a bundle just under the limit is accepted (the limit is the only reason above)', async () => {
    const file = path.join(tempDir(), 'few.pem')
    writeFileSync(file, Array.from({ length: 3 }, fakeCertificate).join(''))
    await expect(readCaBundle(file)).resolves.toMatchObject({ total: 3, extra: 3 })
  })
})

describe('TAG_FAILED', () => {
  /** An engine that builds (the classic builder's stream with an image id) and refuses `tag`, counting removals. */
  function fakeEngine(refuseTag: string) {
    const removed: string[] = []
    const tagged: string[] = []
    const image = (ref: string) => ({
      inspect: async () => ({ Id: ref, Size: 1000, Config: { Labels: {} }, RootFS: { Layers: ['sha256:l1'] } }),
      history: async () => [],
      tag: async ({ repo, tag }: { repo: string; tag: string }) => {
        if (`${repo}:${tag}` === refuseTag) throw Object.assign(new Error('(HTTP code 400) unexpected - invalid reference format'), { statusCode: 400, json: { message: 'invalid reference format' } })
        tagged.push(`${repo}:${tag}`)
      },
      remove: async () => {
        removed.push(ref)
      },
    })
    const docker = {
      getImage: image,
      buildImage: async (context: NodeJS.ReadableStream) => {
        for await (const _ of context as AsyncIterable<Buffer>); // read the whole context, as the engine does
        return Readable.from([Buffer.from(`${JSON.stringify({ stream: 'Step 1/1 : FROM scratch\n' })}\n${JSON.stringify({ aux: { ID: 'sha256:built' } })}\n`)])
      },
    } as unknown as Dockerode
    return { docker, removed, tagged }
  }

  it('the engine refuses a tag: TAG_FAILED (exit 1), and the tags already written are removed', async () => {
    const dir = tempDir()
    mkdirSync(path.join(dir, 'app'))
    writeFileSync(path.join(dir, 'app', 'Dockerfile'), 'FROM scratch\n')
    writeFileSync(path.join(dir, 'sls-run.yaml'), 'name: shop\nservices:\n  api:\n    image: acme/api\n    build: { context: app }\n')
    const { config } = await loadConfig({ cwd: dir, env: {} })
    const request: BuildRequest = { services: [], tags: ['v1', 'Bad:Tag'], noCache: false, pull: false, buildArgs: {}, builder: 'classic', strict: false }
    const plan = await planBuild(config, request)
    const engine = fakeEngine('Bad:Tag')
    const events: BuildEvent[] = []
    const error = await buildTarget(engine.docker, plan.targets[0]!, request, (e) => events.push(e)).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'TAG_FAILED', exitCode: 1, message: expect.stringContaining('invalid reference format') })
    expect(engine.tagged).toEqual(['acme/api:latest', 'acme/api:v1'])
    expect(engine.removed).toEqual(['acme/api:latest', 'acme/api:v1'])
    expect(events.some((e) => e.type === 'built')).toBe(false)
  })
})
