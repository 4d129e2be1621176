/**
 * Error codes of `sls-run dev` that no other unit test reaches: an envFile that cannot be read, a failing
 * dev.build, a debugger that is not installed, and a debugger port that is taken.
 */
import { writeFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/core/config/load.js'
import { readEnvFile } from '../../src/core/config/dotenv.js'
import { runDevBuild } from '../../src/core/devloop/process-build.js'
import { DebugSession } from '../../src/core/emulator/debugging.js'
import { useTempDir } from '../helpers/temp.js'

const tempDir = useTempDir('sls-run-errors-dev-')

describe('ENV_FILE_NOT_FOUND', () => {
  it('an envFile that cannot be read (exit 2); a readable one is read', () => {
    const dir = tempDir()
    expect(() => readEnvFile(path.join(dir, '.env'))).toThrow(expect.objectContaining({ code: 'ENV_FILE_NOT_FOUND', exitCode: 2 }))
    writeFileSync(path.join(dir, '.env'), 'A=1\n')
    expect(readEnvFile(path.join(dir, '.env'))).toEqual({ A: '1' })
  })
})

describe('DEV_BUILD_FAILED', () => {
  it('dev.build exits non-zero: DEV_BUILD_FAILED (exit 1) with its last output lines', async () => {
    const dir = tempDir()
    writeFileSync(
      path.join(dir, 'sls-run.yaml'),
      `name: shop\nservices:\n  api:\n    dev:\n      command: node server.js\n      build: "echo compiling; echo 'src/a.ts: error' >&2; exit 3"\n      cwd: .\n`,
    )
    const { config } = await loadConfig({ cwd: dir, env: {} })
    const error = await runDevBuild('api', config.services.api!, { PATH: process.env.PATH }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'DEV_BUILD_FAILED', exitCode: 1, details: { service: 'api', exitCode: 3, lastLines: ['compiling', 'src/a.ts: error'] } })
  })
})

describe('--inspect', () => {
  const servers: net.Server[] = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))))
  })

  it('INSPECT_UNAVAILABLE (exit 3): the interpreter has no debugpy (here: no interpreter at all)', async () => {
    const missing = path.join(tempDir(), 'bin', 'python3')
    await expect(DebugSession.start({ service: 'api', port: 0 }, [missing, 'app.py'], 'process', () => {})).rejects.toMatchObject({ code: 'INSPECT_UNAVAILABLE', exitCode: 3 })
  })

  it('PORT_IN_USE (exit 2): the debugger port is taken', async () => {
    const taken = net.createServer()
    servers.push(taken)
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const port = (taken.address() as net.AddressInfo).port
    await expect(DebugSession.start({ service: 'api', port }, ['node', 'server.js'], 'process', () => {})).rejects.toMatchObject({
      code: 'PORT_IN_USE',
      exitCode: 2,
      message: expect.stringContaining(String(port)),
    })
  })
})
