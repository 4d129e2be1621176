/**
 * `sls-run config validate` (the built CLI) refuses configs that used to validate and then could not run
 * in `sls-run dev`: a NUL in an env value, an envFile that is a folder or holds a malformed line, a
 * dev.cwd that does not exist, a reversed cold-start delay range. Each is a located diagnostic.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { envelope, runCli } from '../helpers/cli.js'
import { useTempDir } from '../helpers/temp.js'

const tempDir = useTempDir()

const yaml = [
  'name: shop',
  'services:',
  '  api:',
  '    env: { TOKEN: "a\\0b" }',
  '    envFile: settings',
  '    dev: { cwd: src, coldStart: { delay: 2s-1s } }',
  '  web:',
  '    envFile: .env',
  '',
].join('\n')

describe('sls-run config validate: configs that cannot run', () => {
  it('exits 2 with a located diagnostic for each, in --json and in plain output', async () => {
    const dir = tempDir()
    writeFileSync(path.join(dir, 'sls-run.yaml'), yaml)
    mkdirSync(path.join(dir, 'settings'))
    writeFileSync(path.join(dir, '.env'), 'A=1\nB\n')

    const json = await runCli(['config', 'validate', '--json'], { cwd: dir })
    expect(json.code).toBe(2)
    const out = envelope(json)
    expect(out).toMatchObject({ status: 'error', error: { code: 'CONFIG_INVALID', message: 'sls-run.yaml: 5 problems found' } })
    const found = (out.error!.details.diagnostics as Array<{ line: number; column: number; code: string; path: string; severity: string }>).map(
      (d) => `${d.line}:${d.column} ${d.severity} ${d.code} ${d.path}`,
    )
    expect(found).toEqual([
      '4:19 error CONFIG_INVALID services.api.env.TOKEN',
      '5:14 error ENV_FILE_INVALID services.api.envFile',
      '6:17 error CONFIG_DEV_CWD_MISSING services.api.dev.cwd',
      '6:42 error CONFIG_INVALID services.api.dev.coldStart.delay',
      '8:14 error ENV_FILE_INVALID services.web.envFile',
    ])

    const plain = await runCli(['config', 'validate'], { cwd: dir })
    expect(plain.code).toBe(2)
    expect(plain.stdout).toBe('')
    expect(plain.stderr).toContain('sls-run.yaml:5:14 error ENV_FILE_INVALID')
    expect(plain.stderr).toMatch(/sls-run\.yaml:6:17 error CONFIG_DEV_CWD_MISSING dev\.cwd .*src does not exist/)
    expect(plain.stderr).toMatch(/sls-run\.yaml:8:14 error ENV_FILE_INVALID .*\.env:2: not a KEY=value line/)
  })
})
