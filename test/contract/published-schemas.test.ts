/**
 * `sls-run deploy --dry-run --json` plans against each provider's published, machine-readable schema
 * (test/contract/published: CRDs, discovery documents, Azure's Microsoft.App schema, AWS Smithy
 * models; SOURCES.md says where each came from). The built CLI plans several projects (a minimal
 * service, one with every setting, one at the edges of every range) for every provider and target
 * shape, and every manifest and request body in those plans must be valid. Then each checker is proven
 * able to fail: a valid body passes, and each kind of breakage is reported.
 */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { envelope, runCli } from '../helpers/cli.js'
import { useTempDir } from '../helpers/temp.js'
import {
  checkCloudRunService,
  checkCloudRunSetIamPolicy,
  checkCloudSchedulerJob,
  checkContainerApp,
  checkContainerAppsJob,
  checkEcsCreateExpressGatewayService,
  checkEcsCreateService,
  checkEcsDescribeExpressGatewayService,
  checkEcsDescribeServices,
  checkEcsRegisterTaskDefinition,
  checkEcsUpdateExpressGatewayService,
  checkEcsUpdateService,
  checkKnativeService,
  checkLogsCreateLogGroup,
  checkLogsPutRetentionPolicy,
  checkPingSource,
  checkPutScalingPolicy,
  checkRegisterScalableTarget,
  checkSchedulerCreateSchedule,
  checkSchedulerUpdateSchedule,
  inspect,
  inspectAws,
  inspectAwsJsonTarget,
  type Report,
} from './published/check.js'

const DIGEST = `sha256:${'ab'.repeat(32)}`
const ROLE = 'arn:aws:iam::123456789012:role'
const TARGET_GROUP = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/0123456789abcdef'

/** Every provider, each with its settings at their defaults and with all of them set. */
const ENVIRONMENTS = `
environments:
  run: { provider: cloud-run, project: acme, region: europe-west1 }
  run-public: { provider: cloud-run, project: acme, region: europe-west1, public: true, schedulerServiceAccount: scheduler@acme.iam.gserviceaccount.com }
  kn: { provider: knative }
  kn-full: { provider: knative, namespace: shop, context: kind-dev }
  aca: { provider: azure-container-apps, subscription: sub-1, resourceGroup: rg-shop, environment: env-shop }
  aca-full: { provider: azure-container-apps, subscription: sub-1, resourceGroup: rg-shop, environment: env-shop, location: westeurope, public: true }
  express: { provider: aws-ecs, region: eu-west-1 }
  express-full:
    provider: aws-ecs
    region: eu-west-1
    cluster: shop
    subnets: [subnet-a, subnet-b]
    securityGroups: [sg-1]
    executionRoleArn: ${ROLE}/exec
    infrastructureRoleArn: ${ROLE}/infra
  fargate: { provider: aws-ecs, mode: fargate, region: eu-west-1 }
  fargate-full:
    provider: aws-ecs
    mode: fargate
    region: eu-west-1
    cluster: shop
    subnets: [subnet-a, subnet-b]
    securityGroups: [sg-1]
    assignPublicIp: true
    targetGroupArn: ${TARGET_GROUP}
    executionRoleArn: ${ROLE}/exec
`

/** Projects by name: their services (the environments above are added to each). */
const PROJECTS: Record<string, string> = {
  minimal: `
services:
  api:
    image: ghcr.io/acme/api
`,
  everything: `
services:
  api:
    image: ghcr.io/acme/api
    port: 3000
    command: node server.js --fast
    env: { LOG_LEVEL: info, EMPTY: "", QUOTED: 'a "b" c' }
    resources: { cpu: 2, memory: 2Gi }
    scaling: { minInstances: 2, maxInstances: 30, concurrency: 40, idleTimeout: 5m, queueTimeout: 5s }
    timeout: 120s
    startupProbe: { type: http, path: /healthz, timeout: 30s }
    cpuThrottling: true
    schedules:
      - { name: nightly, cron: "0 3 * * *", path: /tasks/nightly, body: "{}", headers: { X-Job: nightly }, timezone: Europe/Paris, retry: { count: 3 } }
      - { name: hourly, cron: "@hourly", path: /tasks/hourly, method: GET }
  worker:
    image: ghcr.io/acme/worker
    command: [node, worker.js]
    resources: { cpu: 0.5, memory: 1Gi }
    scaling: { minInstances: 0, maxInstances: 3, concurrency: 1 }
    startupProbe: { type: tcp, timeout: 60s }
`,
  edges: `
services:
  big:
    image: ghcr.io/acme/big
    port: 65535
    command: [node, --max-old-space-size=60000, big.js]
    resources: { cpu: 64, memory: 64Gi }
    scaling: { minInstances: 1000, maxInstances: 1000, concurrency: 1000, idleTimeout: 24h, queueTimeout: 10m }
    timeout: 3600s
    startupProbe: { type: http, path: "/ready?deep=1", timeout: 240s }
  tiny:
    image: ghcr.io/acme/tiny
    port: 1
    resources: { cpu: 0.08, memory: 6Mi }
    scaling: { minInstances: 0, maxInstances: 1, concurrency: 1, idleTimeout: 1s, queueTimeout: 0ms }
    timeout: 1s
    startupProbe: { type: tcp, timeout: 1s }
    cpuThrottling: true
`,
}

const SERVICES: Record<string, string[]> = { minimal: ['api'], everything: ['api', 'worker'], edges: ['big', 'tiny'] }

