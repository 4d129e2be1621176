/**
 * A third-party provider as an oclif plugin (test/fixtures/plugin-provider, linked through the user
 * plugins file of a temporary SLS_RUN_DATA_DIR): the sls-run:providers hook registers it, its settings
 * schema is applied, and deploy / status / remove go through it like a built-in adapter.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { BIN, envelope, runCli } from '../helpers/cli.js'
import { useTempDir } from '../helpers/temp.js'

const PLUGIN = fileURLToPath(new URL('../fixtures/plugin-provider', import.meta.url))
const IMAGE = `ghcr.io/acme/api@sha256:${'cd'.repeat(32)}`
const OTHER = `ghcr.io/acme/api@sha256:${'ef'.repeat(32)}`

describe('provider plugins', () => {
  const tempDir = useTempDir('sls-run-plugin-e2e-')
  const setup = (settings: string) => {
    const data = tempDir()
    writeFileSync(path.join(data, 'package.json'), JSON.stringify({ private: true, oclif: { schema: 1, plugins: [{ name: 'sls-run-provider-example', type: 'link', root: PLUGIN }] } }))
    const dir = tempDir()
    const state = path.join(dir, 'state')
    writeFileSync(
      path.join(dir, 'sls-run.yaml'),
      [
        'name: shop',
        'services:',
        '  api:',
        '    port: 8080',
        'environments:',
        '  edge:',
        '    provider: plugin',
        '    plugin: example',
        `    settings: ${settings.replace('STATE', JSON.stringify(state))}`,
        '  typo:',
        '    provider: plugin',
        '    plugin: exmaple',
        '',
      ].join('\n'),
    )
    mkdirSync(state)
    return { cwd: dir, env: { SLS_RUN_DATA_DIR: data }, state }
  }

  it('deploys, reports unchanged on the same digest, shows status and removes', async () => {
    const { cwd, env, state } = setup('{ stateDir: STATE }')
    const run = (args: string[]) => runCli(args, { cwd, env })
    const first = await run(['deploy', '--env', 'edge', '--image', IMAGE, '--json'])
    expect(first.code, first.stderr).toBe(0)
    const out = envelope(first)
    expect(out.result).toEqual([
      { service: 'api', env: 'edge', provider: 'example', url: 'http://api.local.example.test', revision: 'api-00001', digest: IMAGE.split('@')[1], image: IMAGE, unchanged: false, ready: true },
    ])
    expect(out.warnings).toEqual([expect.stringContaining('[EXAMPLE_NO_SCALE_TO_ZERO]')])
    expect(JSON.parse(readFileSync(path.join(state, 'api.json'), 'utf8')).manifest.image).toBe(IMAGE)

    const again = envelope(await run(['deploy', '--env', 'edge', '--image', IMAGE, '--json']))
    expect(again.result[0]).toMatchObject({ revision: 'api-00001', unchanged: true })
    const next = envelope(await run(['deploy', '--env', 'edge', '--image', OTHER, '--json']))
    expect(next.result[0]).toMatchObject({ revision: 'api-00002', unchanged: false })

    const status = envelope(await run(['deploy', 'status', '--env', 'edge', '--json']))
    expect(status.result).toEqual([expect.objectContaining({ service: 'api', exists: true, ready: true, image: OTHER, revision: 'api-00002', provider: 'example' })])
    const human = await run(['deploy', 'status', '--env', 'edge'])
    expect(human.stdout).toMatch(/^api\s+ready\s+api-00002\s+http:\/\/api\.local\.example\.test/m)

    const removed = envelope(await run(['deploy', 'remove', '--env', 'edge', '--yes', '--json']))
    expect(removed.result).toEqual([{ service: 'api', env: 'edge', provider: 'example', removed: true }])
    expect(existsSync(path.join(state, 'api.json'))).toBe(false)
    const gone = envelope(await run(['deploy', 'status', '--env', 'edge', '--json']))
    expect(gone.result[0]).toMatchObject({ exists: false, ready: false })
  }, 60_000)

  it("applies the plugin's settings schema, and names the plugin providers when an id is unknown", async () => {
    const { cwd, env } = setup('{ stateDir: STATE, colour: blue }')
    const bad = await runCli(['deploy', '--env', 'edge', '--image', IMAGE], { cwd, env })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('error CONFIG_INVALID ')
    expect(bad.stderr).toContain('environments.edge.settings.colour: is not a known key')
    const typo = await runCli(['deploy', '--env', 'typo', '--image', IMAGE], { cwd, env })
    expect(typo.code).toBe(2)
    expect(typo.stderr).toContain('error DEPLOY_PROVIDER_UNSUPPORTED no provider "exmaple"; did you mean "example"?')
    // Without the plugin the id is unknown too, and nothing was loaded from it.
    const without = await runCli(['deploy', '--env', 'edge', '--image', IMAGE], { cwd })
    expect(without.code).toBe(2)
    expect(without.stderr).toContain('no provider "example"')
  }, 60_000)

  it('on a terminal it asks first: no sends nothing (ABORTED, exit 2), yes deploys', async () => {
    const { cwd, env, state } = setup('{ stateDir: STATE }')
    // util-linux `script` gives the command a pseudo-terminal; the answer is typed ahead on it.
    const onTty = (answer: string) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn('script', ['-qec', `exec '${process.execPath}' '${BIN}' deploy --env edge --image '${IMAGE}'`, '/dev/null'], {
          cwd,
          env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm', ...env },
          stdio: ['pipe', 'pipe', 'pipe'],
        })
        let out = ''
        child.stdout.on('data', (chunk) => (out += chunk))
        child.stdin.write(`${answer}\n`)
        child.on('close', (code) => resolve({ code, out }))
      })
    const no = await onTty('n')
    expect(no.out).toContain('Deploy api to edge (example)? [y/N]')
    expect(no.out).toContain('ABORTED')
    expect(no.code).toBe(2)
    expect(existsSync(path.join(state, 'api.json'))).toBe(false)
    const yes = await onTty('y')
    expect(yes.code, yes.out).toBe(0)
    expect(yes.out).toMatch(/api: .*deployed.* api-00001 http:\/\/api\.local\.example\.test/)
    expect(existsSync(path.join(state, 'api.json'))).toBe(true)
  }, 60_000)
})
