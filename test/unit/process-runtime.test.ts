import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { ProcessRuntime } from '../../src/runtime/process/process-runtime.js'
import { waitForPort } from '../../src/runtime/probe-port.js'
import type { InstanceSpec, LogLine, RuntimeInstance } from '../../src/runtime/types.js'
import { waitFor } from '../helpers/wait.js'

const appsDir = fileURLToPath(new URL('../fixtures/apps/', import.meta.url))
const node = process.execPath
const runtime = new ProcessRuntime()
const started: RuntimeInstance[] = []

afterEach(async () => {
  await Promise.all(started.splice(0).map((instance) => runtime.stop(instance, 200)))
})

function spec(command: InstanceSpec['command'], env: Record<string, string> = {}): InstanceSpec {
  return { service: 'api', revision: 'api-00001', instanceId: 'api#1', command, cwd: appsDir, env, port: 8080 }
}

async function start(command: InstanceSpec['command'], env?: Record<string, string>) {
  const logs: LogLine[] = []
  const instance = await runtime.start(spec(command, env), (line) => logs.push(line))
  started.push(instance)
  return { instance, logs }
}

/** Zombies count as dead: they are gone but wait for PID 1, which reaps slowly in some containers. */
function isAlive(pid: number): boolean {
  try {
    if (/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return false
  } catch {
    // no /proc (macOS), or the process is gone
  }
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

const hasLine = (logs: LogLine[], stream: LogLine['stream'], text: string) => logs.some((l) => l.stream === stream && l.line.includes(text))

describe('process runtime', () => {
  it('gives the app PORT = address.port and the spec env, and the app answers there', async () => {
    const { instance } = await start([node, 'echo-env.mjs'], { K_SERVICE: 'api', K_REVISION: 'api-00001', EXTRA: 'x y' })
    expect(instance.address.host).toBe('127.0.0.1')
    await waitForPort('127.0.0.1', instance.address.port, { deadline: Date.now() + 5000 })
    const body = (await (await fetch(`http://127.0.0.1:${instance.address.port}/`)).json()) as { env: Record<string, string>; pid: number }
    expect(body.env).toMatchObject({ PORT: String(instance.address.port), K_SERVICE: 'api', K_REVISION: 'api-00001', EXTRA: 'x y' })
    expect(body.pid).toBe(instance.pid)
  })

  it('passes stdout and stderr lines to onLog and keeps them for lastLines, including a last line without newline', async () => {
    const { instance, logs } = await start([node, 'echo-env.mjs'])
    await waitFor(() => hasLine(logs, 'stderr', 'a warning on stderr'), 5000, 25, 'the stderr line')
    expect(logs.find((l) => l.line.startsWith('listening on'))).toMatchObject({ instanceId: 'api#1', stream: 'stdout', line: `listening on ${instance.address.port}` })
    expect(logs.every((l) => typeof l.at === 'number' && l.at > 0)).toBe(true)
    expect(instance.lastLines(10)).toEqual(expect.arrayContaining([`listening on ${instance.address.port}`, 'a warning on stderr']))
    await runtime.stop(instance, 5000)
    expect(hasLine(logs, 'stdout', 'bye without newline')).toBe(true)
    expect(instance.lastLines(1)).toEqual(['bye without newline'])
  })

  it('keeps only the last 200 lines', async () => {
    const { instance } = await start([node, '-e', 'for (let i = 0; i < 250; i++) console.log("line " + i)'])
    await instance.exited
    const lines = instance.lastLines(1000)
    expect(lines).toHaveLength(200)
    expect([lines[0], lines[199]]).toEqual(['line 50', 'line 249'])
    expect(instance.lastLines(2)).toEqual(['line 248', 'line 249'])
  })

  it('gives the app an stdin at end-of-file', async () => {
    const { logs } = await start([node, 'echo-env.mjs'])
    await waitFor(() => hasLine(logs, 'stdout', 'stdin: eof'), 5000, 25, 'stdin end')
  })

  it('stops a well-behaved app with SIGTERM, well within the grace', async () => {
    const { instance } = await start([node, 'echo-env.mjs'])
    await waitForPort('127.0.0.1', instance.address.port, { deadline: Date.now() + 5000 })
    const before = Date.now()
    const info = await runtime.stop(instance, 10_000)
    expect(Date.now() - before).toBeLessThan(3000)
    expect(info.reason).toBe('stopped')
    expect(info.code === 0 || info.signal === 'SIGTERM').toBe(true)
    expect(await instance.exited).toEqual(info)
  })

  it('kills an app that ignores SIGTERM after the grace', async () => {
    const { instance, logs } = await start([node, 'ignore-sigterm.mjs'])
    await waitFor(() => hasLine(logs, 'stdout', 'listening'), 5000, 25, 'listening')
    const before = Date.now()
    const info = await runtime.stop(instance, 300)
    const elapsed = Date.now() - before
    expect(info).toMatchObject({ reason: 'killed', code: null, signal: 'SIGKILL' })
    expect(elapsed).toBeGreaterThanOrEqual(250)
    expect(elapsed).toBeLessThan(3000)
    expect(hasLine(logs, 'stdout', 'ignoring SIGTERM')).toBe(true)
  })

  it('stops the whole process group of a shell-form command, grandchildren included', async () => {
    // `; true` keeps the shell from exec-ing node, so there really are three generations.
    const { instance, logs } = await start(`${JSON.stringify(node)} spawns-child.mjs; true`)
    await waitFor(() => hasLine(logs, 'stdout', 'grandchild '), 5000, 25, 'the grandchild pid')
    const grandchild = Number(logs.find((l) => l.line.startsWith('grandchild '))!.line.split(' ')[1])
    expect(isAlive(grandchild)).toBe(true)
    const info = await runtime.stop(instance, 2000)
    expect(info.reason).toBe('stopped')
    await waitFor(() => !isAlive(grandchild), 2000, 25, `pid ${grandchild} to end`)
  })

  it('lets an app under a shell finish its graceful shutdown after the shell dies', async () => {
    const { instance, logs } = await start(`${JSON.stringify(node)} echo-env.mjs; true`)
    await waitForPort('127.0.0.1', instance.address.port, { deadline: Date.now() + 5000 })
    const info = await runtime.stop(instance, 5000)
    expect(info.reason).toBe('stopped')
    expect(hasLine(logs, 'stdout', 'bye without newline')).toBe(true)
  })

  it('rejects with INSTANCE_SPAWN_FAILED when an exec-form binary does not exist', async () => {
    await expect(runtime.start(spec(['sls-run-no-such-binary-xyz', '--port']), () => {})).rejects.toMatchObject({
      code: 'INSTANCE_SPAWN_FAILED',
      message: expect.stringContaining('api#1: cannot start sls-run-no-such-binary-xyz --port'),
      hints: ['Check dev.command and dev.cwd in sls-run.yaml.'],
    })
  })

  it('rejects with INSTANCE_SPAWN_FAILED when the cwd does not exist', async () => {
    const missing = path.join(appsDir, 'no-such-dir')
    await expect(runtime.start({ ...spec([node, 'echo-env.mjs']), cwd: missing }, () => {})).rejects.toMatchObject({
      code: 'INSTANCE_SPAWN_FAILED',
      message: expect.stringContaining(missing),
    })
  })

  it('treats a shell command that is not found as a normal exit (127)', async () => {
    const { instance } = await start('sls-run-no-such-binary-xyz')
    expect(await instance.exited).toMatchObject({ code: 127, reason: 'exited' })
  })

  it('reports an app that exits by itself', async () => {
    const { instance } = await start([node, '-e', 'process.exit(3)'])
    expect(await instance.exited).toEqual({ code: 3, signal: null, reason: 'exited' })
    expect(await runtime.stop(instance, 200)).toEqual({ code: 3, signal: null, reason: 'exited' })
  })

  it('is safe to stop twice, concurrently or after the fact', async () => {
    const { instance, logs } = await start([node, 'ignore-sigterm.mjs'])
    await waitFor(() => hasLine(logs, 'stdout', 'listening'), 5000, 25, 'listening')
    const [first, second] = await Promise.all([runtime.stop(instance, 200), runtime.stop(instance, 200)])
    const third = await runtime.stop(instance, 200)
    expect(first.reason).toBe('killed')
    expect(second).toEqual(first)
    expect(third).toEqual(first)
  })
})
