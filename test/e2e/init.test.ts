/**
 * `sls-run init` as a user runs it: every template scaffolds, validates, passes its own tests on this host
 * (when the toolchain is here; otherwise skipped with the reason in the test name), and serves `/` under
 * `sls-run dev` with the process runtime. Bad input: a clear error with its code, and nothing written.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'
import { afterEach, describe, expect, it } from 'vitest'
import { DockerIgnore } from '../../src/core/image/dockerignore.js'
import { listTemplates } from '../../src/core/scaffold/templates.js'
import { freePort } from '../../src/runtime/free-port.js'
import { BIN, envelope, runCli } from '../helpers/cli.js'
import { useTempDir } from '../helpers/temp.js'
import { waitFor } from '../helpers/wait.js'

const tempDir = useTempDir('sls-run-init-')
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string }
const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0
const stoppers: Array<() => void> = []
afterEach(() => stoppers.splice(0).forEach((stop) => stop()))

/** Starts `sls-run dev` in dir and resolves with the gateway's answer to GET / once it has one. */
async function devServes(dir: string): Promise<{ status: number; body: string }> {
  const [port, adminPort] = [await freePort(), await freePort()]
  const child = spawn(process.execPath, [BIN, 'dev', '--port', String(port), '--admin-port', String(adminPort)], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let log = ''
  child.stdout!.on('data', (c) => (log += c))
  child.stderr!.on('data', (c) => (log += c))
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  stoppers.push(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL')
    } catch {}
  })
  try {
    const res = await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined)
        if (!res && child.exitCode !== null) throw new Error(`sls-run dev never answered (it exited ${child.exitCode}):\n${log}`)
        return res
      },
      60_000,
      100,
      () => `sls-run dev to answer GET /:\n${log}`,
    )
    return { status: res.status, body: await res.text() }
  } finally {
    child.kill('SIGINT')
    expect(await exited).toBe(0)
  }
}

describe('sls-run init: every template', () => {
  for (const template of listTemplates()) {
    const missing = template.manifest.requires.filter((c) => !has(c))
    const ci = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0'
    const title = `${template.id}: scaffolds, validates, its own tests pass, sls-run dev serves /${missing.length ? ` (SKIPPED: ${missing.join(', ')} not installed on this host)` : ''}`
    // Locally a missing toolchain skips (visibly); under CI it fails: scripts/provision.sh installs them.
    it.skipIf(missing.length > 0 && !ci)(title, { timeout: 180_000 }, async () => {
      expect(missing, 'toolchains missing under CI (scripts/provision.sh installs them)').toEqual([])
      const parent = tempDir()
      const r = await runCli(['init', 'demo-app', '--template', template.id, '--port', '8123', '--json'], { cwd: parent })
      expect(r.code, r.stderr).toBe(0)
      const { result } = envelope(r)
      const dir = path.join(parent, 'demo-app')
      expect(result).toMatchObject({ dir, template: template.id, name: 'demo-app', port: 8123 })
      expect(result.files).toEqual(expect.arrayContaining(['.dockerignore', '.gitignore', 'Dockerfile', 'README.md', 'sls-run.yaml', '.github/workflows/sls-run.yml']))
      expect(result.files).not.toContain('template.json')
      const all = result.files.map((f: string) => readFileSync(path.join(dir, f), 'utf8')).join('\n')
      expect(all).not.toMatch(/\{\{\s*(name|port)\s*\}\}/) // every placeholder filled
      const yaml = readFileSync(path.join(dir, 'sls-run.yaml'), 'utf8')
      expect(yaml.split('\n')[0]).toBe(`# yaml-language-server: $schema=https://unpkg.com/${pkg.name}@${pkg.version}/schema/sls-run.schema.json`)
      const dockerignore = readFileSync(path.join(dir, '.dockerignore'), 'utf8')
      for (const entry of ['.env', '.git']) expect(dockerignore.split('\n')).toContain(entry)

      const valid = await runCli(['config', 'validate', '--json'], { cwd: dir })
      expect(valid.code, valid.stderr).toBe(0)
      expect(envelope(valid).result).toMatchObject({ services: ['demo-app'] })

      const tests = spawnSync('sh', ['-c', template.manifest.test], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, CI: 'true' } })
      expect(tests.status, `${template.manifest.test}\n${tests.stdout}\n${tests.stderr}`).toBe(0)

      const served = await devServes(dir)
      expect(served.status).toBe(200)
      expect(served.body.length).toBeGreaterThan(0)
    })
  }
})

