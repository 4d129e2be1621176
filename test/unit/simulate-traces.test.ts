/**
 * `sls-run simulate` trace inputs: the three file formats (record NDJSON, CSV, Azure Functions counts),
 * the three generators, the seeded PRNG and the service-time specs. Statistical checks use tolerances
 * of about 5 standard deviations of the sample, so they fail on a wrong distribution, not on bad luck.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { generateTrace } from '../../src/core/simulate/trace/generate.js'
import { Random } from '../../src/core/simulate/trace/random.js'
import { openTrace, type OpenTraceOptions } from '../../src/core/simulate/trace/read.js'
import { isServiceTimeProblem, parseServiceTime } from '../../src/core/simulate/trace/service-time.js'
import type { Arrival, TraceSource } from '../../src/core/simulate/types.js'
import { SlsError } from '../../src/errors.js'
import { useTempDir } from '../helpers/temp.js'

const tempDir = useTempDir('sls-run-traces-')

function file(name: string, content: string): string {
  const p = path.join(tempDir(), name)
  writeFileSync(p, content)
  return p
}

async function collect(source: TraceSource): Promise<{ arrivals: Arrival[]; batchSizes: number[] }> {
  const arrivals: Arrival[] = []
  const batchSizes: number[] = []
  for await (const batch of source.batches()) {
    batchSizes.push(batch.length)
    for (const a of batch) arrivals.push(a)
  }
  return { arrivals, batchSizes }
}

const all = async (source: TraceSource) => (await collect(source)).arrivals
const read = async (p: string, options?: OpenTraceOptions) => all(await openTrace(p, options))

/** The SlsError a promise (or function) fails with. */
async function failure(run: () => unknown): Promise<SlsError> {
  try {
    await run()
  } catch (error) {
    expect(error).toBeInstanceOf(SlsError)
    return error as SlsError
  }
  throw new Error('expected a failure')
}

const sorted = (arrivals: Arrival[]) => arrivals.every((a, i) => i === 0 || arrivals[i - 1]!.t <= a.t)
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length
const min = (xs: number[]) => xs.reduce((m, x) => Math.min(m, x), Infinity)
const max = (xs: number[]) => xs.reduce((m, x) => Math.max(m, x), -Infinity)
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!

function recordLine(t: number, serviceMs: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    v: 1,
    at: new Date(1_800_000_000_000 + t).toISOString(),
    t,
    service: 'api',
    method: 'GET',
    path: '/',
    status: 200,
    queuedMs: 0,
    serviceMs,
    instance: 'api#1',
    coldStart: false,
    ...extra,
  })
}

describe('Random', () => {
  const draw = (r: Random, n: number) => Array.from({ length: n }, () => r.next())
  it('repeats a seed, and differs across seeds and streams', () => {
    expect(draw(new Random(7), 20)).toEqual(draw(new Random(7), 20))
    expect(draw(new Random(7), 20)).not.toEqual(draw(new Random(8), 20))
    expect(draw(new Random(7, 0), 20)).not.toEqual(draw(new Random(7, 1), 20))
  })
  it('is uniform in [0, 1)', () => {
    const xs = draw(new Random(1), 100_000)
    expect(min(xs)).toBeGreaterThanOrEqual(0)
    expect(max(xs)).toBeLessThan(1)
    expect(Math.abs(mean(xs) - 0.5)).toBeLessThan(0.005) // sd of the mean: 0.29 / 316 ≈ 0.0009
    expect(Math.abs(xs.filter((x) => x < 0.1).length - 10_000)).toBeLessThan(500) // sd ≈ 95
  })
  it('draws normals with mean 0 and sd 1', () => {
    const r = new Random(3)
    const zs = Array.from({ length: 100_000 }, () => r.normal())
    expect(Math.abs(mean(zs))).toBeLessThan(0.02)
    expect(Math.abs(Math.sqrt(mean(zs.map((z) => z * z))) - 1)).toBeLessThan(0.02)
  })
})

