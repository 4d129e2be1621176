/**
 * `sls-run simulate` against closed-form answers (each derivation is in its test), its settings
 * (--set, --grid, --cold-start), the SLO gates and the costs. Traces here are built in the test from
 * the seeded PRNG, so each expectation depends only on arithmetic.
 */
import { describe, expect, it } from 'vitest'
import { simulate } from '../../src/core/simulate/simulate.js'
import { checkSlo, parseSlo } from '../../src/core/simulate/slo.js'
import { Random } from '../../src/core/simulate/trace/random.js'
import type { Arrival, SimResult, TraceSource } from '../../src/core/simulate/types.js'

/** Poisson arrivals at `ratePerS` with a fixed service time, `count` requests (or until `durationMs`). */
function poisson(ratePerS: number, serviceMs: number, count: number, seed = 7): TraceSource {
  return {
    describe: `poisson ${ratePerS}/s`,
    async *batches() {
      const random = new Random(seed)
      let t = 0
      let batch: Arrival[] = []
      for (let i = 0; i < count; i++) {
        t += (-Math.log(1 - random.next()) / ratePerS) * 1000
        batch.push({ t, serviceMs })
        if (batch.length === 1024) {
          yield batch
          batch = []
        }
      }
      yield batch
    },
  }
}

function fixed(arrivals: Arrival[], durationMs?: number): TraceSource {
  return {
    describe: 'fixed',
    ...(durationMs === undefined ? {} : { durationMs }),
    async *batches() {
      yield arrivals
    },
  }
}

const run = async (source: TraceSource, set: string[], extra: Partial<Parameters<typeof simulate>[0]> = {}): Promise<SimResult> =>
  (await simulate({ source, configFile: false, set, coldStart: '0ms', ...(source.durationMs === undefined ? {} : { durationMs: source.durationMs }), ...extra })).results[0]!

describe('closed-form answers', () => {
  // Poisson arrivals (rate λ), service time s, the instant model stopping an instance idle for T, and
  // concurrency high enough never to queue: request k meets a cold start exactly when no request arrived
  // in the T + s before it (any earlier one finished at most s after it arrived, so the instance had been
  // idle less than T; and with none, every earlier request finished by t_k − T: idle ≥ T, stopped). The
  // gap to the previous arrival is exponential: P(gap > T + s) = e^(−λ(T + s)).
  it.each([0.5, 1, 3])('cold-start fraction e^(−λ(T+s)) for λT = %s, within ±2 points over 20 000 requests', async (lambdaT) => {
    const lambda = 0.5 // per second
    const T = lambdaT / lambda // seconds: 1, 2, 6 (idleTimeout's minimum is 1 s)
    const s = 0.1
    const r = await run(poisson(lambda, s * 1000, 20_000), ['scaling.concurrency=1000', `scaling.idleTimeout=${T * 1000}ms`])
    const expected = Math.exp(-lambda * (T + s))
    expect(r.requests).toBe(20_000)
    expect(Math.abs(r.coldStartRatio - expected)).toBeLessThanOrEqual(0.02)
  })

  // minInstances 1 keeps one instance alive for the whole trace: its life alone is 3600 s, so active +
  // idle ≥ 3600 s, i.e. idle ≥ 3600 − active.
  it('minInstances 1 over a 1 h trace: idle instance-seconds ≥ 3600 − active', async () => {
    const arrivals = Array.from({ length: 120 }, (_, i) => ({ t: i * 30_000 + 5_000, serviceMs: 200 }))
    const r = await run(fixed(arrivals, 3_600_000), ['scaling.minInstances=1'])
    expect(r.durationMs).toBe(3_600_000)
    expect(r.instanceSeconds.idle).toBeGreaterThanOrEqual(3600 - r.instanceSeconds.active - 0.01)
    expect(r.instanceSeconds.active).toBeCloseTo(120 * 0.2, 5) // 120 requests of 200 ms, never overlapping
    expect(r.coldStarts).toBe(0) // the min instance is ready before the first request
  })

  // Concurrency 1, max 1, one warm instance, N requests at t = 0, service 1 s, queueTimeout 2.5 s:
  // the first is served at once, the next at 1 s and 2 s; at 2.5 s every other one has waited its
  // queueTimeout with nothing starting: 429. So 429 = N − (⌊2.5 / 1⌋ + 1) = N − 3, each after 2.5 s.
  it('queue timeouts give the 429 count the arithmetic predicts', async () => {
    const N = 20
    const r = await run(fixed(Array.from({ length: N }, () => ({ t: 0, serviceMs: 1000 }))), [
      'scaling.concurrency=1',
      'scaling.maxInstances=1',
      'scaling.minInstances=1',
      'scaling.queueTimeout=2500ms',
    ])
    expect(r.status).toEqual({ '200': 3, '429': N - 3 })
    expect(r.latencyMs.max).toBeCloseTo(3000, 0) // the third waited 2 s, then 1 s of service
    // Arrivals faster than service, steadily: 4/s on 1 s of service for 60 s; served ≈ one per second.
    const steady = await run(fixed(Array.from({ length: 240 }, (_, i) => ({ t: i * 250, serviceMs: 1000 }))), [
      'scaling.concurrency=1',
      'scaling.maxInstances=1',
      'scaling.minInstances=1',
      'scaling.queueTimeout=2100ms',
    ])
    const served = steady.status['200']!
    expect(served).toBeGreaterThanOrEqual(60)
    expect(served).toBeLessThanOrEqual(63)
    expect(steady.status['429']).toBe(240 - served)
  })

  it('504 past the request timeout, latency capped at the timeout', async () => {
    const r = await run(
      fixed([
        { t: 0, serviceMs: 5_000 },
        { t: 10, serviceMs: 100 },
      ]),
      ['timeout=2s'],
    )
    expect(r.status).toEqual({ '200': 1, '504': 1 })
    expect(r.latencyMs.max).toBeCloseTo(2000, 0)
  })
})

