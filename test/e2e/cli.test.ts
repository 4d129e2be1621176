/**
 * The built CLI, run as a user would (node bin/run.js) in real temp folders, under CI=true.
 * Every command's --json envelope is checked for success and for failure.
 */
import { Config } from '@oclif/core'
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { envelope, runCli } from '../helpers/cli.js'
import { useTempDir } from '../helpers/temp.js'

const tempDir = useTempDir()
const ANSI = '\u001b['
const NO_ENGINE = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' }

function project(yaml: string): string {
  const dir = tempDir()
  writeFileSync(path.join(dir, 'sls-run.yaml'), yaml)
  return dir
}
const valid =
  'name: shop\nservices:\n  api:\n    image: ghcr.io/acme/api\nenvironments:\n  prod:\n    provider: cloud-run\n    project: acme\n    region: us-central1\n    services: { api: { scaling: { minInstances: 2 } } }\n'
const broken = 'name: shop\nservices:\n  api:\n    scaling: { concurrency: 0 }\n'

describe('sls-run (root)', () => {
  it('--help lists the commands and the exit codes', async () => {
    const r = await runCli(['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/doctor/)
    expect(r.stdout).toMatch(/config/)
    expect(r.stdout).toMatch(/EXIT CODES\n\s+0\s+success\n\s+1\s.*\n\s+2\s+usage or configuration error.*\n\s+3\s+environment missing/)
  })

  it('--version (answered before oclif loads) prints exactly what oclif prints', async () => {
    const r = await runCli(['--version'])
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toMatch(/^sls-run\/\d+\.\d+\.\d+ \S+ node-v\d+/)
    const config = await Config.load(fileURLToPath(new URL('../..', import.meta.url)))
    expect(r.stdout.trim()).toBe(config.userAgent)
  })

  it.each(['doctor', 'config validate', 'config print'])('%s has its own help with exit codes', async (command) => {
    const r = await runCli([...command.split(' '), '--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/USAGE\n\s+\$ sls-run /)
    expect(r.stdout).toMatch(/--json/)
    expect(r.stdout).toMatch(/EXIT CODES/)
  })

  it('an unknown command is a usage error with a suggestion (exit 2), also in --json', async () => {
    const human = await runCli(['doctr'])
    expect(human.code).toBe(2)
    expect(human.stderr).toMatch(/error USAGE "doctr" is not a sls-run command; did you mean "doctor"\?/)
    const json = await runCli(['doctr', '--json'])
    expect(json.code).toBe(2)
    expect(envelope(json)).toMatchObject({ status: 'error', error: { code: 'USAGE' } })
  })

  it('an unknown flag is a usage error (exit 2), also in --json', async () => {
    const r = await runCli(['config', 'validate', '--nope', '--json'])
    expect(r.code).toBe(2)
    expect(envelope(r)).toMatchObject({ status: 'error', error: { code: 'USAGE', message: expect.stringMatching(/--nope/) } })
  })
})

describe('sls-run config validate', () => {
  it('valid file: exit 0, summary on stdout, JSON envelope with --json', async () => {
    const dir = project(valid)
    const human = await runCli(['config', 'validate'], { cwd: dir })
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/^valid sls-run\.yaml: project shop, 1 service \(api\), 1 environment \(prod\)/)
    const json = await runCli(['config', 'validate', '--json'], { cwd: dir })
    expect(json.code).toBe(0)
    expect(envelope(json)).toEqual({ status: 'ok', result: { file: path.join(dir, 'sls-run.yaml'), name: 'shop', services: ['api'], environments: ['prod'], diagnostics: [] }, warnings: [] })
  })

  it('invalid file: exit 2, compiler-style diagnostics on stderr, nothing on stdout, no stack, no colour under CI', async () => {
    const dir = project(broken)
    const r = await runCli(['config', 'validate'], { cwd: dir })
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain('sls-run.yaml:4:29 error CONFIG_INVALID services.api.scaling.concurrency must be a whole number between 1 and 1000 (got 0)')
    expect(r.stderr).toContain('4 |     scaling: { concurrency: 0 }\n  |                             ^')
    expect(r.stderr).not.toMatch(/    at .*\.js:\d+/)
    expect(r.stderr).not.toContain(ANSI)
  })

  it('invalid file with --json: one error envelope carrying the diagnostics', async () => {
    const r = await runCli(['config', 'validate', '--json'], { cwd: project(broken) })
    expect(r.code).toBe(2)
    const out = envelope(r)
    expect(out).toMatchObject({ status: 'error', error: { code: 'CONFIG_INVALID' } })
    expect(out.error!.details.diagnostics).toEqual([expect.objectContaining({ code: 'CONFIG_INVALID', line: 4, column: 29, path: 'services.api.scaling.concurrency' })])
  })

  it('-c with a missing file: CONFIG_NOT_FOUND, exit 2', async () => {
    const r = await runCli(['config', 'validate', '-c', 'missing.yaml', '--json'], { cwd: tempDir() })
    expect(r.code).toBe(2)
    expect(envelope(r).error).toMatchObject({ code: 'CONFIG_NOT_FOUND' })
  })

  it('warnings appear in the envelope and on stderr, exit stays 0', async () => {
    const dir = project('name: shop\nservices:\n  api:\n    envFile: .env\n')
    const json = await runCli(['config', 'validate', '--json'], { cwd: dir })
    expect(json.code).toBe(0)
    expect(envelope(json).warnings).toEqual([expect.stringMatching(/^sls-run\.yaml:4:14 CONFIG_ENV_FILE_MISSING/)])
    const human = await runCli(['config', 'validate'], { cwd: dir })
    expect(human.stderr).toMatch(/sls-run\.yaml:4:14 warning CONFIG_ENV_FILE_MISSING/)
  })
})

describe('sls-run config print', () => {
  it('prints the resolved config with the environment applied (--json)', async () => {
    const r = await runCli(['config', 'print', '--env', 'prod', '--json'], { cwd: project(valid) })
    expect(r.code).toBe(0)
    const { result } = envelope(r)
    const { cloudRun, knative, containerApps, ...scaling } = result.services.api.scaling
    expect(scaling).toEqual({ minInstances: 2, maxInstances: 10, concurrency: 80, idleTimeout: 60_000, queueTimeout: 30_000 })
    // Every model's parameters, resolved, whichever model runs.
    expect([cloudRun.window, knative.stableWindow, containerApps.cooldownPeriod]).toEqual([60_000, 60_000, 300_000])
    expect(result.environment).toEqual({ name: 'prod', provider: 'cloud-run', project: 'acme', region: 'us-central1', public: false })
  })

  it('prints YAML without --json', async () => {
    const r = await runCli(['config', 'print'], { cwd: project(valid) })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^name: shop\nservices:\n  api:\n/)
  })

  it('an unknown environment is a usage error with the known ones (--json)', async () => {
    const r = await runCli(['config', 'print', '--env', 'staging', '--json'], { cwd: project(valid) })
    expect(r.code).toBe(2)
    expect(envelope(r).error).toMatchObject({ code: 'CONFIG_UNKNOWN_ENV', hints: ['Environments defined: prod.'] })
  })

  it('an invalid file fails with the diagnostics (--json)', async () => {
    const r = await runCli(['config', 'print', '--json'], { cwd: project(broken) })
    expect(r.code).toBe(2)
    expect(envelope(r).error).toMatchObject({ code: 'CONFIG_INVALID' })
  })
})

describe('sls-run dev refusals', () => {
  it('the docker runtime without an engine: DOCKER_UNAVAILABLE, exit 3, from the flag or from sls-run.yaml', async () => {
    const viaFlag = await runCli(['dev', '--runtime', 'docker', '--json'], { cwd: project(valid), env: NO_ENGINE })
    expect(viaFlag.code).toBe(3)
    expect(envelope(viaFlag).error).toMatchObject({ code: 'DOCKER_UNAVAILABLE', hints: expect.arrayContaining([expect.stringContaining('sls-run doctor')]) })
    const viaConfig = await runCli(['dev'], { cwd: project('name: shop\nservices:\n  api:\n    image: ghcr.io/acme/api\n    dev: { runtime: docker, command: x }\n'), env: NO_ENGINE })
    expect(viaConfig.code).toBe(3)
    expect(viaConfig.stderr).toMatch(/DOCKER_UNAVAILABLE .*api runs in containers/)
  })

  it('a service without dev.command is a usage error naming the key', async () => {
    const r = await runCli(['dev', '--json', '--port', '0', '--admin-port', '0'], { cwd: project('name: shop\nservices:\n  api:\n    port: 8080\n') })
    expect(r.code).toBe(2)
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line)) // NDJSON events, then the error envelope
    expect(lines[0]).toMatchObject({ type: 'runtime', service: 'api', runtime: 'process' })
    expect(lines.at(-1).error).toMatchObject({ code: 'DEV_COMMAND_MISSING', hints: [expect.stringContaining('services.api.dev.command')] })
  })

  it('an unknown service name is a usage error', async () => {
    const r = await runCli(['dev', 'nope', '--json', '--port', '0', '--admin-port', '0'], { cwd: project(valid) })
    expect(r.code).toBe(2)
    expect(envelope(r).error).toMatchObject({ code: 'UNKNOWN_SERVICE' })
  })
})

