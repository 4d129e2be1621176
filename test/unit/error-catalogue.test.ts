/**
 * The error catalogue (src/error-codes.ts) stays true: every code the sources throw or emit is in it, every
 * entry is still used and reached by at least one test, the exit codes it states are the ones the
 * call sites pass, and the docs pages it links exist in docs/. (The ErrorCode type does the rest: `new SlsError('TYPO', …)` does not compile.)
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { CATALOGUE, ERROR_AREAS, ERROR_CODES, docsOf, errorsMarkdown, exitsOf, isErrorCode, kindsOf, type ErrorCode } from '../../src/error-codes.js'
import { ExitCode, SlsError } from '../../src/errors.js'
import { resolveLink } from '../helpers/markdown-links.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CATALOGUE_FILE = path.join(ROOT, 'src', 'error-codes.ts')
const THIS_FILE = fileURLToPath(import.meta.url)

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []))
}
const sources = files(path.join(ROOT, 'src')).filter((f) => f !== CATALOGUE_FILE)
const text = new Map(sources.map((f) => [f, readFileSync(f, 'utf8')]))
const rel = (file: string) => path.relative(ROOT, file)

const LITERAL = "'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)'"

/**
 * Codes that are not sls-run's but sit beside the word `code` in the sources: Node's errno codes
 * (ENOENT…), HTTP methods, the YAML parser's error codes, AWS ECS service states.
 */
const FOREIGN = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'DUPLICATE_KEY', 'TAB_AS_INDENT', 'MULTIPLE_DOCS', 'ACTIVE', 'DRAINING', 'INACTIVE'])
const foreign = (code: string) => FOREIGN.has(code) || /^E[A-Z]+$/.test(code)

/** The end (index of the closing parenthesis) of the call whose `(` is at `open`, skipping strings and comments. */
function closing(source: string, open: number): number {
  const braces: number[] = [] // for each open `${`, the depth of braces inside it
  let depth = 0
  let i = open
  let quote: string | undefined // ', " or ` when inside a string
  while (i < source.length) {
    const c = source[i]!
    if (quote) {
      if (c === '\\') i++
      else if (c === quote) quote = undefined
      else if (quote === '`' && c === '$' && source[i + 1] === '{') {
        braces.push(0)
        quote = undefined
        i++
      }
    } else if (c === '/' && source[i + 1] === '/') i = source.indexOf('\n', i)
    else if (c === '/' && source[i + 1] === '*') i = source.indexOf('*/', i) + 1
    else if (c === "'" || c === '"' || c === '`') quote = c
    else if (c === '{' && braces.length) braces[braces.length - 1]!++
    else if (c === '}' && braces.length) {
      if (braces[braces.length - 1] === 0) {
        braces.pop()
        quote = '`'
      } else braces[braces.length - 1]!--
    } else if (c === '(') depth++
    else if (c === ')' && --depth === 0) return i
    i++
  }
  throw new Error(`unbalanced call at ${open}`)
}

interface Site {
  code: string
  where: string
  /** `ExitCode.usage` → 2; undefined when the call passes none (SlsError's default, 1); null when it passes an expression. */
  exit: number | undefined | null
}

