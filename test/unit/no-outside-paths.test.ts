/**
 * No dangling references: nothing in README.md, docs/, src/, templates/ or bench/ points outside the
 * repository (the planning notes beside a checkout, `../shared`, EMULATION.md, DESIGN.md, a relative path
 * that climbs above the root, this checkout's absolute path), and what package.json points to exists (after
 * the build: the unit tests run after `npm run build`). Every finding is reported at once, as file:line.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { linksIn, REPO_ROOT } from '../helpers/markdown-links.js'

const SCANNED = ['README.md', 'docs', 'src', 'templates', 'bench']
const SKIPPED_DIRS = new Set(['node_modules', '.git'])
/** Names of what lives outside the repository, beside a checkout: never to be referred to. */
const OUTSIDE_NAMES = ['../shared', 'EMULATION.md', 'DESIGN.md']

const root = REPO_ROOT.replace(/\/$/, '')
const rel = (absolute: string) => path.relative(root, absolute).split(path.sep).join('/')
const climbsOut = (fromFile: string, relative: string) => {
  const target = rel(path.resolve(root, path.dirname(fromFile), relative))
  return target === '..' || target.startsWith('../')
}

/** Every file under the given entries (relative, `/`-separated, sorted), without node_modules and .git. */
function filesUnder(entries: string[]): string[] {
  const out: string[] = []
  const walk = (relative: string) => {
    const absolute = path.join(root, relative)
    if (!existsSync(absolute)) return
    if (!statSync(absolute).isDirectory()) return void out.push(relative)
    for (const entry of readdirSync(absolute, { withFileTypes: true })) {
      if (entry.isDirectory() && SKIPPED_DIRS.has(entry.name)) continue
      walk(path.posix.join(relative, entry.name))
    }
  }
  entries.forEach(walk)
  return out.sort()
}

const lineAt = (text: string, index: number) => text.slice(0, index).split('\n').length

