import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Diagnostic } from '../../src/core/config/diagnostic.js'
import { loadConfig } from '../../src/core/config/load.js'
import { type SlsError } from '../../src/errors.js'
import { useTempDir } from '../helpers/temp.js'

const tempDir = useTempDir()

function project(yaml: string, files: Record<string, string> = {}): string {
  const dir = tempDir()
  writeFileSync(path.join(dir, 'sls-run.yaml'), yaml)
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    writeFileSync(path.join(dir, name), content)
  }
  return dir
}

const minimal = 'name: shop\nservices:\n  api: {}\n'

describe('loading a valid sls-run.yaml', () => {
  it('fills in the EMULATION.md defaults, in ms and bytes', async () => {
    const { config } = await loadConfig({ cwd: project(minimal), env: {} })
    const api = config.services.api!
    expect(api.port).toBe(8080)
    expect(api.scaling).toEqual({
      minInstances: 0,
      maxInstances: 10,
      concurrency: 80,
      idleTimeout: 60_000,
      queueTimeout: 30_000,
      cloudRun: { window: 60_000, targetUtilization: 60, evaluateEvery: 5_000 },
      knative: {
        target: 100,
        targetUtilization: 70,
        stableWindow: 60_000,
        panicWindowPercentage: 10,
        panicThresholdPercentage: 200,
        tick: 2_000,
        scaleToZeroGracePeriod: 30_000,
        maxScaleUpRate: 1000,
        maxScaleDownRate: 2,
        initialScale: 1,
      },
      containerApps: { concurrentRequests: 10, pollingInterval: 30_000, cooldownPeriod: 300_000, scaleDownStabilization: 300_000 },
    })
    expect(api.scaling.model).toBeUndefined() // instant, unless dev --scaling-model says otherwise
    expect(api.timeout).toBe(300_000)
    expect(api.resources).toEqual({ cpu: 1, memory: 512 * 1024 ** 2 })
    expect(api.startupProbe).toEqual({ type: 'tcp', path: '/', timeout: 240_000 })
    expect(api.dev.runtime).toBe('auto')
    expect(api.cpuThrottling).toBe(false)
    expect(config.environments).toEqual({})
  })

  it('finds sls-run.yaml in a parent folder and resolves paths against its folder', async () => {
    const dir = project('name: shop\nservices:\n  api:\n    build: { context: app, dockerfile: docker/Dockerfile }\n    envFile: .env\n', { '.env': 'A=1\n', 'app/src/x.ts': '' })
    const loaded = await loadConfig({ cwd: path.join(dir, 'app', 'src'), env: {} })
    expect(loaded.file).toBe(path.join(dir, 'sls-run.yaml'))
    const api = loaded.config.services.api!
    expect(api.build!.context).toBe(path.join(dir, 'app'))
    expect(api.build!.dockerfile).toBe(path.join(dir, 'app', 'docker', 'Dockerfile'))
    expect(api.envFile).toBe(path.join(dir, '.env'))
    expect(api.dev.cwd).toBe(path.join(dir, 'app'))
    expect(loaded.warnings).toEqual([])
  })

  it('interpolates ${VAR} and ${VAR:-default}, re-types plain scalars, keeps quoted ones as text, and honours $${...}', async () => {
    const dir = project(
      'name: shop\nservices:\n  api:\n    port: ${APP_PORT}\n    image: ${REGISTRY:-ghcr.io/acme}/api\n    env:\n      QUOTED: "${APP_PORT}"\n      LITERAL: "$${NOT_ME}"\n      LEVEL: ${LOG_LEVEL:-info}\n',
    )
    const { config } = await loadConfig({ cwd: dir, env: { APP_PORT: '9090' } })
    const api = config.services.api!
    expect(api.port).toBe(9090)
    expect(api.image).toBe('ghcr.io/acme/api')
    expect(api.env).toEqual({ QUOTED: '9090', LITERAL: '${NOT_ME}', LEVEL: 'info' })
  })

  it('never interpolates keys, and a variable value cannot inject YAML', async () => {
    const dir = project('name: shop\nservices:\n  api:\n    env:\n      A: ${EVIL}\n')
    const { config } = await loadConfig({ cwd: dir, env: { EVIL: 'x\n    port: 1' } })
    expect(config.services.api!.env.A).toBe('x\n    port: 1')
    expect(config.services.api!.port).toBe(8080)
  })

  it('applies environment overrides by deep merge; null resets to the default', async () => {
    const dir = project(
      `name: shop\nservices:\n  api:\n    scaling: { concurrency: 10, maxInstances: 3 }\n    env: { A: "1", B: "2" }\n    timeout: 10s\n` +
        `environments:\n  prod:\n    provider: cloud-run\n    project: acme\n    region: europe-west1\n    services:\n      api:\n        scaling: { maxInstances: 50, minInstances: 1 }\n        env: { B: "3" }\n        timeout: null\n`,
    )
    const loaded = await loadConfig({ cwd: dir, env: {} })
    expect(loaded.config.services.api!.scaling.maxInstances).toBe(3)
    const prod = loaded.environment('prod')
    expect(prod.settings).toEqual({ provider: 'cloud-run', project: 'acme', region: 'europe-west1', public: false })
    const api = prod.config.services.api!
    expect(api.scaling).toMatchObject({ concurrency: 10, maxInstances: 50, minInstances: 1 })
    expect(api.env).toEqual({ A: '1', B: '3' })
    expect(api.timeout).toBe(300_000)
  })

  it('names the environments when an unknown one is asked for', async () => {
    const dir = project(`${minimal}environments:\n  prod: { provider: knative }\n  staging: { provider: knative }\n`)
    const loaded = await loadConfig({ cwd: dir, env: {} })
    expect(() => loaded.environment('prd')).toThrow(expect.objectContaining({ code: 'CONFIG_UNKNOWN_ENV', exitCode: 2, message: expect.stringMatching(/did you mean "prod"/) }))
  })

  it('warns (without failing) about an envFile that does not exist', async () => {
    const loaded = await loadConfig({ cwd: project('name: shop\nservices:\n  api:\n    envFile: .env.local\n'), env: {} })
    expect(loaded.warnings).toEqual([expect.objectContaining({ code: 'CONFIG_ENV_FILE_MISSING', severity: 'warning', line: 4, column: 14 })])
  })

  it('checks envFile and dev.cwd against the folder of sls-run.yaml (not the cwd); a forward delay range is fine', async () => {
    const dir = project('name: shop\nservices:\n  api:\n    envFile: .env\n    dev: { cwd: app, coldStart: { delay: 800ms-2s } }\n', { '.env': 'export A="1"\n# comment\nB=2\n', 'app/src/x.ts': '' })
    const loaded = await loadConfig({ cwd: path.join(dir, 'app', 'src'), env: {} })
    expect(loaded.warnings).toEqual([])
    expect(loaded.config.services.api!.dev.cwd).toBe(path.join(dir, 'app'))
  })

  it('a duplicate key is reported with every other problem of the file, not alone', async () => {
    const dir = project('name: shop\nservices:\n  api:\n    port: 1\n    port: 2\n    timeout: soon\n  Bad_Name: {}\n')
    const error = await loadConfig({ cwd: dir, env: {} }).then(
      () => undefined,
      (e: unknown) => e as SlsError,
    )
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', exitCode: 2 })
    const codes = (error!.details as { diagnostics: Diagnostic[] }).diagnostics.map((d) => `${d.line} ${d.code}`)
    expect(codes).toContain('5 CONFIG_DUPLICATE_KEY')
    expect(codes.filter((c) => c.startsWith('6 '))).toHaveLength(1) // timeout: soon
    expect(codes.filter((c) => c.startsWith('7 '))).toHaveLength(1) // Bad_Name
  })

  it('reports every path problem at once: a folder as envFile and a missing dev.cwd are errors, a missing envFile stays a warning', async () => {
    const dir = project('name: shop\nservices:\n  api:\n    envFile: secrets/\n    dev: { cwd: nope }\n  web:\n    envFile: .env.local\n', { 'secrets/x': '' })
    const error = await loadConfig({ cwd: dir, env: {} }).then(
      () => undefined,
      (e: unknown) => e as SlsError,
    )
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', exitCode: 2 })
    expect((error!.details as { diagnostics: Diagnostic[] }).diagnostics.map((d) => `${d.line}:${d.column} ${d.severity} ${d.code} ${d.path}`)).toEqual([
      '4:14 error ENV_FILE_INVALID services.api.envFile',
      '5:17 error CONFIG_DEV_CWD_MISSING services.api.dev.cwd',
      '7:14 warning CONFIG_ENV_FILE_MISSING services.web.envFile',
    ])
  })

  it('strips a UTF-8 byte order mark', async () => {
    const { config } = await loadConfig({ cwd: project(`\ufeff${minimal}`), env: {} })
    expect(config.name).toBe('shop')
  })

  it('accepts the example project in examples/hello', async () => {
    const loaded = await loadConfig({ file: 'examples/hello/sls-run.yaml', env: {} })
    expect(loaded.config.services.web!.scaling.concurrency).toBe(10)
    expect(loaded.environment('prod').config.services.web!.scaling.minInstances).toBe(1)
  })
})
