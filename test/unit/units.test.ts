import { describe, expect, it } from 'vitest'
import { durationHint, formatDuration, formatSize, parseDuration, parseSize, sizeHint } from '../../src/core/config/units.js'
import { closest, editDistance } from '../../src/core/config/suggest.js'

describe('durations', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['0ms', 0],
  ])('%s = %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms))
  it.each(['60', '1.5s', '5 s', '5S', '-1s', '1d', 's', '', '1h30m'])('rejects %j', (text) => expect(parseDuration(text)).toBeUndefined())
  it('formats the shortest exact unit', () => {
    expect([90_000, 1500, 3_600_000, 120_000].map(formatDuration)).toEqual(['90s', '1500ms', '1h', '2m'])
  })
  it('hints at the fix', () => {
    expect(durationHint('60')).toMatch(/"60s"/)
    expect(durationHint('1.5s')).toMatch(/1500ms/)
  })
})

describe('sizes', () => {
  it.each([
    ['512Mi', 512 * 1024 ** 2],
    ['1Gi', 1024 ** 3],
    ['150MB', 150e6],
    ['1.5Gi', 1.5 * 1024 ** 3],
    ['100B', 100],
    ['2G', 2e9],
  ])('%s = %d bytes', (text, bytes) => expect(parseSize(text)).toBe(bytes))
  it.each(['512', '512mb', '1 Gi', 'Mi', '-1Mi', '1gi'])('rejects %j', (text) => expect(parseSize(text)).toBeUndefined())
  it('formats binary units', () => expect([512 * 1024 ** 2, 1536, 10].map(formatSize)).toEqual(['512Mi', '1.5Ki', '10B']))
  it('hints at case-sensitive units', () => expect(sizeHint('1gb')).toMatch(/"1Gi" \(binary\) or "1GB"/))
})

describe('did you mean', () => {
  it('finds close spellings and transpositions', () => {
    expect(closest('concurency', ['concurrency', 'timeout'])).toBe('concurrency')
    expect(closest('imgae', ['image', 'port'])).toBe('image')
    expect(closest('PORT', ['port'])).toBe('port')
  })
  it('suggests nothing when nothing is close', () => expect(closest('flavour', ['image', 'port', 'build'])).toBeUndefined())
  it('counts an adjacent swap as one edit', () => expect(editDistance('ab', 'ba')).toBe(1))
})