interface Step {
  kind: string
  method?: string
  url?: string
  headers?: Record<string, string>
  body?: unknown
  manifest?: { apiVersion?: string; kind?: string }
}

/**
 * The published schema a plan step's body is checked against, by what the step sends: a manifest by
 * its kind, a request by its API (the X-Amz-Target header for awsJson1_1, the URL otherwise). A step
 * with a body no kept schema covers is a problem itself, so a new kind of resource cannot go unchecked.
 */
function reportOf(step: Step): Report | undefined {
  if (step.kind === 'manifest') {
    if (step.manifest?.kind === 'Service') return inspect('knative-service', step.manifest)
    if (step.manifest?.kind === 'PingSource') return inspect('knative-pingsource', step.manifest)
    return { problems: [`no published schema kept for manifest kind ${step.manifest?.kind}`], warnings: [] }
  }
  if (step.body === undefined) return undefined
  const target = step.headers?.['X-Amz-Target']
  if (target) return inspectAwsJsonTarget(target, step.body)
  const url = new URL(step.url ?? '')
  const { host, pathname } = url
  if (host === 'run.googleapis.com' && pathname.endsWith(':setIamPolicy')) return inspect('cloud-run-set-iam-policy', step.body)
  if (host === 'run.googleapis.com' && /\/services\/[^/:]+$/.test(pathname)) return inspect('cloud-run-service', step.body)
  if (host === 'cloudscheduler.googleapis.com' && /\/jobs(\/[^/:]+)?$/.test(pathname)) return inspect('cloud-scheduler-job', step.body)
  if (host === 'management.azure.com' && /\/Microsoft\.App\/containerApps\/[^/]+$/.test(pathname)) return inspect('container-app', step.body)
  if (host === 'management.azure.com' && /\/Microsoft\.App\/jobs\/[^/]+$/.test(pathname)) return inspect('container-apps-job', step.body)
  const schedule = /^scheduler\.[a-z0-9-]+\.amazonaws\.com$/.test(host) && /^\/schedules\/([^/]+)$/.exec(pathname)
  if (schedule) return inspectAws('AWSChronosService', step.method === 'PUT' ? 'UpdateSchedule' : 'CreateSchedule', { ...(step.body as object), Name: decodeURIComponent(schedule[1]!) })
  return { problems: [`no published schema kept for ${step.method} ${step.url}`], warnings: [] }
}

/**
 * What the kept schemas refuse today although the plan is right, with why. Each must still occur where
 * listed (the test fails when a refreshed schema accepts it: remove the entry then).
 */
const KNOWN_GAPS: Array<{ environments: string[]; problems: string[]; why: string }> = [
  {
    environments: ['express', 'express-full'],
    problems: [
      'CreateExpressGatewayService cpuArchitecture: unknown member (not in CreateExpressGatewayServiceRequest)',
      'UpdateExpressGatewayService cpuArchitecture: unknown member (not in UpdateExpressGatewayServiceRequest)',
    ],
    why: 'the newest ECS Smithy model that could be fetched (aws/api-models-aws, 2026-04-27) has no cpuArchitecture on the Express Gateway requests; @aws-sdk/client-ecs 3.1164.0, generated from a later model, has it (ExpressCpuArchitecture: ARM64 | X86_64)',
  },
]

/**
 * What a provider refuses by design, with a coded error before anything is sent: where the project has
 * `drop`, the dry-run must fail with `code`; the project is then planned without it, so the rest of it is
 * still checked against the schemas.
 */