/** Test files by the naming each template's test runner uses: *.test.*, *_test.go, tests/, test_*.py. */
const isTestFile = (file: string) => /(^|\/)tests?\/|(^|\/)test_[^/]*\.py$|[._]test\.[a-z]+$/.test(file)

describe('sls-run init: what every template ships', () => {
  for (const template of listTemplates()) {
    it(`${template.id}: a commented environments: example that validates once uncommented`, async () => {
      const parent = tempDir()
      const r = await runCli(['init', 'app', '-t', template.id, '--ci', 'none'], { cwd: parent })
      expect(r.code, r.stderr).toBe(0)
      const file = path.join(parent, 'app/sls-run.yaml')
      const yaml = readFileSync(file, 'utf8')
      const at = yaml.indexOf('\n# environments:\n')
      expect(at, 'a commented-out environments: block').toBeGreaterThan(0)
      expect(parse(yaml).environments).toBeUndefined()
      writeFileSync(file, yaml.slice(0, at + 1) + yaml.slice(at + 1).replace(/^# ?/gm, ''))
      const valid = await runCli(['config', 'validate', '--json'], { cwd: path.join(parent, 'app') })
      expect(valid.code, valid.stdout).toBe(0)
      expect(envelope(valid).result.environments).toEqual(['production'])
    })

    it(`${template.id}: its .dockerignore keeps every test file out of the image`, async () => {
      const parent = tempDir()
      const r = await runCli(['init', 'app', '-t', template.id, '--ci', 'none', '--json'], { cwd: parent })
      expect(r.code, r.stderr).toBe(0)
      const tests = (envelope(r).result.files as string[]).filter(isTestFile)
      expect(tests.length, 'the template has tests').toBeGreaterThan(0)
      const ignore = DockerIgnore.parse(readFileSync(path.join(parent, 'app/.dockerignore'), 'utf8'))
      expect(
        tests.filter((f) => !ignore.excludes(f)),
        'test files sent to the engine',
      ).toEqual([])
      expect((envelope(r).result.files as string[]).filter((f) => !isTestFile(f) && !ignore.excludes(f)).length, 'the app itself still ships').toBeGreaterThan(0)
    })
  }
})

describe('sls-run init: choices and bad input', () => {
  const files = (dir: string) => (existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).sort() : [])

  it('--list names every template', async () => {
    const r = await runCli(['init', '--list', '--json'])
    expect(envelope(r).result.map((t: { id: string }) => t.id)).toEqual(listTemplates().map((t) => t.id))
    expect(listTemplates().map((t) => t.id)).toEqual(expect.arrayContaining(['node', 'static']))
  })

  it('without a terminal and without --template: exit 2 naming the flag, nothing written', async () => {
    const parent = tempDir()
    const r = await runCli(['init', 'app'], { cwd: parent })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/error USAGE missing --template/)
    expect(r.stderr).toMatch(/Templates: .*node/)
    expect(files(parent)).toEqual([])
  })

  it('on a terminal it asks for template, name, port and CI (answers typed ahead are kept)', async () => {
    const parent = tempDir()
    // util-linux `script` runs the command on a pseudo-terminal; the answers arrive on its input.
    const tty = (answers: string, dir: string) =>
      spawnSync('script', ['-qec', `stty cols 120; ${process.execPath} ${BIN} init ${dir}`, '/dev/null'], {
        cwd: parent,
        input: answers,
        encoding: 'utf8',
        timeout: 30_000,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm' },
      })
    const r = tty('static\nmy-site\n9000\n3\n', 'site')
    expect(r.stdout).toMatch(/Template\?[\s\S]*static[\s\S]*Name \(site\)[\s\S]*Port \(8080\)[\s\S]*CI workflow\?/)
    expect(r.stdout).toContain('created site from the static template')
    expect(readFileSync(path.join(parent, 'site/sls-run.yaml'), 'utf8')).toMatch(/name: my-site[\s\S]*port: 9000/)
    expect(existsSync(path.join(parent, 'site/.github'))).toBe(false) // 3) none
    const stopped = tty('node\n', 'half')
    expect(stopped.stdout).toMatch(/error.* ABORTED stopped at a question; nothing was written/)
    expect(existsSync(path.join(parent, 'half'))).toBe(false)
  })

  it('refuses a non-empty folder without --force, and keeps other files with it', async () => {
    const parent = tempDir()
    const dir = path.join(parent, 'app')
    mkdirSync(dir)
    writeFileSync(path.join(dir, 'notes.txt'), 'mine')
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM mine')
    const r = await runCli(['init', 'app', '-t', 'static'], { cwd: parent })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('error INIT_DIR_NOT_EMPTY')
    expect(files(dir)).toEqual(['Dockerfile', 'notes.txt'])
    expect(readFileSync(path.join(dir, 'Dockerfile'), 'utf8')).toBe('FROM mine')
    const forced = await runCli(['init', 'app', '-t', 'static', '--force', '--json'], { cwd: parent })
    expect(forced.code, forced.stderr).toBe(0)
    expect(envelope(forced).result.overwritten).toEqual(['Dockerfile'])
    expect(readFileSync(path.join(dir, 'notes.txt'), 'utf8')).toBe('mine')
    expect(readFileSync(path.join(dir, 'Dockerfile'), 'utf8')).toMatch(/^# app:/)
    expect(files(parent).filter((f) => f.startsWith('.sls-run-init-'))).toEqual([]) // no staging left
  })

  it('refuses names that are not DNS labels, and unknown templates (listing the known ones)', async () => {
    const parent = tempDir()
    for (const name of ['../evil', 'a/b', 'Upper', '-x', 'x'.repeat(50)]) {
      const r = await runCli(['init', 'app', '-t', 'node', '--name', name], { cwd: parent })
      expect([r.code, r.stderr], name).toEqual([2, expect.stringContaining('error INIT_INVALID_NAME')])
    }
    const unknown = await runCli(['init', 'app', '-t', 'cobol'], { cwd: parent })
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/error INIT_UNKNOWN_TEMPLATE no template "cobol"[\s\S]*Templates: .*node.*static/)
    expect(files(parent)).toEqual([])
  })

  it('refuses a name its own sls-run.yaml would not validate with (init g: image "g"), naming the rule, before writing anything', async () => {
    const parent = tempDir()
    const human = await runCli(['init', 'g', '--template', 'go', '--name', 'g'], { cwd: parent })
    expect(human.code).toBe(2)
    expect(human.stderr).toMatch(/error INIT_INVALID_NAME "g" cannot be a project name: services\.g\.image must be an image repository/)
    expect(human.stderr).toContain('^[a-z0-9][a-z0-9._\\-/:]*[a-z0-9]$') // the schema's own pattern, quoted in the hint
    expect(files(parent)).toEqual([]) // no folder, no staging folder
    const json = await runCli(['init', 'g', '--template', 'go', '--json'], { cwd: parent })
    expect(json.code).toBe(2)
    expect(envelope(json).error).toMatchObject({ code: 'INIT_INVALID_NAME', details: { name: 'g', rules: [{ field: 'services.<name>.image' }] } })
    expect(files(parent)).toEqual([])
  })

  it('accepts exactly the names config validate accepts in the sls-run.yaml it writes', async () => {
    const parent = tempDir()
    for (const name of ['g', 'ab', 'a1', 'x'.repeat(49), 'x'.repeat(50), 'a-b', 'a--b', 'b-', '1a']) {
      const check = path.join(parent, `check-${name.length}-${name.slice(-2)}`)
      mkdirSync(check)
      writeFileSync(path.join(check, 'sls-run.yaml'), `name: ${JSON.stringify(name)}\nservices:\n  ${JSON.stringify(name)}:\n    image: ${JSON.stringify(name)}\n`)
      const valid = await runCli(['config', 'validate'], { cwd: check })
      const init = await runCli(['init', `app-${name.length}-${name.slice(-2)}`, '-t', 'static', '--ci', 'none', '--name', name], { cwd: parent })
      expect([init.code, valid.code], `${name}: init ${init.stderr} / validate ${valid.stderr}`).toEqual(valid.code === 0 ? [0, 0] : [2, 2])
    }
  })

  it('a custom template folder works; one with a path escaping DIR is refused with nothing written', async () => {
    const parent = tempDir()
    const good = path.join(parent, 'tpl-good')
    mkdirSync(good)
    writeFileSync(path.join(good, 'sls-run.yaml'), 'name: {{name}}\nservices:\n  {{name}}:\n    port: {{port}}\n')
    writeFileSync(path.join(good, 'hello-{{name}}.txt'), 'hi {{name}}')
    const ok = await runCli(['init', 'out', '-t', './tpl-good', '--ci', 'none', '--json'], { cwd: parent })
    expect(ok.code, ok.stderr).toBe(0)
    expect(envelope(ok).result.files).toEqual(['hello-out.txt', 'sls-run.yaml'])
    expect(readFileSync(path.join(parent, 'out/hello-out.txt'), 'utf8')).toBe('hi out')

    const bad = path.join(parent, 'tpl-bad')
    mkdirSync(bad)
    writeFileSync(path.join(bad, 'a.txt'), 'a')
    symlinkSync('/etc/passwd', path.join(bad, 'passwd'))
    const r = await runCli(['init', 'out2', '-t', './tpl-bad'], { cwd: parent })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/error INIT_TEMPLATE_UNSAFE template path passwd is a symlink to \/etc\/passwd, outside the template/)
    expect(existsSync(path.join(parent, 'out2'))).toBe(false)
    expect(readdirSync(parent).filter((f) => f.startsWith('.sls-run-init-'))).toEqual([])
  })

  it('writes the chosen CI workflow, and parses as YAML', async () => {
    const parent = tempDir()
    const gitlab = await runCli(['init', 'gl', '-t', 'node', '--ci', 'gitlab', '--json'], { cwd: parent })
    expect(envelope(gitlab).result.files).toContain('.gitlab-ci.yml')
    const ci = parse(readFileSync(path.join(parent, 'gl/.gitlab-ci.yml'), 'utf8'))
    expect(Object.keys(ci)).toEqual(expect.arrayContaining(['stages', 'variables', 'test', 'build-push', 'deploy']))
    expect(ci.variables).toEqual({ SLS_RUN_PACKAGE: `${pkg.name}@${pkg.version}` })
    const none = await runCli(['init', 'nn', '-t', 'node', '--ci', 'none', '--json'], { cwd: parent })
    expect(envelope(none).result.files.some((f: string) => f.includes('.github') || f.includes('gitlab'))).toBe(false)
    expect(JSON.parse(readFileSync(path.join(parent, 'nn/package.json'), 'utf8')).name).toBe('nn')
  })
})

