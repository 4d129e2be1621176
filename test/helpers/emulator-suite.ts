/**
 * One behavioural suite, two runtimes (process and docker): concurrency under a burst, queueing,
 * 429/504/503, the contract env and headers, streaming, scale to zero, min instances, status and
 * metrics. test/e2e/dev-emulator.test.ts runs it on processes, test/integration/dev-docker.test.ts
 * in containers. Every load loop is bounded.
 */
import { afterEach, expect, it } from 'vitest'
import { Emulator, type EmulatorEvent } from '../../src/core/emulator/emulator.js'
import { configSchema } from '../../src/core/config/schema.js'
import type { Runtime } from '../../src/runtime/types.js'
import { waitFor } from './wait.js'

export interface SuiteTarget {
  runtime: Runtime
  /** The probe service's settings for this runtime (dev.command, or build/image). */
  service: Record<string, unknown>
  /** A gateway URL as an instance reaches it. */
  instanceUrl(url: string): string
}

const running: Emulator[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()))
})

async function start(target: SuiteTarget, service: Record<string, unknown>, graceMs = 2000, hostEnv?: NodeJS.ProcessEnv) {
  const config = configSchema.parse({ name: 't', services: { probe: { env: { GREETING: 'hi' }, ...target.service, ...service } } })
  const events: EmulatorEvent[] = []
  const emulator = new Emulator({ config, port: 0, adminPort: 0, runtime: target.runtime, graceMs, onEvent: (e) => events.push(e), ...(hostEnv ? { hostEnv } : {}) })
  running.push(emulator)
  const { gateways, admin } = await emulator.start()
  return { url: gateways.probe!, admin, events, emulator }
}

/** waitFor at the suite's pace: the condition every 20 ms for up to `ms` (5 s); throws, naming it, when it is still false then. */
export async function until(condition: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  await waitFor(condition, ms, 20)
}

export const json = async (res: Response) => JSON.parse(await res.text())

