/**
 * sls-run.yaml: the one schema source. The TypeScript types (z.output), the validation and its
 * messages, the JSON Schema shipped in schema/sls-run.schema.json and the config reference in docs/configuration.md
 * all come from this file. Defaults follow Cloud Run's published ones, with a dev-sized maxInstances
 * and idleTimeout (for `dev`; deploy/defaults.ts gives each platform its own).
 *
 * Resolved values: durations are milliseconds, sizes are bytes, paths are absolute.
 */
import * as z from '../../vendor/zod.js'
import { bool, command, cronExpression, dnsLabel, duration, envMap, headerMap, HTTP_METHODS, intRange, list, mapping, nonEmpty, numberRange, oneOf, patterned, size, text, timeZone } from './fields.js'
import { type PROVIDER_IDS, providerEnvironment } from './providers.js'
import { parseDuration } from './units.js'
import { SCALING_MODELS } from '../autoscaler/types.js'

export const SERVICE_NAME_MAX = 49
export const RUNTIMES = ['auto', 'docker', 'process'] as const
export const COLD_START_PROFILES = ['cloud-run-go', 'cloud-run-python', 'cloud-run-node', 'knative', 'azure-container-apps', 'aws-fargate'] as const

const COLD_START_DELAY = /^[0-9]+(ms|s|m)(-[0-9]+(ms|s|m))?$/

const build = mapping({
  context: nonEmpty('a folder path').prefault('.').describe('Build context folder, relative to sls-run.yaml'),
  dockerfile: nonEmpty('a file path').prefault('Dockerfile').describe('Dockerfile path, relative to the context (as with docker build -f)'),
  target: nonEmpty('a stage name').optional().describe('Multi-stage target to build'),
  args: envMap().prefault({}).describe('Build arguments (--build-arg)'),
  sizeBudget: size('1Ki', '1Ti').optional().describe('Largest acceptable image (e.g. 150MB): a warning above it, an error with --strict'),
}).describe('How `sls-run build` builds the image')

const resources = mapping({
  cpu: numberRange(0.08, 64).prefault(1).describe('vCPUs per instance (Docker CPU quota)'),
  memory: size('6Mi', '64Gi').prefault('512Mi').describe('Memory limit per instance'),
}).describe('Per-instance limits, as on the platform')

// Each model's parameters, defaults from the platform's published documentation (docs/autoscaling.md).
// Windows and ticks take sub-second durations, so tests and impatient users can compress time.
const cloudRunScaling = mapping({
  window: duration('100ms', '1h').prefault('60s').describe('Window the concurrency is averaged over (Cloud Run: 1 minute)'),
  targetUtilization: intRange(1, 100).prefault(60).describe('Target, in % of concurrency, for the window average (Cloud Run: 60)'),
  evaluateEvery: duration('10ms', '10m').prefault('5s').describe('How often the window is evaluated (Cloud Run: 5 s)'),
  idleRetention: duration('0ms', '15m').optional().describe('How long an idle instance is kept (Cloud Run: up to 15 min; default: scaling.idleTimeout, shorter for development)'),
}).describe('Parameters of scaling.model: cloud-run')

const knativeScaling = mapping({
  target: numberRange(0.01, 1000).prefault(100).describe('Concurrency target per instance, capped by concurrency (Knative: 100)'),
  targetUtilization: numberRange(1, 100).prefault(70).describe('Share of the target the autoscaler aims at, in % (Knative: 70)'),
  stableWindow: duration('100ms', '1h').prefault('60s').describe('Stable window (Knative: 60 s)'),
  panicWindowPercentage: numberRange(1, 100).prefault(10).describe('Panic window, in % of the stable window (Knative: 10)'),
  panicThresholdPercentage: numberRange(110, 1000).prefault(200).describe('Panic when the panic window needs this % of the ready instances (Knative: 200)'),
  tick: duration('10ms', '1m').prefault('2s').describe('Evaluation period (Knative: 2 s)'),
  scaleToZeroGracePeriod: duration('0ms', '1h').prefault('30s').describe('How long the last instance stays once the revision is inactive (Knative: 30 s)'),
  maxScaleUpRate: numberRange(1.01, 1_000_000).prefault(1000).describe('At most this many times the ready instances per tick (Knative: 1000)'),
  maxScaleDownRate: numberRange(1.01, 1_000_000).prefault(2).describe('At most the ready instances divided by this per tick (Knative: 2)'),
  initialScale: intRange(0, 1000).prefault(1).describe('Instances a new revision starts with (Knative: 1)'),
}).describe('Parameters of scaling.model: knative (the KPA)')

