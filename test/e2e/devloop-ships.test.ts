/**
 * `sls-run dev > events.ndjson 2> dev.err` run from the service's own folder, as a new user does (the built
 * CLI, real files, real watcher): an app that writes into its own folder on every request (an ignored
 * uploads folder, Python bytecode, a log) and the session's own redirected output cause no reload, the
 * instance scales to zero, and a real edit afterwards is exactly one reload naming exactly that file.
 */
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { freePort } from '../../src/runtime/free-port.js'
import { ndjsonEvents, useCliProcesses } from '../helpers/cli.js'
import { useTempDir } from '../helpers/temp.js'
import { waitFor } from '../helpers/wait.js'

const tempDir = useTempDir('sls-run-ships-e2e-')
const startCli = useCliProcesses()

const app = (version: string) => `import fs from 'node:fs'
import http from 'node:http'
fs.mkdirSync('uploads', { recursive: true })
fs.mkdirSync('__pycache__', { recursive: true })
let n = 0
http.createServer((req, res) => {
  req.resume()
  n++
  fs.appendFileSync('uploads/hits.txt', n + '\\n')
  fs.writeFileSync('__pycache__/handler.cpython-311.pyc', String(n))
  fs.appendFileSync('app.log', 'request ' + n + '\\n')
  console.log('served', n)
  res.end(${JSON.stringify(version)})
}).listen(Number(process.env.PORT), '127.0.0.1')
process.on('SIGTERM', () => process.exit(0))
`

describe('what the dev loop watches (built CLI, output redirected into the service folder)', () => {
  it('50 requests that write into the folder and the redirected log cause no reload; the instance scales to zero; one edit is one reload', async () => {
    const dir = tempDir()
    writeFileSync(path.join(dir, 'server.mjs'), app('v0'))
    writeFileSync(path.join(dir, '.gitignore'), 'uploads/\n')
    writeFileSync(path.join(dir, 'sls-run.yaml'), `name: t\nservices:\n  web:\n    scaling: { idleTimeout: 1s }\n    dev: { command: [${JSON.stringify(process.execPath)}, server.mjs] }\n`)
    const [port, adminPort] = [await freePort(), await freePort()]
    const out = openSync(path.join(dir, 'events.ndjson'), 'a')
    const err = openSync(path.join(dir, 'dev.err'), 'a')
    startCli(['dev', '--json', '--runtime', 'process', '--port', String(port), '--admin-port', String(adminPort)], { cwd: dir, stdio: ['ignore', out, err] })
    closeSync(out)
    closeSync(err)
    const events = () => ndjsonEvents(readFileSync(path.join(dir, 'events.ndjson'), 'utf8'))
    await waitFor(() => events().some((e) => e.type === 'listening'), 15_000)

    // 50 requests over about 10 s (every 200 ms), each answered.
    const url = `http://127.0.0.1:${port}/`
    for (let i = 0; i < 50; i++) {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) })
      expect(await res.text()).toBe('v0')
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    expect(readFileSync(path.join(dir, 'uploads/hits.txt'), 'utf8').trim().split('\n')).toHaveLength(50)
    expect(existsSync(path.join(dir, '__pycache__/handler.cpython-311.pyc'))).toBe(true)
    await waitFor(() => events().some((e) => e.type === 'log' && e.line === 'served 50')) // the redirected stdout grew with every request

    // Idle for idleTimeout: the one instance drains and stops (scale to zero).
    await waitFor(() => events().some((e) => e.type === 'instance' && e.state === 'draining' && e.reason === 'idle'), 15_000)
    await waitFor(() => events().some((e) => e.type === 'instance' && e.state === 'stopped'), 15_000)
    const reloadsBefore = events().filter((e) => e.type === 'reload' || e.type === 'change' || e.type === 'revision')
    expect(reloadsBefore).toEqual([])
    expect(events().filter((e) => e.type === 'request')).toHaveLength(50)
    // One type for `at` in every event, log lines included: an ISO 8601 string.
    expect(events().filter((e) => e.type === 'log').length).toBeGreaterThanOrEqual(50)
    expect(events().filter((e) => typeof e.at !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(e.at))).toEqual([])

    // A real edit: one reload, naming that file only.
    writeFileSync(path.join(dir, 'server.mjs'), app('v1'))
    await waitFor(() => events().some((e) => e.type === 'reload'), 15_000)
    expect(await (await fetch(url)).text()).toBe('v1')
    const reloads = events().filter((e) => e.type === 'reload')
    expect(reloads).toHaveLength(1)
    expect(reloads[0]).toMatchObject({ service: 'web', reason: 'files changed', files: ['server.mjs'], fileCount: 1, revision: 'web-00002' })
  })
})
