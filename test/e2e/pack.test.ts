/**
 * The package as npm publishes it. `npm pack` runs in a copy of this checkout (its `prepack` builds dist/
 * there: this folder's dist/, which other e2e runs use, is never rebuilt), the tarball is installed into an
 * empty folder with the dependencies from the registry (the local npm cache first), and the installed
 * `sls-run` is run as a user runs it: --version, --help, init, config validate, and `dev --json` serving one
 * request through its gateway until Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../../src/runtime/free-port.js'
import { ndjsonEvents } from '../helpers/cli.js'
import { waitFor } from '../helpers/wait.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const PKG = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string
  version: string
  main?: string
  exports?: unknown
  bin: Record<string, string>
  oclif: { commands: string; hooks: Record<string, string>; helpClass: string }
}
/** Top-level entries a checkout's copy leaves out: installs, build output, VCS data, test output. */
const NOT_COPIED = new Set(['node_modules', 'dist', '.git', 'oclif.manifest.json', 'test-results', '.vitest-cache'])

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

const children: ChildProcess[] = []
let work = ''

/** Runs a command to its end (killed after timeoutMs) and collects its output. */
function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let [stdout, stderr] = ['', '']
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** npm without the npm_* variables of an enclosing `npm test`, quiet, on `cache` when given. */
function npmEnv(cache?: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && key !== 'INIT_CWD'))
  return { ...env, ...(cache ? { npm_config_cache: cache } : {}), npm_config_update_notifier: 'false', npm_config_loglevel: 'warn' }
}

/** The files an `exports` field names: a path, or conditions and subpaths mapping to paths (null: not exported). */
const exportTargets = (exports: unknown): string[] =>
  typeof exports === 'string' ? [exports] : Array.isArray(exports) ? exports.flatMap(exportTargets) : exports && typeof exports === 'object' ? Object.values(exports).flatMap(exportTargets) : []

