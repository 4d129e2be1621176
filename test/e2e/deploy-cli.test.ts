/** `sls-run deploy`: the dry-run plan, the --json envelope, and coded errors (no engine, no network; the adapters' applies are in test/contract). */
import { copyFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { envelope, runCli } from '../helpers/cli.js'
import { useTempDir } from '../helpers/temp.js'

const FIXTURE = fileURLToPath(new URL('../fixtures/deploy/sls-run.yaml', import.meta.url))
const LOCAL_FIXTURE = fileURLToPath(new URL('../fixtures/deploy/local-sls-run.yaml', import.meta.url))
const IMAGE = `ghcr.io/acme/api@sha256:${'ab'.repeat(32)}`
const NO_STACK = /\n\s+at /

describe('sls-run deploy', () => {
  const tempDir = useTempDir('sls-run-deploy-e2e-')
  const project = () => {
    const dir = tempDir()
    copyFileSync(FIXTURE, path.join(dir, 'sls-run.yaml'))
    return dir
  }

  it('--dry-run prints the Knative manifest; warnings on stderr', async () => {
    const r = await runCli(['deploy', 'api', '--env', 'staging', '--dry-run', '--image', IMAGE], { cwd: project() })
    expect([r.code, r.stderr]).toEqual([0, ''])
    expect(r.stdout).toContain('apiVersion: serving.knative.dev/v1')
    expect(r.stdout).toContain('namespace: shop')
    expect(r.stdout).toContain(`image: ${IMAGE}`)
    expect(r.stdout).toContain('autoscaling.knative.dev/max-scale: "20"')
  })

  it('--json: one envelope with the plans', async () => {
    const r = await runCli(['deploy', 'api', '--env', 'prod', '--dry-run', '--image', IMAGE, '--platform', 'linux/arm64', '--json'], { cwd: project() })
    expect(r.code).toBe(0)
    const out = envelope(r)
    expect(out.status).toBe('ok')
    expect(out.result).toHaveLength(1)
    expect(out.result[0]).toMatchObject({ provider: 'cloud-run', service: 'api', image: IMAGE, target: { project: 'acme-prod', region: 'europe-west1' } })
    expect(out.result[0].steps.map((s: any) => s.method)).toEqual(['PATCH', 'POST'])
    expect(out.warnings).toEqual([expect.stringMatching(/^api: Cloud Run runs linux\/amd64 images only.*\[CLOUD_RUN_PLATFORM\]$/)])
  })

  it('errors carry codes and exit codes, never a stack', async () => {
    const cases: Array<[string[], number, string]> = [
      [['deploy', '--dry-run', '--image', IMAGE], 2, 'USAGE'], // --env is required
      [['deploy', '--env', 'prdo', '--dry-run', '--image', IMAGE], 2, 'CONFIG_UNKNOWN_ENV'],
      [['deploy', '--env', 'staging', '--dry-run'], 2, 'DEPLOY_IMAGE_REQUIRED'],
      [['deploy', 'api', '--env', 'staging', '--dry-run', '--image', 'ghcr.io/acme/api:v1'], 2, 'DEPLOY_IMAGE_NOT_DIGEST'],
      [['deploy', 'nope', '--env', 'staging', '--dry-run', '--image', IMAGE], 2, 'UNKNOWN_SERVICE'],
      // No kubeconfig in an empty HOME: an environment problem, before anything is sent.
      [['deploy', 'api', '--env', 'staging', '--image', IMAGE], 3, 'DEPLOY_CREDENTIALS'],
      [['deploy', 'api', '--env', 'staging', '--image', IMAGE, '--timeout', 'soon'], 2, 'USAGE'],
      [['deploy', 'status', '--env', 'prdo'], 2, 'CONFIG_UNKNOWN_ENV'],
      // Removing is destructive: without a terminal to ask on it needs --yes.
      [['deploy', 'remove', 'api', '--env', 'staging'], 2, 'CONFIRMATION_REQUIRED'],
    ]
    const dir = project()
    const env = { HOME: tempDir() }
    for (const [args, code, errorCode] of cases) {
      const r = await runCli(args, { cwd: dir, env })
      expect([r.code, r.stdout], args.join(' ')).toEqual([code, ''])
      expect(r.stderr, args.join(' ')).toContain(`error ${errorCode} `)
      expect(r.stderr).not.toMatch(NO_STACK)
      const json = await runCli([...args, '--json'], { cwd: dir, env })
      expect(json.code).toBe(code)
      expect(envelope(json)).toMatchObject({ status: 'error', error: { code: errorCode } })
    }
  }, 90_000)

  it('the missing-image error points at push for the digest; missing credentials name where they are read from', async () => {
    const dir = project()
    const missing = await runCli(['deploy', '--env', 'staging', '--dry-run'], { cwd: dir })
    expect(missing.stderr).toContain('sls-run push --json | tail -n 1')
    const apply = await runCli(['deploy', 'api', '--env', 'staging', '--image', IMAGE], { cwd: dir, env: { HOME: tempDir() } })
    expect(apply.stderr).toMatch(/KUBECONFIG|kubeconfig/)
  })

  it('an image only this machine can pull: DEPLOY_IMAGE_LOCAL, exit 2, before credentials or an engine; --dry-run warns', async () => {
    const dir = tempDir()
    copyFileSync(LOCAL_FIXTURE, path.join(dir, 'sls-run.yaml'))
    const env = { HOME: tempDir(), DOCKER_HOST: 'tcp://127.0.0.1:9' }
    const local = `127.0.0.1:18500/acme/web@sha256:${'ab'.repeat(32)}`
    for (const args of [
      ['deploy', 'web', '--env', 'run', '--image', local],
      ['deploy', 'api', '--env', 'kn'],
    ]) {
      const r = await runCli([...args, '--json'], { cwd: dir, env })
      expect(r.code, args.join(' ')).toBe(2)
      const out = envelope(r)
      expect(out.error).toMatchObject({ code: 'DEPLOY_IMAGE_LOCAL', message: expect.stringContaining('127.0.0.1:18500') })
      expect(out.error!.hints.join(' ')).toMatch(/push/i)
      const text = await runCli(args, { cwd: dir, env })
      expect([text.code, text.stdout]).toEqual([2, ''])
      expect(text.stderr).toContain('error DEPLOY_IMAGE_LOCAL ')
      expect(text.stderr).not.toMatch(NO_STACK)
    }
    const dry = await runCli(['deploy', 'web', '--env', 'run', '--image', local, '--dry-run', '--json'], { cwd: dir, env })
    expect(dry.code).toBe(0)
    const out = envelope(dry)
    expect(out.result[0].image).toBe(local)
    expect(out.warnings).toContainEqual(expect.stringMatching(/^web: .*127\.0\.0\.1:18500.*\[DEPLOY_IMAGE_LOCAL\]$/))
    expect(out.result[0].defaults).toContainEqual(expect.objectContaining({ setting: 'scaling.maxInstances', value: '100' }))
  }, 60_000)
})