const REFUSED: Array<{ environments: string[]; drop: RegExp; code: string; why: string }> = [
  {
    environments: ['express', 'express-full', 'fargate', 'fargate-full'],
    drop: /^ {4}schedules:\n(?: {6}- .*\n)+/m,
    code: 'DEPLOY_SCHEDULE_UNSUPPORTED',
    why: "AWS's scheduler (EventBridge Scheduler) cannot send an HTTP request to a service: docs/deploy/aws-ecs.md#schedules",
  },
  {
    environments: ['run'],
    drop: /^ {4}schedules:\n(?: {6}- .*\n)+/m,
    code: 'DEPLOY_SCHEDULE_UNSUPPORTED',
    why: 'Cloud Scheduler calls Cloud Run with an OIDC token of a service account, and `run` names none (schedulerServiceAccount; run-public does): docs/deploy/cloud-run.md#schedules',
  },
  {
    environments: ['kn', 'kn-full'],
    drop: /, headers: \{ X-Job: nightly \}/,
    code: 'DEPLOY_SCHEDULE_UNSUPPORTED',
    why: 'a PingSource sends no header but its content type (and the CloudEvents ce-* ones): X-Job cannot be sent (docs/deploy/knative.md#schedules)',
  },
  {
    environments: ['kn', 'kn-full'],
    drop: /^ {6}- \{ name: hourly, .*method: GET.*\n/m,
    code: 'DEPLOY_SCHEDULE_UNSUPPORTED',
    why: 'a PingSource always POSTs (a CloudEvent): a GET schedule is refused (docs/deploy/knative.md#schedules)',
  },
  {
    environments: ['aca', 'aca-full'],
    drop: /^ {6}- \{ name: nightly, .*timezone: Europe\/Paris.*\n/m,
    code: 'DEPLOY_SCHEDULE_UNSUPPORTED',
    why: 'Container Apps jobs read cron in UTC only (Microsoft.App 2024-03-01 has no time zone): a Europe/Paris schedule is refused, not converted (docs/deploy/azure-container-apps.md#schedules)',
  },
]

/** Environments whose plans must send nothing the schema marks deprecated (Azure: environmentId, not managedEnvironmentId). */
const NO_DEPRECATED = ['aca', 'aca-full']

const expectedProblems = (environment: string, services: string[]) =>
  KNOWN_GAPS.filter((gap) => gap.environments.includes(environment)).flatMap((gap) => services.flatMap((service) => gap.problems.map((p) => `${service} ${p}`)))

/** Deprecated / output-only fields the plans send: shown once at the end, never a failure. */
const warningsSeen = new Set<string>()
afterAll(() => {
  if (warningsSeen.size > 0) console.warn(`Fields the published schemas mark deprecated or read only, sent by the plans:\n${[...warningsSeen].map((w) => `  ${w}`).join('\n')}`)
})

const operationOf = (step: Step) => step.headers?.['X-Amz-Target']?.split('.')[1] ?? step.manifest?.kind ?? `${step.method} ${new URL(step.url ?? 'x:').pathname.split('/').pop()}`

describe('dry-run plans conform to the providers’ published schemas', () => {
  const tempDir = useTempDir('sls-run-published-')
  const environments = [...ENVIRONMENTS.matchAll(/^ {2}([a-z-]+):/gm)].map((m) => m[1]!)

  for (const [project, services] of Object.entries(PROJECTS)) {
    for (const environment of environments) {
      it(`${project} on ${environment}`, async () => {
        const dir = tempDir()
        const config = path.join(dir, 'sls-run.yaml')
        const images = SERVICES[project]!.flatMap((name) => ['--image', `${name}=ghcr.io/acme/${name}@${DIGEST}`])
        const dryRun = (text: string) => {
          writeFileSync(config, `name: shop\n${text}${ENVIRONMENTS}`)
          return runCli(['deploy', '--dry-run', '--json', '-e', environment, '-c', config, ...images], { cwd: dir })
        }
        let planned = services
        for (const refused of REFUSED.filter((r) => r.environments.includes(environment) && r.drop.test(planned))) {
          const refusal = await dryRun(planned)
          expect(refusal.code, refused.why).toBe(2)
          expect(envelope(refusal).error?.code, refused.why).toBe(refused.code)
          planned = planned.replace(new RegExp(refused.drop.source, 'gm'), '')
        }
        const result = await dryRun(planned)
        expect(result.code, result.stderr).toBe(0)
        const out = envelope(result)
        expect(out.status).toBe('ok')
        const plans = out.result as Array<{ service: string; steps: Step[] }>
        expect(plans.map((p) => p.service).sort()).toEqual([...SERVICES[project]!].sort())

        const problems: string[] = []
        let checked = 0
        for (const plan of plans) {
          for (const step of plan.steps) {
            const report = reportOf(step)
            if (!report) continue
            checked++
            problems.push(...report.problems.map((p) => `${plan.service} ${operationOf(step)} ${p}`))
            if (NO_DEPRECATED.includes(environment)) expect(report.warnings, `${environment}: ${operationOf(step)}`).toEqual([])
            for (const w of report.warnings) warningsSeen.add(`${environment}: ${operationOf(step)} ${w}`)
          }
        }
        expect(checked).toBeGreaterThanOrEqual(plans.length)
        const gaps = KNOWN_GAPS.filter((gap) => gap.environments.includes(environment)).map((gap) => `known gap: ${gap.why}`)
        expect(problems, gaps.join('\n')).toEqual(expectedProblems(environment, SERVICES[project]!))
      })
    }
  }
})

// ---------------------------------------------------------------------------------------------------
// Each checker can fail: a valid body passes; a wrong type, an unknown field, a missing required field
// and a value outside a closed set (an enum; for the Knative CRDs, which have no enum, a pattern, an
// int32 range and the served apiVersions) are each reported at their path.

type Body = Record<string, any>
interface Breakage {
  what: string
  break: (body: Body) => void
  expect: RegExp
}

function selfTest(name: string, check: (body: unknown) => string[], valid: () => Body, breakages: Breakage[]) {
  describe(`${name}: the checker can fail`, () => {
    it('accepts a valid body', () => {
      expect(check(valid())).toEqual([])
    })
    for (const breakage of breakages) {
      it(`reports ${breakage.what}`, () => {
        const body = valid()
        breakage.break(body)
        const problems = check(body)
        expect(
          problems.some((p) => breakage.expect.test(p)),
          `expected ${breakage.expect} among ${JSON.stringify(problems)}`,
        ).toBe(true)
      })
    }
  })
}

const IMAGE = `ghcr.io/acme/api@${DIGEST}`

selfTest(
  'Knative Service (serving.knative.dev/v1 CRD)',
  checkKnativeService,
  () => ({
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: 'api', namespace: 'shop', labels: { 'app.kubernetes.io/managed-by': 'sls-run' } },
    spec: {
      template: {
        metadata: { annotations: { 'autoscaling.knative.dev/max-scale': '10' } },
        spec: {
          containerConcurrency: 80,
          timeoutSeconds: 300,
          containers: [{ image: IMAGE, ports: [{ name: 'http1', containerPort: 8080 }], env: [{ name: 'A', value: '1' }], resources: { limits: { cpu: '1', memory: '512Mi' } } }],
        },
      },
    },
  }),
  [
    { what: 'a wrong type', break: (b) => (b.spec.template.spec.containerConcurrency = 'lots'), expect: /^spec\.template\.spec\.containerConcurrency: must be of type integer/ },
    {
      what: 'an undeclared field',
      break: (b) => (b.spec.template.spec.containers[0].cpuThrottling = true),
      expect: /^spec\.template\.spec\.containers\[0\]\.cpuThrottling: field not declared in schema$/,
    },
    { what: 'a missing required field', break: (b) => delete b.spec.template.spec.containers, expect: /^spec\.template\.spec\.containers: Required value/ },
    {
      what: 'a quantity that breaks its pattern',
      break: (b) => (b.spec.template.spec.containers[0].resources.limits.cpu = 'lots'),
      expect: /^spec\.template\.spec\.containers\[0\]\.resources\.limits\.cpu: must match pattern/,
    },
    { what: 'an int32 out of range', break: (b) => (b.spec.template.spec.containers[0].ports[0].containerPort = 2 ** 31), expect: /containerPort: must be <= 2147483647/ },
    { what: 'an apiVersion the CRD does not serve', break: (b) => (b.apiVersion = 'serving.knative.dev/v1alpha1'), expect: /^apiVersion: must be one of "serving\.knative\.dev\/v1"/ },
  ],
)

selfTest(
  'Knative Eventing PingSource (sources.knative.dev/v1 CRD)',
  checkPingSource,
  () => ({
    apiVersion: 'sources.knative.dev/v1',
    kind: 'PingSource',
    metadata: { name: 'api-nightly', namespace: 'shop' },
    spec: {
      schedule: '0 3 * * *',
      timezone: 'Europe/Paris',
      contentType: 'application/json',
      data: '{}',
      sink: { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'api' }, uri: '/tasks/nightly' },
    },
  }),
  [
    { what: 'a wrong type', break: (b) => (b.spec.schedule = 5), expect: /^spec\.schedule: must be of type string/ },
    { what: 'an undeclared field', break: (b) => (b.spec.method = 'POST'), expect: /^spec\.method: field not declared in schema$/ },
    { what: 'a missing kind', break: (b) => delete b.kind, expect: /^kind: must be "PingSource"/ },
    {
      what: 'an apiVersion the CRD does not serve',
      break: (b) => (b.apiVersion = 'sources.knative.dev/v1alpha2'),
      expect: /^apiVersion: must be one of "sources\.knative\.dev\/v1", "sources\.knative\.dev\/v1beta2"/,
    },
  ],
)