/** Every file under dir, relative, `/`-separated, sorted. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort()

describe('the npm package', () => {
  let installed = '' // node_modules/sls-run in the app folder
  let bin = '' // node_modules/.bin/sls-run
  let app = ''
  const cli = (args: string[], cwd = app) => run(bin, args, { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', SLS_RUN_DATA_DIR: path.join(work, 'data') }, timeoutMs: 30_000 })

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'sls-run-pack-'))
    // The cache this checkout's own `npm ci` filled: the install below takes what it can from there.
    const cache = (await run('npm', ['config', 'get', 'cache'], { cwd: ROOT, env: npmEnv(), timeoutMs: 30_000 })).stdout.trim()
    const copy = path.join(work, 'repo')
    cpSync(ROOT, copy, { recursive: true, filter: (src) => !NOT_COPIED.has(path.relative(ROOT, src).split(path.sep)[0]!) && !src.split(path.sep).includes('node_modules') })
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'), 'dir') // the build's compiler and types
    const tarballs = path.join(work, 'tarballs')
    mkdirSync(tarballs)
    const packed = await run('npm', ['pack', '--pack-destination', tarballs], { cwd: copy, env: npmEnv(cache), timeoutMs: 120_000 })
    expect(packed.code, `npm pack\n${packed.stdout}\n${packed.stderr}`).toBe(0)
    const [filename, ...more] = readdirSync(tarballs) // the folder, not stdout: npm prints the scripts' output there too
    expect([filename, ...more]).toEqual([`${PKG.name}-${PKG.version}.tgz`])
    expect(existsSync(path.join(ROOT, filename!)), 'npm pack wrote nothing into the checkout').toBe(false)

    app = path.join(work, 'app')
    mkdirSync(app)
    writeFileSync(path.join(app, 'package.json'), '{ "name": "pack-test-app", "private": true }\n') // npm installs here, not in a parent
    const install = await run('npm', ['install', path.join(tarballs, filename!), '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, env: npmEnv(cache), timeoutMs: 180_000 })
    expect(install.code, `npm install\n${install.stderr}`).toBe(0)
    installed = path.join(app, 'node_modules', PKG.name)
    bin = path.join(app, 'node_modules', '.bin', Object.keys(PKG.bin)[0]!)
  }, 320_000)

  afterAll(() => {
    for (const child of children) {
      try {
        if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL')
      } catch {}
    }
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('holds every file package.json points to, and the templates whole', () => {
    const pjson = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as typeof PKG
    const pointed = [
      ...Object.values(pjson.bin),
      pjson.oclif.commands,
      ...Object.values(pjson.oclif.hooks),
      `${pjson.oclif.helpClass}.js`.replace(/\.js\.js$/, '.js'),
      'oclif.manifest.json',
      'schema/sls-run.schema.json',
    ]
    // A CLI only: no main or exports today; whichever comes back must point at a file the build produces.
    if (pjson.main !== undefined) pointed.push(pjson.main)
    pointed.push(...exportTargets(pjson.exports).filter((target) => !target.includes('*')))
    for (const file of pointed) expect(existsSync(path.join(installed, file)), file).toBe(true)
    // the docs pages `--help` and the error hints point to, in the installed package (package.json `files`)
    const pages = filesUnder(path.join(ROOT, 'docs'))
    expect(pages).toEqual(expect.arrayContaining(['commands.md', 'configuration.md', 'errors.md']))
    expect(filesUnder(path.join(installed, 'docs'))).toEqual(pages)
    // npm drops some names when packing (.gitignore, .npmrc…): every template file must survive
    for (const template of readdirSync(path.join(ROOT, 'templates'))) {
      const source = filesUnder(path.join(ROOT, 'templates', template)).filter((f) => !f.split('/').includes('node_modules') && !f.endsWith('.DS_Store'))
      expect(filesUnder(path.join(installed, 'templates', template)), template).toEqual(source)
    }
    expect(filesUnder(installed).filter((f) => f.endsWith('.d.ts'))).toEqual([])
  })

  it('sls-run --version and --help (with the plugins commands) work from node_modules/.bin', async () => {
    const version = await cli(['--version'])
    expect(version.code, version.stderr).toBe(0)
    expect(version.stdout).toBe(`${PKG.name}/${PKG.version} ${process.platform}-${process.arch} node-${process.version}\n`)
    const help = await cli(['--help'])
    expect(help.code, help.stderr).toBe(0)
    expect(help.stdout).toMatch(/^\s+plugins\s/m)
    expect(help.stderr).toBe('')
  })

  it('init scaffolds a project pinned to this version, and config validate accepts it', async () => {
    const r = await cli(['init', 'web', '--template', 'static', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const dir = path.join(app, 'web')
    expect(JSON.parse(r.stdout).result.files).toEqual(expect.arrayContaining(['.dockerignore', '.gitignore', 'Dockerfile', 'sls-run.yaml', '.github/workflows/sls-run.yml']))
    const workflow = parse(readFileSync(path.join(dir, '.github/workflows/sls-run.yml'), 'utf8')) as { env: Record<string, string> }
    expect(workflow.env).toEqual({ SLS_RUN_PACKAGE: `${PKG.name}@${PKG.version}` })
    const schema = `https://unpkg.com/${PKG.name}@${PKG.version}/schema/sls-run.schema.json`
    expect(readFileSync(path.join(dir, 'sls-run.yaml'), 'utf8').split('\n')[0]).toBe(`# yaml-language-server: $schema=${schema}`)
    expect(existsSync(path.join(installed, schema.split(`@${PKG.version}/`)[1]!)), 'the schema URL names a file of this package').toBe(true)

    const valid = await cli(['config', 'validate', '--json'], dir)
    expect(valid.code, valid.stdout + valid.stderr).toBe(0)
    expect(JSON.parse(valid.stdout).result).toMatchObject({ name: 'web', services: ['web'] })
  })

  it('dev --json serves a request through the gateway and stops cleanly on Ctrl-C', async () => {
    const dir = path.join(app, 'web')
    if (!existsSync(dir)) expect((await cli(['init', 'web', '--template', 'static', '--ci', 'none'])).code).toBe(0)
    const [port, adminPort] = [await freePort(), await freePort()]
    const child = spawn(bin, ['dev', '--json', '--runtime', 'process', '--port', String(port), '--admin-port', String(adminPort)], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', SLS_RUN_DATA_DIR: path.join(work, 'data') },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: afterAll can kill what it started
    })
    children.push(child)
    let [stdout, stderr] = ['', '']
    child.stdout!.on('data', (chunk) => (stdout += chunk))
    child.stderr!.on('data', (chunk) => (stderr += chunk))
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))

    const listening = await waitFor(
      () => {
        const event = ndjsonEvents(stdout).find((e) => e.type === 'listening')
        if (!event && child.exitCode !== null) throw new Error(`no listening event (sls-run dev exited ${child.exitCode}):\n${stdout}\n${stderr}`)
        return event
      },
      30_000,
      50,
      () => `a listening event:\n${stdout}\n${stderr}`,
    )
    expect(listening.url).toBe(`http://127.0.0.1:${port}`)
    const res = await fetch(`${listening.url}/`)
    expect(res.status).toBe(200)
    expect(await res.text()).toMatch(/<html/i)

    child.kill('SIGINT')
    expect(await exited, stderr).toBe(0)
    expect(ndjsonEvents(stdout).at(-1)).toMatchObject({ type: 'stopped' })
  })
})