/** What in a file refers to a place outside the repository, as `file:line: …`. */
function outsideReferences(file: string, text: string): string[] {
  const found: string[] = []
  for (const name of [...OUTSIDE_NAMES, root, path.join(path.dirname(root), 'shared')]) {
    for (let i = text.indexOf(name); i !== -1; i = text.indexOf(name, i + name.length)) found.push(`${file}:${lineAt(text, i)}: mentions ${name === root ? "this checkout's absolute path" : name}`)
  }
  if (file.endsWith('.md')) {
    for (const link of linksIn(text, file)) {
      if (!/^[a-z][a-z0-9+.-]*:|^\/\/|^#/i.test(link.target) && climbsOut(file, link.target.split('#')[0]!)) found.push(`${file}:${link.line}: links to ${link.target}, outside the repository`)
    }
  } else {
    // a string literal that starts with ../ (an import, a URL relative to import.meta.url, a path)
    for (const m of text.matchAll(/(['"`])(\.\.\/[^'"`\n]*)\1/g)) {
      if (climbsOut(file, m[2]!)) found.push(`${file}:${lineAt(text, m.index)}: ${m[1]}${m[2]}${m[1]} climbs above the repository root`)
    }
  }
  return found
}

const isText = (buffer: Buffer) => !buffer.subarray(0, 8000).includes(0)

describe('nothing refers to a path outside the repository', () => {
  it('README.md, docs/, src/, templates/ and bench/ name nothing beside the checkout', () => {
    const found: string[] = []
    for (const file of filesUnder(SCANNED)) {
      const buffer = readFileSync(path.join(root, file))
      if (isText(buffer)) found.push(...outsideReferences(file, buffer.toString('utf8')))
    }
    expect(found).toEqual([])
  })

  it('the check finds the mentions, the links and the literals that leave the repository', () => {
    const text = ["// see EMULATION.md ('Billing')", "import x from '../../../x.js'", "const ok = new URL('../..', import.meta.url)"].join('\n')
    expect(outsideReferences('src/a/b.ts', text)).toEqual(['src/a/b.ts:1: mentions EMULATION.md', "src/a/b.ts:2: '../../../x.js' climbs above the repository root"])
    expect(outsideReferences('docs/a.md', '[x](../README.md) [y](../../shared/DESIGN.md#3)\n')).toEqual([
      'docs/a.md:1: mentions ../shared',
      'docs/a.md:1: mentions DESIGN.md',
      'docs/a.md:1: links to ../../shared/DESIGN.md#3, outside the repository',
    ])
  })
})

/** A package.json `files` / `exports` pattern as a regular expression over `/`-separated relative paths. */
const globToRegExp = (pattern: string) =>
  new RegExp(
    `^${pattern
      .replace(/^\.\//, '')
      .replace(/\/$/, '')
      .split(/(\*\*\/|\*\*|\*|\?)/)
      .map((part) => ({ '**/': '(?:.*/)?', '**': '.*', '*': '[^/]*', '?': '[^/]' })[part] ?? part.replace(/[.+^${}()|[\]\\]/g, '\\$&'))
      .join('')}(?:/.*)?$`,
  )

describe('package.json points to what exists (after the build)', () => {
  const pjson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    main?: string
    exports?: unknown
    files?: string[]
    bin?: string | Record<string, string>
    oclif?: { commands?: string; hooks?: Record<string, string | string[]>; helpClass?: string }
  }
  const all = filesUnder(readdirSync(root).filter((name) => !SKIPPED_DIRS.has(name)))
  const matches = (pattern: string) => existsSync(path.join(root, pattern)) || all.some((file) => globToRegExp(pattern).test(file))
  const exportTargets = (exports: unknown): string[] =>
    typeof exports === 'string' ? [exports] : Array.isArray(exports) ? exports.flatMap(exportTargets) : exports && typeof exports === 'object' ? Object.values(exports).flatMap(exportTargets) : []

  it('main, exports, bin and the oclif entries name files of the built package', () => {
    const pointed: Array<[string, string]> = []
    if (pjson.main !== undefined) pointed.push(['main', pjson.main])
    for (const target of exportTargets(pjson.exports)) pointed.push(['exports', target])
    for (const [name, target] of Object.entries(typeof pjson.bin === 'string' ? { bin: pjson.bin } : (pjson.bin ?? {}))) pointed.push([`bin.${name}`, target])
    if (pjson.oclif?.commands) pointed.push(['oclif.commands', pjson.oclif.commands])
    for (const [hook, targets] of Object.entries(pjson.oclif?.hooks ?? {})) for (const target of [targets].flat()) pointed.push([`oclif.hooks.${hook}`, `${target.replace(/\.js$/, '')}.js`])
    if (pjson.oclif?.helpClass) pointed.push(['oclif.helpClass', `${pjson.oclif.helpClass.replace(/\.js$/, '')}.js`])
    expect(pointed.length).toBeGreaterThan(0)
    const missing = pointed.filter(([, target]) => (target.includes('*') ? !matches(target) : !existsSync(path.join(root, target)))).map(([key, target]) => `${key}: ${target}`)
    expect(missing).toEqual([])
  })

  it('each `files` entry (a negation too) matches something, and the docs are packed', () => {
    const files = pjson.files ?? []
    expect(files).toEqual(expect.arrayContaining(['docs', 'schema', 'templates', 'oclif.manifest.json']))
    expect(files.filter((entry) => !matches(entry.replace(/^!/, '')))).toEqual([])
  })

  it('the pattern matcher knows files entries', () => {
    expect(globToRegExp('!dist/**/*.d.ts'.slice(1)).test('dist/cli/help.d.ts')).toBe(true)
    expect(globToRegExp('dist/**/*.d.ts').test('dist/help.d.ts')).toBe(true)
    expect(globToRegExp('dist/**/*.d.ts').test('dist/cli/help.js')).toBe(false)
    expect(globToRegExp('docs').test('docs/deploy/README.md')).toBe(true)
    expect(globToRegExp('docs').test('docsx/a.md')).toBe(false)
  })
})
