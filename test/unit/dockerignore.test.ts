import { describe, expect, it } from 'vitest'
import { DockerIgnore, parseDockerignore } from '../../src/core/image/dockerignore.js'

const ignore = (lines: string[]) => DockerIgnore.parse(lines.join('\n'))

// [.dockerignore lines, path, excluded]: Docker's documented results (docs.docker.com "Build context",
// .dockerignore section) and moby/patternmatcher's own test expectations.
const table: Array<[string[], string, boolean]> = [
  // the docs' example file
  [['# comment', '*/temp*'], 'somedir/temporary.txt', true],
  [['*/temp*'], 'somedir/temp', true],
  [['*/temp*'], 'somedir/temp/inside.txt', true],
  [['*/temp*'], 'temporary.txt', false],
  [['*/*/temp*'], 'somedir/subdir/temporary.txt', true],
  [['*/*/temp*'], 'somedir/temporary.txt', false],
  [['temp?'], 'tempa', true],
  [['temp?'], 'tempab', false],
  [['temp?'], 'dir/tempa', false],
  [['**/*.go'], 'main.go', true],
  [['**/*.go'], 'cmd/app/main.go', true],
  [['**/*.go'], 'cmd/app/main.gox', false],
  // exceptions: the last matching line wins
  [['*.md', '!README.md'], 'CHANGELOG.md', true],
  [['*.md', '!README.md'], 'README.md', false],
  [['*.md'], 'docs/a.md', false],
  [['**/*.md'], 'docs/a.md', true],
  [['*.md', '!README*.md', 'README-secret.md'], 'README-secret.md', true],
  [['*.md', '!README*.md', 'README-secret.md'], 'README-public.md', false],
  [['*.md', 'README-secret.md', '!README*.md'], 'README-secret.md', false],
  [['!keep.txt', '*.txt'], 'keep.txt', true],
  [['*', '!src'], 'src/a/b.ts', false],
  [['*', '!src'], 'README.md', true],
  [['*', '!**/*.md'], 'docs/a.md', false],
  // a `!` rule brings back one file inside an excluded folder
  [['secrets', '!secrets/keep.txt'], 'secrets/keep.txt', false],
  [['secrets', '!secrets/keep.txt'], 'secrets/private.key', true],
  // comments: only `#` in column 1
  [['#node_modules'], 'node_modules', false],
  [['  #notes'], '#notes', true],
  [['\\#notes'], '#notes', true],
  // leading and trailing `/`, `.` and `..` are cleaned away
  [['/foo/bar'], 'foo/bar', true],
  [['/foo/bar'], 'x/foo/bar', false],
  [['build/'], 'build', true],
  [['build/'], 'build/out.js', true],
  [['build/'], 'builder', false],
  [['foo/../bar'], 'bar', true],
  [['foo/../bar'], 'foo/bar', false],
  [['./a//b/.'], 'a/b/c', true],
  [['.'], 'anything', false],
  [['/!keep', '*'], 'keep', true],
  [['*', '/!keep'], 'keep', false],
  // a pattern also excludes everything under a matching folder
  [['node_modules'], 'node_modules/a/b.js', true],
  [['node_modules'], 'src/node_modules/x.js', false],
  [['node_modules'], 'node_modules_old', false],
  [['*'], 'a/b/c', true],
  // character classes: `^` negates, `!` does not, a class may match `/`
  [['file[0-9].txt'], 'file7.txt', true],
  [['file[0-9].txt'], 'filex.txt', false],
  [['file[^0-9].txt'], 'filex.txt', true],
  [['file[^0-9].txt'], 'file7.txt', false],
  [['[!a]*'], '!x', true],
  [['[!a]*'], 'bx', false],
  [['a[^x]b'], 'a/b', true],
  [['[\\]]'], ']', true],
  // escapes
  [['a\\*b'], 'a*b', true],
  [['a\\*b'], 'axb', false],
  [['\\[x\\]'], '[x]', true],
  [['\\[x\\]'], 'x', false],
  // `**` at the start, middle and end
  [['**/dir'], 'dir', true],
  [['**/dir'], 'a/b/dir/file', true],
  [['a/**/b'], 'a/b', true],
  [['a/**/b'], 'a/x/y/b', true],
  [['a/**/b'], 'a/xb', false],
  [['a/**'], 'a', false],
  [['a/**'], 'a/x/y', true],
  [['**'], 'any/where', true],
  [['**file'], 'dir/myfile', true],
  [['**file*'], 'dir/myfile', false],
  [['a**b'], 'ax/b', true],
  [['a**b'], 'axb', false],
  // odd names are literal
  [['a(b)c+$.txt'], 'a(b)c+$.txt', true],
  [['a.c'], 'abc', false],
]