describe('sls-run doctor without an engine', () => {
  it('exits 3 with the failed check and its fix', async () => {
    const r = await runCli(['doctor'], { env: NO_ENGINE, cwd: tempDir() })
    expect(r.code).toBe(3)
    expect(r.stdout).toMatch(/Docker engine\s+fail\s+no Docker engine answers at unix:\/\/\/nonexistent\/docker\.sock/)
    expect(r.stdout).toMatch(/fix Docker engine: Start the engine/)
    expect(r.stderr).toMatch(/error ENV_MISSING 1 required check failed: docker-engine/)
  })

  it('--json: one error envelope with every check in details', async () => {
    const r = await runCli(['doctor', '--json'], { env: NO_ENGINE, cwd: tempDir() })
    expect(r.code).toBe(3)
    const out = envelope(r)
    expect(out.error).toMatchObject({ code: 'ENV_MISSING' })
    const checks = out.error!.details.checks as Array<{ id: string; status: string }>
    expect(checks.find((c) => c.id === 'docker-engine')!.status).toBe('fail')
    expect(checks.find((c) => c.id === 'node')!.status).toBe('ok')
  })

  it('a refused TCP engine fails fast, too', async () => {
    const started = Date.now()
    const r = await runCli(['doctor', '--json'], { env: { DOCKER_HOST: 'tcp://127.0.0.1:1' }, cwd: tempDir() })
    expect(r.code).toBe(3)
    expect(envelope(r).error!.details.checks[1]).toMatchObject({ id: 'docker-engine', status: 'fail', detail: expect.stringMatching(/ECONNREFUSED/) })
    expect(Date.now() - started).toBeLessThan(15_000)
  })
})