describe('sls-run init: dependencies', () => {
  const tempDirFor = useTempDir('sls-run-init-install-')

  it('without a terminal nothing is installed, and the next steps say what to run before dev', async () => {
    const parent = tempDirFor()
    const r = await runCli(['init', 'app', '--template', 'node'], { cwd: parent })
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stdout.split('\n')
    const install = lines.findIndex((l) => l.trim().startsWith('npm ci --no-audit --no-fund'))
    expect(install).toBeGreaterThan(lines.findIndex((l) => l.trim() === 'cd app'))
    expect(install).toBeLessThan(lines.findIndex((l) => l.trim().startsWith('sls-run dev')))
    expect(existsSync(path.join(parent, 'app', 'node_modules'))).toBe(false)
  })

  it("--install runs the template's install command in the new project (a recording npm here), --json says so", async () => {
    const parent = tempDirFor()
    const bin = path.join(parent, 'bin')
    mkdirSync(bin)
    writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\necho "$PWD $*" > "${parent}/npm-ran"\nmkdir -p node_modules\n`, { mode: 0o755 })
    const r = await runCli(['init', 'app', '--template', 'node', '--install', '--json'], { cwd: parent, env: { PATH: `${bin}:${process.env.PATH}` } })
    expect(r.code, r.stderr).toBe(0)
    expect(envelope(r).result.installed).toBe(true)
    expect(readFileSync(path.join(parent, 'npm-ran'), 'utf8').trim()).toBe(`${path.join(parent, 'app')} ci --no-audit --no-fund`)
    expect(existsSync(path.join(parent, 'app', 'node_modules'))).toBe(true)
  })

  it('--install with a failing install: INIT_INSTALL_FAILED, exit 1, the project stays', async () => {
    const parent = tempDirFor()
    const bin = path.join(parent, 'bin')
    mkdirSync(bin)
    writeFileSync(path.join(bin, 'npm'), '#!/bin/sh\necho "npm ERR! network unreachable" >&2\nexit 1\n', { mode: 0o755 })
    const r = await runCli(['init', 'app', '--template', 'node', '--install', '--json'], { cwd: parent, env: { PATH: `${bin}:${process.env.PATH}` } })
    expect(r.code).toBe(1)
    expect(envelope(r).error).toMatchObject({ code: 'INIT_INSTALL_FAILED' })
    expect(existsSync(path.join(parent, 'app', 'sls-run.yaml'))).toBe(true)
  })
})
