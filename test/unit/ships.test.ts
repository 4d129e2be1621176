/**
 * What ships (src/core/devloop/ships.ts): the .gitignore reading is compared with git itself on the same
 * tree (nested files, a negation, a folder rule, a parent folder's file), then the defaults, .dockerignore
 * for images, dev.ignore/dev.watch, and the session's own files.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, openSync, closeSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { service as serviceSchema, type ServiceConfig } from '../../src/core/config/schema.js'
import { OwnFiles } from '../../src/core/devloop/own-files.js'
import { GitIgnores, shipFilter } from '../../src/core/devloop/ships.js'
import { useTempDir } from '../helpers/temp.js'

const tempDir = useTempDir('sls-run-ships-')

function tree(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true })
    writeFileSync(path.join(root, rel), text)
  }
}

/** The paths git ignores, by `git check-ignore` (no global excludes, no info/exclude). */
function gitIgnored(repo: string, paths: string[]): Set<string> {
  let out = ''
  try {
    out = execFileSync('git', ['-c', 'core.excludesFile=/dev/null', 'check-ignore', '--no-index', '--stdin'], { cwd: repo, input: paths.join('\n'), encoding: 'utf8' })
  } catch (error) {
    out = (error as { stdout?: string }).stdout ?? '' // exit 1: none ignored
  }
  return new Set(out.split('\n').filter(Boolean))
}

const svc = (raw: Record<string, unknown>): ServiceConfig => serviceSchema.parse(raw) as ServiceConfig

describe('.gitignore rules decide like git check-ignore', () => {
  it('nested files, negation, folder rules, anchored rules and a parent folder file', () => {
    const repo = tempDir()
    execFileSync('git', ['init', '-q', repo])
    const files: Record<string, string> = {
      '.gitignore': 'build/\n*.tmp\n!keep.tmp\n/root-only.txt\nsvc/data/*\n!svc/data/seed.json\n',
      'svc/.gitignore': 'uploads/\n*.sqlite\n!important.sqlite\nlib/**/gen-*.js\n',
      'svc/sub/.gitignore': '!x.tmp\nlocal.cfg\n',
      'svc/server.js': '',
      'svc/a.tmp': '',
      'svc/keep.tmp': '',
      'svc/sub/x.tmp': '',
      'svc/sub/y.tmp': '',
      'svc/sub/local.cfg': '',
      'svc/local.cfg': '',
      'svc/root-only.txt': '',
      'root-only.txt': '',
      'svc/build/out.js': '',
      'svc/uploads/pic.png': '',
      'svc/db.sqlite': '',
      'svc/important.sqlite': '',
      'svc/deep/x/important.sqlite': '',
      'svc/lib/a/b/gen-1.js': '',
      'svc/lib/a/b/hand.js': '',
      'svc/data/cache.bin': '',
      'svc/data/seed.json': '',
    }
    tree(repo, files)
    const root = path.join(repo, 'svc')
    const candidates = Object.keys(files).filter((f) => f.startsWith('svc/'))
    const expected = gitIgnored(repo, candidates)
    expect(expected.size).toBeGreaterThan(5) // the tree exercises ignoring…
    expect(candidates.length - expected.size).toBeGreaterThan(5) // …and keeping
    const ours = new GitIgnores(root)
    const decided = new Set(candidates.filter((f) => ours.ignored(f.slice('svc/'.length), false)))
    expect([...decided].sort()).toEqual([...expected].sort())
  })

  it('without a repository only the folder’s own .gitignore files count', () => {
    const parent = tempDir()
    tree(parent, { '.gitignore': '*.js\n', 'svc/.gitignore': 'out/\n', 'svc/a.js': '', 'svc/out/b.txt': '' })
    const ours = new GitIgnores(path.join(parent, 'svc'))
    expect(ours.ignored('a.js', false)).toBe(false)
    expect(ours.ignored('out/b.txt', false)).toBe(true)
  })
})

describe('shipFilter', () => {
  const configFile = (root: string) => path.join(root, 'sls-run.yaml')

  it('process runtime: defaults, .gitignore, .dockerignore and dev.ignore take files out; dev.watch narrows', () => {
    const root = tempDir()
    tree(root, { '.gitignore': 'data.db\n', '.dockerignore': 'docs\n', 'server.js': '', 'README.md': '' })
    const filter = shipFilter(svc({ dev: { cwd: root, ignore: ['tmp'] } }), 'process', configFile(root), new OwnFiles())
    const ignored = (rel: string) => filter.ignored(path.join(root, rel))
    for (const rel of [
      'node_modules/x/index.js',
      '.git/index',
      '.sls-run/dead-letters.ndjson',
      '__pycache__/m.cpython-311.pyc',
      'pkg/m.pyc',
      '.venv/bin/python',
      'coverage/lcov.info',
      'app.log',
      'logs/x.log',
      '.server.js.swp',
      'server.js~',
      '.#server.js',
      '4913',
      'data.db',
      'docs/a.md',
      'tmp/x',
      'sls-run.yaml',
    ]) {
      expect(ignored(rel), rel).toBe(true)
    }
    for (const rel of ['server.js', 'README.md', 'src/app.ts', '.gitignore']) expect(ignored(rel), rel).toBe(false)
    const narrowed = shipFilter(svc({ dev: { cwd: root, watch: ['src/**/*.ts'] } }), 'process', configFile(root), new OwnFiles())
    expect(narrowed.ignored(path.join(root, 'src/a/b.ts'))).toBe(false)
    expect(narrowed.ignored(path.join(root, 'server.js'))).toBe(true)
  })

  it('docker runtime with a build: exactly what the context sends (.dockerignore), the Dockerfile always', () => {
    const root = tempDir()
    tree(root, { '.gitignore': 'data.db\n', '.dockerignore': 'Dockerfile\nnode_modules\n*.md\n', Dockerfile: 'FROM x\n' })
    const filter = shipFilter(svc({ build: { context: root } }), 'docker', configFile(root), new OwnFiles())
    const ignored = (rel: string) => filter.ignored(path.join(root, rel))
    expect(ignored('Dockerfile')).toBe(false) // sent even when ignored (COPY skips it)
    expect(ignored('.dockerignore')).toBe(false)
    expect(ignored('data.db')).toBe(false) // .gitignore does not change what the context sends
    expect(ignored('app.log')).toBe(false) // nor does the process runtime's default list
    expect(ignored('node_modules/a.js')).toBe(true)
    expect(ignored('README.md')).toBe(true)
  })

  it("the session's own redirected output is never a change, wherever it lies", () => {
    const root = tempDir()
    const log = path.join(root, 'dev.out')
    writeFileSync(log, '')
    const own = new OwnFiles()
    const fd = openSync(log, 'a')
    try {
      own.addDescriptor(fd)
    } finally {
      closeSync(fd)
    }
    const filter = shipFilter(svc({ dev: { cwd: root } }), 'process', configFile(root), own)
    expect(filter.ignored(log)).toBe(true)
    expect(filter.ignored(path.join(root, 'dev.out2'))).toBe(false)
    const byPath = OwnFiles.forSession([path.join(root, 'letters.ndjson')])
    expect(shipFilter(svc({ dev: { cwd: root } }), 'process', configFile(root), byPath).ignored(path.join(root, 'letters.ndjson'))).toBe(true)
  })
})
