/**
 * `.dockerignore`, read and matched as Docker does: docker/cli and BuildKit both read it with
 * moby/patternmatcher's `ignorefile.ReadAll` and match with `patternmatcher` (`MatchesOrParentMatches`:
 * the last matching line wins, and a pattern matching a folder matches everything inside it).
 * Pure, no I/O. The Dockerfile and `.dockerignore` get no special case here: Docker sends them even
 * when they are listed, and the context packer force-includes them.
 *
 * Deliberate differences, in patterns nobody writes: Docker turns a wildcard pattern into a Go regexp
 * almost verbatim, so there `\` before a letter is a regexp escape (`a\b` matches `a`), `*` / `?` inside
 * `[...]` become regexp syntax, `^` is an anchor (`^foo*` matches `foo`) and `[[:alpha:]]` a POSIX
 * class. Here `\x` is always the literal x, `*` `?` `^` inside a class are members, `^` is literal.
 * Also, the classic (non-BuildKit) builder skips an excluded folder unless a `!` pattern starts with
 * its path, so there `*` then `!doc?/README.md` drops `docs/README.md` (docker/cli#2919); BuildKit
 * (fsutil), like this module, sends it.
 */
import { SlsError } from '../../errors.js'

export interface IgnoreRule {
  /** Cleaned, without the leading `!`. */ pattern: string
  /** A `!` exception: a match re-includes the path. */ negate: boolean
  /** 1-based line in the file. */ line: number
}

// Go's strings.TrimSpace (unicode.IsSpace); String#trim differs (it strips U+FEFF, keeps U+0085).
const SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000'
const TRIM = new RegExp(`^[${SPACE}]+|[${SPACE}]+$`, 'gu')
const goTrim = (s: string): string => s.replace(TRIM, '')

/** Go's filepath.Clean: collapse `//`, drop `.`, resolve `..` lexically, no trailing `/`; '' is '.'. */
function goClean(p: string): string {
  const rooted = p.startsWith('/')
  const out: string[] = []
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue
    if (seg !== '..') out.push(seg)
    else if (out.length > 0 && out.at(-1) !== '..') out.pop()
    else if (!rooted) out.push('..') // `/..` is `/`
  }
  return (rooted ? '/' : '') + out.join('/') || '.'
}

const invalid = (line: number, text: string, problem: string) =>
  new SlsError('DOCKERIGNORE_INVALID', `.dockerignore line ${line}: ${problem}: ${JSON.stringify(goTrim(text))}`, {
    details: { line, pattern: goTrim(text) },
    hints: ['Docker rejects this line too. Escape a literal [ ] * ? or \\ with a backslash, e.g. \\[.'],
  })

/**
 * Reads the file as ignorefile.ReadAll then patternmatcher.New do, step for step: split on `\n`, one
 * trailing `\r` dropped, a UTF-8 BOM dropped from line 1; a comment is a line whose very first
 * character is `#` (`  # x` is the pattern `# x`); trim, skip blank lines; a leading `!` is an
 * exception (trimmed again after it); filepath.Clean, then one leading `/` dropped (`/foo` = `foo`,
 * `foo/` = `foo`; `/` alone stays). New then trims and cleans `!`+pattern again and looks at the `!`
 * once more, so `/!foo` is, as in Docker, an exception for `foo`. `.`, `/`, `..`, `../x` are kept, as
 * Docker keeps them, and match nothing in the context (the docs' "the pattern `.` is ignored").
 * @throws SlsError DOCKERIGNORE_INVALID for an exception with nothing after the `!` (`!`, `! `, `!/`),
 * Docker's `illegal exclusion pattern`.
 */
export function parseDockerignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = []
  text.split('\n').forEach((raw, index) => {
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (index === 0 && line.startsWith('\uFEFF')) line = line.slice(1)
    let pattern = line.startsWith('#') ? '' : goTrim(line)
    if (pattern === '') return
    const bang = pattern.startsWith('!')
    if (bang) pattern = goTrim(pattern.slice(1))
    if (pattern !== '') pattern = goClean(pattern).replace(/^\/(?=.)/u, '')
    const entry = goTrim((bang ? '!' : '') + pattern)
    if (entry === '') return
    const cleaned = goClean(entry)
    const negate = cleaned.startsWith('!')
    if (cleaned === '!') throw invalid(index + 1, line, 'illegal exclusion pattern "!" (nothing after the "!")')
    rules.push({ pattern: negate ? cleaned.slice(1) : cleaned, negate, line: index + 1 })
  })
  return rules
}

interface Compiled {
  negate: boolean
  re: RegExp
  /** One RegExp per `/`-separated segment; undefined when the pattern can match across a `/`. */
  segments: RegExp[] | undefined
}

const lit = (c: string): string => c.replace(/[\\^$.*+?()[\]{}|/]/gu, '\\$&')
const ANY = '[\\s\\S]*' // strings.HasPrefix / HasSuffix: anything, newlines too
const ANY_LINE = '[^\\n]*' // Go regexp `.*`, whose `.` does not match `\n`
const unicode = (c: string) => `\\u{${c.codePointAt(0)!.toString(16)}}`

