/**
 * The name a service gets on a platform (src/core/deploy/naming.ts), with a rule as strict as Azure Container
 * Apps' (2–32 characters, lowercase letters, digits and hyphens, a letter first, alphanumeric last, no `--`).
 * Each adapter's own rule is tested in its contract test.
 */
import { describe, expect, it } from 'vitest'
import { fits, platformName, type NameRule } from '../../src/core/deploy/naming.js'
import { SlsError } from '../../src/errors.js'

const rule: NameRule = {
  platform: 'Test Cloud',
  what: 'app',
  min: 2,
  max: 32,
  allowed: /^[a-z0-9-]$/,
  valid: /^[a-z](?!.*--)[a-z0-9-]*[a-z0-9]$/,
  describe: '2–32 lowercase letters, digits and hyphens, a letter first, no "--"',
  source: 'https://example.test/naming',
}

describe('platform names', () => {
  it('keeps a name that fits, with no warning', () => {
    expect(platformName('payments', rule)).toEqual({ name: 'payments' })
  })

  it.each(['a', 'payments-reconciliation-batch-processor1', 'my--svc', '9lives', 'api-'])('derives a fitting, stable name for %j and says so', (service) => {
    const first = platformName(service, rule)
    expect(fits(first.name, rule)).toBe(true)
    expect(first.name).not.toBe(service)
    expect(platformName(service, rule).name).toBe(first.name) // stable across deploys
    expect(first.warning).toMatchObject({ code: 'DEPLOY_NAME_DERIVED', setting: 'deployName' })
    expect(first.warning!.message).toContain(`"${service}" is deployed as "${first.name}"`)
  })

  it('keeps what it can of the name and tells apart names that share a prefix', () => {
    const a = platformName('payments-reconciliation-batch-processor1', rule).name
    const b = platformName('payments-reconciliation-batch-processor2', rule).name
    expect(a).toMatch(/^payments-reconciliation-b-[0-9a-f]{6}$/) // 25 + 1 + 6 = 32 characters
    expect(a).not.toBe(b)
    expect(platformName('my--svc', rule).name).toMatch(/^my-svc-[0-9a-f]{6}$/)
  })

  it('uses an explicit deployName as written, and refuses one that breaks the rule', () => {
    expect(platformName('payments-reconciliation-batch-processor1', rule, 'recon')).toEqual({ name: 'recon' })
    let error: unknown
    try {
      platformName('api', rule, 'Api_1')
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(SlsError)
    expect((error as SlsError).code).toBe('DEPLOY_NAME_INVALID')
    expect((error as SlsError).message).toMatch(/services\.api\.deployName: "Api_1" is not a valid Test Cloud app name/)
  })
})
