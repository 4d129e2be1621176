/** Prometheus metrics of one emulator session (prom-client, its own registry). */
import type Dockerode from 'dockerode'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { containerStats, type ContainerSample } from './container-stats.js'
import type { RequestRecord } from './gateway.js'
import type { ColdStart, Pool } from './pool.js'

/** What the emulator does not know itself: the cost meter's billable time, and the engine (docker runtime). */
export interface MetricSources {
  /** Request-based billable instance-seconds per service (billing.ts). */
  billableSeconds?: () => Map<string, number>
  /** The engine that runs the instances that have a container id. */
  docker?: () => Dockerode | undefined
}

export class EmulatorMetrics {
  readonly registry = new Registry()
  private readonly coldStarts = new Histogram({
    name: 'slsrun_cold_start_seconds',
    help: 'Instance start to ready, by phase',
    labelNames: ['service', 'phase'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  })
  private readonly requests = new Counter({ name: 'slsrun_requests_total', help: 'Requests answered, by status code', labelNames: ['service', 'code', 'cold_start'], registers: [this.registry] })
  private readonly latency = new Histogram({
    name: 'slsrun_request_duration_seconds',
    help: 'Time from request to response end, queueing included',
    labelNames: ['service'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  })

  private readonly crashes = new Counter({
    name: 'slsrun_instance_crashes_total',
    help: 'Instances that ended on their own while serving, by reason (exited, oom-killed)',
    labelNames: ['service', 'reason'],
    registers: [this.registry],
  })

  private readonly queueWait = new Histogram({
    name: 'slsrun_queue_wait_seconds',
    help: 'Time a request waited for an instance (queue and cold start)',
    labelNames: ['service'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  })

  private sources: MetricSources = {}
  private readonly perService = new Map<string, { latency: Histogram.Internal<string>; queueWait: Histogram.Internal<string>; byStatus: Map<number, Counter.Internal> }>()

  /** `status` lists every pool (revision) of every service. */
  constructor(status: () => Array<ReturnType<Pool['status']>>) {
    const sources = () => this.sources
    new Counter({
      name: 'slsrun_billable_seconds_total',
      help: 'Request-based billable instance-seconds (busy periods rounded up to 100 ms), from the cost meter',
      labelNames: ['service'],
      registers: [this.registry],
      collect() {
        const billable = sources().billableSeconds?.()
        if (!billable) return
        this.reset()
        for (const [service, seconds] of billable) this.inc({ service }, seconds)
      },
    })
    // One engine round per scrape, shared by the CPU and memory metrics (their collects run together).
    let sampling: { at: number; samples: Promise<ContainerSample[]> } | undefined
    const samples = () => {
      const docker = sources().docker?.()
      if (!docker) return Promise.resolve([])
      if (!sampling || Date.now() - sampling.at > 250) sampling = { at: Date.now(), samples: containerStats(docker, status()) }
      return sampling.samples
    }
    new Counter({
      name: 'slsrun_container_cpu_seconds_total',
      help: 'CPU time used by an instance container (docker runtime), from the engine',
      labelNames: ['service', 'instance'],
      registers: [this.registry],
      async collect() {
        const list = await samples()
        this.reset()
        for (const s of list) this.inc({ service: s.service, instance: s.instance }, s.cpuSeconds)
      },
    })
    new Gauge({
      name: 'slsrun_container_memory_bytes',
      help: 'Memory used by an instance container, page cache excluded (docker runtime), from the engine',
      labelNames: ['service', 'instance'],
      registers: [this.registry],
      async collect() {
        const list = await samples()
        this.reset()
        for (const s of list) this.set({ service: s.service, instance: s.instance }, s.memoryBytes)
      },
    })
    new Gauge({
      name: 'slsrun_instances',
      help: 'Instances by revision and state',
      labelNames: ['service', 'revision', 'state'],
      registers: [this.registry],
      collect() {
        this.reset()
        for (const pool of status()) {
          for (const state of ['starting', 'ready', 'draining']) this.set({ service: pool.service, revision: pool.revision, state }, pool.instances.filter((i) => i.state === state).length)
        }
      },
    })
    // The autoscaler's view, per revision: what it wants, whether it panics, what it averaged.
    new Gauge({
      name: 'slsrun_desired_instances',
      help: "Instances the autoscaler wants (its model's last decision)",
      labelNames: ['service', 'revision', 'model'],
      registers: [this.registry],
      collect() {
        this.reset()
        for (const pool of status()) this.set({ service: pool.service, revision: pool.revision, model: pool.scaling.model }, pool.scaling.desiredInstances)
      },
    })
    new Gauge({
      name: 'slsrun_panic_mode',
      help: 'knative model: 1 while the autoscaler is in panic mode',
      labelNames: ['service', 'revision'],
      registers: [this.registry],
      collect() {
        this.reset()
        for (const pool of status()) this.set({ service: pool.service, revision: pool.revision }, pool.scaling.mode === 'panic' ? 1 : 0)
      },
    })
    new Gauge({
      name: 'slsrun_observed_concurrency',
      help: 'Requests in flight + waiting: now, and averaged over the windows the model uses (stable, panic, window, polling)',
      labelNames: ['service', 'revision', 'window'],
      registers: [this.registry],
      collect() {
        this.reset()
        for (const pool of status()) {
          const labels = { service: pool.service, revision: pool.revision }
          this.set({ ...labels, window: 'now' }, pool.scaling.concurrency)
          for (const [key, value] of Object.entries(pool.scaling.observed)) if (key.endsWith('Average')) this.set({ ...labels, window: key.slice(0, -'Average'.length) }, value)
        }
      },
    })
    new Gauge({
      name: 'slsrun_queue_depth',
      help: 'Requests waiting for an instance',
      labelNames: ['service'],
      registers: [this.registry],
      collect() {
        this.reset()
        const depth = new Map<string, number>()
        for (const pool of status()) depth.set(pool.service, (depth.get(pool.service) ?? 0) + pool.queued)
        for (const [service, queued] of depth) this.set({ service }, queued)
      },
    })
  }

  coldStart(service: string, c: ColdStart): void {
    this.coldStarts.observe({ service, phase: 'total' }, c.totalMs / 1000)
    this.coldStarts.observe({ service, phase: 'spawn' }, c.spawnMs / 1000)
    this.coldStarts.observe({ service, phase: 'boot' }, c.bootMs / 1000)
    this.coldStarts.observe({ service, phase: 'ready' }, c.readyMs / 1000)
  }

  /** Adds sources the emulator does not own (the dashboard wires them); later calls override earlier keys. */
  attach(sources: MetricSources): void {
    this.sources = { ...this.sources, ...sources }
  }

  crash(service: string, reason: string): void {
    this.crashes.inc({ service, reason })
  }

  /** Every request: the label sets are made once per service (and status), not per request. */
  request(r: RequestRecord): void {
    let perService = this.perService.get(r.service)
    if (!perService) {
      perService = { latency: this.latency.labels(r.service), queueWait: this.queueWait.labels(r.service), byStatus: new Map() }
      this.perService.set(r.service, perService)
    }
    const key = r.coldStart ? -r.status : r.status
    let counter = perService.byStatus.get(key)
    if (!counter) {
      counter = this.requests.labels(r.service, String(r.status), String(r.coldStart))
      perService.byStatus.set(key, counter)
    }
    counter.inc()
    perService.latency.observe(r.durationMs / 1000)
    perService.queueWait.observe(r.queuedMs / 1000)
  }
}
