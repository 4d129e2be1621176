/** The pure parts of `sls-run build`: Dockerfile reading, the progress stream, layer matching, tags, options. */
import { describe, expect, it } from 'vitest'
import { imageTags, labels } from '../../src/core/image/build.js'
import { buildFailure, failedBase } from '../../src/core/image/build-errors.js'
import { extraCertificates } from '../../src/core/image/ca.js'
import { parseDockerfile, stageChain, substitute, targetStage } from '../../src/core/image/dockerfile.js'
import { httpsRemote } from '../../src/core/image/git.js'
import { ProgressReader, type ProgressEvent } from '../../src/core/image/progress.js'
import { chooseBuilder, parseBuildArgs } from '../../src/core/image/request.js'
import { matchLayers } from '../../src/core/image/size-report.js'

const MULTI = `# comment
ARG NODE_VERSION=22
FROM node:\${NODE_VERSION}-alpine AS deps
WORKDIR /app
COPY package.json ./
RUN npm ci \\
    # a comment inside a continuation
    --omit=dev

FROM deps AS build
RUN npm run build

from node:\${NODE_VERSION}-alpine as runtime
COPY --from=build /app/dist ./dist
CMD ["node", "dist/server.js"]
`

describe('parseDockerfile', () => {
  it('finds stages, names, lines, continuations and ARG substitution in FROM', () => {
    const file = parseDockerfile(MULTI)
    expect(file.stages.map((s) => [s.name, s.from, s.line])).toEqual([
      ['deps', 'node:22-alpine', 3],
      ['build', 'deps', 10],
      ['runtime', 'node:22-alpine', 13],
    ])
    const run = file.instructions.find((i) => i.keyword === 'RUN')!
    expect(run).toMatchObject({ line: 6, args: 'npm ci --omit=dev', stage: 0 })
    expect(file.stages[2]!.instructions.map((i) => i.keyword)).toEqual(['COPY', 'CMD'])
  })

  it('build args override ARG defaults in FROM', () => {
    expect(parseDockerfile(MULTI, { NODE_VERSION: '20' }).stages[0]!.from).toBe('node:20-alpine')
  })

  it('resolves the target stage and the chain to the external base', () => {
    const file = parseDockerfile(MULTI)
    const build = targetStage(file, 'build')!
    expect(stageChain(file, build)).toMatchObject({ base: 'node:22-alpine', stages: [{ name: 'deps' }, { name: 'build' }] })
    expect(targetStage(file)!.name).toBe('runtime')
    expect(targetStage(file, 'nope')).toBeUndefined()
    expect(targetStage(file, 'BUILD')!.name).toBe('build')
  })

  it('honours the escape directive', () => {
    const file = parseDockerfile('# escape=`\nFROM scratch\nCOPY a `\n  b /\n')
    expect(file.instructions[1]).toMatchObject({ keyword: 'COPY', args: 'a b /', line: 3 })
  })

  it('substitutes like Docker', () => {
    expect(substitute('${A:-x}-${B:+y}-$C', { B: '1', C: 'c' })).toBe('x-y-c')
  })
})

describe('ProgressReader', () => {
  const lines = (...objects: object[]) => objects.map((o) => JSON.stringify(o)).join('\n') + '\n'

  it('reads classic builder steps, cache hits, output and the image id, across split chunks', () => {
    const events: ProgressEvent[] = []
    const reader = new ProgressReader((e) => events.push(e))
    const text = lines(
      { stream: 'Step 1/3 : FROM alpine:3.20' },
      { stream: '\n' },
      { stream: ' ---> 5a1b\n' },
      { stream: 'Step 2/3 : COPY . .\n' },
      { stream: ' ---> Using cache\n' },
      { stream: ' ---> 1234567890ab\n' },
      { stream: 'Step 3/3 : RUN make\n' },
      { stream: ' ---> Running in abcdef123456\n' },
      { stream: 'compiling\nlinking\n' },
      { stream: 'Removing intermediate container abcdef123456\n' },
      { stream: ' ---> ba9876543210\n' },
      { aux: { ID: 'sha256:ba98' } },
      { stream: 'Successfully built ba9876543210\n' },
    )
    reader.write(text.slice(0, 37))
    reader.write(text.slice(37))
    const outcome = reader.end()
    expect(outcome.imageId).toBe('sha256:ba98')
    expect(outcome.error).toBeUndefined()
    expect(outcome.steps.map((s) => [s.name, s.status])).toEqual([
      ['FROM alpine:3.20', 'done'],
      ['COPY . .', 'cached'],
      ['RUN make', 'done'],
    ])
    expect(events.filter((e) => e.type === 'output').map((e) => (e as { line: string }).line)).toEqual(['compiling', 'linking'])
  })

  it('an error inside a 200 stream fails the step and keeps its last 30 lines', () => {
    const reader = new ProgressReader(() => {})
    reader.write(
      lines({ stream: 'Step 1/1 : RUN x\n' }, ...Array.from({ length: 45 }, (_, i) => ({ stream: `out-${i + 1}\n` })), {
        errorDetail: { code: 3, message: "The command '/bin/sh -c x' returned a non-zero code: 3" },
        error: 'x',
      }),
    )
    const outcome = reader.end()
    expect(outcome.imageId).toBeUndefined()
    expect(outcome.error).toMatch(/non-zero code: 3/)
    expect(outcome.failedStep).toMatchObject({ name: 'RUN x', status: 'failed' })
    expect(outcome.tail).toHaveLength(30)
    expect(outcome.tail[0]).toBe('out-16')
    expect(outcome.tail.at(-1)).toBe('out-45')
  })
})

