/**
 * The `simulate --html` report in a real browser (Debian's Chromium driven by playwright-core), opened
 * from disk: a single run and a 3-row grid render their charts with no console errors and no request
 * besides the file itself, show the fixtures' numbers, and show hostile names as text. Screenshots go
 * to test-results/simulate-html*.png. Without Chromium the browser part is skipped with the reason,
 * except under CI=true, where that is a failure.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fmt, renderHtml, scriptJson, type HtmlReport } from '../../src/core/simulate/html.js'
import type { SimResult } from '../../src/core/simulate/types.js'
import { useTempDir } from '../helpers/temp.js'

const RESULTS = fileURLToPath(new URL('../../test-results/', import.meta.url))
const CHROMIUM = process.env.SLS_RUN_CHROMIUM ?? '/usr/bin/chromium'
const CI = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0'
const haveChromium = existsSync(CHROMIUM)
const reason = `no Chromium at ${CHROMIUM} (install it with scripts/provision.sh chromium)`
if (!haveChromium && !CI) console.warn(`simulate --html browser tests SKIPPED: ${reason}`)

const HOSTILE = '</script><img src=x onerror=alert(1)>'
const GENERATED = '2025-01-02T03:04:05.000Z'

/** A 10-minute run: instances follow a ramp up and down (actual one step behind desired), latencies 5 ms to 3 s. */
function result(over: Partial<SimResult> & { scale?: number } = {}): SimResult {
  const { scale = 1, ...rest } = over
  const durationMs = 600_000
  const timeline = Array.from({ length: 61 }, (_, i) => {
    const desired = Math.round(scale * (i < 30 ? i / 3 : (60 - i) / 3))
    const previous = Math.round(scale * (i < 31 ? Math.max(0, i - 1) / 3 : (61 - i) / 3))
    return { t: i * 10_000, desired, actual: Math.max(0, Math.min(desired, previous) + (i % 7 === 0 ? 1 : 0)) }
  })
  const latencyCdf = Array.from({ length: 200 }, (_, i) => ({ ms: 5 * Math.pow(600, i / 199) * scale, p: Math.pow((i + 1) / 200, 0.35) }))
  return {
    service: 'api',
    settings: { model: 'knative', concurrency: 80, minInstances: 0, maxInstances: 100, coldStartMs: 1200 },
    trace: 'poisson rate=5/s duration=10m seed=1',
    durationMs,
    requests: 3012,
    coldStarts: 37,
    coldStartRatio: 37 / 3012,
    latencyMs: { p50: 41.27, p95: 843.2, p99: 1811.6, max: 3004.9 },
    status: { '200': 2990, '429': 15, '504': 7 },
    instances: { peak: 10, mean: 4.618 },
    instanceSeconds: { active: 1520.44, idle: 1250.02 },
    cost: {
      'cloud-run': {
        usd: 1.7146,
        usdPerMonth: 1234.567,
        basis: 'request-based: busy instance time rounded up to 100 ms + $0.40 per million requests',
        source: 'cloud.google.com/run/pricing (2025-01)',
      },
      'cloud-run-instance': { usd: 0.0787, usdPerMonth: 56.7, basis: 'instance-based: every instance second', source: 'cloud.google.com/run/pricing (2025-01)' },
      'aws-fargate': { usd: 0.0000058, usdPerMonth: 0.00421, basis: 'per vCPU-second and GB-second of each task', source: 'aws.amazon.com/fargate/pricing (2025-01)' },
    },
    timeline,
    latencyCdf,
    ...rest,
  }
}

const single: HtmlReport = { results: [result({ trace: HOSTILE })], grid: false, generatedAt: GENERATED, title: 'Checkout <!-- replay --> & "friends"' }
const grid: HtmlReport = {
  grid: true,
  generatedAt: GENERATED,
  results: [
    result({ settings: { model: 'knative', concurrency: 10, note: '<b>bold</b>' }, scale: 2.5, latencyMs: { p50: 30, p95: 612.49, p99: 900, max: 1500 } }),
    result({ settings: { model: 'knative', concurrency: 40, note: 'plain' }, scale: 1 }),
    result({
      settings: { model: 'knative', concurrency: 80, note: 'plain' },
      scale: 0.6,
      cost: { ...result().cost, 'cloud-run': { ...result().cost['cloud-run']!, usdPerMonth: 98.76 } },
    }),
  ],
}

