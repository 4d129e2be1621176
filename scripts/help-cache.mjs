// Writes dist/help-cache.json: `sls-run --help` and `sls-run <command> --help` exactly as the built CLI prints
// them when stdout is not a terminal (editors, CI logs, pipes), each rendered by oclif itself (one run of
// bin/run.js per page, with no user plugins). bin/run.js serves a page from it without loading oclif, when
// nothing could make oclif print something else: stdout not a terminal (oclif then wraps at 80 columns, no
// colours), no OCLIF_* / SLS_RUN_* / FORCE_COLOR variable, no user-installed plugin, the same version.
// Two things depend on the machine and are put back at run time: the package's own path (the docs: lines)
// and the user agent (VERSION). test/e2e/help-cache.test.ts compares every page with oclif's.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const root = path.resolve(new URL('..', import.meta.url).pathname)
const { name, version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
const manifest = JSON.parse(readFileSync(path.join(root, 'oclif.manifest.json'), 'utf8'))
const userAgent = `${name}/${version} ${process.platform}-${process.arch} node-${process.version}`
const data = mkdtempSync(path.join(os.tmpdir(), 'sls-run-help-cache-'))
const env = { PATH: process.env.PATH, HOME: process.env.HOME, XDG_DATA_HOME: data, SLS_RUN_HELP_CACHE: 'off' }
const pages = {}
try {
  for (const words of [[], ...Object.keys(manifest.commands).map((id) => id.split(':'))]) {
    const run = spawnSync(process.execPath, [path.join(root, 'bin', 'run.js'), ...words, '--help'], { env, encoding: 'utf8', cwd: data })
    if (run.status !== 0 || run.stderr) throw new Error(`sls-run ${[...words, '--help'].join(' ')}: exit ${run.status}\n${run.stderr}`)
    const page = run.stdout.split(root).join('\u0000ROOT\u0000').split(userAgent).join('\u0000AGENT\u0000')
    if (page.includes(data) || (os.homedir().length > 1 && page.includes(os.homedir()))) {
      throw new Error(`sls-run ${words.join(' ')} --help prints a path of this machine: it cannot be cached`)
    }
    pages[words.join(' ')] = page
  }
} finally {
  rmSync(data, { recursive: true, force: true })
}
writeFileSync(path.join(root, 'dist', 'help-cache.json'), JSON.stringify({ version, pages }))
console.error(`dist/help-cache.json: ${Object.keys(pages).length} help pages`)