describe('settings', () => {
  it('--set and --model reach the models; a bad value is a coded error naming the key', async () => {
    const r = await run(poisson(2, 100, 500), ['scaling.knative.stableWindow=6s'], { model: 'knative' })
    expect(r.settings).toMatchObject({ model: 'knative', stableWindow: '6s', tick: '2s' })
    await expect(run(poisson(2, 100, 10), ['scaling.idleTimeout=10'])).rejects.toMatchObject({
      code: 'SIM_SET_INVALID',
      exitCode: 2,
      message: expect.stringContaining('scaling.idleTimeout must be a duration'),
    })
    await expect(run(poisson(2, 100, 10), ['scaling.idleTimout=10s'])).rejects.toMatchObject({ code: 'SIM_SET_INVALID', message: expect.stringContaining('scaling.idleTimout is not a known key') })
    await expect(run(poisson(2, 100, 10), ['nonsense'])).rejects.toMatchObject({ code: 'SIM_SET_INVALID' })
  })

  it('--grid runs every combination, in order', async () => {
    const report = await simulate({ source: poisson(1, 100, 400), configFile: false, coldStart: '500ms', grid: ['scaling.minInstances=0,1', 'scaling.idleTimeout=1s,10s'] })
    expect(report.results.map((r) => [r.settings.minInstances, r.settings.idleTimeout])).toEqual([
      [0, '1s'],
      [0, '10s'],
      [1, '1s'],
      [1, '10s'],
    ])
    expect(report.varied).toEqual(['scaling.minInstances', 'scaling.idleTimeout'])
    // Longer idle time, fewer cold starts; a warm instance, fewer still.
    const cold = report.results.map((r) => r.coldStarts)
    expect(cold[0]).toBeGreaterThan(cold[1]!)
    expect(cold[0]).toBeGreaterThan(cold[2]!)
  })

  it('--cold-start: a fixed duration adds to the waiting requests; a bad one is refused', async () => {
    const slow = await run(fixed([{ t: 0, serviceMs: 100 }]), [], { coldStart: '2s' })
    expect(slow.latencyMs.max).toBeCloseTo(2100, 0)
    expect(slow.settings.coldStart).toBe('2s')
    await expect(run(fixed([{ t: 0, serviceMs: 100 }]), [], { coldStart: '2 seconds' })).rejects.toMatchObject({ code: 'SIM_COLD_START_INVALID' })
    const profile = await run(fixed([{ t: 0, serviceMs: 100 }]), [], { coldStart: 'aws-fargate' })
    expect(profile.latencyMs.max).toBeGreaterThanOrEqual(60_100)
  })

  it('defaults to the median cold start recorded in the trace', async () => {
    const r = await run(
      fixed([
        { t: 0, serviceMs: 10, coldStartMs: 300 },
        { t: 1, serviceMs: 10, coldStartMs: 500 },
        { t: 2, serviceMs: 10, coldStartMs: 900 },
      ]),
      [],
      { coldStart: undefined as never },
    )
    expect(r.settings.coldStart).toBe('500ms (median of 3 recorded)')
  })
})