describe('simulate --html: the page text', () => {
  it('has no external reference: no http(s) URL in any src or href, no script or stylesheet from elsewhere', () => {
    for (const report of [single, grid]) {
      const html = renderHtml(report)
      expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i)
      expect(html).not.toMatch(/<script[^>]*\ssrc\s*=/i)
      expect(html).not.toMatch(/<link[^>]*stylesheet/i)
      expect(html).not.toMatch(/@import|url\(\s*["']?https?:/i)
      expect(html).toContain('var uPlot=') // the library, inlined
    }
  })

  it('escapes user text and the embedded JSON', () => {
    const html = renderHtml(single)
    expect(html).not.toContain('<img')
    expect(html).toContain('&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;')
    expect(html).toContain('<title>Checkout &lt;!-- replay --&gt; &amp; &quot;friends&quot;</title>')
    expect(html.match(/<!--/g)).toBeNull()
    const json = html.match(/<script type="application\/json" id="sim-data">([^<]*)<\/script>/)![1]!
    expect(JSON.parse(json).results[0].trace).toBe(HOSTILE)
    expect(scriptJson({ a: '</script><!-- \u2028' })).toBe('{"a":"\\u003c/script\\u003e\\u003c!-- \\u2028"}')
    expect(renderHtml(grid)).not.toContain('<b>bold')
  })

  it('formats numbers for people', () => {
    expect([fmt.ms(4.256), fmt.ms(41.27), fmt.ms(1811.6)]).toEqual(['4.26 ms', '41.3 ms', '1,812 ms'])
    expect([fmt.usd(0), fmt.usd(0.5), fmt.usd(0.0787), fmt.usd(0.0000058), fmt.usd(1234.567)]).toEqual(['$0.00', '$0.50', '$0.079', '$0.0000058', '$1,234.57'])
    expect([fmt.pct(37 / 3012), fmt.pct(1)]).toEqual(['1.23%', '100.00%'])
    expect([fmt.duration(4500), fmt.duration(600_000), fmt.duration(3_900_000)]).toEqual(['4.50 s', '10m 00s', '1h 05m 00s'])
  })

  it('refuses an empty report', () => {
    expect(() => renderHtml({ results: [], grid: false, generatedAt: GENERATED })).toThrow(/no results/)
  })
})

describe.skipIf(!haveChromium && !CI)(haveChromium ? 'simulate --html (Chromium)' : `simulate --html (Chromium): ${reason}`, () => {
  const tempDir = useTempDir('sls-run-simhtml-')
  let browser: Browser

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`CI=true but ${reason}`)
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  }, 30_000)

  afterAll(async () => {
    await browser?.close()
  })

  /** Opens the report from disk: every request but the file itself is aborted and recorded, and so is every error or dialog. */
  async function open(report: HtmlReport, name: string): Promise<{ page: Page; problems: string[]; close: () => Promise<void> }> {
    const file = path.join(tempDir(), name)
    writeFileSync(file, renderHtml(report))
    const url = pathToFileURL(file).href
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const problems: string[] = []
    await context.route('**/*', (route) => {
      if (route.request().url() === url) return route.continue()
      problems.push(`routed request: ${route.request().url()}`)
      return route.abort()
    })
    const page = await context.newPage()
    page.on('request', (request) => {
      if (request.url() !== url) problems.push(`request: ${request.url()}`)
    })
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`)
    })
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
    page.on('dialog', (dialog) => {
      problems.push(`dialog: ${dialog.message()}`)
      void dialog.dismiss()
    })
    await page.goto(url)
    await page.waitForSelector('#latency-chart[data-rendered="true"]', { timeout: 10_000 })
    return { page, problems, close: () => context.close() }
  }

  /** Each chart: one uPlot canvas with a non-zero size. */
  async function expectCharts(page: Page): Promise<void> {
    expect(await page.locator('canvas').count()).toBe(2)
    for (const id of ['instances-chart', 'latency-chart']) {
      const canvas = page.locator(`#${id} .uplot canvas`)
      expect(await canvas.count()).toBe(1)
      const box = await canvas.boundingBox()
      expect(box!.width).toBeGreaterThan(250)
      expect(box!.height).toBeGreaterThan(100)
    }
  }

  const legend = (page: Page, id: string) => page.locator(`#${id} .u-legend .u-series .u-label`).allTextContents()

  it('a single run: summary, instance chart (desired and actual), latency CDF and cost; hostile trace name as text', async () => {
    const { page, problems, close } = await open(single, 'report.html')
    try {
      await expectCharts(page)
      expect(await legend(page, 'instances-chart')).toEqual(['time', 'actual', 'desired'])
      expect(await legend(page, 'latency-chart')).toEqual(['latency', 'share of requests'])
      expect(await page.locator('#latency-chart').getAttribute('data-x-scale')).toBe('log') // 5 ms to 3 s

      const row = (key: string) => page.locator(`[data-testid="summary"] tr[data-key="${key}"] td`).textContent()
      expect(await row('p95')).toBe('843 ms')
      expect(await row('p50')).toBe('41.3 ms')
      expect(await row('requests')).toBe('3,012')
      expect(await row('cold-starts')).toBe('37 (1.23% of requests)')
      expect(await row('status')).toBe('200: 2,990 · 429: 15 · 504: 7')
      expect(await row('instances')).toBe('peak 10 · mean 4.62')
      expect(await row('instance-seconds')).toBe('1,520.4 s active · 1,250.0 s idle (54.88% active)')

      const cost = (provider: string) => page.locator(`[data-testid="cost"] tr[data-provider="${provider}"] td`).allTextContents()
      const cloudRun = await cost('cloud-run')
      expect(cloudRun[1]).toBe('$1,234.57')
      expect(cloudRun[3]).toBe('$1.71')
      expect(cloudRun[4]).toMatch(/^request-based: busy instance time/)
      expect(cloudRun[5]).toBe('cloud.google.com/run/pricing (2025-01)')
      expect(await cost('aws-fargate')).toEqual(['aws-fargatecheapest', '$0.0042', '', '$0.0000058', 'per vCPU-second and GB-second of each task', 'aws.amazon.com/fargate/pricing (2025-01)'])
      const widths = await page.locator('[data-testid="cost"] .bar span').evaluateAll((spans) => spans.map((s) => (s as HTMLElement).style.width))
      expect(widths).toEqual(['100%', '4.6%', '0%']) // as the browser normalises them

      // The hostile trace name is text, in the header and in the embedded data; nothing ran.
      expect(await page.locator('[data-testid="header"]').textContent()).toContain(`Trace: ${HOSTILE}`)
      expect(await page.title()).toBe('Checkout <!-- replay --> & "friends"')
      expect(await page.locator('img').count()).toBe(0)
      expect(await page.evaluate(() => JSON.parse(document.getElementById('sim-data')!.textContent!).results[0].trace)).toBe(HOSTILE)
      expect(await page.locator('[src], [href]').evaluateAll((els) => els.map((e) => e.getAttribute('src') ?? e.getAttribute('href')))).toEqual(['data:,'])

      expect(problems).toEqual([])
      mkdirSync(RESULTS, { recursive: true })
      await page.screenshot({ path: `${RESULTS}simulate-html.png`, fullPage: true })
    } finally {
      await close()
    }
  })

  it('a run with no requests: empty charts, no cost, no errors', async () => {
    const empty = result({
      durationMs: 30_000,
      requests: 0,
      coldStarts: 0,
      coldStartRatio: 0,
      latencyMs: { p50: 0, p95: 0, p99: 0, max: 0 },
      status: {},
      instances: { peak: 0, mean: 0 },
      instanceSeconds: { active: 0, idle: 0 },
      cost: {},
      timeline: [],
      latencyCdf: [],
    })
    const { page, problems, close } = await open({ results: [empty], grid: false, generatedAt: GENERATED }, 'empty.html')
    try {
      await expectCharts(page)
      expect(await page.locator('[data-testid="summary"] tr[data-key="status"] td').textContent()).toBe('—')
      expect(await page.locator('#latency-chart').getAttribute('data-x-scale')).toBe('linear')
      expect(await page.locator('[data-testid="cost"]').textContent()).toBe('No cost figures in this run.')
      expect(problems).toEqual([])
    } finally {
      await close()
    }
  })

  it('a 3-row grid: runs table, overlaid timelines and CDFs, cost per provider across rows', async () => {
    const { page, problems, close } = await open(grid, 'grid.html')
    try {
      await expectCharts(page)
      const labels = ['#1 concurrency=10 note=<b>bold</b>', '#2 concurrency=40 note=plain', '#3 concurrency=80 note=plain']
      expect(await legend(page, 'instances-chart')).toEqual(['time', ...labels.flatMap((l) => [`${l} · actual`, `${l} · desired`])])
      expect(await legend(page, 'latency-chart')).toEqual(['latency', ...labels])

      const header = await page.locator('[data-testid="header"]').textContent()
      expect(header).toContain('Settings (all runs): model=knative')
      expect(header).toContain('Varying: concurrency, note')
      expect(header).toContain('3 runs · generated 2025-01-02T03:04:05.000Z')

      const rows = page.locator('[data-testid="grid"] tbody tr')
      expect(await rows.count()).toBe(3)
      expect(await page.locator('[data-testid="grid"] thead th').allTextContents()).toEqual([
        'Run',
        'concurrency',
        'note',
        'Requests',
        'Cold starts',
        'p95',
        'Peak instances',
        'cloud-run $/month',
        'cloud-run-instance $/month',
        'aws-fargate $/month',
      ])
      expect(await rows.nth(0).locator('td').allTextContents()).toEqual([labels[0], '10', '<b>bold</b>', '3,012', '1.23%', '612 ms', '10', '$1,234.57', '$56.70', '$0.0042'])
      expect(await rows.nth(2).locator('td').nth(7).textContent()).toBe('$98.76')
      expect(await page.locator('b').count()).toBe(0)

      // Cost: one group per provider, one bar per run, basis and prices shown once.
      const cloudRun = page.locator('[data-testid="cost"] tr[data-provider="cloud-run"]')
      expect(await cloudRun.count()).toBe(3)
      expect(await cloudRun.locator('td:nth-child(2)').allTextContents()).toEqual(['$1,234.57', '$1,234.57', '$98.76'])
      expect(await page.locator('[data-testid="cost"] th', { hasText: /^cloud-run-instance/ }).textContent()).toContain(
        'instance-based: every instance second — prices: cloud.google.com/run/pricing (2025-01)',
      )
      expect(await page.locator('[data-testid="cost"] .bar').count()).toBe(9)

      expect(problems).toEqual([])
      mkdirSync(RESULTS, { recursive: true })
      await page.screenshot({ path: `${RESULTS}simulate-html-grid.png`, fullPage: true })
    } finally {
      await close()
    }
  })
})