describe('buildFailure', () => {
  const dockerfile = { path: '/p/Dockerfile', text: 'FROM alpine\n\n  COPPY . .\n' }
  it('turns a parse error into a located diagnostic', () => {
    const error = buildFailure('api', dockerfile, { error: 'dockerfile parse error line 3: unknown instruction: COPPY', tail: [] })
    expect(error.code).toBe('DOCKERFILE_INVALID')
    expect((error.details as any).diagnostics[0]).toMatchObject({ file: '/p/Dockerfile', line: 3, column: 3, length: 5, sourceLine: '  COPPY . .' })
  })
  it('BuildKit phrasing too', () => {
    const error = buildFailure('api', dockerfile, {
      error: 'failed to solve with frontend dockerfile.v0: failed to create LLB definition: dockerfile parse error on line 3: unknown instruction: COPPY',
      tail: [],
    })
    expect((error.details as any).diagnostics[0].line).toBe(3)
  })
  it('names an unreachable base image', () => {
    const error = buildFailure('api', dockerfile, { error: 'pull access denied for nope, repository does not exist', tail: [] }, { ref: 'nope:1' })
    expect(error.code).toBe('BASE_IMAGE_UNAVAILABLE')
    expect(error.hints[0]).toContain('docker pull nope:1')
  })
})

describe('failedBase: the base of the stage the engine failed on', () => {
  const file = parseDockerfile('ARG GO_IMAGE=golang:1.23-alpine\nARG ALPINE_IMAGE=alpine:3.20\nFROM ${GO_IMAGE} AS build\nRUN go build\nFROM ${ALPINE_IMAGE} AS runtime\nCOPY --from=build /x /x\n')
  const step = (id: string, name: string) => ({ id, name, internal: false, cacheable: false, status: 'failed' as const })
  const offline = 'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host'
  it('classic: `Step N/M` is the Nth instruction (global ARGs count), whatever the FROM line shows', () => {
    expect(failedBase(file, { error: offline, failedStep: step('3/7', 'FROM ${GO_IMAGE} AS build') })).toEqual({ ref: 'golang:1.23-alpine', line: 3 })
    expect(failedBase(file, { error: offline, failedStep: step('5/7', 'FROM ${ALPINE_IMAGE} AS runtime') })).toEqual({ ref: 'alpine:3.20', line: 5 })
  })
  it('BuildKit: the image the failing vertex names', () => {
    expect(failedBase(file, { error: offline, failedStep: step('sha256:1', '[internal] load metadata for docker.io/library/golang:1.23-alpine') })).toEqual({ ref: 'golang:1.23-alpine', line: 3 })
    expect(failedBase(file, { error: offline, failedStep: step('sha256:2', '[runtime 1/2] FROM docker.io/library/alpine:3.20@sha256:abc') })).toEqual({ ref: 'alpine:3.20', line: 5 })
  })
  it("BuildKit's frontend: the registry URL in its message", () => {
    const head = (ref: string) =>
      `failed to solve with frontend dockerfile.v0: failed to create LLB definition: failed to do request: Head "https://registry-1.docker.io/v2/${ref}": dial tcp: lookup registry-1.docker.io: no such host`
    expect(failedBase(file, { error: head('library/golang/manifests/1.23-alpine') })).toEqual({ ref: 'golang:1.23-alpine', line: 3 })
    expect(failedBase(file, { error: head('library/alpine/manifests/3.20') })).toEqual({ ref: 'alpine:3.20', line: 5 })
    expect(failedBase(parseDockerfile('FROM ghcr.io/acme/base:1\n'), { error: 'Head "https://ghcr.io/v2/acme/base/manifests/1": denied' })).toEqual({ ref: 'ghcr.io/acme/base:1', line: 1 })
  })
  it('else the image the message names', () => {
    expect(failedBase(file, { error: 'pull access denied for golang, repository does not exist' })).toEqual({ ref: 'golang:1.23-alpine', line: 3 })
    expect(failedBase(file, { error: offline })).toBeUndefined()
  })
})

