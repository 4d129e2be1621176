/**
 * Events in `sls-run dev` (the built CLI, process runtime): a per-second schedule wakes a service at
 * zero with Cloud Scheduler's headers; CloudEvents posted to the admin port (binary and structured) are
 * delivered in binary mode with every required attribute and the data intact; invalid events get 400; a
 * subscriber answering 500 is retried and then dead-lettered to the NDJSON file; `sls-run invoke` talks
 * to the live session.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { freePort } from '../../src/runtime/free-port.js'
import { envelope, runCli, useCliProcesses } from '../helpers/cli.js'
import { useTempDir } from '../helpers/temp.js'
import { waitFor } from '../helpers/wait.js'

const SINK = fileURLToPath(new URL('../fixtures/apps/event-sink.mjs', import.meta.url))
const tempDir = useTempDir('sls-run-events-e2e-')
const startCli = useCliProcesses()

interface Received {
  method: string
  path: string
  headers: Record<string, string>
  body: string
}

async function startDev(extraArgs: string[] = []) {
  const dir = tempDir()
  const sinkFile = path.join(dir, 'received.ndjson')
  writeFileSync(
    path.join(dir, 'sls-run.yaml'),
    [
      'name: ev',
      'services:',
      '  sink:',
      `    dev: { command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SINK)}] }`,
      `    env: { SINK_FILE: ${JSON.stringify(sinkFile)} }`,
      '    scaling: { idleTimeout: 2s }',
      '    schedules:',
      '      - name: tick',
      '        cron: "* * * * * *"',
      '        path: /tick?from=scheduler',
      '        body: \'{"job":"tick"}\'',
      '        headers: { content-type: application/json }',
      '    events:',
      '      - type: com.example.order.created',
      '        path: /orders',
      '      - type: com.example.fail',
      '        path: /fail',
      '        retry: { count: 2, minBackoff: 100ms, maxBackoff: 150ms }',
      '',
    ].join('\n'),
  )
  const [port, adminPort] = [await freePort(), await freePort()]
  const child = startCli(['dev', '--json', '--port', String(port), '--admin-port', String(adminPort), ...extraArgs], { cwd: dir })
  let stdout = ''
  child.stdout!.on('data', (chunk) => (stdout += chunk))
  const events = () =>
    stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, any>)
  await waitFor(() => events().some((e) => e.type === 'listening') || undefined, 15_000)
  const received = (): Received[] =>
    existsSync(sinkFile)
      ? readFileSync(sinkFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
      : []
  return { dir, admin: `http://127.0.0.1:${adminPort}`, adminPort, events, received }
}

const body = (r: Received) => Buffer.from(r.body, 'base64').toString('utf8')

describe('events in sls-run dev', () => {
  it('a per-second schedule reaches the service at zero, through the gateway, with Cloud Scheduler headers', async () => {
    const dev = await startDev()
    const first = await waitFor(() => dev.events().find((e) => e.type === 'schedule' && e.outcome === 'ok'), 15_000)
    expect(first).toMatchObject({ service: 'sink', name: 'tick', attempt: 1, status: 200, coldStart: true })
    const got = dev.received().find((r) => r.path === '/tick?from=scheduler')!
    expect(got.method).toBe('POST')
    expect(got.headers).toMatchObject({ 'user-agent': 'Google-Cloud-Scheduler', 'x-cloudscheduler': 'true', 'x-cloudscheduler-jobname': 'tick', 'content-type': 'application/json' })
    expect(Date.parse(got.headers['x-cloudscheduler-scheduletime']!)).toBeGreaterThan(0)
    expect(body(got)).toBe('{"job":"tick"}')
    // It came in as traffic: a request event of the gateway, and the instance was started for it.
    expect(dev.events().some((e) => e.type === 'request' && e.path === '/tick?from=scheduler')).toBe(true)
    const status = await (await fetch(`${dev.admin}/api/schedules`)).json()
    expect(status.jobs[0]).toMatchObject({ service: 'sink', name: 'tick', lastRun: { outcome: 'ok' } })
    expect(Date.parse(status.jobs[0].nextRunAt)).toBeGreaterThan(Date.now() - 1000)
  }, 30_000)

  it('CloudEvents: binary and structured in, binary out with the required attributes and the data intact; invalid → 400', async () => {
    const dev = await startDev(['--no-schedules'])
    const data = JSON.stringify({ order: 42, note: 'ünïcödé' })
    const binary = await fetch(`${dev.admin}/events`, {
      method: 'POST',
      headers: { 'ce-specversion': '1.0', 'ce-id': 'b-1', 'ce-source': '/shop', 'ce-type': 'com.example.order.created', 'ce-subject': 'order-42', 'content-type': 'application/json' },
      body: data,
    })
    expect(binary.status).toBe(202)
    expect(await binary.json()).toMatchObject({ id: 'b-1', subscribers: ['sink'] })
    const structured = await fetch(`${dev.admin}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ specversion: '1.0', id: 's-1', source: '/shop', type: 'com.example.order.created', datacontenttype: 'application/json', data: JSON.parse(data) }),
    })
    expect(structured.status).toBe(202)
    const delivered = await waitFor(() => {
      const got = dev.received().filter((r) => r.path === '/orders')
      return got.length === 2 ? got : undefined
    }, 15_000)
    for (const [r, id] of delivered.map((r) => [r, r.headers['ce-id']] as const)) {
      expect(['b-1', 's-1']).toContain(id)
      expect(r.headers).toMatchObject({ 'ce-specversion': '1.0', 'ce-source': '/shop', 'ce-type': 'com.example.order.created' })
      expect(JSON.parse(body(r))).toEqual(JSON.parse(data))
    }
    expect(delivered.find((r) => r.headers['ce-id'] === 'b-1')!.headers['ce-subject']).toBe('order-42')
    const invalid = await fetch(`${dev.admin}/events`, { method: 'POST', headers: { 'ce-specversion': '1.0', 'ce-id': 'x', 'ce-source': '/shop' }, body: '{}' })
    expect(invalid.status).toBe(400)
    expect((await invalid.json()).error).toMatch(/type/)
    const events = dev.events().filter((e) => e.type === 'event-delivery')
    expect(
      events
        .filter((e) => e.outcome === 'ok')
        .map((e) => e.eventId)
        .sort(),
    ).toEqual(['b-1', 's-1'])
    expect(dev.events().some((e) => e.type === 'schedule')).toBe(false) // --no-schedules
  }, 30_000)

  it('a subscriber answering 500 is retried, then the event is dead-lettered to the NDJSON file', async () => {
    const dev = await startDev(['--no-schedules'])
    const res = await fetch(`${dev.admin}/events`, {
      method: 'POST',
      headers: { 'ce-specversion': '1.0', 'ce-id': 'f-1', 'ce-source': '/shop', 'ce-type': 'com.example.fail', 'content-type': 'text/plain' },
      body: 'payload',
    })
    expect(res.status).toBe(202)
    const last = await waitFor(() => dev.events().find((e) => e.type === 'event-delivery' && e.outcome === 'dead-lettered'), 15_000)
    const tries = dev.events().filter((e) => e.type === 'event-delivery' && e.eventId === 'f-1')
    expect(tries.map((e) => [e.attempt, e.outcome, e.status])).toEqual([
      [1, 'retry', 500],
      [2, 'retry', 500],
      [3, 'dead-lettered', 500],
    ])
    expect(dev.received().filter((r) => r.path === '/fail')).toHaveLength(3)
    expect(last.deadLetterFile).toBe(path.join(dev.dir, '.sls-run', 'dead-letters.ndjson'))
    const [line] = readFileSync(last.deadLetterFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(line).toMatchObject({ service: 'sink', path: '/fail', attempts: 3, lastStatus: 500, event: { id: 'f-1', type: 'com.example.fail', source: '/shop', data: 'payload' } })
  }, 30_000)

  it('sls-run invoke: a request, a CloudEvent and a schedule, against the live session, with --json', async () => {
    const dev = await startDev(['--no-schedules'])
    const port = ['--admin-port', String(dev.adminPort)]
    const http = await runCli(['invoke', 'sink', '--path', '/hello?x=1', '--json', ...port])
    expect(http.code, http.stderr).toBe(0)
    const r = envelope(http).result
    expect(r).toMatchObject({ service: 'sink', method: 'GET', status: 200, body: 'ok', bodyEncoding: 'utf8', instance: expect.stringMatching(/^sink#\d+$/) })
    expect(typeof r.coldStart).toBe('boolean')
    expect(r.durationMs).toBeGreaterThan(0)

    const event = await runCli(['invoke', 'sink', '--event-type', 'com.example.order.created', '--event-source', '/cli', '--data', '{"a":1}', '--json', ...port])
    expect(event.code, event.stderr).toBe(0)
    const sent = envelope(event).result
    expect(sent).toMatchObject({ method: 'POST', status: 200, event: { type: 'com.example.order.created', source: '/cli' } })
    expect(sent.url).toMatch(/\/orders$/)
    const got = dev.received().find((x) => x.headers['ce-id'] === sent.event.id)!
    expect(got.headers).toMatchObject({ 'ce-specversion': '1.0', 'ce-type': 'com.example.order.created', 'ce-source': '/cli', 'content-type': 'application/json' })
    expect(body(got)).toBe('{"a":1}')

    const scheduled = await runCli(['invoke', 'sink', '--schedule', 'tick', '--json', ...port])
    expect(scheduled.code, scheduled.stderr).toBe(0)
    expect(envelope(scheduled).result).toMatchObject({ type: 'schedule', name: 'tick', outcome: 'ok', manual: true, status: 200 })

    const human = await runCli(['invoke', 'sink', '--path', '/reject', '--fail', ...port])
    expect(human.code).toBe(1)
    expect(human.stderr).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/reject → 400 in \d+ ms/)
    expect(human.stderr).toContain('error INVOKE_HTTP_STATUS ')
    expect(human.stdout).toBe('no')
    const none = await runCli(['invoke', 'sink', '--admin-port', String(await freePort())])
    expect(none.code).toBe(3)
    expect(none.stderr).toContain('error DEV_SESSION_NOT_FOUND ')
    const badJson = await runCli(['invoke', 'sink', '--event-type', 'x.y', '--event-source', '/s', '-H', 'content-type:application/json', '--data', 'not json', ...port])
    expect([badJson.code, badJson.stderr]).toEqual([2, expect.stringContaining('error USAGE --data is not JSON')])
    expect(badJson.stderr).not.toMatch(/\n\s+at /)
    const unknown = await runCli(['invoke', 'sink', '--schedule', 'nope', ...port])
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining('error UNKNOWN_SCHEDULE ')])
  }, 60_000)
})