export function emulatorSuite(target: () => SuiteTarget): void {
  const emulate = (service: Record<string, unknown>, graceMs?: number, hostEnv?: NodeJS.ProcessEnv) => start(target(), service, graceMs, hostEnv)

  it('a burst of 200 with concurrency 5 and max 4: every request answered, at most 4 instances, none above 5 in flight', async () => {
    const { url, emulator } = await emulate({ scaling: { concurrency: 5, maxInstances: 4 } })
    const responses = await Promise.all(Array.from({ length: 200 }, () => fetch(`${url}/?ms=20`, { signal: AbortSignal.timeout(30_000) })))
    expect(responses.map((r) => r.status)).toEqual(Array(200).fill(200))
    const bodies = await Promise.all(responses.map(json))
    const byInstance = new Map<string, number>()
    responses.forEach((r, i) => byInstance.set(r.headers.get('x-sls-run-instance')!, Math.max(byInstance.get(r.headers.get('x-sls-run-instance')!) ?? 0, bodies[i].peak)))
    expect(byInstance.size).toBeGreaterThan(1)
    expect(byInstance.size).toBeLessThanOrEqual(4)
    expect(Math.max(...byInstance.values())).toBeLessThanOrEqual(5)
    expect(emulator.status().services[0]!.instances.filter((i) => i.state !== 'stopped').length).toBeLessThanOrEqual(4)
  })

  it('gives the container contract and forwarding headers, and marks the cold start', async () => {
    const { url } = await emulate({})
    const res = await fetch(`${url}/hello`, { headers: { 'x-custom': 'kept', 'x-forwarded-for': '203.0.113.9' } })
    const body = await json(res)
    expect(res.headers.get('x-sls-run-instance')).toBe('probe#1')
    expect(res.headers.get('x-sls-run-cold-start')).toBe('1')
    expect(res.headers.get('server-timing')).toMatch(/^queue;dur=[\d.]+, cold-start;dur=[\d.]+, spawn;dur=[\d.]+, boot;dur=[\d.]+, ready;dur=[\d.]+$/)
    expect(body.env).toMatchObject({ K_SERVICE: 'probe', K_REVISION: 'probe-00001', K_CONFIGURATION: 'probe', GREETING: 'hi', SLS_RUN_PROBE_URL: target().instanceUrl(url) })
    expect(Number(body.env.PORT)).toBeGreaterThan(0)
    expect(body.headers).toMatchObject({ host: new URL(url).host, 'x-custom': 'kept', 'x-forwarded-for': '203.0.113.9, 127.0.0.1', 'x-forwarded-proto': 'http' })
    expect(body.headers.forwarded).toBe(`for=127.0.0.1;proto=http;host="${new URL(url).host}"`)
    const warm = await fetch(`${url}/hello`)
    expect(warm.headers.get('x-sls-run-cold-start')).toBeNull()
  })

  it('an instance calls a service through its SLS_RUN_<SERVICE>_URL, as through a production URL', async () => {
    const { url } = await emulate({})
    const res = await json(await fetch(`${url}/call`))
    expect(res).toEqual({ status: 200, instance: 'probe#1' })
  })

  it('429 after queueTimeout at maxInstances; 504 past the request timeout', async () => {
    const { url } = await emulate({ scaling: { concurrency: 1, maxInstances: 1, queueTimeout: '300ms' }, timeout: '1s' })
    await fetch(url)
    const [slow, rejected] = await Promise.all([fetch(`${url}/?ms=3000`), fetch(`${url}/?ms=1`)])
    expect(rejected.status).toBe(429)
    expect(slow.status).toBe(504)
  })

  it("instances see the contract, the service's env and what dev.inheritEnv names, never the developer's other variables", async () => {
    const host = { ...process.env, AWS_SECRET_ACCESS_KEY: 'leak-canary', GITHUB_TOKEN: 'leak-canary-2', SLS_TEST_SHARED: 'shared', SLS_TEST_PREFIX_A: 'a' }
    const service = target().service
    const { url } = await emulate({ dev: { ...(service.dev as object), inheritEnv: ['SLS_TEST_SHARED', 'SLS_TEST_PREFIX_*'] } }, undefined, host)
    const env = (await json(await fetch(`${url}/env`))) as Record<string, string>
    expect(JSON.stringify(env)).not.toContain('leak-canary')
    expect(env).toMatchObject({ GREETING: 'hi', K_SERVICE: 'probe', SLS_TEST_SHARED: 'shared', SLS_TEST_PREFIX_A: 'a' })
    expect(env.PORT).toBeDefined()
  })

  it('a crash answers 503 for the request in flight and the instance is replaced', async () => {
    const { url, events } = await emulate({})
    expect((await fetch(url)).status).toBe(200)
    expect((await fetch(`${url}/crash`)).status).toBe(503)
    await until(() => events.some((e) => e.type === 'crash'))
    const next = await fetch(url, { signal: AbortSignal.timeout(10_000) })
    expect(next.status).toBe(200)
    expect(next.headers.get('x-sls-run-instance')).toBe('probe#2')
    expect(events).toContainEqual(expect.objectContaining({ type: 'crash', id: 'probe#1', exit: expect.objectContaining({ code: 70 }) }))
  })

  it('the request right after a crash goes to a replacement, not to the dead instance', async () => {
    const { url, events } = await emulate({})
    expect((await fetch(url)).status).toBe(200)
    expect((await fetch(`${url}/crash`)).status).toBe(503)
    const next = await fetch(url, { signal: AbortSignal.timeout(10_000) }) // no wait for the exit event
    expect(next.status).toBe(200)
    expect(next.headers.get('x-sls-run-instance')).toBe('probe#2')
    await until(() => events.some((e) => e.type === 'crash' && e.id === 'probe#1'))
  })

  it('clients that leave: recorded as 499, and concurrency 1 stays 1 for the app (the slot is held until it finishes)', async () => {
    const { url, events, emulator } = await emulate({ scaling: { concurrency: 1, maxInstances: 1, queueTimeout: '10s' } })
    await fetch(url)
    for (let round = 0; round < 5; round++) {
      await fetch(`${url}/?ms=400`, { signal: AbortSignal.timeout(100) }).catch(() => undefined)
      const after = await fetch(url, { signal: AbortSignal.timeout(10_000) })
      expect(after.status).toBe(200)
      expect((await json(after)).peak).toBe(1) // the app's own counter: never two at once
    }
    await until(() => events.filter((e) => e.type === 'request' && e.status === 499).length === 5)
    expect(events.filter((e) => e.type === 'request' && e.status === 499)).toHaveLength(5)
    await until(() => emulator.status().services[0]!.instances.every((i) => i.inFlight === 0))
    expect(emulator.status().services[0]!.instances.map((i) => i.inFlight)).toEqual([0])
  })

  it('after 504s the app still never sees more than concurrency; the slot frees when it finishes', async () => {
    const { url, emulator } = await emulate({ scaling: { concurrency: 1, maxInstances: 1, queueTimeout: '10s' }, timeout: '1s' })
    await fetch(url)
    for (let round = 0; round < 4; round++) {
      expect((await fetch(`${url}/?ms=1300`)).status).toBe(504)
      const after = await fetch(url, { signal: AbortSignal.timeout(10_000) })
      expect(after.status).toBe(200)
      expect((await json(after)).peak).toBe(1)
    }
    expect(
      emulator
        .status()
        .services[0]!.instances.filter((i) => i.state === 'ready')
        .map((i) => i.inFlight),
    ).toEqual([0])
  })

  it('a request that outlives timeout + grace: its slot is freed and the stuck instance replaced', async () => {
    const { url, events } = await emulate({ scaling: { concurrency: 1, maxInstances: 1, queueTimeout: '10s' }, timeout: '3s' }, 300)
    await fetch(url)
    expect((await fetch(`${url}/?ms=15000`)).status).toBe(504)
    const after = await fetch(url, { signal: AbortSignal.timeout(10_000) }) // queued until the stuck one is cut at 3.3 s, then a cold start
    expect(after.status).toBe(200)
    expect(after.headers.get('x-sls-run-instance')).toBe('probe#2')
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'crash', id: 'probe#1', exit: expect.objectContaining({ message: expect.stringMatching(/did not finish a request within timeout \+ 300 ms/) }) }),
    )
  })

  it("10 MB uploads with curl's default headers (Expect: 100-continue) six times, then a GET: all 200, nothing left in flight", async () => {
    const { url, emulator } = await emulate({ scaling: { concurrency: 2 }, timeout: '20s' })
    const { execFile } = await import('node:child_process')
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const dir = mkdtempSync(`${tmpdir()}/sls-run-curl-`)
    try {
      const file = `${dir}/10mb.bin`
      writeFileSync(file, Buffer.alloc(10 * 1024 * 1024, 5))
      for (let i = 0; i < 6; i++) {
        const out = await new Promise<string>((resolve, reject) =>
          execFile('curl', ['-sS', '-v', '--max-time', '20', '-w', '\n%{http_code}', '--data-binary', `@${file}`, `${url}/upload`], (error, stdout, stderr) =>
            error ? reject(error) : resolve(`${stderr}\n${stdout}`),
          ),
        )
        expect(out).toMatch(/> Expect: 100-continue/i) // curl really asked
        expect(out.trim().split('\n').at(-1)).toBe('200')
        expect(out).toContain(`"bytes":${10 * 1024 * 1024}`)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    expect((await fetch(url, { signal: AbortSignal.timeout(10_000) })).status).toBe(200)
    expect(
      emulator
        .status()
        .services[0]!.instances.filter((i) => i.state === 'ready')
        .map((i) => i.inFlight),
    ).toEqual([0])
  })

  it('streams a 10 MB upload and a 10 MB download intact', async () => {
    const { url } = await emulate({})
    const upload = Buffer.alloc(10 * 1024 * 1024, 3)
    const { createHash } = await import('node:crypto')
    const up = await json(await fetch(`${url}/upload`, { method: 'POST', body: upload }))
    expect(up).toEqual({ bytes: upload.length, sha256: createHash('sha256').update(upload).digest('hex') })
    const down = await fetch(`${url}/download?bytes=${10 * 1024 * 1024}`)
    expect(Buffer.from(await down.arrayBuffer()).length).toBe(10 * 1024 * 1024)
  })

  it('a slow client trickling its upload holds one slot, not the instance: others are served meanwhile', async () => {
    const { url } = await emulate({ scaling: { concurrency: 2, maxInstances: 1 } })
    await fetch(url)
    const { Readable } = await import('node:stream')
    const chunks = Array.from({ length: 10 }, () => Buffer.alloc(1024, 1))
    const slowBody = Readable.from(
      (async function* () {
        for (const chunk of chunks) {
          await new Promise((resolve) => setTimeout(resolve, 100))
          yield chunk
        }
      })(),
    )
    const slow = fetch(`${url}/upload`, { method: 'POST', body: slowBody as unknown as BodyInit, duplex: 'half' } as RequestInit)
    await new Promise((resolve) => setTimeout(resolve, 150))
    const started = Date.now()
    expect((await fetch(url)).status).toBe(200)
    expect(Date.now() - started).toBeLessThan(500)
    expect((await json(await slow)).bytes).toBe(10 * 1024)
  })

  it('answers 431 for oversized headers', async () => {
    const { url } = await emulate({})
    const res = await fetch(url, { headers: { 'x-big': 'a'.repeat(20_000) } })
    expect(res.status).toBe(431)
  })

  it('scales to zero after idleTimeout and cold-starts again', async () => {
    const { url, emulator } = await emulate({ scaling: { idleTimeout: '1s' } })
    await fetch(url)
    expect(emulator.status().services[0]!.connectedInstances).toEqual(['probe#1'])
    await until(() => emulator.status().services[0]!.instances.every((i) => i.state === 'stopped'))
    expect(emulator.status().services[0]!.instances.map((i) => i.state)).toEqual(['stopped'])
    expect(emulator.status().services[0]!.connectedInstances).toEqual([])
    const again = await fetch(url)
    expect(again.headers.get('x-sls-run-instance')).toBe('probe#2')
    expect(again.headers.get('x-sls-run-cold-start')).toBe('1')
  })

  it('serves /api/status and Prometheus /metrics on the admin port', async () => {
    const { url, admin, emulator } = await emulate({ scaling: { minInstances: 1 } })
    await until(() => emulator.status().services[0]!.instances.some((i) => i.state === 'ready'))
    await fetch(url)
    const status = await json(await fetch(`${admin}/api/status`))
    expect(status.services[0]).toMatchObject({ service: 'probe', revision: 'probe-00001', instances: [expect.objectContaining({ id: 'probe#1', state: 'ready', inFlight: 0 })] })
    const metrics = await (await fetch(`${admin}/metrics`)).text()
    expect(metrics).toMatch(/slsrun_instances\{service="probe",revision="probe-00001",state="ready"\} 1/)
    expect(metrics).toMatch(/slsrun_cold_start_seconds_count\{service="probe",phase="total"\} 1/)
    expect(metrics).toMatch(/slsrun_requests_total\{service="probe",code="200",cold_start="false"\} 1/)
  })
}
