/**
 * What `--help` and `sls-run` alone point to (src/cli/docs-links.ts, src/cli/help.ts): every command of the
 * manifest has a page of its own, and the locations are the package's own docs/ (this checkout's here).
 * That the pages exist is checked with the other links (test/unit/docs-links.test.ts).
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { COMMAND_DOCS, FALLBACK_DOCS, START_DOCS, commandDocs, docsLine } from '../../src/cli/docs-links.js'
import { startHere } from '../../src/cli/help.js'
import { PACKAGE_ROOT, docsLocation } from '../../src/ui/docs-location.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, unknown> }

describe('docs pages of the commands', () => {
  it('are located in the package root (this checkout), anchors kept', () => {
    expect(path.resolve(PACKAGE_ROOT)).toBe(path.resolve(ROOT))
    expect(docsLocation('troubleshooting.md#no-docker-engine')).toBe(`${path.join(ROOT, 'docs', 'troubleshooting.md')}#no-docker-engine`)
    expect(docsLocation('deploy/README.md')).toBe(path.join(ROOT, 'docs', 'deploy', 'README.md'))
    expect(docsLine('dev-loop.md')).toBe(`Docs: ${path.join(ROOT, 'docs', 'dev-loop.md')}`)
  })

  it('cover every command of the manifest, subcommands included, each with a page of its own', () => {
    const ids = Object.keys(manifest.commands).map((id) => id.replaceAll(':', ' '))
    expect(ids.length).toBeGreaterThan(10)
    expect(ids.filter((id) => !COMMAND_DOCS[id])).toEqual([])
    expect(commandDocs('config:validate')).toBe('configuration.md')
    expect(commandDocs('deploy status')).toBe('deploy/README.md')
    expect(commandDocs('plugins:install')).toBe(COMMAND_DOCS.plugins) // a plugin's subcommand: its topic's page
    expect(commandDocs('someone-elses')).toBe(FALLBACK_DOCS)
  })
})

describe('sls-run with no arguments', () => {
  it('starts a newcomer with the quickstart, then points at --help and the docs', () => {
    const text = startHere('sls-run')
    expect(text.split('\n')[0]).toMatch(/^sls-run \S.*serverless containers/)
    expect(text).toMatch(/^ {2}sls-run init my-app --template node {2,}\S/m)
    expect(text).toMatch(/^ {2}cd my-app && sls-run dev {2,}\S/m)
    expect(text).toMatch(/^ {2}sls-run build {2,}\S/m)
    expect(text.split('\n').at(-1)).toBe(`sls-run --help for every command; docs: ${docsLocation(START_DOCS)}`)
  })
})
