/**
 * sls-run guides by itself (the built CLI, run as a user would): `sls-run` alone prints a start-here with
 * the quickstart's commands, every --help ends with the docs page of its command (in the package's docs/),
 * and an error whose code a page explains ends with that page, in `--json` too (`error.docs`).
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { commandDocs } from '../../src/cli/docs-links.js'
import { envelope, runCli } from '../helpers/cli.js'
import { useTempDir } from '../helpers/temp.js'

const tempDir = useTempDir()
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** Where a docs/ target is in this checkout (the package root when run from it). */
const page = (target: string) => {
  const [file, anchor] = target.split('#') as [string, string | undefined]
  return path.join(ROOT, 'docs', ...file.split('/')) + (anchor ? `#${anchor}` : '')
}
const lastLine = (text: string) => text.trimEnd().split('\n').at(-1)
const commandIds = Object.keys((JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as { commands: object }).commands).map((id) => id.replaceAll(':', ' '))

describe('sls-run with no arguments', () => {
  it('prints a start-here (what it is, the three first commands, where to go next) and exits 0', async () => {
    const r = await runCli([])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^sls-run \S.*serverless containers/)
    expect(lines.filter((line) => /^ {2}\S/.test(line)).map((line) => line.trim().split(/ {2,}/)[0])).toEqual(['sls-run init my-app --template node', 'cd my-app && sls-run dev', 'sls-run build'])
    expect(lines.at(-1)).toBe(`sls-run --help for every command; docs: ${page('getting-started.md')}`)
    expect(r.stdout).not.toMatch(/^COMMANDS$/m) // not the command list: that is --help
    expect(lines.length).toBeLessThan(12)
  })

  it('its first command runs as printed (the flags are real)', async () => {
    const dir = tempDir()
    const r = await runCli(['init', 'my-app', '--template', 'node'], { cwd: dir })
    expect(r.code, r.stderr).toBe(0)
    expect(existsSync(path.join(dir, 'my-app', 'sls-run.yaml'))).toBe(true)
  })

  it('--help stays the full command list, ending with the docs index', async () => {
    const r = await runCli(['--help'])
    expect(r.code).toBe(0)
    for (const id of ['init', 'dev', 'build', 'deploy', 'simulate']) expect(r.stdout).toMatch(new RegExp(`^ {2}${id}\\s`, 'm'))
    expect(lastLine(r.stdout)).toBe(`Docs: ${page('README.md')}`)
  })
})

describe('--help of each command', () => {
  it.each([...commandIds, 'plugins', 'plugins install'])('%s --help ends with the docs page of its command', async (id) => {
    const r = await runCli([...id.split(' '), '--help'])
    expect(r.code, r.stderr).toBe(0)
    expect(lastLine(r.stdout)).toBe(`Docs: ${page(commandDocs(id))}`)
  })

  it('names a file of the package: simulate --help → docs/simulate.md', async () => {
    const r = await runCli(['simulate', '--help'])
    const docs = /^Docs: (.*)$/.exec(lastLine(r.stdout) ?? '')?.[1]
    expect(docs).toBe(path.join(ROOT, 'docs', 'simulate.md'))
    expect(existsSync(docs!)).toBe(true)
  })

  it('a topic (config) ends with its page too', async () => {
    const r = await runCli(['config', '--help'])
    expect(r.code).toBe(0)
    expect(lastLine(r.stdout)).toBe(`Docs: ${page('configuration.md')}`)
  })
})

describe('an error names the page that explains it', () => {
  it('CONFIG_NOT_FOUND: a last `docs:` line after the hints; --json carries error.docs', async () => {
    const dir = tempDir()
    const human = await runCli(['config', 'validate', '-c', 'missing.yaml'], { cwd: dir })
    expect(human.code).toBe(2)
    const lines = human.stderr.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^error CONFIG_NOT_FOUND /)
    expect(lines.at(-2)).toMatch(/^ {2}hint: /)
    expect(lines.at(-1)).toBe(`  docs: ${page('configuration.md')}`)
    expect(existsSync(page('configuration.md'))).toBe(true)

    const json = await runCli(['config', 'validate', '-c', 'missing.yaml', '--json'], { cwd: dir })
    expect(json.code).toBe(2)
    expect(envelope(json).error).toMatchObject({ code: 'CONFIG_NOT_FOUND', docs: page('configuration.md') })
  })

  it('a usage error (dev --port 99999) points at the command reference', async () => {
    const r = await runCli(['dev', '--port', '99999', '--json'], { cwd: tempDir() })
    expect(r.code).toBe(2)
    expect(envelope(r).error).toMatchObject({ code: 'USAGE', message: expect.stringMatching(/--port/), docs: page('commands.md') })
  })
})
