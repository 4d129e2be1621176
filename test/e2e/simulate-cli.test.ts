/** `sls-run simulate` as a user runs it (the built CLI): inputs, --json shapes, --grid, SLO gates, bad input. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { envelope, runCli } from '../helpers/cli.js'
import { useTempDir } from '../helpers/temp.js'

const tempDir = useTempDir()

function project(files: Record<string, string>): string {
  const dir = tempDir()
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text)
  return dir
}

describe('sls-run simulate (built CLI)', () => {
  it('--generate with --json: the documented result fields, each cost with its basis and source', async () => {
    const r = await runCli(['simulate', '--generate', 'poisson:rate=5/s,duration=10m,service=120ms,seed=3', '--model', 'cloud-run', '--cold-start', '1s', '--json'], { cwd: tempDir() })
    expect(r.code).toBe(0)
    const { result } = envelope(r)
    expect(result).toMatchObject({
      service: 'app',
      settings: { model: 'cloud-run', coldStart: '1s' },
      durationMs: 600_000,
      latencyMs: { p50: expect.any(Number), p95: expect.any(Number), p99: expect.any(Number), max: expect.any(Number) },
      instances: { peak: 1 },
    })
    expect(result.requests).toBeGreaterThan(2700)
    expect(result.requests).toBeLessThan(3300)
    expect(result.coldStartRatio).toBeGreaterThan(0)
    expect(result.coldStartRatio).toBeLessThan(1)
    expect(result.status['200']).toBe(result.requests)
    expect(result.instanceSeconds.active + result.instanceSeconds.idle).toBeGreaterThan(590)
    for (const key of ['cloud-run', 'cloud-run-instance', 'aws-fargate', 'azure-container-apps'])
      expect(result.cost[key]).toMatchObject({ usd: expect.any(Number), usdPerMonth: expect.any(Number), basis: expect.any(String), source: expect.stringMatching(/retrieved \d{4}-\d\d-\d\d/) })
  })

  it("starts from the service's sls-run.yaml; --set overrides it; --grid gives one row per combination", async () => {
    const cwd = project({ 'sls-run.yaml': 'name: t\nservices:\n  api:\n    scaling: { model: knative, concurrency: 10 }\n' })
    const r = await runCli(['simulate', '--generate', 'burst:every=1m,size=50,duration=10m', '--set', 'scaling.maxInstances=3', '--grid', 'scaling.knative.stableWindow=6s,60s', '--json'], { cwd })
    expect(r.code).toBe(0)
    const { result } = envelope(r)
    expect(result.rows.map((row: { settings: Record<string, unknown> }) => [row.settings.model, row.settings.concurrency, row.settings.maxInstances, row.settings.stableWindow])).toEqual([
      ['knative', 10, 3, '6s'],
      ['knative', 10, 3, '1m'],
    ])
    expect(result.varied).toEqual(['scaling.knative.stableWindow'])
    // A shorter stable window lets the instances go between bursts: more cold starts.
    expect(result.rows[0].coldStarts).toBeGreaterThan(result.rows[1].coldStarts)
  })

  it('a missed SLO: exit 1, the table says which one and by how much; --json carries the checks', async () => {
    const args = ['simulate', '--generate', 'poisson:rate=1/s,duration=30m', '--cold-start', '3s', '--slo', 'coldStarts<=0%', '--slo', 'p50<=1s']
    const human = await runCli(args, { cwd: tempDir() })
    expect(human.code).toBe(1)
    expect(human.stdout).toMatch(/missed\s+coldStarts<=0%/)
    expect(human.stdout).toMatch(/met\s+p50<=1s/)
    expect(human.stderr).toContain('SIM_SLO_VIOLATED')
    const json = envelope(await runCli([...args, '--json'], { cwd: tempDir() }))
    expect(json.status).toBe('error')
    expect(json.error).toMatchObject({
      code: 'SIM_SLO_VIOLATED',
      details: { checks: [expect.objectContaining({ slo: 'coldStarts<=0%', ok: false }), expect.objectContaining({ slo: 'p50<=1s', ok: true })] },
    })
  })

  it('--grid with --recommend: the cheapest row that meets every SLO passes the gate', async () => {
    const r = await runCli(
      ['simulate', '--generate', 'poisson:rate=0.2/s,duration=1h,seed=2', '--cold-start', '2s', '--grid', 'scaling.minInstances=0,1', '--slo', 'coldStarts<=0%', '--recommend', '--json'],
      { cwd: tempDir() },
    )
    expect(r.code).toBe(0)
    const { result } = envelope(r)
    expect(result.rows[0].slo[0].ok).toBe(false)
    expect(result.rows[1].slo[0].ok).toBe(true)
    expect(result.recommended).toBe(1)
  })

  it('reads CSV, --record NDJSON (cold start: the recorded median) and Azure per-minute traces', async () => {
    const cwd = project({
      'trace.csv': 'at_ms,service_ms\n0,100\n50,100\n4000,100\n',
      'trace.ndjson': [
        '{"v":1,"at":"2026-12-06T09:00:00.000Z","t":0,"service":"api","method":"GET","path":"/","status":200,"queuedMs":400,"serviceMs":20,"instance":"api#1","coldStart":true,"coldStartMs":400}',
        '{"v":1,"at":"2026-12-06T09:00:01.000Z","t":1000,"service":"api","method":"GET","path":"/","status":200,"queuedMs":0,"serviceMs":20,"instance":"api#1","coldStart":false}',
        '',
      ].join('\n'),
      'azure.csv': `HashOwner,HashApp,HashFunction,Trigger,${Array.from({ length: 1440 }, (_, i) => i + 1).join(',')}\no,a,f1,http,${Array.from({ length: 1440 }, (_, i) => (i < 2 ? 3 : 0)).join(',')}\no,a,f2,http,${Array(1440).fill(1).join(',')}\n`,
    })
    const csv = envelope(await runCli(['simulate', '--trace', 'trace.csv', '--json'], { cwd })).result
    expect(csv.requests).toBe(3)
    const record = envelope(await runCli(['simulate', '--trace', 'trace.ndjson', '--json'], { cwd })).result
    expect(record).toMatchObject({ requests: 2, coldStarts: 1, settings: { coldStart: '400ms (median of 1 recorded)' } })
    const azure = envelope(await runCli(['simulate', '--trace', 'azure.csv', '--function', 'f1', '--spread', 'even', '--json'], { cwd })).result
    expect(azure).toMatchObject({ requests: 6, durationMs: 1440 * 60_000 })
    const unchosen = await runCli(['simulate', '--trace', 'azure.csv'], { cwd })
    expect(unchosen.code).toBe(2)
    expect(unchosen.stderr).toContain('SIM_FUNCTION_REQUIRED')
  })

  it('a bad trace: a coded error with the file and line, nothing on stdout, no stack', async () => {
    const cwd = project({ 'trace.csv': 'at_ms,service_ms\n0,100\n10,oops\n' })
    const r = await runCli(['simulate', '--trace', 'trace.csv'], { cwd })
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/SIM_TRACE_INVALID[\s\S]*trace\.csv:3/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    const backwards = await runCli(['simulate', '--trace', 'back.csv'], { cwd: project({ 'back.csv': 'at_ms,service_ms\n100,10\n50,10\n' }) })
    expect(backwards.code).toBe(2)
    expect(backwards.stderr).toMatch(/back\.csv:3/)
  })

  it('--html writes a self-contained report', async () => {
    const cwd = tempDir()
    const r = await runCli(['simulate', '--generate', 'poisson:rate=2/s,duration=5m', '--html', 'report.html'], { cwd })
    expect(r.code).toBe(0)
    const html = readFileSync(path.join(cwd, 'report.html'), 'utf8')
    expect(html).toMatch(/^<!doctype html>/i)
    expect(html).toContain('poisson rate=2/s duration=5m')
    expect(html).not.toMatch(/(src|href)=["']https?:/)
    const bad = await runCli(['simulate', '--generate', 'poisson:rate=2/s,duration=5m', '--html', 'missing/report.html'], { cwd })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('SIM_HTML_UNWRITABLE')
    expect(existsSync(path.join(cwd, 'missing'))).toBe(false)
  })
})
