/**
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core): the page loads with
 * no console errors, follows a burst live (instance chart, request log, cost meter), shows a hostile
 * request path as text, and leaves a screenshot in test-results/dashboard.png. Without Chromium the
 * suite is skipped with the reason, except under CI=true, where that is a failure.
 */
import { existsSync, mkdirSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../src/core/config/schema.js'
import { dashboardRoutes, type Dashboard } from '../../src/core/dashboard/routes.js'
import { DevSession } from '../../src/core/dev/session.js'
import { Emulator } from '../../src/core/emulator/emulator.js'
import { ProcessRuntime } from '../../src/runtime/process/process-runtime.js'
import { waitFor } from '../helpers/wait.js'

const APP = fileURLToPath(new URL('../fixtures/apps/platform-probe.mjs', import.meta.url))
const RESULTS = fileURLToPath(new URL('../../test-results/', import.meta.url))
const CHROMIUM = process.env.SLS_RUN_CHROMIUM ?? '/usr/bin/chromium'
const CI = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0'
const haveChromium = existsSync(CHROMIUM)
const reason = `no Chromium at ${CHROMIUM} (install it with scripts/provision.sh chromium)`
if (!haveChromium && !CI) console.warn(`dashboard browser tests SKIPPED: ${reason}`)

/** A raw request path with markup in it (fetch would percent-encode it; node:http sends it as is). */
const HOSTILE = '/x/<img/src=x/onerror=alert(1)><b>bold</b>'

describe.skipIf(!haveChromium && !CI)(haveChromium ? 'dashboard (Chromium)' : `dashboard (Chromium): ${reason}`, () => {
  let session: DevSession
  let emulator: Emulator
  let dashboard: Dashboard
  let browser: Browser
  let page: Page
  let gateway: string
  let admin: string
  const consoleErrors: string[] = []

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`CI=true but ${reason}`)
    const config = configSchema.parse({
      name: 't',
      services: {
        probe: {
          dev: { command: [process.execPath, APP], cwd: '/' },
          scaling: { concurrency: 4, maxInstances: 4 },
          resources: { cpu: 1, memory: '512Mi' },
          cpuThrottling: true,
          events: [{ type: 'com.example.ping', path: '/pinged' }],
        },
      },
    })
    // A whole dev session in-process (events, dashboard), on the process runtime.
    session = new DevSession({
      loaded: { config, file: path.join(process.cwd(), 'sls-run.yaml'), dir: process.cwd() },
      services: ['probe'],
      port: 0,
      adminPort: 0,
      runtime: new ProcessRuntime(),
      graceMs: 2000,
      watch: false,
      schedules: true,
      deadLetterFile: path.join(os.tmpdir(), `sls-run-dashboard-test-${process.pid}.ndjson`),
      onEvent: () => {},
      warn: () => {},
      onFatal: (error) => console.error(error),
    })
    const started = await session.start()
    emulator = session.platform!
    dashboard = session.dashboardView!
    gateway = started.gateways.probe!
    admin = started.admin
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text())
    })
    page.on('pageerror', (error) => consoleErrors.push(error.message))
  }, 30_000)

  afterAll(async () => {
    await browser?.close()
    await session?.stop()
  })

  it('loads with no console errors and goes live', async () => {
    const res = await page.goto(admin)
    expect(res?.status()).toBe(200)
    expect(res?.headers()['content-security-policy']).toContain("default-src 'self'")
    await page.waitForSelector('#conn[data-state="live"]')
    await page.waitForSelector('section.service[data-service="probe"]')
    expect(await page.locator('[data-testid="requests"] tr[data-request]').count()).toBe(0)
    expect(consoleErrors).toEqual([])
  })

  it('follows a burst of 40 requests: instance chart, request log, cold starts and the cost meter update', async () => {
    // 4 waves of 10 concurrent requests, each held 150 ms: concurrency 4 needs up to 3 instances.
    for (let wave = 0; wave < 4; wave++) {
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => fetch(`${gateway}/burst/${wave}?i=${i}&ms=150`, { signal: AbortSignal.timeout(15_000) })))
      expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200))
      await Promise.all(answers.map((r) => r.arrayBuffer()))
    }
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="requests"] tr[data-request]').length === 40, undefined, { timeout: 10_000 })
    const newest = await page.locator('[data-testid="requests"] tr[data-request]').first().locator('td').allTextContents()
    expect(newest[1]).toBe('GET')
    expect(newest[2]).toMatch(/^\/burst\/3\?i=\d&ms=150$/)
    expect(newest[3]).toBe('200')
    expect(newest[6]).toMatch(/^probe#\d$/)
    expect(await page.locator('[data-testid="requests"] td', { hasText: 'cold' }).count()).toBeGreaterThanOrEqual(1)

    // The instance chart saw more than one ready instance; its path and legend are drawn.
    const started = emulator.status().services[0]!.instances.length
    expect(started).toBeGreaterThan(1)
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="instances-chart"]')?.getAttribute('data-peak')) >= n, started, { timeout: 10_000 })
    expect(await page.locator('[data-testid="instances-chart"] path.area.ready').count()).toBe(1)
    expect(
      await page
        .locator('section.service tbody tr')
        .filter({ hasText: /^probe#\d/ })
        .count(),
    ).toBeGreaterThanOrEqual(started)
    expect(await page.locator('section.service table').nth(2).locator('tbody tr').count()).toBe(started) // cold starts

    // The cost meter (updated every second): non-zero billable time and money.
    await page.waitForFunction(() => document.querySelector('#cost tr[data-model="requestBased"] td:nth-child(5)')?.textContent === '40', undefined, { timeout: 5000 })
    const requestBased = await page.locator('#cost tr[data-model="requestBased"] td').allTextContents()
    expect(requestBased[0]).toContain('your setting') // cpuThrottling: true
    expect(Number(requestBased[1])).toBeGreaterThanOrEqual(0.4)
    expect(requestBased[4]).toBe('40')
    expect(requestBased[5]).toMatch(/^\$0\.\d+$/)
    expect(requestBased[5]).not.toBe('$0')
    expect(await page.locator('#free-tier').textContent()).toMatch(/180,000 vCPU-s/)
    expect(await page.locator('#pricing').textContent()).toMatch(/cloud\.google\.com\/run\/pricing/)
    expect(consoleErrors).toEqual([])
  })

  it('lists event deliveries in the schedules and events panel', async () => {
    const res = await fetch(`${admin}/events`, {
      method: 'POST',
      headers: { 'ce-specversion': '1.0', 'ce-id': 'dash-1', 'ce-source': '/test', 'ce-type': 'com.example.ping', 'content-type': 'application/json' },
      body: '{}',
    })
    expect(res.status).toBe(202)
    const row = page.locator('#deliveries tbody tr').first()
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain('event com.example.ping (dash-1)')
    expect(await row.locator('td').nth(4).textContent()).toBe('200')
    expect(await row.locator('td').nth(6).textContent()).toMatch(/^ok/)
  })

  it('shows a hostile request path as text, and dev-loop errors from publish()', async () => {
    await new Promise<void>((resolve, reject) => {
      const url = new URL(gateway)
      http.get({ host: url.hostname, port: url.port, path: HOSTILE }, (res) => res.resume().on('end', resolve)).on('error', reject)
    })
    dashboard.publish({ type: 'rebuild', service: 'probe', state: 'failed', message: 'step 3/5: <script>npm ci</script> exited 1' })
    const cell = page.locator('[data-testid="requests"] tr[data-request]').first().locator('td.path')
    await expect.poll(() => cell.textContent(), { timeout: 5000 }).toBe(HOSTILE)
    expect(await page.locator('[data-testid="requests"] img, [data-testid="requests"] b, #errors script').count()).toBe(0)
    await expect.poll(() => page.locator('#errors li.error').first().textContent(), { timeout: 5000 }).toContain('probe: build failed: step 3/5: <script>npm ci</script> exited 1')
    expect(consoleErrors).toEqual([])
    mkdirSync(RESULTS, { recursive: true })
    await page.waitForTimeout(1100) // one more tick: charts and cost at their latest
    await page.screenshot({ path: `${RESULTS}dashboard.png`, fullPage: true })
  })

  it('closes the event stream when the emulator stops', async () => {
    const stream = await fetch(`${admin}/api/events`)
    const reader = stream.body!.getReader()
    const first = new TextDecoder().decode((await reader.read()).value)
    expect(first).toMatch(/^retry: 2000\n\n|^event: snapshot/)
    await emulator.stop()
    const ended = await waitFor(
      () =>
        reader.read().then(
          (r) => r.done,
          () => true,
        ),
      5000,
      0,
      'the event stream to end',
    )
    expect(ended).toBe(true)
    await expect.poll(() => page.locator('#conn').getAttribute('data-state'), { timeout: 5000 }).not.toBe('live')
  })
})

