/** The shared deploy plumbing: how a refusal maps to a code, and a kubeconfig that must not leak into messages. */
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { apiError, type ApiResponse } from '../../src/core/deploy/api.js'
import { resolveKubeTarget } from '../../src/core/deploy/providers/knative/kubeconfig.js'
import { useTempDir } from '../helpers/temp.js'

const res = (status: number, json: unknown): ApiResponse => ({ status, headers: {}, json, text: JSON.stringify(json) })
const google = (code: number, status: string, message: string) => res(code, { error: { code, status, message } })

describe('apiError', () => {
  it.each([
    [google(429, 'RESOURCE_EXHAUSTED', "Quota exceeded for quota metric 'Write requests'"), 'DEPLOY_QUOTA'],
    [res(403, { kind: 'Status', reason: 'Forbidden', message: 'services "api" is forbidden: exceeded quota: compute-resources, requested: limits.cpu=1' }), 'DEPLOY_QUOTA'],
    [
      google(
        403,
        'PERMISSION_DENIED',
        'Your application is authenticating by using local Application Default Credentials. The run.googleapis.com API requires a quota project, which is not set by default.',
      ),
      'DEPLOY_PERMISSION_DENIED',
    ],
    [google(504, 'DEADLINE_EXCEEDED', 'Deadline exceeded'), 'DEPLOY_API'],
    [google(503, 'UNAVAILABLE', 'The service is currently unavailable; too many retries exceeded'), 'DEPLOY_API'],
    [res(400, { __type: 'LimitExceededException', message: 'Too many task definitions' }), 'DEPLOY_QUOTA'],
    [google(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'), 'DEPLOY_AUTH'],
    [google(404, 'NOT_FOUND', 'Project acme not found'), 'DEPLOY_NOT_FOUND'],
    [google(409, 'ABORTED', 'Conflict'), 'DEPLOY_CONFLICT'],
    [res(400, { error: { code: 'InvalidTemplate', message: 'cpuThrottling is not a property' } }), 'DEPLOY_API'],
  ])('%#: HTTP %s → the right code, the platform message kept', (response, code) => {
    const err = apiError('Test', 'do it', response)
    expect(err.code).toBe(code)
    expect(err.exitCode).toBe(1)
    expect(err.message).toContain(`HTTP ${response.status}`)
  })
})

describe('kubeconfig errors', () => {
  const tempDir = useTempDir()
  it('invalid YAML says where, never the line (it may hold a token or a key)', async () => {
    const home = tempDir()
    mkdirSync(path.join(home, '.kube'))
    writeFileSync(path.join(home, '.kube', 'config'), 'apiVersion: v1\nusers:\n- name: me\n  user:\n    token: sk-SECRET-TOKEN-123\n   bad: [indent\n')
    const err = await resolveKubeTarget({ HOME: home }, undefined).then(
      () => null,
      (e: Error & { code?: string; hints?: string[] }) => e,
    )
    expect(err).toMatchObject({ code: 'DEPLOY_CREDENTIALS' })
    expect(err!.message).toMatch(/is not valid YAML \(line \d+, column \d+\)/)
    expect(JSON.stringify({ message: err!.message, hints: err!.hints })).not.toContain('SECRET')
  })
})
