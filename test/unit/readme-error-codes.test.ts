/**
 * README.md stays true: every error code the source can raise (`new SlsError('CODE'`) is listed in its
 * reference, so a user who sees one can look it up.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []))
}

describe('README error codes', () => {
  it('lists every code raised in src/', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    const codes = new Set<string>()
    for (const file of sources(path.join(ROOT, 'src'))) for (const m of readFileSync(file, 'utf8').matchAll(/new SlsError\(\s*'([A-Z][A-Z0-9_]+)'/g)) codes.add(m[1]!)
    expect(codes.size).toBeGreaterThan(30)
    expect([...codes].filter((code) => !readme.includes(`\`${code}\``))).toEqual([])
  })
})
