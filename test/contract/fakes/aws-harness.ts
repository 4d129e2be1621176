/**
 * What both ECS contract files (Fargate and Express) share: a fresh AWS fake per test, a deploy context
 * pointing every client at it (one attempt, no instance metadata), and the table of SDK faults → codes.
 */
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { DeployContext, DeployEvent } from '../../../src/core/deploy/types.js'
import { useTempDir } from '../../helpers/temp.js'
import { startAwsFake, type AwsFake } from './aws-fake.js'
import { failure } from './server.js'

export const KEY = { AWS_ACCESS_KEY_ID: 'AKIDFAKEENV0000000001', AWS_SECRET_ACCESS_KEY: 'env-secret' }

export interface AwsHarness {
  fake: AwsFake
  events: DeployEvent[]
  /** A real temp folder, removed after the test. */
  tempDir(): string
  ctx(extraEnv?: Record<string, string | undefined>, over?: Partial<DeployContext>): DeployContext
}

/** Registers beforeEach/afterEach; read `fake` and `events` inside tests (they change per test). */
export function useAwsFake(prefix: string, scenario: Parameters<typeof startAwsFake>[0] = {}): AwsHarness {
  const tempDir = useTempDir(prefix)
  const h = { events: [] as DeployEvent[], tempDir } as AwsHarness
  beforeEach(async () => {
    h.fake = await startAwsFake(scenario)
    h.events = []
  })
  afterEach(async () => {
    await h.fake.close()
  })
  h.ctx = (extraEnv = KEY, over = {}) => {
    const env: NodeJS.ProcessEnv = { HOME: tempDir(), AWS_EC2_METADATA_DISABLED: 'true', AWS_ENDPOINT_URL: h.fake.url, AWS_MAX_ATTEMPTS: '1', ...extraEnv }
    return { env, wait: true, timeoutMs: 5_000, pollIntervalMs: 5, emit: (e) => h.events.push(e), ...over }
  }
  return h
}

export interface FaultCase {
  operation: string
  type: string
  status: number
  message: string
  code: string
}

/** One test per case: the fault on that operation becomes `code`, with AWS's type and message, after one attempt. */
export function faultCases(h: AwsHarness, cases: FaultCase[], deploy: () => Promise<unknown>): void {
  for (const c of cases) {
    it(`${c.type} (${c.status}) on ${c.operation} → ${c.code}`, async () => {
      h.fake.faults.push({ operation: c.operation, type: c.type, status: c.status, message: c.message })
      const err = await failure(deploy())
      expect(err.code).toBe(c.code)
      expect(err.message).toContain(c.message)
      expect(err.message).toContain(c.type)
      expect(err.exitCode).toBe(1)
      // One attempt (AWS_MAX_ATTEMPTS=1): no retries of the failing call.
      expect(h.fake.calls(c.operation)).toHaveLength(1)
    })
  }
}
