import { Args, Flags } from '../vendor/oclif.js'
import { BaseCommand } from '../cli/base-command.js'
import { configFlag } from '../cli/flags.js'
import { SCALING_MODELS, type ScalingModel } from '../core/autoscaler/types.js'
import { forecast, traceSource } from '../core/simulate/forecast.js'
import { simulateText } from '../ui/simulate-output.js'

export default class Simulate extends BaseCommand {
  static override summary = 'Replay a traffic trace through the autoscaler on a simulated clock: cold starts, latency, instances and cost per provider.'
  static override description = [
    "Runs the same autoscaling models and routing rules as `sls-run dev`, on a simulated clock (no processes, no sockets), starting from the service's sls-run.yaml settings (or a new service's defaults).",
    'The trace: a `dev --record` file, a CSV `at_ms,service_ms[,service]`, or an Azure Functions per-minute trace (--trace), or a generator (--generate).',
    '--slo gates a CI pipeline: any SLO not met → exit 1 (with --grid: when no row meets them all).',
  ].join('\n')
  static override examples = [
    '<%= config.bin %> simulate --generate poisson:rate=5/s,duration=1h,service=120ms --model cloud-run',
    '<%= config.bin %> simulate api --trace trace.ndjson --set scaling.idleTimeout=10s --grid scaling.minInstances=0,1,2 --recommend',
    '<%= config.bin %> simulate --trace traffic.csv --slo p95<=300ms --slo coldStarts<=1% --slo cost.cloud-run<=20usd/month --html report.html',
  ]
  static override args = { service: Args.string({ description: 'The service (default: the only one in sls-run.yaml, or a new one); also filters a multi-service trace.' }) }
  static override flags = {
    config: configFlag,
    trace: Flags.string({
      description: 'Trace file: `dev --record` NDJSON, CSV (at_ms,service_ms[,service]) or an Azure Functions invocations-per-minute CSV.',
      helpValue: 'FILE',
      exactlyOne: ['trace', 'generate'],
    }),
    generate: Flags.string({
      description:
        'Generated traffic: poisson:rate=5/s,duration=1h,service=120ms | diurnal:peak=50/s,trough=0.5/s,period=24h | burst:every=10m,size=200 (seed=, service= fixed, 50ms-200ms or ~100ms with sigma=).',
      helpValue: 'SPEC',
      exactlyOne: ['trace', 'generate'],
    }),
    format: Flags.string({ description: 'Trace format (default: detected from its first line).', options: ['auto', 'record', 'csv', 'azure'], default: 'auto' }),
    function: Flags.string({ description: 'Azure trace: the HashFunction to replay.', helpValue: 'HASH' }),
    spread: Flags.string({ description: "Azure trace: how a minute's invocations spread within it: uniform (random, seeded) or even.", options: ['uniform', 'even'], default: 'uniform' }),
    'service-time': Flags.string({ description: 'Azure trace: service time per request (120ms, 50ms-200ms, ~100ms).', helpValue: 'SPEC' }),
    model: Flags.string({ description: 'Autoscaling model (as --set scaling.model=…).', options: [...SCALING_MODELS] }),
    set: Flags.string({ description: 'Override a service setting, dotted as in sls-run.yaml (scaling.idleTimeout=10s); repeatable.', multiple: true, default: [], helpValue: 'KEY=VALUE' }),
    grid: Flags.string({ description: 'Run every combination: KEY=V1,V2,… (repeatable; one row each).', multiple: true, default: [], helpValue: 'KEY=V1,V2' }),
    slo: Flags.string({
      description: 'A gate: p95<=300ms, coldStarts<=1%, errors<=0.1%, cost.cloud-run<=20usd/month, instances.peak<=10; repeatable.',
      multiple: true,
      default: [],
      helpValue: 'EXPR',
    }),
    recommend: Flags.boolean({ description: 'Mark the cheapest row that meets every --slo (cost: the first cost.* SLO’s provider, else cloud-run).', default: false }),
    'cold-start': Flags.string({
      description: 'Start-to-ready of a simulated instance: 2s, 800ms-2s or a profile (cloud-run-node…). Default: the median recorded in a --record trace, else dev.coldStart, else 0.',
      helpValue: 'DURATION|RANGE|PROFILE',
    }),
    seed: Flags.integer({ description: 'Seed for sampled cold starts and the Azure uniform spread.', default: 1 }),
    'free-grant': Flags.boolean({ description: "Subtract Container Apps' monthly free grant from its cost.", default: false }),
    html: Flags.string({ description: 'Also write a self-contained HTML report (instances over time, latency CDF, costs).', helpValue: 'FILE' }),
  }

  async run() {
    const { args, flags } = await this.parse(Simulate)
    const source = await traceSource({
      trace: flags.trace,
      generate: flags.generate,
      format: flags.format,
      function: flags.function,
      spread: flags.spread,
      serviceTime: flags['service-time'],
      seed: flags.seed,
    })
    const outcome = await forecast({
      source,
      ...(args.service ? { service: args.service } : {}),
      ...(flags.config ? { configFile: flags.config } : {}),
      ...(flags.model ? { model: flags.model as ScalingModel } : {}),
      set: flags.set,
      grid: flags.grid,
      slo: flags.slo,
      recommend: flags.recommend,
      ...(flags['cold-start'] ? { coldStart: flags['cold-start'] } : {}),
      seed: flags.seed,
      freeGrant: flags['free-grant'],
      ...(flags.html ? { html: flags.html } : {}),
    })
    this.print(simulateText(outcome.report, outcome.checks, outcome.recommended, this.paint))
    if (flags.html) this.note(`report: ${flags.html}`)
    if (outcome.violation) throw outcome.violation
    return outcome.json
  }
}