describe.skipIf(!haveChromium && !CI)('dashboard (Chromium): an instance under --inspect', () => {
  it('shows the debug instance as "debugging", and the reload line from the dev loop', async () => {
    if (!haveChromium) throw new Error(`CI=true but ${reason}`)
    const config = configSchema.parse({ name: 't', services: { probe: { dev: { command: [process.execPath, APP], cwd: '/' } } } })
    let dashboard: Dashboard | undefined
    const emulator = new Emulator({
      config,
      port: 0,
      adminPort: 0,
      runtime: new ProcessRuntime(),
      graceMs: 2000,
      inspect: { service: 'probe', port: 0 },
      onEvent: () => {},
      adminRoutes: (e) => (dashboard = dashboardRoutes(e)).routes,
    })
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    try {
      const { admin } = await emulator.start()
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
      const errors: string[] = []
      page.on('pageerror', (error) => errors.push(error.message))
      await page.goto(admin)
      const row = page.locator('section.service tbody tr').filter({ hasText: /^probe#1/ })
      await expect.poll(() => row.locator('td').nth(2).textContent(), { timeout: 15_000 }).toBe('debugging')
      dashboard!.publish({ type: 'reload', service: 'probe', revision: 'probe-00002', reason: 'files changed', files: ['app.mjs'], fileCount: 1, savedToServingMs: 123 })
      await expect.poll(() => page.locator('#devloop li').first().textContent(), { timeout: 5000 }).toContain('probe: reloaded → probe-00002 in 123 ms — files changed: app.mjs')
      expect(errors).toEqual([])
    } finally {
      await browser.close()
      await emulator.stop()
    }
  })
})

describe.skipIf(!haveChromium && !CI)('dashboard (Chromium): layout', () => {
  it('at 1400 px, long instance and revision names stay inside their column (Instances never runs into Revisions)', async () => {
    if (!haveChromium) throw new Error(`CI=true but ${reason}`)
    const name = 'payments-reconciliation-batch'
    const config = configSchema.parse({ name: 't', services: { [name]: { dev: { command: [process.execPath, APP], cwd: '/' } } } })
    const emulator = new Emulator({ config, port: 0, adminPort: 0, runtime: new ProcessRuntime(), graceMs: 2000, onEvent: () => {}, adminRoutes: (e) => dashboardRoutes(e).routes })
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    try {
      const { gateways, admin } = await emulator.start()
      expect((await fetch(gateways[name]!)).status).toBe(200)
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
      await page.goto(admin)
      await page
        .locator('section.service tbody tr')
        .filter({ hasText: `${name}#1` })
        .first()
        .waitFor({ timeout: 15_000 })
      const [instances, revisions] = await Promise.all(
        ['Instances', 'Revisions'].map((title) =>
          page
            .locator('.cols > div')
            .filter({ has: page.locator('h3', { hasText: new RegExp(`^${title}$`) }) })
            .boundingBox(),
        ),
      )
      const table = await page.locator('.cols > div').first().locator('table').boundingBox()
      expect(instances && revisions && table).toBeTruthy()
      expect(table!.x + table!.width).toBeLessThanOrEqual(revisions!.x)
      expect(instances!.x + instances!.width).toBeLessThanOrEqual(revisions!.x)
    } finally {
      await browser.close()
      await emulator.stop()
    }
  })
})

describe.skipIf(!haveChromium && !CI)('dashboard (Chromium): autoscaling', () => {
  it('shows the knative model, its panic, desired against actual instances and why, while slow requests wait', async () => {
    if (!haveChromium) throw new Error(`CI=true but ${reason}`)
    const scaling = { model: 'knative', concurrency: 1, knative: { stableWindow: '6s', tick: '200ms', scaleToZeroGracePeriod: '1s' } }
    const config = configSchema.parse({ name: 't', services: { probe: { dev: { command: [process.execPath, APP], cwd: '/' }, scaling } } })
    const emulator = new Emulator({ config, port: 0, adminPort: 0, runtime: new ProcessRuntime(), graceMs: 2000, onEvent: () => {}, adminRoutes: (e) => dashboardRoutes(e).routes })
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    try {
      const { gateways, admin } = await emulator.start()
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
      const errors: string[] = []
      page.on('pageerror', (error) => errors.push(error.message))
      await page.goto(admin)
      const tile = (name: string) => page.locator(`section.service[data-service="probe"] [data-testid="scaling-${name}"]`)
      await expect.poll(() => tile('model').locator('.value').textContent(), { timeout: 10_000 }).toBe('knative')

      // 4 requests held 1.5 s each, one per instance at a time (concurrency 1): 3 wait, and the panic
      // window (10 % of 6 s) sees 4 in flight + waiting against 0.7 per instance, twice what 1 ready instance serves.
      const answers = Promise.allSettled(Array.from({ length: 4 }, (_, i) => fetch(`${gateways.probe}/slow?i=${i}&ms=1500`, { signal: AbortSignal.timeout(20_000) })))
      await page.waitForFunction(
        () => {
          const value = (name: string) => document.querySelector(`section.service[data-service="probe"] [data-testid="scaling-${name}"] .value`)?.textContent
          return value('model') === 'knative' && Number(value('desired')) >= 2 && value('mode') === 'panic'
        },
        undefined,
        { timeout: 15_000 },
      )
      expect(Number(await tile('desired').locator('.value').textContent())).toBeGreaterThanOrEqual(2)
      expect(await tile('actual').locator('.value').textContent()).toMatch(/^\d+$/)
      expect(await tile('model').locator('.sub').textContent()).toBe('target 0.7 per instance')
      // Panic is highlighted: its tile has a background the others do not.
      const background = (name: string) => tile(name).evaluate((el) => getComputedStyle(el).backgroundColor)
      expect(await tile('mode').getAttribute('class')).toContain('panic')
      expect(await background('mode')).not.toBe(await background('model'))
      expect(await tile('concurrency').locator('.sub').textContent()).toMatch(/^stable avg \d+(\.\d\d?)? · panic avg \d+(\.\d\d?)?$/)
      const why = await tile('reason').locator('.value').textContent()
      expect(why).toMatch(/^panic: /)
      expect(why).not.toMatch(/\d\.\d{3,}/) // raw averages are shown rounded

      // The decision log says why the count went up, and which model decides.
      const decisions = page.locator('section.service[data-service="probe"] [data-testid="decisions"] li')
      await expect.poll(() => decisions.filter({ hasText: /scaling up \d+ → \d+ .*— panic: / }).count(), { timeout: 5000 }).toBeGreaterThanOrEqual(1)
      expect(await decisions.filter({ has: page.locator('.badge.panic') }).count()).toBeGreaterThanOrEqual(1)
      expect(await decisions.last().textContent()).toContain('scales with the knative model')
      // The instance chart draws the desired count as a line over the stacked states.
      expect(await page.locator('[data-testid="instances-chart"] path.line.desired').count()).toBe(1)
      await expect.poll(async () => Number(await page.locator('[data-testid="instances-chart"]').getAttribute('data-desired')), { timeout: 5000 }).toBeGreaterThanOrEqual(2)

      // The same, as JSON.
      const snapshot = (await (await fetch(`${admin}/api/dashboard`)).json()) as {
        services: Array<Record<string, unknown> & { observed: Record<string, number> }>
        history: Record<string, Array<{ desired: number }>>
        events: Array<{ event: { type: string; desired?: number; previous?: number; mode?: string } }>
      }
      const probe = snapshot.services[0]!
      expect(probe).toMatchObject({
        model: 'knative',
        mode: expect.stringMatching(/^(panic|stable)$/),
        desiredInstances: expect.any(Number),
        actualInstances: expect.any(Number),
        reason: expect.any(String),
        concurrency: expect.any(Number),
      })
      expect(probe.observed).toMatchObject({ stableAverage: expect.any(Number), panicAverage: expect.any(Number), targetPerInstance: 0.7 })
      expect(snapshot.history.probe!.some((s) => s.desired >= 2)).toBe(true)
      const scales = snapshot.events.map((e) => e.event).filter((e) => e.type === 'scale')
      expect(scales.some((e) => e.mode === 'panic' && e.desired! >= 2)).toBe(true)
      expect(scales.every((e) => e.desired !== e.previous)).toBe(true)
      expect(snapshot.events.filter((e) => e.event.type === 'scaling-model')).toHaveLength(1)

      expect((await answers).map((r) => (r.status === 'fulfilled' ? r.value.status : String(r.reason)))).toEqual([200, 200, 200, 200])
      expect(errors).toEqual([])
      mkdirSync(RESULTS, { recursive: true })
      await page.screenshot({ path: `${RESULTS}dashboard-autoscaling.png`, fullPage: true })
    } finally {
      await browser.close()
      await emulator.stop()
    }
  })
})