// Compiles a pattern as patternmatcher's Pattern.compile does, after validating it as Go's
// filepath.Match would (Docker rejects the pattern otherwise). `*` is `[^/]*`, `?` is `[^/]`, `[...]`
// a class (negated by `^` only: `[!a]` is `!` or `a`; a class may match `/`), `\c` the literal c.
// `**` eats one following `/`: at the end it matches anything (`a/**` matches below `a`, not `a`),
// elsewhere it is `(.*/)?`, so `**/x` and `a/**/x` also match zero folders, and `a**b` is `a(.*/)?b`.
// Docker quirk kept: a pattern that starts with `**` and is literal after it is a plain suffix test,
// so `**file` matches `dir/myfile` (while `**file*` does not).
function compile(rule: IgnoreRule): Compiled {
  const chars = Array.from(rule.pattern)
  const bad = (problem: string) => invalid(rule.line, (rule.negate ? '!' : '') + rule.pattern, problem)
  let [src, i, crossesSlash, tail] = ['', 0, false, false]
  let kind: 'exact' | 'prefix' | 'suffix' | 'regexp' = 'exact'
  const segments = ['']
  const add = (s: string) => ((src += s), (segments[segments.length - 1] += s))
  const slash = () => ((src += '/'), segments.push(''))
  const member = (): string => {
    // One class member, as Go's getEsc: not `-` or `]` first, `\` escapes, and the class must go on.
    let c = chars[i]
    if (c === undefined || c === '-' || c === ']' || (c === '\\' && (c = chars[++i]) === undefined)) throw bad('malformed character class')
    if (++i >= chars.length) throw bad('unterminated character class')
    return c
  }
  while (i < chars.length) {
    const first = i === 0
    const c = chars[i++]!
    if (c === '*' && chars[i] === '*') {
      if (chars[++i] === '/') i++
      crossesSlash = true
      tail = i === chars.length
      if (!tail) src += `(?:${ANY_LINE}/)?`
      kind = first ? 'suffix' : tail && kind === 'exact' ? 'prefix' : 'regexp'
    } else if (c === '*' || c === '?') {
      add(c === '*' ? '[^/]*' : '[^/]')
      kind = 'regexp'
    } else if (c === '[') {
      const negated = chars[i] === '^'
      if (negated) i++
      let members = ''
      for (let n = 0; !(chars[i] === ']' && n > 0); n++) {
        const lo = member()
        const hi = chars[i] === '-' ? (i++, member()) : lo
        if (lo.codePointAt(0)! > hi.codePointAt(0)!) throw bad(`invalid character class range ${lo}-${hi}`) // Go's regexp rejects it
        members += lo === hi ? unicode(lo) : `${unicode(lo)}-${unicode(hi)}`
      }
      i++
      const cls = `[${negated ? '^' : ''}${members}]`
      if (new RegExp(cls, 'u').test('/')) crossesSlash = true
      add(cls)
      kind = 'regexp'
    } else if (c === '\\') {
      const next = chars[i++]
      if (next === undefined) throw bad('trailing backslash')
      kind = 'regexp'
      if (next === '/') slash()
      else add(lit(next))
    } else if (c === '/') slash()
    else {
      if (c === ']') kind = 'regexp' // a literal `]`, but Docker switches to its regexp
      add(lit(c))
    }
  }
  if (tail) src += kind === 'prefix' ? ANY : ANY_LINE
  if (kind === 'suffix') {
    // strings.HasSuffix(path, pattern[2:]); a pattern `**` + `/x` also matches `x` itself
    const rest = rule.pattern.slice(2)
    src = rest.startsWith('/') ? `(?:${ANY}/)?${lit(rest.slice(1))}` : ANY + lit(rest)
  }
  const re = new RegExp(`^${src}$`, 'u')
  return { negate: rule.negate, re, segments: crossesSlash ? undefined : segments.map((s) => new RegExp(`^${s}$`, 'u')) }
}

/** The pattern matches the path or one of its parent folders (patternmatcher's MatchesOrParentMatches). */
function matchesOrParent(c: Compiled, path: string): boolean {
  if (c.re.test(path)) return true
  for (let at = path.indexOf('/'); at !== -1; at = path.indexOf('/', at + 1)) if (c.re.test(path.slice(0, at))) return true
  return false
}

export class DockerIgnore {
  readonly rules: readonly IgnoreRule[]
  readonly #compiled: Compiled[]

  /** @throws SlsError DOCKERIGNORE_INVALID for a pattern Docker rejects (`[`, `[]a]`, `a\`, `[z-a]`...). */
  constructor(rules: readonly IgnoreRule[]) {
    this.rules = rules
    this.#compiled = rules.map(compile)
  }

  /** @throws SlsError DOCKERIGNORE_INVALID where Docker fails the build on the same file. */
  static parse(text: string): DockerIgnore {
    return new DockerIgnore(parseDockerignore(text))
  }

  /** true when the path (forward slashes, relative to the context root, no leading './') is excluded from the context */
  excludes(relPath: string): boolean {
    const index = this.#lastMatch(goClean(relPath))
    return index !== -1 && !this.#compiled[index]!.negate
  }

  /**
   * for a directory that `excludes()` says is excluded: true when some `!` rule could still bring back
   * something inside it, so a walker must descend instead of skipping the whole tree.
   * Only `!` rules after the last rule matching the folder count: that rule matches everything inside
   * the folder too, so an earlier rule never decides there. Such a `!` rule may re-include something
   * when it can span folders (`**`, or a class like `[^x]` that matches `/`: true, conservatively), or
   * when it has more segments than the folder and its first segments match the folder's, one by one.
   */
  mayReinclude(dirRelPath: string): boolean {
    const dir = goClean(dirRelPath)
    const parts = dir.split('/')
    const last = this.#lastMatch(dir)
    return this.#compiled.some(
      ({ negate, segments }, index) => negate && index > last && (dir === '.' || segments === undefined || (segments.length > parts.length && parts.every((part, j) => segments[j]!.test(part)))),
    )
  }

  /** Index of the last rule matching the path or a parent folder (the rule that decides), or -1. */
  #lastMatch(path: string): number {
    if (path === '.') return -1 // the context root itself is never excluded
    for (let index = this.#compiled.length - 1; index >= 0; index--) if (matchesOrParent(this.#compiled[index]!, path)) return index
    return -1
  }
}