selfTest(
  'Cloud Run Admin API v2 Service',
  checkCloudRunService,
  () => ({
    labels: { 'managed-by': 'sls-run' },
    ingress: 'INGRESS_TRAFFIC_ALL',
    template: {
      scaling: { minInstanceCount: 0, maxInstanceCount: 10 },
      maxInstanceRequestConcurrency: 80,
      timeout: '300s',
      containers: [{ name: 'api', image: IMAGE, ports: [{ name: 'http1', containerPort: 8080 }], resources: { limits: { cpu: '1', memory: '512Mi' }, cpuIdle: true } }],
    },
  }),
  [
    { what: 'a wrong type', break: (b) => (b.template.maxInstanceRequestConcurrency = '80'), expect: /^template\.maxInstanceRequestConcurrency: must be of type integer/ },
    {
      what: 'an unknown field',
      break: (b) => (b.template.cpuThrottling = true),
      expect: /^template\.cpuThrottling: Unknown name "cpuThrottling": Cannot find field \(not in GoogleCloudRunV2RevisionTemplate\)$/,
    },
    { what: 'a missing required field', break: (b) => delete b.template.containers[0].image, expect: /^template\.containers\[0\]\.image: required field is missing/ },
    { what: 'an enum violation', break: (b) => (b.ingress = 'PUBLIC'), expect: /^ingress: must be one of "INGRESS_TRAFFIC_UNSPECIFIED".* \(got "PUBLIC"\)$/ },
    { what: 'a malformed duration', break: (b) => (b.template.timeout = '5m'), expect: /^template\.timeout: must match format google-duration/ },
  ],
)

selfTest(
  'Cloud Run Admin API v2 setIamPolicy request',
  checkCloudRunSetIamPolicy,
  () => ({
    policy: { bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }] },
  }),
  [
    { what: 'a wrong type', break: (b) => (b.policy.bindings[0].members = 'allUsers'), expect: /^policy\.bindings\[0\]\.members: must be of type array/ },
    { what: 'an unknown field', break: (b) => (b.policy.binding = []), expect: /^policy\.binding: Unknown name "binding"/ },
    { what: 'a missing required field', break: (b) => delete b.policy, expect: /^policy: required field is missing/ },
    { what: 'an enum violation', break: (b) => (b.policy.auditConfigs = [{ service: 'allServices', auditLogConfigs: [{ logType: 'EVERYTHING' }] }]), expect: /logType: must be one of/ },
  ],
)

