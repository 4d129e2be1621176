/** doctor against the real Docker engine (provisioned by scripts/provision.sh). */
import { execFileSync } from 'node:child_process'
import { describe, expect, inject, it } from 'vitest'
import { envelope, runCli } from '../helpers/cli.js'

describe.skipIf(!inject('engine'))('sls-run doctor with a Docker engine', () => {
  it('reports the engine the Docker CLI sees, and exits 0', async () => {
    const r = await runCli(['doctor', '--json'], { env: { DOCKER_HOST: process.env.DOCKER_HOST } })
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const { result } = envelope(r)
    const serverVersion = execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8' }).trim()
    const apiVersion = execFileSync('docker', ['version', '--format', '{{.Server.APIVersion}}'], { encoding: 'utf8' }).trim()
    expect(result.engine.version).toBe(serverVersion)
    expect(result.engine.apiVersion).toBe(apiVersion)
    const byId = Object.fromEntries(result.checks.map((c: { id: string }) => [c.id, c]))
    expect(byId['docker-engine'].status).toBe('ok')
    expect(byId['docker-api'].status).toBe('ok')
    expect(['ok', 'warn']).toContain(byId.buildkit.status)
    expect(byId['docker-disk'].detail).toContain(result.engine.rootDir)
    // A local engine on Linux (as in CI): instances are reached on the bridge, no userland port proxy.
    expect(byId['container-network']).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^bridge: instances are reached at their container IPs/) })
  })

  it('prints a table of checks on stdout in human mode', async () => {
    const r = await runCli(['doctor'], { env: { DOCKER_HOST: process.env.DOCKER_HOST } })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^CHECK\s+STATUS\s+DETAIL\n/)
    expect(r.stdout).toMatch(/Docker engine\s+ok\s+\S+/)
  })
})

describe.skipIf(!inject('engine'))('debug output', () => {
  it('--verbose and SLS_RUN_LOG=debug print debug lines on stderr, never on stdout', async () => {
    for (const [args, env] of [
      [['doctor', '--verbose', '--json'], {}],
      [['doctor', '--json'], { SLS_RUN_LOG: 'debug' }],
    ] as const) {
      const r = await runCli([...args], { env: { DOCKER_HOST: process.env.DOCKER_HOST, ...env } })
      expect(r.stderr).toMatch(/^debug engine: \{/m)
      expect(envelope(r).status).toBe('ok')
    }
    const quiet = await runCli(['doctor', '--json'], { env: { DOCKER_HOST: process.env.DOCKER_HOST } })
    expect(quiet.stderr).not.toMatch(/debug/)
  })
})