const containerAppsScaling = mapping({
  concurrentRequests: intRange(1, 10_000).prefault(10).describe('HTTP scale rule: concurrent requests per replica (Container Apps: 10)'),
  pollingInterval: duration('10ms', '1h').prefault('30s').describe('How often the rule is evaluated (Container Apps: 30 s)'),
  cooldownPeriod: duration('0ms', '24h').prefault('300s').describe('Time after the last request before the last replica goes (Container Apps: 300 s)'),
  scaleDownStabilization: duration('0ms', '1h').prefault('300s').describe('A scale-down waits until no higher count was wanted for this long (Container Apps: 300 s)'),
}).describe('Parameters of scaling.model: container-apps (KEDA HTTP scale rule)')

const scaling = mapping({
  model: oneOf(SCALING_MODELS)
    .optional()
    .describe('How instance counts are decided: instant (development, the default; `dev --scaling-model` changes the default), cloud-run, knative, container-apps'),
  minInstances: intRange(0, 1000).prefault(0).describe('Instances kept warm (0 = scale to zero)'),
  maxInstances: intRange(1, 1000).prefault(10).describe('Upper bound on instances (requests queue beyond it)'),
  concurrency: intRange(1, 1000).prefault(80).describe('Requests one instance handles at once (the hard limit)'),
  idleTimeout: duration('1s', '24h').prefault('60s').describe('instant model: idle time before an instance drains and stops'),
  queueTimeout: duration('0ms', '10m').prefault('30s').describe('How long a request waits for room before 429'),
  cloudRun: cloudRunScaling.prefault({}),
  knative: knativeScaling.prefault({}),
  containerApps: containerAppsScaling.prefault({}),
}).describe('Autoscaling: the model and its parameters, as Cloud Run / Knative / Container Apps do it')

/**
 * An absolute URL path, with an optional query: RFC 3986's path and query characters only (unreserved,
 * sub-delims, `:`, `@`, `/`, and %XX escapes). What is not (spaces, quotes, backticks, `<>`, `{}`, `\`…) is
 * refused here, since deploy plans hand the path to platforms' health checks and schedulers.
 */