describe('service times', () => {
  it('parses the three forms', () => {
    const forms = ['120ms', '50ms-200ms', '~100ms'].map((s) => parseServiceTime(s))
    expect(forms.map((f) => (isServiceTimeProblem(f) ? f.problem : [f.kind, f.describe, f.meanMs]))).toEqual([
      ['fixed', '120ms', 120],
      ['uniform', '50ms-200ms', 125],
      ['lognormal', '~100ms sigma=0.5', 100 * Math.exp(0.125)],
    ])
  })
  it.each([
    ['-5ms', /cannot be negative/],
    ['1.5s', /not a duration/],
    ['200ms-50ms', /goes down/],
    ['~0ms', /above 0/],
    ['fast', /not a duration/],
  ])('rejects %j', (text, problem) => {
    const parsed = parseServiceTime(text)
    expect(isServiceTimeProblem(parsed) && parsed.problem).toMatch(problem)
  })
  it('takes sigma for a lognormal only', () => {
    const parsed = parseServiceTime('120ms', 0.8)
    expect(isServiceTimeProblem(parsed) && parsed.problem).toMatch(/lognormal/)
  })
})

describe('generators', () => {
  it('poisson: mean rate, exponential gaps, fixed service, within the duration, in batches of ≤ 4096', async () => {
    const source = generateTrace('poisson:rate=50/s,duration=1h,service=120ms')
    expect(source.describe).toBe('poisson rate=50/s duration=1h service=120ms seed=1')
    expect(source.durationMs).toBe(3_600_000)
    const { arrivals, batchSizes } = await collect(source)
    // 180 000 expected, sd √180000 ≈ 424
    expect(Math.abs(arrivals.length - 180_000)).toBeLessThan(2_200)
    expect(sorted(arrivals)).toBe(true)
    expect(arrivals.at(-1)!.t).toBeLessThan(3_600_000)
    expect(arrivals.every((a) => a.serviceMs === 120 && a.service === undefined)).toBe(true)
    const gaps = arrivals.slice(1).map((a, i) => a.t - arrivals[i]!.t)
    const m = mean(gaps)
    expect(Math.abs(m - 20)).toBeLessThan(0.25) // sd of the mean gap: 20 / 424 ≈ 0.05
    const cv = Math.sqrt(mean(gaps.map((g) => (g - m) ** 2))) / m
    expect(Math.abs(cv - 1)).toBeLessThan(0.02) // exponential gaps: coefficient of variation 1
    expect(batchSizes.slice(0, -1).every((n) => n === 4096)).toBe(true)
    expect(batchSizes.at(-1)!).toBeGreaterThan(0)
  })

  it('same seed → identical arrivals (and re-iterating repeats them); another seed → different', async () => {
    const spec = 'poisson:rate=5/s,duration=10m,service=50ms-200ms'
    const a = await all(generateTrace(`${spec},seed=42`))
    expect(await all(generateTrace(`${spec},seed=42`))).toEqual(a)
    const source = generateTrace(`${spec},seed=42`)
    expect(await all(source)).toEqual(await all(source))
    const b = await all(generateTrace(`${spec},seed=43`))
    expect(b.slice(0, 10)).not.toEqual(a.slice(0, 10))
  })

  it('uniform service: mean and range', async () => {
    const services = (await all(generateTrace('poisson:rate=50/s,duration=1h,service=50ms-200ms,seed=2'))).map((a) => a.serviceMs)
    expect(min(services)).toBeGreaterThanOrEqual(50)
    expect(max(services)).toBeLessThan(200)
    expect(Math.abs(mean(services) - 125)).toBeLessThan(0.6) // sd of the mean: 43.3 / 424 ≈ 0.1
  })

  it('lognormal service: median and mean e^(σ²/2) above it', async () => {
    const source = generateTrace('poisson:rate=50/s,duration=1h,service=~100ms,sigma=0.8,seed=3')
    expect(source.describe).toBe('poisson rate=50/s duration=1h service=~100ms sigma=0.8 seed=3')
    const services = (await all(source)).map((a) => a.serviceMs)
    expect(Math.abs(median(services) - 100)).toBeLessThan(1.5) // sd of the median ≈ 0.24 ms
    expect(Math.abs(mean(services) - 100 * Math.exp(0.32))).toBeLessThan(2) // sd of the mean ≈ 0.28 ms
  })

  it('changing service= does not move the arrivals', async () => {
    const times = async (service: string) => (await all(generateTrace(`poisson:rate=5/s,duration=5m,service=${service},seed=9`))).map((a) => a.t)
    expect(await times('~100ms')).toEqual(await times('10ms-20ms'))
  })

  it('diurnal: trough at 0 and at the period, peak at half of it; one period by default', async () => {
    const source = generateTrace('diurnal:peak=50/s,trough=0.5/s,period=1h,seed=5')
    expect(source.describe).toBe('diurnal peak=50/s trough=0.5/s period=1h service=100ms seed=5')
    expect(source.durationMs).toBe(3_600_000)
    const arrivals = await all(source)
    expect(sorted(arrivals)).toBe(true)
    expect(arrivals.at(-1)!.t).toBeLessThan(3_600_000)
    // Expected count in [a, b): ∫ trough + swing·(1 − cos ωt) dt, rates per ms.
    const [peak, trough, period] = [0.05, 0.0005, 3_600_000]
    const swing = (peak - trough) / 2
    const omega = (2 * Math.PI) / period
    const expected = (a: number, b: number) => (trough + swing) * (b - a) - (swing / omega) * (Math.sin(omega * b) - Math.sin(omega * a))
    const count = (a: number, b: number) => arrivals.filter((x) => x.t >= a && x.t < b).length
    const near = (a: number, b: number) => expect(Math.abs(count(a, b) - expected(a, b))).toBeLessThan(5 * Math.sqrt(expected(a, b)) + 2)
    near(0, 3_600_000) // ≈ 90 900
    near(1_710_000, 1_890_000) // the peak's 3 minutes: ≈ 8 990
    near(0, 180_000) // the trough's: ≈ 400
    expect(count(1_710_000, 1_890_000)).toBeGreaterThan(15 * count(0, 180_000))
  })

  it('burst: size requests at the same instant every period, plus background', async () => {
    const bursts = await all(generateTrace('burst:every=10m,size=200'))
    expect(bursts).toHaveLength(1200)
    const instants = [...new Set(bursts.map((a) => a.t))]
    expect(instants).toEqual([0, 600_000, 1_200_000, 1_800_000, 2_400_000, 3_000_000])
    expect(instants.map((t) => bursts.filter((a) => a.t === t).length)).toEqual([200, 200, 200, 200, 200, 200])

    const source = generateTrace('burst:every=10m,size=200,rate=1/s,duration=30m,seed=4')
    expect(source.describe).toBe('burst every=10m size=200 rate=1/s duration=30m service=100ms seed=4')
    const mixed = await all(source)
    expect(sorted(mixed)).toBe(true)
    expect([0, 600_000, 1_200_000].map((t) => mixed.filter((a) => a.t === t).length)).toEqual([200, 200, 200])
    expect(Math.abs(mixed.length - 600 - 1800)).toBeLessThan(215) // background: 1800 expected, sd ≈ 42
  })

  it.each([
    ['poison:rate=5/s', /unknown generator "poison"; did you mean "poisson"/, /poisson, diurnal, burst/],
    ['poisson:rat=5/s', /poisson has no key "rat"; did you mean "rate"/, /rate \(required/],
    ['poisson:duration=1h', /poisson needs rate=/, /duration \(default 1h\)/],
    ['poisson:rate=5/sec', /rate=5\/sec: not a rate/, /5\/s, 300\/m/],
    ['poisson:rate=0/s', /rate=0\/s: must be above 0/, /poisson keys/],
    ['poisson:rate=5/s,duration=1.5h', /duration=1.5h: not a duration/, /1500ms/],
    ['poisson:rate=5/s,service=-5ms', /service: a service time cannot be negative/, /poisson keys/],
    ['poisson:rate=5/s,service=120ms,sigma=0.8', /sigma applies to a lognormal/, /~100ms/],
    ['poisson:rate=5/s,seed=abc', /seed=abc: must be a whole number/, /seed \(default 1\)/],
    ['poisson:rate=5/s,rate=6/s', /"rate" is given twice/, /poisson keys/],
    ['poisson:rate', /"rate" needs a value/, /poisson keys/],
    ['diurnal:peak=1/s,trough=2/s', /trough=2\/s is above peak=1\/s/, /diurnal keys/],
    ['burst:every=10m', /burst needs size=/, /every \(required/],
    ['burst:every=10m,size=0', /size=0: must be a whole number of requests, 1 or more/, /burst keys/],
  ])('rejects %j', async (spec, message, hint) => {
    const error = await failure(() => generateTrace(spec))
    expect(error.code).toBe('SIM_GENERATE_INVALID')
    expect(error.exitCode).toBe(2)
    expect(error.message).toMatch(message)
    expect(error.hints.join('\n')).toMatch(hint)
  })
})

describe('CSV traces', () => {
  it('reads at_ms,service_ms (CRLF, blank lines, decimals)', async () => {
    const p = file('trace.csv', 'at_ms,service_ms\r\n0,120\r\n12.5,80\r\n\r\n12.5,0\r\n3000,45.25\r\n')
    const source = await openTrace(p)
    expect(source.describe).toBe(`${p} (csv)`)
    expect(await all(source)).toEqual([
      { t: 0, serviceMs: 120 },
      { t: 12.5, serviceMs: 80 },
      { t: 12.5, serviceMs: 0 },
      { t: 3000, serviceMs: 45.25 },
    ])
  })

  it('reads the optional service column, and keeps one service on request', async () => {
    const p = file('trace.csv', 'at_ms,service_ms,service\n0,10,api\n5,20,worker\n7,30\n9,40,api\n')
    expect(await read(p)).toEqual([
      { t: 0, serviceMs: 10, service: 'api' },
      { t: 5, serviceMs: 20, service: 'worker' },
      { t: 7, serviceMs: 30 },
      { t: 9, serviceMs: 40, service: 'api' },
    ])
    expect((await read(p, { service: 'api' })).map((a) => a.t)).toEqual([0, 7, 9])
  })

  it('streams a file of many chunks: every line, in order, with line numbers past the first chunk', async () => {
    const lines = ['at_ms,service_ms']
    for (let i = 0; i < 200_000; i++) lines.push(`${i * 3},${i % 250}`)
    const p = file('big.csv', `${lines.join('\n')}\n`) // ≈ 2.4 MB: three 1 MiB reads
    const { arrivals, batchSizes } = await collect(await openTrace(p))
    expect(arrivals).toHaveLength(200_000)
    expect(arrivals[199_999]).toEqual({ t: 599_997, serviceMs: 249 })
    expect(arrivals.reduce((s, a) => s + a.serviceMs, 0)).toBe(((200 * (249 * 250)) / 2) * 4) // 800 × Σ0..249
    expect(batchSizes.every((n) => n <= 4096)).toBe(true)

    lines[150_001] = '450000,abc' // the 150 000th request is on line 150 002
    const broken = file('broken.csv', `${lines.join('\n')}\n`)
    const error = await failure(() => read(broken))
    expect(error.message).toBe(`${broken}:150002: service_ms is not a number: "abc"`)
  })

  it.each([
    ['time going backwards', 'at_ms,service_ms\n0,1\n500,1\n499,1\n', 4, /time goes backwards: at_ms 499 is before the previous request's 500/],
    ['a negative service time', 'at_ms,service_ms\n0,1\n5,-3\n', 3, /service_ms is negative \(-3\)/],
    ['a negative arrival', 'at_ms,service_ms\n-5,3\n', 2, /at_ms is negative \(-5\)/],
    ['a missing column', 'at_ms,service_ms\n0,1\n10\n', 3, /expected at_ms,service_ms, got "10"/],
    ['an empty field', 'at_ms,service_ms\n0,\n', 2, /service_ms is empty/],
    ['a unit', 'at_ms,service_ms\n0,120ms\n', 2, /service_ms is not a number: "120ms"/],
    ['an exponent', 'at_ms,service_ms\n1e3,1\n', 2, /at_ms is not a number: "1e3"/],
    ['a third column the header does not have', 'at_ms,service_ms\n0,1,api\n', 2, /3 columns, but the header/],
    ['a fourth column', 'at_ms,service_ms,service\n0,1,api,x\n', 2, /more than 3 columns/],
  ])('rejects %s with its line number', async (_, content, line, message) => {
    const p = file('trace.csv', content)
    const error = await failure(() => read(p))
    expect(error.code).toBe('SIM_TRACE_INVALID')
    expect(error.exitCode).toBe(2)
    expect(error.message.startsWith(`${p}:${line}: `)).toBe(true)
    expect(error.message).toMatch(message)
  })

  it('requires the header when the format is named', async () => {
    const p = file('trace.csv', '\n0,120\n')
    const error = await failure(() => openTrace(p, { format: 'csv' }))
    expect([error.code, error.message]).toEqual(['SIM_TRACE_INVALID', `${p}:2: a CSV trace starts with the header at_ms,service_ms (or at_ms,service_ms,service), got "0,120"`])
  })
})

describe('record (dev --record) traces', () => {
  it('sorts lines written in completion order; carries service and cold starts', async () => {
    const p = file(
      'trace.ndjson',
      [
        recordLine(500, 10), // ended at 510
        recordLine(0, 900, { coldStart: true, coldStartMs: 412.5, queuedMs: 420 }), // ended at 1320
        recordLine(1000, 5, { service: 'worker' }),
        recordLine(700, 2000, { coldStart: false, coldStartMs: 99 }), // ended at 2700
        recordLine(2500, 1),
      ].join('\n'),
    )
    const source = await openTrace(p)
    expect(source.describe).toBe(`${p} (sls-run record)`)
    expect(await all(source)).toEqual([
      { t: 0, serviceMs: 900, service: 'api', coldStartMs: 412.5 },
      { t: 500, serviceMs: 10, service: 'api' },
      { t: 700, serviceMs: 2000, service: 'api' },
      { t: 1000, serviceMs: 5, service: 'worker' },
      { t: 2500, serviceMs: 1, service: 'api' },
    ])
    expect((await read(p, { service: 'worker' })).map((a) => a.t)).toEqual([1000])
  })

  it('re-orders with a bounded window: a line earlier than an arrival already released is an error', async () => {
    // Window 1000 ms: t=5000 releases t=0 and t=3000; t=3500 is fine (not before 3000), t=2000 is not.
    const lines = [recordLine(0, 1), recordLine(3000, 1), recordLine(5000, 1), recordLine(3500, 1), recordLine(4500, 1)]
    const ok = file('ok.ndjson', lines.join('\n'))
    expect((await read(ok, { reorderMs: 1000 })).map((a) => a.t)).toEqual([0, 3000, 3500, 4500, 5000])
    const bad = file('bad.ndjson', [...lines, recordLine(2000, 1)].join('\n'))
    const error = await failure(() => read(bad, { reorderMs: 1000 }))
    expect(error.code).toBe('SIM_TRACE_INVALID')
    expect(error.message).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6: time goes backwards: t=2000`))
    // The default window (330 s) takes the same file.
    expect(await read(bad)).toHaveLength(6)
  })

  it('re-orders many lines with the default window', async () => {
    const r = new Random(11)
    const ends = Array.from({ length: 20_000 }, (_, i) => ({ t: i * 10 + r.next(), serviceMs: r.uniform(0, 5_000) }))
    ends.sort((a, b) => a.t + a.serviceMs - (b.t + b.serviceMs))
    const p = file('trace.ndjson', ends.map((e) => recordLine(e.t, e.serviceMs)).join('\n') + '\n')
    const arrivals = await read(p)
    expect(arrivals).toHaveLength(20_000)
    expect(sorted(arrivals)).toBe(true)
  })

  it.each([
    ['not JSON', '{"v":1,', /:2: not a JSON object/],
    ['a negative service time', recordLine(5, -3), /:2: serviceMs is negative \(-3\)/],
    ['a missing field', JSON.stringify({ v: 1, at: '2027-01-15T08:00:00.000Z', t: 5 }), /:2: service is missing/],
    ['another version', recordLine(5, 1, { v: 2 }), /:2: format version 2; this sls-run reads version 1/],
    ['an unknown key', recordLine(5, 1, { extra: 1 }), /:2: unknown field "extra"/],
  ])('rejects %s with its line number', async (_, line, message) => {
    const p = file('trace.ndjson', `${recordLine(0, 1)}\n${line}\n`)
    const error = await failure(() => read(p))
    expect(error.code).toBe('SIM_TRACE_INVALID')
    expect(error.exitCode).toBe(2)
    expect(error.message).toMatch(message)
  })
})

describe('Azure Functions traces', () => {
  const header = 'HashOwner,HashApp,HashFunction,Trigger,1,2,3,4,5'
  const azure = (rows: string[]) => file('invocations_per_function_md.anon.d01.csv', `${[header, ...rows].join('\n')}\n`)
  const rows = ['o1,a1,aaa111,http,3,0,6000,1,0', 'o1,a1,bbb222,timer,1,1,1,1,1', 'o2,a2,ccc333,queue,0,0,0,0,2']
  const perMinute = (arrivals: Arrival[]) => [0, 1, 2, 3, 4].map((m) => arrivals.filter((a) => a.t >= m * 60_000 && a.t < (m + 1) * 60_000).length)

  it('picks a function; uniform spread keeps each minute count exactly, in order, seeded', async () => {
    const p = azure(rows)
    const source = await openTrace(p, { function: 'aaa111' })
    expect(source.describe).toBe(`${p} (azure function aaa111, http trigger, 6004 invocations, uniform spread, service=100ms, seed=1)`)
    expect(source.durationMs).toBe(5 * 60_000)
    const arrivals = await all(source)
    expect(perMinute(arrivals)).toEqual([3, 0, 6000, 1, 0])
    expect(sorted(arrivals)).toBe(true)
    expect(arrivals.every((a) => a.serviceMs === 100 && a.service === undefined)).toBe(true)
    // Uniform within the minute: about half of minute 3's 6000 in each half (sd ≈ 39), quarters alike.
    const busy = arrivals.filter((a) => a.t >= 120_000 && a.t < 180_000).map((a) => (a.t - 120_000) / 60_000)
    for (const q of [0.25, 0.5, 0.75]) expect(Math.abs(busy.filter((x) => x < q).length - 6000 * q)).toBeLessThan(200)
    expect(await read(p, { function: 'aaa111' })).toEqual(arrivals)
    expect(await read(p, { function: 'aaa111', seed: 2 })).not.toEqual(arrivals)
  })

  it('even spread: (i + ½)·60 s / N within minute m', async () => {
    const arrivals = await read(azure(rows), { function: 'aaa111', spread: 'even' })
    expect(perMinute(arrivals)).toEqual([3, 0, 6000, 1, 0])
    expect(arrivals.slice(0, 3).map((a) => a.t)).toEqual([10_000, 30_000, 50_000])
    expect(arrivals[3]!.t).toBe(120_005)
    expect(arrivals.at(-1)!.t).toBe(210_000)
  })

  it('takes a service time spec', async () => {
    const services = (await read(azure(rows), { function: 'aaa111', serviceTime: '~50ms', seed: 3 })).map((a) => a.serviceMs)
    expect(new Set(services).size).toBeGreaterThan(1000)
    expect(Math.abs(median(services) - 50)).toBeLessThan(2) // sd of the median ≈ 0.4 ms
    const error = await failure(() => openTrace(azure(rows), { function: 'aaa111', serviceTime: '1.5s' }))
    expect([error.code, error.exitCode]).toEqual(['USAGE', 2])
  })

  it('a one-row file needs no --function', async () => {
    expect(perMinute(await read(azure([rows[1]!])))).toEqual([1, 1, 1, 1, 1])
  })

  it('several rows need --function: SIM_FUNCTION_REQUIRED with the count and how to list them', async () => {
    const error = await failure(() => openTrace(azure(rows)))
    expect(error.code).toBe('SIM_FUNCTION_REQUIRED')
    expect(error.exitCode).toBe(2)
    expect(error.message).toMatch(/has 3 functions: choose one with --function HASH/)
    expect(error.hints.join('\n')).toMatch(/aaa111, bbb222, ccc333/)
    expect(error.hints.join('\n')).toMatch(/awk -F,/)
  })

  it('an unknown hash: SIM_FUNCTION_UNKNOWN, with a near miss by prefix', async () => {
    const error = await failure(() => openTrace(azure(rows), { function: 'ddd444' }))
    expect([error.code, error.exitCode]).toEqual(['SIM_FUNCTION_UNKNOWN', 2])
    expect(error.message).toMatch(/no function ddd444 in .* \(it has 3 functions\)$/)
    expect(error.hints.join('\n')).toMatch(/aaa111, bbb222, ccc333/)
    expect((await failure(() => openTrace(azure(rows), { function: 'bbb' }))).message).toMatch(/did you mean bbb222\?/)
  })

  it.each([
    ['a count that is not a number', 'o1,a1,aaa111,http,3,x,6000,1,0', /:2: minute 2: "x" is not an invocation count/],
    ['a short row', 'o1,a1,aaa111,http,3,0', /:2: 6 columns, but the header has 9/],
    ['a row without a hash', 'o1,a1', /:2: expected HashOwner,HashApp,HashFunction,Trigger/],
  ])('rejects %s with its line number', async (_, row, message) => {
    const error = await failure(() => openTrace(azure([row]), { function: 'aaa111' }))
    expect(error.code).toBe('SIM_TRACE_INVALID')
    expect(error.message).toMatch(message)
  })

  it('rejects minute columns out of order', async () => {
    const p = file('d.csv', 'HashOwner,HashApp,HashFunction,Trigger,1,3\no,a,f,http,1,1\n')
    const error = await failure(() => openTrace(p, { format: 'azure' }))
    expect(error.code).toBe('SIM_TRACE_INVALID')
    expect(error.message).toMatch(/:1: .*minute column 2 is "3"/)
  })
})

describe('format detection and file errors', () => {
  it('detects each format from its first non-empty line', async () => {
    const record = await openTrace(file('a.log', `\n${recordLine(0, 1)}\n`))
    const csv = await openTrace(file('b.txt', '\nat_ms, service_ms\n0,1\n'))
    const az = await openTrace(file('c.txt', 'HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,1,2\n'))
    expect([record.describe, csv.describe, az.describe].map((d) => /\((sls-run record|csv|azure)/.exec(d)?.[1])).toEqual(['sls-run record', 'csv', 'azure'])
    expect(await all(record)).toHaveLength(1)
    expect(await all(csv)).toEqual([{ t: 0, serviceMs: 1 }])
    expect(await all(az)).toHaveLength(3)
  })

  it('an unknown format: SIM_TRACE_FORMAT_UNKNOWN naming the three formats', async () => {
    const error = await failure(() => openTrace(file('x.csv', '\ntime,duration\n1,2\n')))
    expect([error.code, error.exitCode]).toEqual(['SIM_TRACE_FORMAT_UNKNOWN', 2])
    expect(error.message).toMatch(/x\.csv:2: cannot tell the trace format from "time,duration"/)
    expect(error.hints.join('\n')).toMatch(/dev --record.*at_ms,service_ms.*Azure Functions/)
  })

  it('hints at the CSV header and at the other Azure files', async () => {
    expect((await failure(() => openTrace(file('x.csv', '0,120\n')))).hints[0]).toMatch(/needs its header line first: at_ms,service_ms/)
    const durations = 'HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum\n'
    expect((await failure(() => openTrace(file('d.csv', durations)))).hints[0]).toMatch(/invocations_per_function_md/)
  })

  it('an empty file has nothing to simulate', async () => {
    const error = await failure(() => openTrace(file('empty.csv', '\n\n')))
    expect(error.code).toBe('SIM_TRACE_INVALID')
    expect(error.message).toMatch(/the file is empty/)
  })

  it('a missing file or a folder: SIM_TRACE_NOT_FOUND (exit 2)', async () => {
    const dir = tempDir()
    const missing = await failure(() => openTrace(path.join(dir, 'nope.ndjson')))
    expect([missing.code, missing.exitCode]).toEqual(['SIM_TRACE_NOT_FOUND', 2])
    expect(missing.message).toMatch(/nope\.ndjson: no such file/)
    mkdirSync(path.join(dir, 'folder'))
    expect((await failure(() => openTrace(path.join(dir, 'folder')))).code).toBe('SIM_TRACE_NOT_FOUND')
  })
})
