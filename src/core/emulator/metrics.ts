/** Prometheus metrics of one emulator session (prom-client, its own registry). */
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { RequestRecord } from './gateway.js'
import type { ColdStart, InstanceStatus } from './pool.js'

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

  constructor(status: () => Array<{ service: string; queued: number; instances: InstanceStatus[] }>) {
    new Gauge({
      name: 'slsrun_instances',
      help: 'Instances by state',
      labelNames: ['service', 'state'],
      registers: [this.registry],
      collect() {
        this.reset()
        for (const pool of status()) {
          for (const state of ['starting', 'ready', 'draining']) this.set({ service: pool.service, state }, pool.instances.filter((i) => i.state === state).length)
        }
      },
    })
    new Gauge({
      name: 'slsrun_queue_depth',
      help: 'Requests waiting for an instance',
      labelNames: ['service'],
      registers: [this.registry],
      collect() {
        for (const pool of status()) this.set({ service: pool.service }, pool.queued)
      },
    })
  }

  coldStart(service: string, c: ColdStart): void {
    this.coldStarts.observe({ service, phase: 'total' }, c.totalMs / 1000)
    this.coldStarts.observe({ service, phase: 'spawn' }, c.spawnMs / 1000)
    this.coldStarts.observe({ service, phase: 'boot' }, c.bootMs / 1000)
    this.coldStarts.observe({ service, phase: 'ready' }, c.readyMs / 1000)
  }

  request(r: RequestRecord): void {
    this.requests.inc({ service: r.service, code: String(r.status), cold_start: String(r.coldStart) })
    this.latency.observe({ service: r.service }, r.durationMs / 1000)
  }
}