const URL_PATH = /^\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*(?:\?(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*)?$/
const requestPath = () => patterned(URL_PATH, 'an absolute URL path starting with / (RFC 3986 characters, %XX escapes; a query is allowed)').prefault('/')

const startupProbe = mapping({
  type: oneOf(['tcp', 'http']).prefault('tcp').describe('tcp: the port accepts connections; http: GET path answers 2xx'),
  path: requestPath().describe('Path for the http probe'),
  timeout: duration('1s', '240s').prefault('240s').describe('Time allowed for an instance to become ready'),
}).describe('When a new instance counts as ready')

/** A fixed delay (500ms) or a range from the shorter to the longer (800ms-2s). */
const coldStartDelay = () =>
  patterned(COLD_START_DELAY, 'a duration or a range like 800ms-2s').superRefine((delay, ctx) => {
    const [from, to] = delay.split('-') as [string, string | undefined]
    if (to !== undefined && parseDuration(from)! > parseDuration(to)!) {
      ctx.addIssue({
        code: 'custom',
        input: delay,
        message: `must be a range from the shorter delay to the longer (got ${delay}: ${from} is more than ${to})`,
        params: { hint: `Did you mean "${to}-${from}"?` },
      })
    }
  })

const coldStart = mapping({
  delay: coldStartDelay().optional().describe('Simulated extra cold-start delay: fixed (500ms) or a range (800ms-2s)'),
  profile: oneOf(COLD_START_PROFILES).optional().describe('Simulated cold-start delay from a published platform profile'),
}).describe('Opt-in simulated cold-start delay (off by default)')

const dev = mapping({
  runtime: oneOf(RUNTIMES).prefault('auto').describe('auto: a container when an engine answers and the image is built, else dev.command as a process'),
  command: command().optional().describe('What the process runtime runs (string: through a shell)'),
  build: command()
    .optional()
    .describe("Process runtime: run once per revision before its instances start (e.g. npm run build), as an image build is; its time is the revision's build time, not instance boot"),
  cwd: nonEmpty('a folder path').optional().describe('Working folder for the process runtime (default: build.context)'),
  port: intRange(1, 65535).optional().describe("Port of this service's gateway (default: --port, then the next free)"),
  watch: list(nonEmpty('a glob'), 'globs').prefault([]).describe('Narrows what the dev loop watches to these globs (.dockerignore syntax, relative to the watched folder)'),
  ignore: list(nonEmpty('a glob'), 'globs').prefault([]).describe('Globs whose changes never reload (added to .gitignore, .dockerignore and the default list)'),
  coldStart: coldStart.prefault({}),
  inheritEnv: list(patterned(/^[A-Za-z_][A-Za-z0-9_]*\*?$/, 'an environment variable name, or a prefix ending in *'), 'names')
    .prefault([])
    .describe("Variables instances take from sls-run's own environment, beyond the toolchain basics a process needs (PATH, HOME, LANG, TZ, TMPDIR…): NAME or PREFIX_*"),
}).describe('Local emulator settings (`sls-run dev`)')

/** Back-off between tries: the first retry after minBackoff, doubling maxDoublings times, capped at maxBackoff. */
const retry = (defaults: { count: number; minBackoff: string; maxBackoff: string }, what: string) =>
  mapping({
    count: intRange(0, 10).prefault(defaults.count).describe(`Retries after the first try (${what})`),
    minBackoff: duration('0ms', '1h').prefault(defaults.minBackoff).describe('Wait before the first retry'),
    maxBackoff: duration('0ms', '24h').prefault(defaults.maxBackoff).describe('Longest wait between retries'),
    maxDoublings: intRange(0, 16).prefault(5).describe('How many times the wait doubles before it grows linearly'),
  }).describe('Retries on 429, 5xx and connection failures')

const schedule = mapping({
  name: dnsLabel(63).describe('Job name (unique per service)'),
  cron: cronExpression().describe('unix-cron (5 fields, as Cloud Scheduler), @hourly/@daily…, or 6 fields with seconds first (local only)'),
  path: requestPath().describe('Request path (and query) on the service'),
  method: oneOf(HTTP_METHODS).prefault('POST').describe('HTTP method'),
  body: text().optional().describe('Request body'),
  headers: headerMap().prefault({}).describe('Extra request headers'),
  timezone: timeZone().prefault('Etc/UTC').describe('Time zone the cron fields are read in'),
  retry: retry({ count: 0, minBackoff: '5s', maxBackoff: '1h' }, 'Cloud Scheduler: 0').prefault({}),
}).describe('A scheduled request, sent through the gateway as Cloud Scheduler sends it')

const subscription = mapping({
  type: nonEmpty('a CloudEvents type such as com.example.order.created').describe('CloudEvents type to receive (exact match)'),
  source: nonEmpty('a CloudEvents source such as /orders').optional().describe('Only events from this source (exact match)'),
  path: requestPath().describe('Path the event is POSTed to'),
  retry: retry({ count: 3, minBackoff: '1s', maxBackoff: '10s' }, 'default 3').prefault({}),
}).describe('A CloudEvents subscription: events posted to the admin port are delivered here in binary mode')

export const service = mapping({
  build: build.optional(),
  image: patterned(/^[a-z0-9][a-z0-9._\-/:]*[a-z0-9]$/, 'an image repository like ghcr.io/acme/api (lowercase, no tag)')
    .optional()
    .describe('Repository to push to and deploy from'),
  deployName: patterned(/^[A-Za-z][A-Za-z0-9_-]{0,254}$/, 'a name of letters, digits, hyphens and underscores, starting with a letter')
    .optional()
    .describe(
      "The service's name on the platform (default: the service name, or one derived from it where the platform's naming rule needs it); usually set per environment, under environments.<env>.services.<service>",
    ),
  port: intRange(1, 65535).prefault(8080).describe('Port the app listens on; passed as $PORT'),
  command: command().optional().describe("Replaces the image's entrypoint in a container (string: through /bin/sh -c), as Cloud Run's and Kubernetes' command do"),
  env: envMap().prefault({}).describe('Environment variables for every instance'),
  envFile: nonEmpty('a file path').optional().describe('A dotenv file loaded into the environment, relative to sls-run.yaml'),
  resources: resources.prefault({}),
  scaling: scaling.prefault({}),
  timeout: duration('1s', '3600s').prefault('300s').describe('Request timeout (504 after it)'),
  startupProbe: startupProbe.prefault({}),
  cpuThrottling: bool().prefault(false).describe('true: CPU only while requests are in flight (request-based billing); docker runtime: frozen (docker pause) between requests'),
  dev: dev.prefault({}),
  schedules: list(schedule, 'schedules').prefault([]).describe('Scheduled requests (Cloud Scheduler jobs) the emulator sends'),
  events: list(subscription, 'subscriptions').prefault([]).describe('CloudEvents this service receives in the emulator'),
})
  .superRefine((svc, ctx) => {
    const seen = new Set<string>()
    svc.schedules.forEach((job, i) => {
      if (seen.has(job.name)) ctx.addIssue({ code: 'custom', path: ['schedules', i, 'name'], input: job.name, message: `must be unique in this service ("${job.name}" is used twice)` })
      seen.add(job.name)
    })
    if (svc.scaling.minInstances > svc.scaling.maxInstances) {
      ctx.addIssue({
        code: 'custom',
        path: ['scaling', 'minInstances'],
        input: svc.scaling.minInstances,
        message: `must not exceed scaling.maxInstances (${svc.scaling.minInstances} > ${svc.scaling.maxInstances})`,
      })
    }
  })
  .describe('One deployable service')

/**
 * A mapping of names to entries. zod's own record checks a key first and skips the entry of a key it
 * refuses, so a mistyped name (`Bad_Name:`) would hide every problem inside its entry. Here every entry
 * is validated and the name is checked beside it, as zod reports it (invalid_key): one diagnostic
 * among the others. The JSON Schema keeps the name rule (propertyNames).
 */
function named<V extends z.ZodType>(name: z.ZodType<string>, entry: V, what: string) {
  const { $schema: _, ...nameRule } = z.toJSONSchema(name)
  return z.record(z.string().meta(nameRule), entry, { error: () => `must be a mapping of ${what}` }).superRefine(
    (entries, ctx) => {
      for (const key of Object.keys(entries)) {
        const checked = name.safeParse(key)
        if (!checked.success) ctx.addIssue({ code: 'invalid_key', origin: 'record', issues: checked.error.issues, input: key, path: [key] })
      }
    },
    // Also when an entry has a problem of its own (zod skips a refinement after an issue otherwise).
    { when: ({ value }) => value !== null && typeof value === 'object' && !Array.isArray(value) },
  )
}

/** The rule for a service's name (the key under `services:`), also for `init --name`. */
export const serviceName = dnsLabel(SERVICE_NAME_MAX)

const serviceNames = (what: string) => named(serviceName, z.any(), what)

export const configSchema = mapping({
  $schema: text().optional().describe('JSON Schema reference for editors'),
  name: dnsLabel(63).describe('Project name'),
  services: named(serviceName, service, 'service name to service')
    .refine((services) => Object.keys(services).length > 0, { error: () => 'must define at least one service' })
    .describe('Services by name (DNS-1123 label, at most 49 characters)'),
  environments: named(dnsLabel(63), providerEnvironment(serviceNames('service name to overrides')), 'environment name to settings')
    .prefault({})
    .describe('Deploy targets by name; each names a provider and its settings'),
}).describe('sls-run project configuration')

export type Config = z.output<typeof configSchema>
export type ServiceConfig = z.output<typeof service>
export type EnvironmentConfig = Config['environments'][string]
export type ProviderId = (typeof PROVIDER_IDS)[number]
