import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { compareVersions } from '../../src/core/doctor/doctor.js'
import { summarizeDockerConfig } from '../../src/core/registry/docker-config.js'
import { resolveEndpoint } from '../../src/runtime/docker/engine.js'
import { useTempDir } from '../helpers/temp.js'

const tempDir = useTempDir()

describe('engine endpoint', () => {
  it('uses DOCKER_HOST unix sockets as given', () => {
    expect(resolveEndpoint({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })).toEqual({
      url: 'unix:///run/user/1000/docker.sock',
      local: true,
      options: { socketPath: '/run/user/1000/docker.sock' },
    })
  })
  it('parses tcp hosts, with the TLS port when DOCKER_TLS_VERIFY is set', () => {
    expect(resolveEndpoint({ DOCKER_HOST: 'tcp://10.0.0.5:2375' }).options).toMatchObject({ host: '10.0.0.5', port: 2375, protocol: 'http' })
    expect(resolveEndpoint({ DOCKER_HOST: 'tcp://build-box', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/nonexistent' }).options).toMatchObject({ host: 'build-box', port: 2376, protocol: 'https' })
    expect(resolveEndpoint({ DOCKER_HOST: 'tcp://[::1]:2375' }).options).toMatchObject({ host: '::1', port: 2375 })
  })
  it('refuses addresses it cannot use, as a usage error', () => {
    expect(() => resolveEndpoint({ DOCKER_HOST: 'ssh://me@box' })).toThrow(expect.objectContaining({ code: 'DOCKER_HOST_INVALID', exitCode: 2 }))
  })
  it('falls back to a socket that exists', () => {
    const dir = tempDir()
    writeFileSync(path.join(dir, 'docker.sock'), '')
    const endpoint = resolveEndpoint({ XDG_RUNTIME_DIR: dir })
    expect(endpoint.local).toBe(true)
    expect(['/var/run/docker.sock', path.join(dir, 'docker.sock')]).toContain(endpoint.options.socketPath)
  })
})

describe('docker config summary', () => {
  it('lists registries and helpers, never secrets', async () => {
    const dir = tempDir()
    mkdirSync(dir, { recursive: true })
    writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({ auths: { 'ghcr.io': { auth: Buffer.from('me:s3cr3t-Pa55').toString('base64') }, 'gcr.io': {} }, credHelpers: { 'gcr.io': 'gcloud' } }),
    )
    const summary = await summarizeDockerConfig({ DOCKER_CONFIG: dir })
    expect(summary.registries).toEqual([
      { registry: 'gcr.io', source: 'credHelpers', helper: 'gcloud' },
      { registry: 'ghcr.io', source: 'auths' },
    ])
    expect(JSON.stringify(summary)).not.toMatch(/s3cr3t|bWU6/)
  })
  it('reports a broken file instead of throwing', async () => {
    const dir = tempDir()
    writeFileSync(path.join(dir, 'config.json'), '{ nope')
    expect((await summarizeDockerConfig({ DOCKER_CONFIG: dir })).error).toMatch(/not valid JSON/)
  })
})

describe('version comparison', () => {
  it('orders dotted versions numerically', () => {
    expect(compareVersions('20.19.0', '20.9.1')).toBe(1)
    expect(compareVersions('v20.19.0', '20.19.0')).toBe(0)
    expect(compareVersions('1.41', '1.40')).toBe(1)
    expect(compareVersions('20.10.24+dfsg1', '23.0')).toBe(-1)
  })
})