describe('matchLayers', () => {
  const file = parseDockerfile(MULTI)
  const chain = stageChain(file, targetStage(file, 'build')!).stages.flatMap((s) => s.instructions)
  it('matches classic and BuildKit history entries to Dockerfile lines in order', () => {
    const classic = matchLayers(
      [
        { CreatedBy: '/bin/sh -c #(nop) WORKDIR /app', Size: 0 },
        { CreatedBy: '/bin/sh -c #(nop) COPY file:abc in ./ ', Size: 120 },
        { CreatedBy: '/bin/sh -c npm ci     --omit=dev', Size: 5000 },
        { CreatedBy: '|1 X=y /bin/sh -c npm run build', Size: 70 },
        { CreatedBy: '/bin/sh -c #(nop)  LABEL dev.sls-run.service=api', Size: 0 },
      ],
      chain,
    )
    expect(classic.map((l) => l.line)).toEqual([4, 5, 6, 11, undefined])
    const buildkit = matchLayers(
      [
        { CreatedBy: 'WORKDIR /app', Size: 0 },
        { CreatedBy: 'COPY package.json ./ # buildkit', Size: 120 },
        { CreatedBy: 'RUN /bin/sh -c npm ci --omit=dev # buildkit', Size: 5000 },
        { CreatedBy: 'RUN /bin/sh -c npm run build # buildkit', Size: 70 },
      ],
      chain,
    )
    expect(buildkit.map((l) => l.line)).toEqual([4, 5, 6, 11])
  })
})

describe('tags, remotes and options', () => {
  const git = { revision: 'f'.repeat(40), tag: 'fffffff', dirty: false, version: 'v1', committedAt: '2026-01-01T00:00:00.000Z' }
  it('tags sha, latest and extra tags, de-duplicated', () => {
    expect(imageTags('ghcr.io/acme/api', git, ['v1', 'other/repo:x', 'latest'])).toEqual(['ghcr.io/acme/api:fffffff', 'ghcr.io/acme/api:latest', 'ghcr.io/acme/api:v1', 'other/repo:x'])
    expect(imageTags('api', { ...git, tag: 'fffffff-dirty', dirty: true }, [])).toEqual(['api:fffffff-dirty', 'api:latest'])
    expect(imageTags('api', undefined, [])).toEqual(['api:latest'])
  })
  it('labels: created is the commit time of a clean tree, the build time of a dirty one', () => {
    const info = { ...git, committedAt: '2026-01-02T03:04:05.000Z', source: 'https://github.com/acme/api' }
    const now = new Date('2026-11-22T00:00:00Z')
    expect(labels('api', 'acme/api', info, now)).toEqual({
      'org.opencontainers.image.created': '2026-01-02T03:04:05.000Z',
      'org.opencontainers.image.title': 'api',
      'org.opencontainers.image.revision': info.revision,
      'org.opencontainers.image.version': 'v1',
      'org.opencontainers.image.source': 'https://github.com/acme/api',
      'dev.sls-run.service': 'api',
      'dev.sls-run.image': 'acme/api',
    })
    expect(labels('api', 'acme/api', { ...info, dirty: true }, now)['org.opencontainers.image.created']).toBe(now.toISOString())
    expect(labels('api', 'acme/api', undefined, now)).not.toHaveProperty('org.opencontainers.image.revision')
  })
  it('turns git remotes into https source URLs without credentials', () => {
    expect(httpsRemote('git@github.com:acme/api.git')).toBe('https://github.com/acme/api')
    expect(httpsRemote('https://user:token@gitlab.com/acme/api.git')).toBe('https://gitlab.com/acme/api')
    expect(httpsRemote('/local/path')).toBeUndefined()
  })
  it('parses --build-arg like docker build', () => {
    expect(parseBuildArgs(['A=1', 'B=x=y', 'FROM_ENV', 'UNSET'], { FROM_ENV: 'e' })).toEqual({ A: '1', B: 'x=y', FROM_ENV: 'e' })
    expect(() => parseBuildArgs(['1BAD=x'])).toThrow(/not a valid argument name/)
  })
  it('chooses the builder like the Docker CLI', () => {
    expect(chooseBuilder('auto', '2', undefined)).toBe('buildkit')
    expect(chooseBuilder('auto', '1', undefined)).toBe('classic')
    expect(chooseBuilder('auto', undefined, undefined)).toBe('classic')
    expect(chooseBuilder('auto', '2', '0')).toBe('classic')
    expect(chooseBuilder('auto', undefined, 'true')).toBe('buildkit')
    expect(chooseBuilder('classic', '2', '1')).toBe('classic')
  })
})

describe('extraCertificates', () => {
  it('keeps only certificates that are not public roots, once each', async () => {
    const { readFileSync } = await import('node:fs')
    const { rootCertificates } = await import('node:tls')
    const proxy = readFileSync(new URL('../fixtures/build/ca/proxy-ca.pem', import.meta.url), 'utf8').trim()
    const bundle = [rootCertificates[0], proxy, rootCertificates[5], proxy.replace(/\n/g, '\r\n'), rootCertificates[9]].join('\n')
    const { pems, total } = extraCertificates(bundle)
    expect(total).toBe(5)
    expect(pems).toEqual([proxy])
    expect(extraCertificates(rootCertificates.join('\n')).pems).toEqual([])
  })
})
