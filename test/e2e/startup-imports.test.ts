/**
 * Start-up stays lean: the commands people run most often (`--help`, `config validate`, a command's
 * `--help`) load none of the heavy modules that other commands need (the cloud SDKs, the Docker client,
 * the HTTP client, metrics, file watching, task lists, the browser driver). Each run is recorded by a
 * preload that logs every module resolved (ESM and CommonJS). The built CLI loads @oclif/core, zod and yaml
 * from one-file bundles (dist/vendor/, scripts/vendor.mjs); they count as those packages here.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { BIN } from '../helpers/cli.js'
import { useTempDir } from '../helpers/temp.js'

const HOOK = fileURLToPath(new URL('../fixtures/startup/record-loads.mjs', import.meta.url))
const DENY = ['dockerode', 'docker-modem', '@aws-sdk', '@smithy', '@azure', 'google-auth-library', 'undici', 'prom-client', 'chokidar', 'listr2', 'playwright-core', 'uplot', 'execa']
const tempDir = useTempDir()

const VENDORED: Record<string, string> = { oclif: '@oclif/core', zod: 'zod', yaml: 'yaml' }

/** The files one CLI run resolves (file: URLs). */
function filesLoaded(args: string[], cwd: string): string[] {
  const file = path.join(tempDir(), 'loads.txt')
  writeFileSync(file, '')
  const run = spawnSync(process.execPath, ['--import', HOOK, BIN, ...args], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', SLS_RUN_LOADS_FILE: file }, encoding: 'utf8' })
  expect(run.status, run.stderr).toBe(0)
  return readFileSync(file, 'utf8').split('\n').filter(Boolean)
}

/** The packages (node_modules/<name> or <@scope/name>, or a bundle in dist/vendor/) one CLI run loads. */
function packagesLoaded(args: string[], cwd: string): Set<string> {
  const names = filesLoaded(args, cwd)
    .map((url) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? VENDORED[/\/dist\/vendor\/(\w+)\.js$/.exec(url)?.[1] ?? ''])
    .filter((name): name is string => Boolean(name))
  expect(names.length).toBeGreaterThan(0) // the recorder works: oclif itself is always loaded
  return new Set(names)
}

describe('start-up imports', () => {
  const project = () => {
    const dir = tempDir()
    writeFileSync(path.join(dir, 'sls-run.yaml'), 'name: shop\nservices:\n  api:\n    image: ghcr.io/acme/api\n')
    return dir
  }

  it.each([['--help'], ['config', 'validate'], ['dev', '--help'], ['deploy', '--help'], ['init', '--help'], ['simulate', '--help'], ['build', '--help']])(
    'sls-run %s loads nothing from the deny-list',
    (...args) => {
      const loaded = packagesLoaded(args, project())
      expect(loaded.has('@oclif/core')).toBe(true)
      expect([...loaded].filter((name) => DENY.some((denied) => name === denied || name.startsWith(`${denied}/`)))).toEqual([])
    },
  )

  it('config validate loads oclif, zod and yaml from their bundles, not from node_modules', () => {
    const files = filesLoaded(['config', 'validate'], project())
    for (const bundle of Object.keys(VENDORED)) expect(files.some((url) => url.endsWith(`/dist/vendor/${bundle}.js`))).toBe(true)
    expect(files.filter((url) => /node_modules\/(@oclif\/core|zod|yaml)\//.test(url))).toEqual([])
  })

  it('--help does not build the config schema (no zod)', () => {
    expect(packagesLoaded(['--help'], project()).has('zod')).toBe(false)
  })
})
