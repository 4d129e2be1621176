/**
 * `sls-run plugins install`, as the README promises for provider plugins: the example provider
 * (test/fixtures/plugin-provider) packed as a tarball, installed into a temporary SLS_RUN_DATA_DIR through
 * oclif's plugins commands, used by `deploy --dry-run`, and uninstalled again. No registry is involved.
 */
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { envelope, runCli } from '../helpers/cli.js'
import { useTempDir } from '../helpers/temp.js'
import { stripVTControlCharacters } from 'node:util'

const PLUGIN = fileURLToPath(new URL('../fixtures/plugin-provider', import.meta.url))
const IMAGE = `ghcr.io/acme/api@sha256:${'cd'.repeat(32)}`

describe('sls-run plugins', () => {
  const tempDir = useTempDir('sls-run-plugins-')

  it('install file:<tarball> makes its provider usable; uninstall removes it', async () => {
    const [data, tarballs, project] = [tempDir(), tempDir(), tempDir()]
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)))
    const [packed] = JSON.parse(execFileSync('npm', ['pack', PLUGIN, '--json', '--pack-destination', tarballs], { encoding: 'utf8', env })) as Array<{ filename: string }>
    writeFileSync(
      path.join(project, 'sls-run.yaml'),
      ['name: shop', 'services:', '  api:', '    port: 8080', 'environments:', '  edge:', '    provider: plugin', '    plugin: example', '    settings: { stateDir: ./state }', ''].join('\n'),
    )
    const run = (args: string[]) => runCli(args, { cwd: project, env: { SLS_RUN_DATA_DIR: data }, timeoutMs: 60_000 })

    const install = await run(['plugins', 'install', `file:${path.join(tarballs, packed!.filename)}`])
    expect(install.code, install.stderr).toBe(0)
    expect(stripVTControlCharacters((await run(['plugins'])).stdout)).toMatch(/^sls-run-provider-example 1\.0\.0/m)
    const planned = await run(['deploy', '--env', 'edge', '--dry-run', '--image', IMAGE, '--json'])
    expect(planned.code, planned.stdout + planned.stderr).toBe(0)
    expect(envelope(planned).result).toEqual([expect.objectContaining({ provider: 'example', service: 'api', image: IMAGE })])

    const uninstall = await run(['plugins', 'uninstall', 'sls-run-provider-example'])
    expect(uninstall.code, uninstall.stderr).toBe(0)
    const gone = await run(['deploy', '--env', 'edge', '--dry-run', '--image', IMAGE, '--json'])
    expect(gone.code).toBe(2)
  }, 90_000)
})
