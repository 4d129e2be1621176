/**
 * `sls-run dev --inspect` on the node template (built CLI, process runtime, its own `dev.build` and `dev.command`): the
 * stable debugger port answers /json/list; a debugger attached through it pauses the app (driven here
 * through the inspector protocol over a real WebSocket), and a request held at the pause waits past the
 * service's `timeout` without a 504, then is answered once the debugger resumes.
 */
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { WebSocket } from 'undici'
import { describe, expect, it } from 'vitest'
import { ndjsonEvents, runCli, useCliProcesses } from '../helpers/cli.js'
import { useTempDir } from '../helpers/temp.js'
import { waitFor } from '../helpers/wait.js'

const REPO_MODULES = fileURLToPath(new URL('../../node_modules', import.meta.url))
const tempDir = useTempDir('sls-run-inspect-')
const startCli = useCliProcesses()

/** A minimal inspector-protocol client: commands by id, notifications by method. */
async function inspector(url: string) {
  const ws = new WebSocket(url)
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true })
    ws.addEventListener('error', () => reject(new Error(`cannot open ${url}`)), { once: true })
  })
  const notifications: string[] = []
  const replies = new Map<number, unknown>()
  ws.addEventListener('message', (message) => {
    const data = JSON.parse(String(message.data)) as { id?: number; method?: string; result?: unknown }
    if (data.id !== undefined) replies.set(data.id, data.result ?? data)
    else if (data.method) notifications.push(data.method)
  })
  let next = 0
  return {
    notifications,
    async send(method: string): Promise<unknown> {
      const id = ++next
      ws.send(JSON.stringify({ id, method, params: {} }))
      return waitFor(() => replies.get(id), 10_000, 10)
    },
    close: () => ws.close(),
  }
}

describe('sls-run dev --inspect (node template, process runtime)', () => {
  it('debugger port answers /json/list; paused at a breakpoint, a request outlives `timeout` without a 504 and is answered after resume', async () => {
    const parent = tempDir()
    const init = await runCli(['init', 'app', '--template', 'node', '--port', '8123', '--json'], { cwd: parent })
    expect(init.code, init.stderr).toBe(0)
    const dir = path.join(parent, 'app')
    symlinkSync(REPO_MODULES, path.join(dir, 'node_modules'), 'dir') // typescript and @types/node for its dev.build, offline
    const yaml = path.join(dir, 'sls-run.yaml')
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('    port: 8123\n', '    port: 8123\n    timeout: 1s\n'))

    const child = startCli(['dev', '--json', '--runtime', 'process', '--inspect', '--inspect-port', '0', '--port', '0', '--admin-port', '0', '--no-watch'], { cwd: dir })
    let stdout = ''
    child.stdout!.on('data', (chunk) => (stdout += chunk))
    const events = () => ndjsonEvents(stdout)
    const announced = await waitFor(() => events().find((e) => e.type === 'debugger'), 60_000)
    expect(announced).toMatchObject({ service: 'app', id: 'app#1', kind: 'node', state: 'listening' })
    const debugUrl = new URL(announced.url as string)
    expect(debugUrl.hostname).toBe('127.0.0.1')

    // The stable port answers like Node's own inspector, and names itself in the URLs.
    const list = (await (await fetch(`http://${debugUrl.host}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>
    expect(list).toHaveLength(1)
    expect(list[0]!.webSocketDebuggerUrl).toBe(announced.url)

    const gateway = events().find((e) => e.type === 'listening')!.url as string
    const admin = events().find((e) => e.type === 'admin')!.url as string
    const status = (await (await fetch(`${admin}/api/status`)).json()) as { services: Array<{ instances: Array<{ id: string; state: string; debugging?: boolean }> }> }
    expect(status.services[0]!.instances).toEqual([expect.objectContaining({ id: 'app#1', state: 'ready', debugging: true })])

    const debuggerClient = await inspector(announced.url as string)
    try {
      await debuggerClient.send('Debugger.enable')
      await debuggerClient.send('Debugger.pause') // pauses at the next JavaScript the app runs: our request
      let settled = false
      const started = Date.now()
      const answer = fetch(gateway).then(async (res) => {
        settled = true
        return { status: res.status, body: await res.text() }
      })
      await waitFor(() => debuggerClient.notifications.includes('Debugger.paused'), 15_000, 10)
      // Held at the pause for more than twice the service's 1 s timeout: no 504 may arrive meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 2500))
      expect(settled).toBe(false)
      await debuggerClient.send('Debugger.resume')
      const res = await answer
      expect(res.status).toBe(200)
      expect(JSON.parse(res.body)).toMatchObject({ service: 'app', message: 'Hello from app' })
      expect(Date.now() - started).toBeGreaterThan(2500)
      await waitFor(() => events().find((e) => e.type === 'request'))
      expect(events().find((e) => e.type === 'request')).toMatchObject({ status: 200, instanceId: 'app#1' })
    } finally {
      debuggerClient.close()
    }
  })

  it('--inspect with several services and no =SERVICE: INSPECT_SERVICE_REQUIRED, exit 2, naming them', async () => {
    const dir = tempDir()
    writeFileSync(path.join(dir, 'sls-run.yaml'), `name: t\nservices:\n  api:\n    dev: { command: node a.js }\n  web:\n    dev: { command: node b.js }\n`)
    const r = await runCli(['dev', '--runtime', 'process', '--inspect', '--port', '0', '--admin-port', '0', '--no-watch', '--json'], { cwd: dir })
    expect(r.code).toBe(2)
    const error = ndjsonEvents(r.stdout).at(-1)!.error as { code: string; hints: string[] } // the stream's last line: the error envelope
    expect(error.code).toBe('INSPECT_SERVICE_REQUIRED')
    expect(error.hints.join(' ')).toContain('--inspect=api')
  })
})