describe('SLO gates', () => {
  const result = {
    requests: 1000,
    coldStarts: 12,
    status: { '200': 995, '429': 3, '504': 2 },
    latencyMs: { p50: 40, p95: 310, p99: 900, max: 2000 },
    instances: { peak: 4, mean: 1.5 },
    cost: { 'cloud-run': { usd: 0.5, usdPerMonth: 21, basis: '', source: '' } },
  } as unknown as SimResult
  it.each([
    ['p95<=300ms', false, 10],
    ['p95<400ms', true, 0],
    ['p99>=1s', false, 100],
    ['max>1s', true, 0],
    ['coldStarts<=1%', false, 0.2],
    ['coldStarts<=12', true, 0],
    ['errors<=0.1%', false, 0.4],
    ['errors<6', true, 0],
    ['cost.cloud-run<=20usd/month', false, 1],
    ['cost.cloud-run<1usd', true, 0],
    ['instances.peak<=4', true, 0],
  ] as const)('%s → met %s, off by %s', (text, ok, by) => {
    expect(checkSlo(parseSlo(text), result)).toMatchObject({ ok, by })
  })
  it.each(['p95=300ms', 'p95<=fast', 'coldStarts<=lots', 'latency<=1s', 'cost.cloud-run<=20eur'])('refuses %s with SIM_SLO_INVALID', (text) => {
    expect(() => parseSlo(text)).toThrow(expect.objectContaining({ code: 'SIM_SLO_INVALID', exitCode: 2 }))
  })
  it('a cost for a provider it does not know names the ones it does', () => {
    expect(() => checkSlo(parseSlo('cost.heroku<=5usd'), result)).toThrow(/costs: cloud-run/)
  })
})

describe('costs', () => {
  it('Fargate bills each task at least a minute; Cloud Run request-based rounds busy periods up to 100 ms', async () => {
    // One request of 10 ms, instant model with a 1 s idle timeout: one instance alive about 1 s.
    const r = await run(fixed([{ t: 0, serviceMs: 10 }], 1_000), ['scaling.idleTimeout=1s', 'resources.cpu=1', 'resources.memory=1Gi'])
    // Fargate: 60 s × ($0.04048 + $0.004445) / 3600.
    expect(r.cost['aws-fargate']!.usd).toBeCloseTo((60 * (0.04048 + 0.004445)) / 3600, 6)
    // Cloud Run request-based: 100 ms × ($0.000024 + $0.0000025) + one request at $0.40 per million.
    expect(r.cost['cloud-run']!.usd).toBeCloseTo(0.1 * (0.000024 + 0.0000025) + 0.4 / 1e6, 6)
    expect(r.cost['cloud-run']!.source).toMatch(/cloud\.google\.com\/run\/pricing.*retrieved \d{4}-\d\d-\d\d/)
    expect(r.cost['azure-container-apps']!.basis).toContain('free grant not subtracted')
  })
})
