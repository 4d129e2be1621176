// The README's picture (`npm run docs:screenshot`): docs/images/dashboard.png, the dashboard of a dev session
// during a scale-up. It runs examples/hello (what `npm run demo` runs) in-process on the process runtime
// (no Docker), opens the dashboard in Chromium through playwright-core (/usr/bin/chromium or
// SLS_RUN_CHROMIUM: it never downloads a browser), sends five growing waves of requests, one per dashboard
// tick, waits until the page shows them all and the instances they needed, saves a 1280×800 PNG and stops
// everything. Bounded: about 10 s. Reads dist/ (`npx tsc -p tsconfig.build.json` first when it is stale).
import { existsSync, mkdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { loadConfig } from '../dist/core/config/index.js'
import { DevSession } from '../dist/core/dev/session.js'
import { ProcessRuntime } from '../dist/runtime/process/process-runtime.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const OUT = path.join(root, 'docs', 'images', 'dashboard.png')
const CHROMIUM = process.env.SLS_RUN_CHROMIUM ?? '/usr/bin/chromium'
const SERVICE = 'web'
/** Concurrent requests per wave: with concurrency 10 per instance, one more instance each wave (max 5). */
const WAVES = [10, 20, 30, 40, 50]
/** How long each request works (the app's WORK_MS): long enough to be in flight when the dashboard samples. */
const WORK_MS = 400
const WAIT = { timeout: 15_000 }

if (!existsSync(CHROMIUM)) {
  console.error(`no Chromium at ${CHROMIUM}: install it (scripts/provision.sh chromium) or set SLS_RUN_CHROMIUM`)
  process.exit(1)
}

const loaded = await loadConfig({ file: path.join(root, 'examples', 'hello', 'sls-run.yaml') })
const web = loaded.config.services[SERVICE]
web.env = { ...web.env, WORK_MS: String(WORK_MS) }
const session = new DevSession({
  loaded,
  services: [SERVICE],
  port: 0,
  adminPort: 0,
  runtime: new ProcessRuntime(),
  graceMs: 2000,
  watch: false,
  schedules: false,
  deadLetterFile: path.join(os.tmpdir(), `sls-run-screenshot-${process.pid}.ndjson`), // no events here: never written
  onEvent: () => {},
  warn: (text) => console.error(`warning: ${text}`),
  onFatal: (error) => console.error(error),
})
let browser
const stop = async () => {
  await browser?.close()
  await session.stop()
}
process.once('SIGINT', () => void stop().finally(() => process.exit(130)))

try {
  const { admin, gateways } = await session.start()
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  await page.goto(`${admin}/`)
  await page.waitForSelector('#conn[data-state="live"]', WAIT)
  await page.waitForSelector(`section.service[data-service="${SERVICE}"]`, WAIT)

  // One wave per dashboard tick (the session clock in the header moves once a second), each still in flight
  // when the next starts: the instance chart climbs a step at a time.
  const sessionText = () => page.locator('#session').textContent()
  const inFlight = []
  for (const size of WAVES) {
    const before = await sessionText()
    inFlight.push(...Array.from({ length: size }, (_, i) => fetch(`${gateways[SERVICE]}/orders/${i}`).then((r) => r.arrayBuffer().then(() => r.status))))
    await page.waitForFunction((text) => document.getElementById('session')?.textContent !== text, before, WAIT)
  }
  const statuses = await Promise.all(inFlight)
  const sent = statuses.length
  if (statuses.some((status) => status !== 200)) throw new Error(`answers: ${[...new Set(statuses)].join(', ')}`)

  // The page shows every request, the peak of instances the waves needed, and a tick after the last answer.
  const peak = session.platform.status().services[0].instances.length
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="requests"] tr[data-request]').length === n, sent, WAIT)
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="instances-chart"]')?.getAttribute('data-peak')) >= n, peak, WAIT)
  const after = await sessionText()
  await page.waitForFunction((text) => document.getElementById('session')?.textContent !== text, after, WAIT)
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))) // one render tick

  mkdirSync(path.dirname(OUT), { recursive: true })
  await page.screenshot({ path: OUT, type: 'png' })
  console.error(`wrote ${path.relative(root, OUT)}: ${sent} requests, ${peak} instances at the peak`)
} finally {
  await stop()
}