selfTest(
  'Cloud Scheduler v1 Job',
  checkCloudSchedulerJob,
  () => ({
    name: 'projects/acme/locations/europe-west1/jobs/api-nightly',
    schedule: '0 3 * * *',
    timeZone: 'Europe/Paris',
    attemptDeadline: '300s',
    httpTarget: {
      uri: 'https://api-abc123-ew.a.run.app/tasks/nightly',
      httpMethod: 'POST',
      headers: { 'X-Job': 'nightly' },
      body: Buffer.from('{}').toString('base64'),
      oidcToken: { serviceAccountEmail: 'scheduler@acme.iam.gserviceaccount.com', audience: 'https://api-abc123-ew.a.run.app' },
    },
    retryConfig: { retryCount: 3, minBackoffDuration: '5s', maxBackoffDuration: '3600s', maxDoublings: 5 },
  }),
  [
    { what: 'a wrong type', break: (b) => (b.retryConfig.retryCount = '3'), expect: /^retryConfig\.retryCount: must be of type integer/ },
    { what: 'an unknown field', break: (b) => (b.httpTarget.path = '/tasks/nightly'), expect: /^httpTarget\.path: Unknown name "path": Cannot find field \(not in HttpTarget\)$/ },
    { what: 'a missing required field', break: (b) => delete b.httpTarget.uri, expect: /^httpTarget\.uri: required field is missing/ },
    { what: 'an enum violation', break: (b) => (b.httpTarget.httpMethod = 'FETCH'), expect: /^httpTarget\.httpMethod: must be one of .*"POST"/ },
    { what: 'a body that is not base64', break: (b) => (b.httpTarget.body = '{"a": 1}'), expect: /^httpTarget\.body: must match format byte/ },
  ],
)

selfTest(
  'Azure Container App (Microsoft.App 2024-03-01)',
  checkContainerApp,
  () => ({
    location: 'westeurope',
    tags: { 'managed-by': 'sls-run' },
    properties: {
      environmentId: '/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.App/managedEnvironments/env',
      configuration: { activeRevisionsMode: 'Single', ingress: { external: true, targetPort: 8080, transport: 'auto', traffic: [{ latestRevision: true, weight: 100 }] } },
      template: {
        containers: [
          { name: 'api', image: IMAGE, env: [{ name: 'A', value: '1' }], resources: { cpu: 0.5, memory: '1Gi' }, probes: [{ type: 'Startup', tcpSocket: { port: 8080 }, periodSeconds: 10 }] },
        ],
        scale: { minReplicas: 0, maxReplicas: 10, rules: [{ name: 'http', http: { metadata: { concurrentRequests: '80' } } }] },
      },
    },
  }),
  [
    { what: 'a wrong type', break: (b) => (b.properties.configuration.ingress.targetPort = '8080'), expect: /^properties\.configuration\.ingress\.targetPort: must be of type integer/ },
    {
      what: 'an unknown field',
      break: (b) => (b.properties.template.containers[0].cpuThrottling = true),
      expect: /^properties\.template\.containers\[0\]\.cpuThrottling: OBJECT_ADDITIONAL_PROPERTIES/,
    },
    { what: 'a missing required field', break: (b) => delete b.location, expect: /^location: OBJECT_MISSING_REQUIRED_PROPERTY/ },
    {
      what: 'an enum violation',
      break: (b) => (b.properties.configuration.ingress.transport = 'grpc'),
      expect: /^properties\.configuration\.ingress\.transport: must be one of "auto", "http", "http2", "tcp" \(got "grpc"\)$/,
    },
  ],
)

selfTest(
  'Azure Container Apps Job (Microsoft.App 2024-03-01)',
  checkContainerAppsJob,
  () => ({
    location: 'westeurope',
    properties: {
      environmentId: '/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.App/managedEnvironments/env',
      configuration: { triggerType: 'Schedule', replicaTimeout: 300, replicaRetryLimit: 0, scheduleTriggerConfig: { cronExpression: '0 3 * * *', parallelism: 1, replicaCompletionCount: 1 } },
      template: { containers: [{ name: 'api-nightly', image: IMAGE, resources: { cpu: 0.25, memory: '0.5Gi' } }] },
    },
  }),
  [
    { what: 'a wrong type', break: (b) => (b.properties.configuration.replicaTimeout = '300'), expect: /^properties\.configuration\.replicaTimeout: must be of type integer/ },
    {
      what: 'an unknown field (no time zone in 2024-03-01)',
      break: (b) => (b.properties.configuration.scheduleTriggerConfig.timeZone = 'Europe/Paris'),
      expect: /^properties\.configuration\.scheduleTriggerConfig\.timeZone: OBJECT_ADDITIONAL_PROPERTIES/,
    },
    { what: 'a missing required field', break: (b) => delete b.properties.configuration.replicaTimeout, expect: /^properties\.configuration\.replicaTimeout: OBJECT_MISSING_REQUIRED_PROPERTY/ },
    { what: 'an enum violation', break: (b) => (b.properties.configuration.triggerType = 'Cron'), expect: /^properties\.configuration\.triggerType: must be one of "Schedule", "Event", "Manual"/ },
  ],
)

