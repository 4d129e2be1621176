/** `sls-run build` failures that need no engine: they must be clear, coded, and exit with the right code. */
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildJson } from '../helpers/build-fixture.js'
import { runCli } from '../helpers/cli.js'
import { useTempDir } from '../helpers/temp.js'

const NO_ENGINE = { DOCKER_HOST: 'unix:///nonexistent/sls-run-test.sock' }

describe('sls-run build without an engine or with bad input', () => {
  const tempDir = useTempDir('sls-run-build-e2e-')
  const project = (yaml: string, dockerfile = 'FROM alpine:3.20\n') => {
    const dir = tempDir()
    writeFileSync(path.join(dir, 'sls-run.yaml'), yaml)
    writeFileSync(path.join(dir, 'Dockerfile'), dockerfile)
    return dir
  }
  const API = 'name: shop\nservices:\n  api:\n    build: { context: . }\n  worker:\n    image: ghcr.io/acme/worker\n'

  it('no engine: DOCKER_UNAVAILABLE, exit 3, the doctor hint, no stack', async () => {
    const r = await runCli(['build'], { cwd: project(API), env: NO_ENGINE })
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/error DOCKER_UNAVAILABLE no Docker engine answers at unix:\/\/\/nonexistent\/sls-run-test\.sock/)
    expect(r.stderr).toContain('sls-run doctor')
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('no engine with --json: one result line with the error envelope', async () => {
    const r = await runCli(['build', '--json'], { cwd: project(API), env: NO_ENGINE })
    expect(r.code).toBe(3)
    const { events, result } = buildJson(r)
    expect(result).toMatchObject({ type: 'result', status: 'error', error: { code: 'DOCKER_UNAVAILABLE' } })
    expect(events.map((e) => e.type)).toEqual(['skipped']) // worker has no build: section
  })

  it('config problems come before the engine: unknown service, nothing to build, unknown target, missing Dockerfile', async () => {
    const cases: Array<[string[], string, string]> = [
      [['build', 'nope'], API, 'UNKNOWN_SERVICE'],
      [['build', 'worker'], API, 'NOTHING_TO_BUILD'],
      [['build'], 'name: shop\nservices:\n  api:\n    build: { context: ., target: prod }\n', 'BUILD_TARGET_UNKNOWN'],
      [['build'], 'name: shop\nservices:\n  api:\n    build: { context: ., dockerfile: nope.Dockerfile }\n', 'DOCKERFILE_MISSING'],
      [['build', '--build-arg', '1X=y'], API, 'USAGE'],
    ]
    for (const [args, yaml, code] of cases) {
      const r = await runCli(args, { cwd: project(yaml), env: NO_ENGINE })
      expect([r.code, r.stderr], args.join(' ')).toEqual([2, expect.stringContaining(`error ${code} `)])
    }
  })

  it('an invalid CA bundle is refused before anything runs', async () => {
    const dir = project(API)
    mkdirSync(path.join(dir, 'ca'))
    writeFileSync(path.join(dir, 'ca/not-a-cert.pem'), 'hello\n')
    const r = await runCli(['build', '--ca-bundle', 'ca/not-a-cert.pem'], { cwd: dir, env: NO_ENGINE })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('error CA_BUNDLE_INVALID')
  })

  it('a Cloud Run environment and another platform: warned', async () => {
    const yaml = `${API}environments:\n  prod:\n    provider: cloud-run\n    project: acme\n    region: europe-west1\n`
    const r = await runCli(['build', '--platform', 'linux/arm64', '--json'], { cwd: project(yaml), env: NO_ENGINE })
    const { result } = buildJson(r)
    expect(result.status).toBe('error') // no engine
    expect(r.stdout).toMatch(/"type":"warning","message":"Cloud Run runs linux\/amd64 images only; environment prod/)
  })
})
