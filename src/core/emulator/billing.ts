/**
 * The cost meter: what this session would have cost on Cloud Run, three ways (docs/emulator.md, "Billing prices"):
 *
 * - request-based (`cpuThrottling: true`): per instance, the union of the times at least one request was
 *   in flight on it (concurrent requests count once), each busy period rounded up to 100 ms, times
 *   (vCPU price × cpu + GiB price × memory), plus the per-request fee;
 * - instance-based (`cpuThrottling: false`): every instance's lifetime, start to stop, no request fee;
 * - always-on: one instance for the whole session, at the instance-based price.
 *
 * Pure: fed with emulator events and the time they were seen; no clock, no I/O. A request's busy
 * interval on its instance is [end − (durationMs − queuedMs), end], end being when its record arrived.
 * In-flight requests count once they finish. Free tiers are reported beside the costs, never subtracted
 * from them.
 */
import { cloudRunPricing, type PriceRow, type Pricing } from './pricing.js'

export interface BillingResources {
  /** vCPU. */
  cpu: number
  memoryBytes: number
  /** The service's own setting: true bills request-based, false instance-based. */
  cpuThrottling?: boolean
}

/** The events the meter reads (a subset of EmulatorEvent); everything else is ignored. */
export type BillingEvent =
  | { type: 'request'; service: string; durationMs: number; queuedMs: number; instanceId?: string }
  | { type: 'instance'; service: string; id: string; state: string }
  | { type: string; service?: string }

export interface Usage {
  seconds: number
  vcpuSeconds: number
  gibSeconds: number
  requests: number
}

export interface Bill extends Usage {
  cost: { cpu: number; memory: number; requests: number; total: number }
  /** At the observed rate, for 30 days. */
  monthly: number
}

export interface ServiceCost {
  service: string
  cpu: number
  memoryGiB: number
  /** Which model the service's cpuThrottling setting selects. */
  selected: 'requestBased' | 'instanceBased'
  requestBased: Bill
  instanceBased: Bill
  alwaysOn: Bill
}

export interface FreeTier {
  allowance: { vcpuSeconds: number; gibSeconds: number; requests: number }
  /** The month's projected usage (all services) as a share of the allowance, 0–1+. */
  used: { vcpuSeconds: number; gibSeconds: number; requests: number }
  /** The projected month after the free tier (a spending discount at tier-1 prices). */
  monthlyAfterFreeTier: number
}

export interface CostReport {
  at: number
  elapsedSeconds: number
  pricing: { source: string; retrieved: string; currency: string }
  services: ServiceCost[]
  total: Record<'requestBased' | 'instanceBased' | 'alwaysOn', { total: number; monthly: number; seconds: number }>
  freeTier: { requestBased: FreeTier; instanceBased: FreeTier }
}

const GIB = 1024 ** 3
export const MONTH_SECONDS = 30 * 24 * 3600
/** Busy periods older than this (the longest request timeout) cannot grow any more: they are summed up. */
const SETTLED_AFTER_MS = 3_600_000

interface Meter {
  cpu: number
  gib: number
  startedAt: number
  /** Disjoint, sorted busy periods that may still merge with a request finishing later. */
  busy: Array<[number, number]>
  settledMs: number
}

interface ServiceTotals {
  requests: number
  /** Rounded busy ms × resources of instances already stopped, and their lifetimes. */
  busy: Usage
  life: Usage
  /** Never decreases (see billableSeconds). */
  billableHigh: number
}

export class CostMeter {
  private readonly instances = new Map<string, Meter & { service: string }>()
  private readonly services = new Map<string, ServiceTotals>()
  private readonly pricing: Pricing

  /** `services`: the session's services, priced (always-on) before their first event. */
  constructor(private readonly options: { resources(service: string): BillingResources; startedAt: number; pricing?: Pricing; services?: string[] }) {
    this.pricing = options.pricing ?? cloudRunPricing
    for (const service of options.services ?? []) this.totals(service)
  }