describe('Azure: deprecated fields are warnings, not problems', () => {
  it('reports managedEnvironmentId (deprecated in 2024-03-01 for environmentId) as a warning only', () => {
    const body = { location: 'westeurope', properties: { managedEnvironmentId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/managedEnvironments/env' } }
    expect(inspect('container-app', body)).toEqual({ problems: [], warnings: [`properties.managedEnvironmentId: deprecated: "Deprecated. Resource ID of the Container App's environment."`] })
  })
  it('takes a fractional cpu, a number in the Swagger though the template schema says integer', () => {
    const body = { location: 'westeurope', properties: { template: { containers: [{ name: 'api', image: IMAGE, resources: { cpu: 0.25, memory: '0.5Gi' } }] } } }
    expect(checkContainerApp(body)).toEqual([])
    expect(checkContainerApp({ ...body, properties: { template: { containers: [{ name: 'api', image: IMAGE, resources: { cpu: '0.25' } }] } } })).toEqual([
      'properties.template.containers[0].resources.cpu: must be of type number (got "0.25")',
    ])
  })
})

const TASK_DEFINITION = () => ({
  family: 'shop-prod-api',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '256',
  memory: '512',
  runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
  containerDefinitions: [{ name: 'api', image: IMAGE, essential: true, portMappings: [{ containerPort: 8080, protocol: 'tcp' }], environment: [{ name: 'A', value: '1' }] }],
})

selfTest('ECS RegisterTaskDefinition', checkEcsRegisterTaskDefinition, TASK_DEFINITION, [
  { what: 'a wrong type', break: (b) => (b.containerDefinitions[0].essential = 'yes'), expect: /^containerDefinitions\[0\]\.essential: must be of type boolean/ },
  { what: 'an unknown member', break: (b) => (b.containerDefinitions[0].cpuThrottling = true), expect: /^containerDefinitions\[0\]\.cpuThrottling: unknown member \(not in ContainerDefinition\)$/ },
  { what: 'a missing required member', break: (b) => delete b.family, expect: /^family: missing required member/ },
  { what: 'an enum violation', break: (b) => (b.networkMode = 'vpc'), expect: /^networkMode: must be one of "bridge", "host", "awsvpc", "none"/ },
])

selfTest('ECS DescribeServices', checkEcsDescribeServices, () => ({ cluster: 'shop', services: ['api'] }), [
  { what: 'a wrong type', break: (b) => (b.services = 'api'), expect: /^services: must be of type array/ },
  { what: 'an unknown member', break: (b) => (b.service = 'api'), expect: /^service: unknown member/ },
  { what: 'a missing required member', break: (b) => delete b.services, expect: /^services: missing required member/ },
  { what: 'an enum violation', break: (b) => (b.include = ['EVERYTHING']), expect: /^include\[0\]: must be one of "TAGS"/ },
])

selfTest(
  'ECS CreateService',
  checkEcsCreateService,
  () => ({
    cluster: 'shop',
    serviceName: 'api',
    taskDefinition: 'shop-prod-api',
    launchType: 'FARGATE',
    desiredCount: 1,
    networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a'], securityGroups: ['sg-1'], assignPublicIp: 'DISABLED' } },
    deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200, deploymentCircuitBreaker: { enable: true, rollback: true } },
  }),
  [
    { what: 'a wrong type', break: (b) => (b.desiredCount = '1'), expect: /^desiredCount: must be of type integer/ },
    {
      what: 'an unknown member',
      break: (b) => (b.networkConfiguration.awsvpcConfiguration.publicIp = true),
      expect: /^networkConfiguration\.awsvpcConfiguration\.publicIp: unknown member \(not in AwsVpcConfiguration\)$/,
    },
    { what: 'a missing required member', break: (b) => delete b.serviceName, expect: /^serviceName: missing required member/ },
    { what: 'an enum violation', break: (b) => (b.launchType = 'LAMBDA'), expect: /^launchType: must be one of "EC2", "FARGATE"/ },
  ],
)

selfTest('ECS UpdateService', checkEcsUpdateService, () => ({ cluster: 'shop', service: 'api', taskDefinition: 'shop-prod-api', deploymentConfiguration: { minimumHealthyPercent: 100 } }), [
  { what: 'a wrong type', break: (b) => (b.deploymentConfiguration.minimumHealthyPercent = '100'), expect: /^deploymentConfiguration\.minimumHealthyPercent: must be of type integer/ },
  { what: 'an unknown member', break: (b) => (b.serviceName = 'api'), expect: /^serviceName: unknown member \(not in UpdateServiceRequest\)$/ },
  { what: 'a missing required member', break: (b) => delete b.service, expect: /^service: missing required member/ },
  { what: 'an enum violation', break: (b) => (b.propagateTags = 'EVERYTHING'), expect: /^propagateTags: must be one of/ },
])

const EXPRESS = () => ({
  serviceName: 'api',
  cluster: 'shop',
  executionRoleArn: `${ROLE}/exec`,
  infrastructureRoleArn: `${ROLE}/infra`,
  primaryContainer: { image: IMAGE, containerPort: 8080, environment: [{ name: 'A', value: '1' }] },
  healthCheckPath: '/',
  cpu: '256',
  memory: '512',
  scalingTarget: { minTaskCount: 1, maxTaskCount: 2, autoScalingMetric: 'REQUEST_COUNT_PER_TARGET', autoScalingTargetValue: 100 },
})

selfTest('ECS CreateExpressGatewayService', checkEcsCreateExpressGatewayService, EXPRESS, [
  { what: 'a wrong type', break: (b) => (b.primaryContainer.containerPort = '8080'), expect: /^primaryContainer\.containerPort: must be of type integer/ },
  { what: 'an unknown member', break: (b) => (b.primaryContainer.port = 8080), expect: /^primaryContainer\.port: unknown member \(not in ExpressGatewayContainer\)$/ },
  { what: 'a missing required member', break: (b) => delete b.infrastructureRoleArn, expect: /^infrastructureRoleArn: missing required member/ },
  { what: 'an enum violation', break: (b) => (b.scalingTarget.autoScalingMetric = 'RPS'), expect: /^scalingTarget\.autoScalingMetric: must be one of .*"REQUEST_COUNT_PER_TARGET"/ },
])

selfTest(
  'ECS UpdateExpressGatewayService',
  checkEcsUpdateExpressGatewayService,
  () => {
    const { serviceName: _s, cluster: _c, infrastructureRoleArn: _i, ...rest } = EXPRESS()
    return { serviceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/shop/api', ...rest }
  },
  [
    { what: 'a wrong type', break: (b) => (b.scalingTarget.minTaskCount = '1'), expect: /^scalingTarget\.minTaskCount: must be of type integer/ },
    { what: 'an unknown member', break: (b) => (b.serviceName = 'api'), expect: /^serviceName: unknown member \(not in UpdateExpressGatewayServiceRequest\)$/ },
    { what: 'a missing required member', break: (b) => delete b.serviceArn, expect: /^serviceArn: missing required member/ },
    { what: 'an enum violation', break: (b) => (b.scalingTarget.autoScalingMetric = 'RPS'), expect: /^scalingTarget\.autoScalingMetric: must be one of/ },
  ],
)

selfTest('ECS DescribeExpressGatewayService', checkEcsDescribeExpressGatewayService, () => ({ serviceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/shop/api' }), [
  { what: 'a wrong type', break: (b) => (b.serviceArn = 42), expect: /^serviceArn: must be of type string/ },
  { what: 'an unknown member', break: (b) => (b.cluster = 'shop'), expect: /^cluster: unknown member/ },
  { what: 'a missing required member', break: (b) => delete b.serviceArn, expect: /^serviceArn: missing required member/ },
  { what: 'an enum violation', break: (b) => (b.include = ['EVERYTHING']), expect: /^include\[0\]: must be one of/ },
])

const SCALABLE_TARGET = () => ({ ServiceNamespace: 'ecs', ResourceId: 'service/shop/api', ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 1, MaxCapacity: 10 })

selfTest('Application Auto Scaling RegisterScalableTarget', checkRegisterScalableTarget, SCALABLE_TARGET, [
  { what: 'a wrong type', break: (b) => (b.MinCapacity = '1'), expect: /^MinCapacity: must be of type integer/ },
  { what: 'an unknown member', break: (b) => (b.minCapacity = 1), expect: /^minCapacity: unknown member \(not in RegisterScalableTargetRequest\)$/ },
  { what: 'a missing required member', break: (b) => delete b.ResourceId, expect: /^ResourceId: missing required member/ },
  { what: 'an enum violation', break: (b) => (b.ServiceNamespace = 'fargate'), expect: /^ServiceNamespace: must be one of .*"ecs"/ },
])

selfTest(
  'Application Auto Scaling PutScalingPolicy',
  checkPutScalingPolicy,
  () => ({
    ServiceNamespace: 'ecs',
    ResourceId: 'service/shop/api',
    ScalableDimension: 'ecs:service:DesiredCount',
    PolicyName: 'api-requests',
    PolicyType: 'TargetTrackingScaling',
    TargetTrackingScalingPolicyConfiguration: {
      TargetValue: 100,
      PredefinedMetricSpecification: { PredefinedMetricType: 'ALBRequestCountPerTarget', ResourceLabel: 'app/lb/0123/targetgroup/api/4567' },
    },
  }),
  [
    { what: 'a wrong type', break: (b) => (b.TargetTrackingScalingPolicyConfiguration.TargetValue = '100'), expect: /^TargetTrackingScalingPolicyConfiguration\.TargetValue: must be of type number/ },
    { what: 'an unknown member', break: (b) => (b.TargetTrackingScalingPolicyConfiguration.Metric = 'x'), expect: /^TargetTrackingScalingPolicyConfiguration\.Metric: unknown member/ },
    { what: 'a missing required member', break: (b) => delete b.PolicyName, expect: /^PolicyName: missing required member/ },
    { what: 'an enum violation', break: (b) => (b.PolicyType = 'Tracking'), expect: /^PolicyType: must be one of .*"TargetTrackingScaling"/ },
    { what: 'a pattern violation (Java \\p{Print})', break: (b) => (b.PolicyName = 'api\nrequests'), expect: /^PolicyName: must match pattern/ },
  ],
)

const SCHEDULE = () => ({
  Name: 'shop-prod-api-nightly',
  ScheduleExpression: 'cron(0 3 * * ? *)',
  ScheduleExpressionTimezone: 'Europe/Paris',
  State: 'ENABLED',
  FlexibleTimeWindow: { Mode: 'OFF' },
  Target: { Arn: 'arn:aws:scheduler:::aws-sdk:ecs:runTask', RoleArn: `${ROLE}/scheduler`, Input: '{}', RetryPolicy: { MaximumRetryAttempts: 3 } },
})

for (const [name, check] of [
  ['EventBridge Scheduler CreateSchedule', checkSchedulerCreateSchedule],
  ['EventBridge Scheduler UpdateSchedule', checkSchedulerUpdateSchedule],
] as const) {
  selfTest(name, check, SCHEDULE, [
    { what: 'a wrong type', break: (b) => (b.Target.RetryPolicy.MaximumRetryAttempts = '3'), expect: /^Target\.RetryPolicy\.MaximumRetryAttempts: must be of type integer/ },
    { what: 'an unknown member', break: (b) => (b.Target.Path = '/tasks/nightly'), expect: /^Target\.Path: unknown member \(not in Target\)$/ },
    { what: 'a missing required member', break: (b) => delete b.FlexibleTimeWindow, expect: /^FlexibleTimeWindow: missing required member/ },
    { what: 'an enum violation', break: (b) => (b.FlexibleTimeWindow.Mode = 'SOMETIMES'), expect: /^FlexibleTimeWindow\.Mode: must be one of "OFF", "FLEXIBLE"/ },
    { what: 'a pattern violation', break: (b) => (b.Name = 'api nightly'), expect: /^Name: must match pattern/ },
  ])
}

selfTest('CloudWatch Logs CreateLogGroup', checkLogsCreateLogGroup, () => ({ logGroupName: '/sls-run/shop/prod', tags: { 'managed-by': 'sls-run', 'sls-run-project': 'shop' } }), [
  { what: 'a wrong type', break: (b) => (b.tags = [{ key: 'managed-by', value: 'sls-run' }]), expect: /^tags: must be of type object/ },
  { what: 'an unknown member', break: (b) => (b.retentionInDays = 30), expect: /^retentionInDays: unknown member \(not in CreateLogGroupRequest\)$/ },
  { what: 'a missing required member', break: (b) => delete b.logGroupName, expect: /^logGroupName: missing required member/ },
  { what: 'an enum violation', break: (b) => (b.logGroupClass = 'COLD'), expect: /^logGroupClass: must be one of "STANDARD", "INFREQUENT_ACCESS", "DELIVERY"/ },
  { what: 'a pattern violation', break: (b) => (b.logGroupName = '/sls-run/shop prod'), expect: /^logGroupName: must match pattern/ },
])

selfTest('CloudWatch Logs PutRetentionPolicy', checkLogsPutRetentionPolicy, () => ({ logGroupName: '/sls-run/shop/prod', retentionInDays: 30 }), [
  { what: 'a wrong type', break: (b) => (b.retentionInDays = '30'), expect: /^retentionInDays: must be of type integer/ },
  { what: 'an unknown member', break: (b) => (b.days = 30), expect: /^days: unknown member \(not in PutRetentionPolicyRequest\)$/ },
  { what: 'a missing required member', break: (b) => delete b.retentionInDays, expect: /^retentionInDays: missing required member/ },
  { what: 'a length violation', break: (b) => (b.logGroupName = ''), expect: /^logGroupName: must NOT have fewer than 1 characters/ },
])

describe('plan steps map to a kept schema', () => {
  it('reports a body no kept schema covers, rather than skipping it', () => {
    expect(reportOf({ kind: 'request', method: 'POST', url: 'https://example.com/v1/things', body: {} })?.problems).toEqual(['no published schema kept for POST https://example.com/v1/things'])
    expect(reportOf({ kind: 'manifest', manifest: { apiVersion: 'apps/v1', kind: 'Deployment' } })?.problems).toEqual(['no published schema kept for manifest kind Deployment'])
    expect(inspectAwsJsonTarget('AmazonEC2ContainerServiceV20141113.RunTask', {}).problems).toEqual([
      'AmazonEC2ContainerServiceV20141113.RunTask: no such operation in the kept AWS models (see SOURCES.md)',
    ])
  })
})

describe('Azure Container Apps plans with schedules (UTC) and an ACR image conform to Microsoft.App 2024-03-01', () => {
  const tempDir = useTempDir('sls-run-published-aca-')
  const IDENTITY = '/subscriptions/sub-1/resourceGroups/rg-shop/providers/Microsoft.ManagedIdentity/userAssignedIdentities/pull'
  const PROJECT = `name: shop
services:
  api:
    image: shopacr.azurecr.io/shop/api
    timeout: 120s
    schedules:
      - { name: nightly, cron: "0 3 * * *", path: /tasks/nightly, body: "{}", headers: { X-Job: nightly }, timezone: Etc/UTC, retry: { count: 3 } }
      - { name: hourly, cron: "@hourly", path: /tasks/hourly, method: GET }
      - { name: reconcile-every-ledger-entries, cron: "*/15 * * * *", path: "/tasks/reconcile?all=1", method: PUT }
environments:
  aca: { provider: azure-container-apps, subscription: sub-1, resourceGroup: rg-shop, environment: env-shop }
  aca-full: { provider: azure-container-apps, subscription: sub-1, resourceGroup: rg-shop, environment: env-shop, location: westeurope, public: true, identity: ${IDENTITY} }
`

  for (const environment of ['aca', 'aca-full']) {
    it(`the app and its jobs on ${environment}: valid, nothing deprecated`, async () => {
      const dir = tempDir()
      const config = path.join(dir, 'sls-run.yaml')
      writeFileSync(config, PROJECT)
      const result = await runCli(['deploy', '--dry-run', '--json', '-e', environment, '-c', config, '--image', `api=shopacr.azurecr.io/shop/api@${DIGEST}`], { cwd: dir })
      expect(result.code, result.stderr).toBe(0)
      const [plan] = envelope(result).result as Array<{ service: string; steps: Step[] }>
      const bodies = plan!.steps.filter((s) => s.body !== undefined)
      expect(bodies.map((s) => new URL(s.url!).pathname.split('/').slice(-2).join('/'))).toEqual([
        'containerApps/api',
        'jobs/api-nightly',
        'jobs/api-hourly',
        expect.stringMatching(/^jobs\/api-reconcile-every-ledge-[0-9a-f]{6}$/), // 34 characters: derived
      ])
      for (const step of bodies) expect(reportOf(step), operationOf(step)).toEqual({ problems: [], warnings: [] })
      for (const job of bodies.slice(1)) expect(checkContainerAppsJob(job.body)).toEqual([])
    })
  }
})
