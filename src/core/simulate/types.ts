/**
 * `sls-run simulate`: shapes shared by the trace readers and generators (trace/), the simulator
 * (simulator.ts), the cost model, the SLO gates and the reports (table, JSON, HTML).
 */

/** One request of a trace, as the simulator replays it. */
export interface Arrival {
  /** Arrival, in ms from the start of the trace. */
  t: number
  /** How long the app takes to serve it once it has an instance, in ms. */
  serviceMs: number
  /** The service it is for (traces that carry it); the simulator keeps the requests of the chosen one. */
  service?: string
  /** A `--record` line that met a cold start carries its measured duration (for the default --cold-start). */
  coldStartMs?: number
}

/** A trace, read or generated: batches of arrivals in time order (never the whole trace in memory). */
export interface TraceSource {
  /** What it is, for the report: "trace.ndjson (sls-run record)", "poisson rate=5/s duration=1h seed=1"… */
  describe: string
  /** A generator's length: the run lasts at least this long (idle minutes at the end count too). */
  durationMs?: number
  batches(): AsyncIterable<Arrival[]>
}

/** A point of the instance timeline: desired and actual (starting + ready) instances at `t` ms. */
export interface TimelinePoint {
  t: number
  desired: number
  actual: number
}

export interface CostFigure {
  /** Dollars for the trace's duration. */
  usd: number
  /** The same rate over 30 days. */
  usdPerMonth: number
  /** How it is computed: "request-based: busy instance time rounded up to 100 ms + $0.40 per million requests"… */
  basis: string
  /** Where the prices come from, with their date. */
  source: string
}

export interface SimResult {
  service: string
  /** The settings this run used: model and its parameters, concurrency, min/max, timeouts, cold start. */
  settings: Record<string, string | number | boolean>
  trace: string
  durationMs: number
  requests: number
  coldStarts: number
  /** 0–1: the share of requests that waited for a cold start. */
  coldStartRatio: number
  /** Arrival to response end: queueing and cold start included. */
  latencyMs: { p50: number; p95: number; p99: number; max: number }
  /** Count per status code: "200", "429", "504". */
  status: Record<string, number>
  instances: { peak: number; mean: number }
  /** Instance time with at least one request in flight (active) and the rest of its life (idle). */
  instanceSeconds: { active: number; idle: number }
  /** Per provider/basis: "cloud-run" (request-based), "cloud-run-instance", "aws-fargate", "azure-container-apps". */
  cost: Record<string, CostFigure>
  /** Desired and actual instances over time, at most a few thousand points (changes, thinned evenly). */
  timeline: TimelinePoint[]
  /** The latency distribution: points (ms, cumulative share 0–1), at most a few hundred. */
  latencyCdf: Array<{ ms: number; p: number }>
}
