/**
 * `sls-run dev` as a user runs it (built CLI, process runtime) with a secret exported in its own
 * environment: the instance does not see it (production instances would not), but sees what
 * `dev.inheritEnv` names and what a toolchain needs (PATH, HOME).
 */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ndjsonEvents, useCliProcesses } from '../helpers/cli.js'
import { useTempDir } from '../helpers/temp.js'
import { waitFor } from '../helpers/wait.js'

const APP = fileURLToPath(new URL('../fixtures/apps/platform-probe.mjs', import.meta.url))
const tempDir = useTempDir('sls-run-dev-env-')
const startCli = useCliProcesses()

describe('what an instance inherits from `sls-run dev`', () => {
  it("AWS_SECRET_ACCESS_KEY exported on the host stays out; dev.inheritEnv's names come in", async () => {
    const dir = tempDir()
    writeFileSync(path.join(dir, 'sls-run.yaml'), `name: t\nservices:\n  probe:\n    dev: { command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(APP)}], inheritEnv: [SHARED_SETTING] }\n`)
    const child = startCli(['dev', '--json', '--runtime', 'process', '--port', '0', '--admin-port', '0', '--no-watch'], {
      cwd: dir,
      env: { AWS_SECRET_ACCESS_KEY: 'leak-canary', SHARED_SETTING: 'on' },
    })
    let stdout = ''
    child.stdout!.on('data', (chunk) => (stdout += chunk))
    const listening = await waitFor(() => ndjsonEvents(stdout).find((e) => e.type === 'listening'), 15_000)
    const env = (await (await fetch(`${listening.url}/env`)).json()) as Record<string, string>
    expect(JSON.stringify(env)).not.toContain('leak-canary')
    expect(env).toMatchObject({ SHARED_SETTING: 'on', PATH: process.env.PATH, K_SERVICE: 'probe' })
    expect(Object.keys(env).filter((k) => k !== 'PATH' && k !== 'HOME' && k !== 'SHARED_SETTING' && k !== 'PORT' && !k.startsWith('K_') && !k.startsWith('SLS_RUN_'))).toEqual([])
  })
})