/** Every `new SlsError('CODE', …)` in src/, with the exit code it passes. */
function thrown(): Site[] {
  const sites: Site[] = []
  for (const [file, source] of text) {
    for (const m of source.matchAll(new RegExp(`new SlsError\\(\\s*${LITERAL}`, 'g'))) {
      const open = m.index + 'new SlsError'.length
      let call = source.slice(open, closing(source, open) + 1)
      const details = /\bdetails:\s*\{/.exec(call) // its own `exitCode` (a child process's) is not the error's
      if (details)
        call =
          call.slice(0, details.index) +
          call.slice(
            closing(
              call.replace(/[{}]/g, (b) => (b === '{' ? '(' : ')')),
              details.index + details[0].length - 1,
            ) + 1,
          )
      const exit = /\bexitCode:\s*ExitCode\.(\w+)\b/.exec(call)?.[1]
      const where = `${rel(file)}:${source.slice(0, m.index).split('\n').length}`
      sites.push({ code: m[1]!, where, exit: exit ? ExitCode[exit as keyof typeof ExitCode] : /\bexitCode:/.test(call) ? null : undefined })
    }
  }
  return sites
}

/**
 * Codes emitted without `new SlsError`: diagnostics and events (`code: 'CODE'` in an object; a deploy
 * plan's warnings, which carry `setting:`, are not catalogued), and codes chosen in an expression on a
 * line about a `code` (`const code = … ? 'STARTUP_PROBE_TIMEOUT' : …`, `failStart(slot, 'CODE', …)`).
 */
function emitted(): Array<{ code: string; where: string }> {
  const found: Array<{ code: string; where: string }> = []
  for (const [file, source] of text) {
    for (const m of source.matchAll(new RegExp(`\\bcode:\\s*${LITERAL}`, 'g'))) {
      const object = source.slice(m.index, source.indexOf('}', m.index))
      if (/\bsetting:/.test(object)) continue
      found.push({ code: m[1]!, where: `${rel(file)}:${source.slice(0, m.index).split('\n').length}` })
    }
    source.split('\n').forEach((line, i) => {
      if (!/\bcode\b/.test(line) || /^\s*(\/\/|\*|\/\*)/.test(line)) return
      const rest = line.replace(new RegExp(`\\bcode:\\s*${LITERAL}`, 'g'), '') // objects: above
      for (const m of rest.matchAll(new RegExp(LITERAL, 'g'))) if (!foreign(m[1]!)) found.push({ code: m[1]!, where: `${rel(file)}:${i + 1}` })
    })
  }
  return found
}

describe('error catalogue', () => {
  it('holds every code thrown in src/ (new SlsError)', () => {
    const sites = thrown()
    expect(sites.length).toBeGreaterThan(100)
    expect(sites.filter((s) => !isErrorCode(s.code)).map((s) => `${s.code} (${s.where})`)).toEqual([])
  })

  it('holds every code emitted in src/ as a diagnostic, an event or a choice of code', () => {
    const found = emitted()
    expect(found.map((f) => f.code)).toEqual(
      expect.arrayContaining(['CONFIG_SYNTAX', 'CONFIG_UNKNOWN_KEY', 'CONFIG_ENV_FILE_MISSING', 'STARTUP_PROBE_TIMEOUT', 'INSTANCE_EXITED_BEFORE_READY', 'DEV_RELOAD_LOOP', 'INTERNAL']),
    )
    expect(found.filter((f) => !isErrorCode(f.code)).map((f) => `${f.code} (${f.where})`)).toEqual([])
  })

  it('has no entry the sources no longer use', () => {
    const all = [...text.values()].join('\n')
    expect(ERROR_CODES.filter((code) => !all.includes(`'${code}'`))).toEqual([])
  })

  it('states the exit codes the call sites pass', () => {
    const wrong = thrown()
      .filter((s) => s.exit !== null && isErrorCode(s.code) && kindsOf(s.code).includes('error'))
      .filter((s) => !exitsOf(s.code as ErrorCode).includes((s.exit ?? ExitCode.failure) as ExitCode))
      .map((s) => `${s.code} exits ${s.exit ?? `${ExitCode.failure} (default)`} at ${s.where}, the catalogue says ${exitsOf(s.code as ErrorCode).join(' or ') || 'none'}`)
    expect(wrong).toEqual([])
  })

  it('has, for each entry, one line of meaning and of hint, a known area, and an exit unless it never ends a command', () => {
    const areas = new Set(ERROR_AREAS.map(([area]) => area))
    for (const code of ERROR_CODES) {
      const entry = CATALOGUE[code]
      expect(entry.meaning, code).toMatch(/^\S[^\n]*$/)
      expect(entry.hint, code).toMatch(/^\S[^\n]*$/)
      expect(areas.has(entry.area), code).toBe(true)
      if (kindsOf(code).includes('error')) expect(exitsOf(code).length, code).toBeGreaterThan(0)
    }
  })

  it('links, where it names one, a page of docs/ (and a heading of it for an #anchor)', () => {
    const linked = ERROR_CODES.filter((code) => docsOf(code) !== undefined)
    expect(linked.length).toBeGreaterThan(ERROR_CODES.length / 2)
    const problems = linked.flatMap((code) => {
      const target = docsOf(code)!
      const problem = /^[\w./-]+\.md(#[\w-]+)?$/.test(target) ? resolveLink('docs/errors.md', target).problem : 'not a page of docs/ with an optional #anchor'
      return problem ? [`${code} → ${target}: ${problem}`] : []
    })
    expect(problems).toEqual([])
  })

  it('links the docs page of each code in docs/errors.md, relative to docs/', () => {
    const markdown = errorsMarkdown()
    expect(markdown).toContain('| `DOCKER_UNAVAILABLE` | error | 3 | ')
    expect(markdown).toMatch(/\| `DOCKER_UNAVAILABLE` \|[^\n]*\| \[troubleshooting\.md#no-docker-engine\]\(troubleshooting\.md#no-docker-engine\) \|\n/)
    expect(markdown).toMatch(/\| `ABORTED` \|[^\n]*\| — \|\n/)
  })

  it('is reached by the tests: each code appears in some test file', () => {
    const tests = files(path.join(ROOT, 'test'))
      .filter((f) => f !== THIS_FILE)
      .map((f) => readFileSync(f, 'utf8'))
    const mentioned = (code: string) => tests.some((t) => new RegExp(`(?<![A-Z0-9_])${code}(?![A-Z0-9_])`).test(t))
    expect(ERROR_CODES.filter((code) => !mentioned(code))).toEqual([])
  })

  it('is the type of SlsError codes', () => {
    // @ts-expect-error a code that is not in the catalogue does not compile
    const typo = new SlsError('DEPLOY_TIMEDOUT', 'm')
    expect(isErrorCode(typo.code)).toBe(false)
    expect(isErrorCode('DEPLOY_TIMEOUT')).toBe(true)
    expect(isErrorCode('toString')).toBe(false)
  })
})