  observe(event: BillingEvent, at: number): void {
    if (event.type === 'request' && 'durationMs' in event) {
      this.totals(event.service).requests++
      if (!event.instanceId) return
      const meter = this.meter(event.service, event.instanceId, at - event.durationMs)
      addBusy(meter, at - Math.max(0, event.durationMs - event.queuedMs), at, this.pricing.roundingMs)
    } else if (event.type === 'instance' && 'state' in event) {
      if (event.state === 'starting') this.meter(event.service, event.id, at)
      else if (event.state === 'stopped' || event.state === 'failed') this.close(event.id, at)
    }
  }

  /** Request-based billable instance-seconds per service, as a counter (never decreasing). */
  billableSeconds(now: number): Map<string, number> {
    const out = new Map<string, number>()
    for (const service of this.serviceNames()) {
      const totals = this.totals(service)
      totals.billableHigh = Math.max(totals.billableHigh, this.usage(service, now).busy.seconds)
      out.set(service, totals.billableHigh)
    }
    return out
  }

  report(now: number): CostReport {
    const elapsedSeconds = Math.max(0, (now - this.options.startedAt) / 1000)
    const { requestBased: rb, instanceBased: ib } = this.pricing
    const services = this.serviceNames().map((service): ServiceCost => {
      const r = this.options.resources(service)
      const gib = r.memoryBytes / GIB
      const { busy, life } = this.usage(service, now)
      const always = { seconds: elapsedSeconds, vcpuSeconds: elapsedSeconds * r.cpu, gibSeconds: elapsedSeconds * gib, requests: 0 }
      return {
        service,
        cpu: r.cpu,
        memoryGiB: gib,
        selected: r.cpuThrottling ? 'requestBased' : 'instanceBased',
        requestBased: bill({ ...busy, requests: this.totals(service).requests }, rb, elapsedSeconds),
        instanceBased: bill(life, ib, elapsedSeconds),
        alwaysOn: bill(always, ib, elapsedSeconds),
      }
    })
    const sum = (model: 'requestBased' | 'instanceBased' | 'alwaysOn') => ({
      total: services.reduce((a, s) => a + s[model].cost.total, 0),
      monthly: services.reduce((a, s) => a + s[model].monthly, 0),
      seconds: services.reduce((a, s) => a + s[model].seconds, 0),
    })
    return {
      at: now,
      elapsedSeconds,
      pricing: { source: this.pricing.source, retrieved: this.pricing.retrieved, currency: this.pricing.currency },
      services,
      total: { requestBased: sum('requestBased'), instanceBased: sum('instanceBased'), alwaysOn: sum('alwaysOn') },
      freeTier: {
        requestBased: freeTier(
          services.map((s) => s.requestBased),
          rb,
          elapsedSeconds,
        ),
        instanceBased: freeTier(
          services.map((s) => s.instanceBased),
          ib,
          elapsedSeconds,
        ),
      },
    }
  }

  private serviceNames(): string[] {
    return [...this.services.keys()].sort()
  }

  private totals(service: string): ServiceTotals {
    let totals = this.services.get(service)
    if (!totals) this.services.set(service, (totals = { requests: 0, busy: zero(), life: zero(), billableHigh: 0 }))
    return totals
  }

  private meter(service: string, id: string, at: number): Meter {
    let meter = this.instances.get(id)
    if (!meter) {
      const r = this.options.resources(service)
      this.totals(service)
      this.instances.set(id, (meter = { service, cpu: r.cpu, gib: r.memoryBytes / GIB, startedAt: at, busy: [], settledMs: 0 }))
    }
    return meter
  }

  /** A stopped instance: its busy time and lifetime go into the service's totals. */
  private close(id: string, at: number): void {
    const meter = this.instances.get(id)
    if (!meter) return
    this.instances.delete(id)
    const totals = this.totals(meter.service)
    add(totals.busy, usageOf(meter, busyMs(meter, this.pricing.roundingMs)))
    add(totals.life, usageOf(meter, roundUp(at - meter.startedAt, this.pricing.roundingMs)))
  }

