/**
 * `sls-run [command] --help` with stdout not a terminal is served from dist/help-cache.json without loading
 * oclif (bin/run.js, scripts/help-cache.mjs). Every cached page must be what oclif prints, byte for byte, and
 * anything that could make oclif print something else must bypass the cache.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { BIN } from '../helpers/cli.js'
import { useTempDir } from '../helpers/temp.js'

const CACHE = fileURLToPath(new URL('../../dist/help-cache.json', import.meta.url))
const HOOK = fileURLToPath(new URL('../fixtures/startup/record-loads.mjs', import.meta.url))
const tempDir = useTempDir()
const pages = Object.keys((JSON.parse(readFileSync(CACHE, 'utf8')) as { pages: Record<string, string> }).pages)
const base = () => ({ PATH: process.env.PATH, HOME: process.env.HOME, XDG_DATA_HOME: tempDir() })

function help(words: string[], env: NodeJS.ProcessEnv, preload: string[] = []) {
  const run = spawnSync(process.execPath, [...preload, BIN, ...words, '--help'], { env, encoding: 'utf8' })
  expect(run.status, run.stderr).toBe(0)
  return run.stdout
}

describe('cached help pages', () => {
  it('covers the root and every command', () => {
    expect(pages).toContain('')
    expect(pages).toEqual(expect.arrayContaining(['init', 'dev', 'deploy', 'config validate', 'deploy status', 'simulate']))
  })

  it.each(pages.map((page) => [page || '(root)', page]))('sls-run %s --help: the cached page is what oclif prints', (_label, page) => {
    const words = page ? page.split(' ') : []
    const env = base()
    expect(help(words, env)).toBe(help(words, { ...env, SLS_RUN_HELP_CACHE: 'off' }))
  })

  it('serves a page without loading oclif, and loads it when a variable could change the page', () => {
    const loads = path.join(tempDir(), 'loads.txt')
    const loaded = (env: NodeJS.ProcessEnv) => {
      writeFileSync(loads, '')
      help(['deploy'], { ...env, RECORD_LOADS_FILE: loads }, ['--import', HOOK])
      return readFileSync(loads, 'utf8')
    }
    expect(loaded(base())).not.toMatch(/vendor\/oclif\.js|@oclif\/core/)
    expect(loaded({ ...base(), OCLIF_COLUMNS: '120' })).toMatch(/vendor\/oclif\.js/)
    expect(loaded({ ...base(), FORCE_COLOR: '1' })).toMatch(/vendor\/oclif\.js/)
  })

  it('is bypassed when the user has installed plugins (they add commands to the help)', () => {
    const data = tempDir()
    mkdirSync(path.join(data, 'sls-run'))
    writeFileSync(path.join(data, 'sls-run', 'package.json'), '{"oclif":{"plugins":[]}}')
    const loads = path.join(tempDir(), 'loads.txt')
    writeFileSync(loads, '')
    help([], { ...base(), XDG_DATA_HOME: data, RECORD_LOADS_FILE: loads }, ['--import', HOOK])
    expect(readFileSync(loads, 'utf8')).toMatch(/vendor\/oclif\.js/)
  })

  it('puts back what depends on the machine: the docs path and the user agent', () => {
    const root = help([], base())
    expect(root).toContain(`Docs: ${path.resolve(fileURLToPath(new URL('../../docs/README.md', import.meta.url)))}`)
    expect(root).toContain(`node-${process.version}`)
    expect(root).not.toContain('\u0000')
  })
})
