/**
 * The node template on the process runtime, as `init`'s next steps run it (built CLI): without its
 * dependencies `dev` stops at once and says what to install (no 503s); with them, `dev.build` compiles
 * once per revision (its own event and time), instances start only the built app (a cold start measures
 * the app, not tsc), and a saved source file is rebuilt and reloaded.
 */
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ndjsonEvents, runCli, useCliProcesses } from '../helpers/cli.js'
import { useTempDir } from '../helpers/temp.js'
import { waitFor } from '../helpers/wait.js'

const REPO_MODULES = fileURLToPath(new URL('../../node_modules', import.meta.url))
const tempDir = useTempDir('sls-run-dev-build-')
const startCli = useCliProcesses()

async function nodeApp(): Promise<string> {
  const parent = tempDir()
  const init = await runCli(['init', 'app', '--template', 'node', '--port', '8123', '--json'], { cwd: parent })
  expect(init.code, init.stderr).toBe(0)
  return path.join(parent, 'app')
}

describe('dev.build on the process runtime (node template)', () => {
  it('no node_modules: DEV_DEPENDENCIES_MISSING at once, exit 3, naming the install command', async () => {
    const dir = await nodeApp()
    const r = await runCli(['dev', '--runtime', 'process', '--port', '0', '--admin-port', '0', '--no-watch'], { cwd: dir })
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('DEV_DEPENDENCIES_MISSING')
    expect(r.stderr).toContain('npm ci')
  })

  it('builds once per revision; the cold start is the app, not the compiler; a save rebuilds and reloads', async () => {
    const dir = await nodeApp()
    symlinkSync(REPO_MODULES, path.join(dir, 'node_modules'), 'dir') // typescript and @types/node, offline
    const child = startCli(['dev', '--json', '--runtime', 'process', '--port', '0', '--admin-port', '0'], { cwd: dir })
    let stdout = ''
    child.stdout!.on('data', (chunk) => (stdout += chunk))
    const events = () => ndjsonEvents(stdout)
    const listening = await waitFor(() => events().find((e) => e.type === 'listening'), 60_000)
    const built = events().find((e) => e.type === 'rebuild' && e.first)
    expect(built).toMatchObject({ service: 'app', state: 'done' })
    expect((await fetch(listening.url)).status).toBe(200)
    const coldStart = await waitFor(() => events().find((e) => e.type === 'cold-start'))
    expect(coldStart.coldStart.totalMs).toBeLessThan(built!.durationMs) // node dist/server.js boots faster than tsc compiles

    const source = path.join(dir, 'src', 'app.ts')
    writeFileSync(source, readFileSync(source, 'utf8').replace("message: 'Hello from app'", "message: 'Hello again'"))
    const reload = await waitFor(() => events().find((e) => e.type === 'reload'), 60_000)
    expect(reload).toMatchObject({ service: 'app', files: ['src/app.ts'], revision: 'app-00002' })
    expect(reload.buildMs).toBeGreaterThan(0)
    expect(await (await fetch(listening.url)).json()).toMatchObject({ message: 'Hello again' })
  })
})