  private usage(service: string, now: number): { busy: Usage; life: Usage } {
    const totals = this.totals(service)
    const busy = { ...totals.busy }
    const life = { ...totals.life }
    for (const meter of this.instances.values()) {
      if (meter.service !== service) continue
      add(busy, usageOf(meter, busyMs(meter, this.pricing.roundingMs)))
      add(life, usageOf(meter, roundUp(Math.max(0, now - meter.startedAt), this.pricing.roundingMs)))
    }
    return { busy, life }
  }
}

/** Adds [start, end] to an instance's busy periods; `end` is never earlier than an earlier call's. */
function addBusy(meter: Meter, start: number, end: number, roundingMs: number): void {
  while (meter.busy.length && meter.busy[meter.busy.length - 1]![1] >= start) {
    const [s, e] = meter.busy.pop()!
    start = Math.min(start, s)
    end = Math.max(end, e)
  }
  meter.busy.push([start, end])
  while (meter.busy.length > 1 && meter.busy[0]![1] < end - SETTLED_AFTER_MS) {
    const [s, e] = meter.busy.shift()!
    meter.settledMs += roundUp(e - s, roundingMs)
  }
}

function busyMs(meter: Meter, roundingMs: number): number {
  return meter.busy.reduce((sum, [s, e]) => sum + roundUp(e - s, roundingMs), meter.settledMs)
}

/** Rounds up to the unit, ignoring float noise below a microsecond. */
function roundUp(ms: number, unit: number): number {
  return ms <= 0 ? 0 : Math.ceil(ms / unit - 1e-6) * unit
}

const zero = (): Usage => ({ seconds: 0, vcpuSeconds: 0, gibSeconds: 0, requests: 0 })

function usageOf(meter: Meter, ms: number): Usage {
  const seconds = ms / 1000
  return { seconds, vcpuSeconds: seconds * meter.cpu, gibSeconds: seconds * meter.gib, requests: 0 }
}

function add(into: Usage, u: Usage): void {
  into.seconds += u.seconds
  into.vcpuSeconds += u.vcpuSeconds
  into.gibSeconds += u.gibSeconds
  into.requests += u.requests
}

function bill(u: Usage, price: PriceRow, elapsedSeconds: number): Bill {
  const cost = { cpu: u.vcpuSeconds * price.vcpuSecond, memory: u.gibSeconds * price.gibSecond, requests: (u.requests / 1e6) * price.perMillionRequests, total: 0 }
  cost.total = cost.cpu + cost.memory + cost.requests
  return { ...u, cost, monthly: monthly(cost.total, elapsedSeconds) }
}

const monthly = (amount: number, elapsedSeconds: number) => (elapsedSeconds > 0 ? (amount / elapsedSeconds) * MONTH_SECONDS : 0)

function freeTier(bills: Bill[], price: PriceRow, elapsedSeconds: number): FreeTier {
  const month = (f: (b: Bill) => number) =>
    monthly(
      bills.reduce((a, b) => a + f(b), 0),
      elapsedSeconds,
    )
  const vcpu = month((b) => b.vcpuSeconds)
  const gib = month((b) => b.gibSeconds)
  const requests = month((b) => b.requests)
  const free = price.freePerMonth
  const share = (n: number, of: number) => (of > 0 ? n / of : 0)
  return {
    allowance: { ...free },
    used: { vcpuSeconds: share(vcpu, free.vcpuSeconds), gibSeconds: share(gib, free.gibSeconds), requests: share(requests, free.requests) },
    monthlyAfterFreeTier:
      Math.max(0, vcpu - free.vcpuSeconds) * price.vcpuSecond + Math.max(0, gib - free.gibSeconds) * price.gibSecond + (Math.max(0, requests - free.requests) / 1e6) * price.perMillionRequests,
  }
}
