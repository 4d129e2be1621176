import { describe, expect, it } from 'vitest'
import { nextRun, nextRuns, standardCron } from '../../src/core/cron.js'

const iso = (dates: Date[]) => dates.map((d) => d.toISOString())
const at = (s: string) => new Date(s)

describe('cron', () => {
  it('every minute: the next minute boundary, strictly after from', () => {
    expect(nextRun('* * * * *', 'Etc/UTC', at('2026-01-10T10:00:30.000Z'))?.toISOString()).toBe('2026-01-10T10:01:00.000Z')
    // A tick is never its own successor: from the tick itself, the next one is a minute later.
    expect(nextRun('* * * * *', 'Etc/UTC', at('2026-01-10T10:01:00.000Z'))?.toISOString()).toBe('2026-01-10T10:02:00.000Z')
    expect(iso(nextRuns('* * * * *', 'Etc/UTC', at('2026-01-10T10:00:00.001Z'), 3))).toEqual(['2026-01-10T10:01:00.000Z', '2026-01-10T10:02:00.000Z', '2026-01-10T10:03:00.000Z'])
  })

  it('a step: */15 fires on the quarter hours', () => {
    expect(iso(nextRuns('*/15 * * * *', 'Etc/UTC', at('2026-01-10T10:07:00Z'), 4))).toEqual([
      '2026-01-10T10:15:00.000Z',
      '2026-01-10T10:30:00.000Z',
      '2026-01-10T10:45:00.000Z',
      '2026-01-10T11:00:00.000Z',
    ])
  })

  it('a time zone: 0 9 * * * is 09:00 local, 14:00Z in New York winter and 13:00Z in summer, 09:00Z in UTC', () => {
    expect(nextRun('0 9 * * *', 'America/New_York', at('2026-01-10T00:00:00Z'))?.toISOString()).toBe('2026-01-10T14:00:00.000Z')
    expect(nextRun('0 9 * * *', 'America/New_York', at('2026-07-10T00:00:00Z'))?.toISOString()).toBe('2026-07-10T13:00:00.000Z')
    expect(nextRun('0 9 * * *', 'Etc/UTC', at('2026-01-10T00:00:00Z'))?.toISOString()).toBe('2026-01-10T09:00:00.000Z')
  })

  it('DST spring forward (Europe/Berlin 2026-03-29, 02:00 → 03:00): 30 2 * * * fires at 03:00 CEST, the first instant after the gap', () => {
    expect(iso(nextRuns('30 2 * * *', 'Europe/Berlin', at('2026-03-27T12:00:00Z'), 3))).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:00:00.000Z', // 02:30 does not exist: 03:00 CEST
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
    ])
  })

  it('DST fall back (Europe/Berlin 2026-10-25, 02:30 happens twice): 30 2 * * * fires once, at the first 02:30 (CEST)', () => {
    expect(iso(nextRuns('30 2 * * *', 'Europe/Berlin', at('2026-10-24T12:00:00Z'), 2))).toEqual([
      '2026-10-25T00:30:00.000Z', // 02:30 CEST; 01:30Z (02:30 CET) is not a tick
      '2026-10-26T01:30:00.000Z', // 02:30 CET
    ])
  })

  it('6 fields: seconds first (local extension)', () => {
    expect(iso(nextRuns('*/20 * * * * *', 'Etc/UTC', at('2026-01-10T10:00:00Z'), 3))).toEqual(['2026-01-10T10:00:20.000Z', '2026-01-10T10:00:40.000Z', '2026-01-10T10:01:00.000Z'])
    expect(nextRun('30 0 9 * * *', 'Etc/UTC', at('2026-01-10T00:00:00Z'))?.toISOString()).toBe('2026-01-10T09:00:30.000Z')
  })

  it('nicknames: @hourly, @daily, @weekly (Sunday), @monthly, @yearly', () => {
    const from = at('2026-01-10T10:20:00Z') // a Saturday
    expect(nextRun('@hourly', 'Etc/UTC', from)?.toISOString()).toBe('2026-01-10T11:00:00.000Z')
    expect(nextRun('@daily', 'Etc/UTC', from)?.toISOString()).toBe('2026-01-11T00:00:00.000Z')
    expect(nextRun('@weekly', 'Etc/UTC', from)?.toISOString()).toBe('2026-01-11T00:00:00.000Z')
    expect(nextRun('@monthly', 'Etc/UTC', from)?.toISOString()).toBe('2026-02-01T00:00:00.000Z')
    expect(nextRun('@yearly', 'Etc/UTC', from)?.toISOString()).toBe('2027-01-01T00:00:00.000Z')
    expect(nextRun('@daily', 'Asia/Tokyo', from)?.toISOString()).toBe('2026-01-10T15:00:00.000Z')
  })

  it('day of month and day of week both restricted: either matches (unix-cron)', () => {
    // 2026-01-13 is a Tuesday; the 15th is a Thursday.
    expect(iso(nextRuns('0 0 15 * 2', 'Etc/UTC', at('2026-01-12T00:00:00Z'), 3))).toEqual(['2026-01-13T00:00:00.000Z', '2026-01-15T00:00:00.000Z', '2026-01-20T00:00:00.000Z'])
  })

  it('an expression that never fires again: null, and no runs', () => {
    expect(nextRun('0 0 30 2 *', 'Etc/UTC', at('2026-01-01T00:00:00Z'))).toBeNull()
    expect(nextRuns('0 0 30 2 *', 'Etc/UTC', at('2026-01-01T00:00:00Z'), 3)).toEqual([])
  })

  it('rejects 7 fields (years are not part of the format)', () => {
    expect(() => nextRun('0 0 0 1 1 * 2030', 'Etc/UTC', at('2026-01-01T00:00:00Z'))).toThrow()
  })
})

describe('schedules in sls-run.yaml', () => {
  it('the config accepts exactly what the scheduler runs: a 7th field (a year) is refused at load, not at the first tick', async () => {
    const { configSchema } = await import('../../src/core/config/schema.js')
    const parse = (cron: string) => configSchema.safeParse({ name: 't', services: { api: { schedules: [{ name: 'j', cron }] } } })
    expect(parse('0 0 12 * * *').success).toBe(true)
    expect(parse('@daily').success).toBe(true)
    const seven = parse('0 0 12 * * * 2027')
    expect(seven.success).toBe(false)
    expect(JSON.stringify(seven.error?.issues)).toContain('5 or 6 parts')
  })
})

describe('standardCron (what the platforms’ schedulers read)', () => {
  it.each([
    ['@hourly', '0 * * * *'],
    ['@DAILY', '0 0 * * *'],
    ['*/5 * * * *', '*/5 * * * *'],
    ['0 9 ? * MON-FRI', '0 9 * * MON-FRI'],
    ['0 0 1 JUL *', '0 0 1 JUL *'],
  ])('%j → %j', (cron, fields) => expect(standardCron(cron)).toEqual({ fields }))

  it.each([
    ['*/30 * * * * *', /seconds field/],
    ['0 0 L * *', /L \/ W \/ #/],
    ['0 0 * * 5#2', /L \/ W \/ #/],
    ['0 0 15W * *', /L \/ W \/ #/],
    ['@reboot', /not a nickname/],
  ])('%j has no standard form', (cron, problem) => {
    const result = standardCron(cron)
    expect('problem' in result && result.problem).toMatch(problem)
  })
})