describe('.dockerignore matching', () => {
  it.each(table)('%j excludes %j: %s', (lines, path, excluded) => expect(ignore(lines).excludes(path)).toBe(excluded))

  it('never excludes the context root', () => expect(ignore(['*', '**', '.']).excludes('.')).toBe(false))
  it('accepts a path with ./ or a trailing /', () => {
    expect(ignore(['dist']).excludes('./dist/')).toBe(true)
    expect(ignore(['dist']).excludes('./src/')).toBe(false)
  })
})

describe('parseDockerignore', () => {
  it('skips comments and blank lines, trims, handles CRLF and counts lines', () => {
    const text = '\uFEFF# deps\r\nnode_modules\r\n\r\n   \r\n  dist/  \r\n#!keep\r\n  !  secrets/keep.txt  \r\n'
    expect(parseDockerignore(text)).toEqual([
      { pattern: 'node_modules', negate: false, line: 2 },
      { pattern: 'dist', negate: false, line: 5 },
      { pattern: 'secrets/keep.txt', negate: true, line: 7 },
    ])
  })
  it('cleans patterns like filepath.Clean and drops the leading /', () => {
    const patterns = parseDockerignore('/foo/bar\n./a//b/./c/\nx/../y\n!/abs\n/\n.\n../up').map((r) => `${r.negate ? '!' : ''}${r.pattern}`)
    expect(patterns).toEqual(['foo/bar', 'a/b/c', 'y', '!abs', '/', '.', '../up'])
  })
  it('keeps a # that is not in column 1', () => expect(parseDockerignore(' # x')).toEqual([{ pattern: '# x', negate: false, line: 1 }]))
  it('splits only on \\n and drops one \\r', () => expect(parseDockerignore('a\rb\r\r\n').map((r) => r.pattern)).toEqual(['a\rb']))
  it.each(['!', '! ', '!/', '  !  '])('rejects the empty exception %j', (line) => expect(() => parseDockerignore(`ok\n${line}`)).toThrow(/line 2: illegal exclusion pattern/))
  it.each([
    ['[', /unterminated|malformed/],
    ['a[', /unterminated|malformed/],
    ['[]a]', /malformed/],
    ['[-x]', /malformed/],
    ['[x-]', /malformed/],
    ['[a-b-c]', /malformed/],
    ['a\\', /trailing backslash/],
    ['[z-a]', /invalid character class range/],
  ])('rejects %j as Docker does', (pattern, message) => {
    let error: unknown
    try {
      DockerIgnore.parse(`ok\n\n${pattern}`)
    } catch (caught) {
      error = caught
    }
    expect(error).toMatchObject({ code: 'DOCKERIGNORE_INVALID', message: expect.stringMatching(message), details: { line: 3 } })
  })
})

describe('mayReinclude', () => {
  const cases: Array<[string[], string, boolean]> = [
    [['secrets', '!secrets/keep.txt'], 'secrets', true],
    [['node_modules'], 'node_modules', false],
    [['secrets', '!other/keep.txt'], 'secrets', false],
    [['!secrets/keep.txt', 'secrets'], 'secrets', false],
    [['secrets', '!secrets/keep.txt', 'secrets/'], 'secrets', false],
    [['secrets', '!*/keep.txt'], 'secrets', true],
    [['secrets', '!secret?/*'], 'secrets', true],
    [['secrets', '!**/*.txt'], 'secrets', true],
    [['secrets', '!secrets[^x]keep'], 'secrets', true],
    [['a', '!a/b/c.txt'], 'a/b', true],
    [['a', '!a/b/c.txt'], 'a/x', false],
    [['a', '!a/b/c.txt'], 'a/b/d', false],
    [['*', '!src/index.ts'], 'test', false],
  ]
  it.each(cases)('%j, folder %j: %s', (lines, dir, expected) => {
    const rules = ignore(lines)
    expect(rules.excludes(dir)).toBe(true)
    expect(rules.mayReinclude(dir)).toBe(expected)
  })
  it('agrees with excludes() on what comes back', () => {
    const rules = ignore(['secrets', '!secrets/keep.txt'])
    expect(rules.excludes('secrets/keep.txt')).toBe(false)
    expect(rules.excludes('secrets/other.txt')).toBe(true)
  })
})
