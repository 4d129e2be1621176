/**
 * The ARM surface the adapter uses, in memory: managed environments (GET, with or without workload
 * profiles), container apps (GET, list, PUT validated against the SDK's `ContainerApp` mapper, DELETE), their
 * revisions (GET), Container Apps jobs (GET, list, PUT validated against the `Job` mapper, DELETE) and
 * long-running operation statuses (Azure-AsyncOperation); for image pulls from Azure Container Registry, the
 * subscription's registries (list), user-assigned identities (GET) and role assignments (list for a scope,
 * `$filter=assignedTo('<principal>')`). A template change makes a new revision, as in single-revision mode; an
 * app with a system-assigned identity gets a principal id on creation. Each resource provider answers only its
 * api-version. The scenario knobs make the next PUT fail, its revision never get ready, or a read forbidden.
 */
import { randomUUID } from 'node:crypto'
import { isDeepStrictEqual } from 'node:util'
import { validateModel } from './azure-mappers.js'

export const API_VERSIONS = ['2024-03-01']
/** The api-version each other resource provider answers (the ones the adapter sends). */
const OTHER_API_VERSIONS: Array<[RegExp, string]> = [
  [/\/providers\/Microsoft\.ContainerRegistry\//i, '2023-07-01'],
  [/\/providers\/Microsoft\.Authorization\//i, '2022-04-01'],
  [/\/providers\/Microsoft\.ManagedIdentity\//i, '2023-01-31'],
]
const TENANT = '11111111-2222-3333-4444-555555555555'

export interface Reply {
  status: number
  headers?: Record<string, string>
  body?: unknown
}

interface Identity {
  type: string
  principalId?: string
  userAssignedIdentities?: Record<string, unknown>
}

interface App {
  id: string
  name: string
  location: string
  tags: Record<string, string>
  identity?: Identity
  environmentId: string
  configuration: Record<string, unknown>
  template: Record<string, unknown>
  provisioningState: string
  latestRevisionName: string
  latestReadyRevisionName: string | null
}

interface Revision {
  name: string
  created: number
  provisioningState: string
  runningState: string
  runningStateDetails?: string
  healthState: string
  image: string
}

interface Job {
  id: string
  name: string
  location: string
  tags: Record<string, string>
  identity?: Identity
  environmentId: string
  configuration: Record<string, unknown>
  template: Record<string, unknown>
  provisioningState: string
}

interface Environment {
  location: string
  defaultDomain: string
  /** Absent: a Consumption-only environment (ARM answers `workloadProfiles: null`). */
  workloadProfiles?: Array<{ name: string; workloadProfileType: string }>
}

interface Operation {
  kind: 'put' | 'delete' | 'job-put' | 'job-delete'
  appId: string
  polls: number
  status: 'InProgress' | 'Succeeded' | 'Failed'
  error?: { code: string; message: string }
}

/** What the next requests meet. */
export interface ArmScenario {
  /** Operation status polls answered InProgress before it finishes. */
  pollsUntilDone: number
  /** Never finishes (InProgress forever). */
  neverFinishes: boolean
  /** The next PUT is refused with this ARM error. */
  putError?: { status: number; code: string; message: string }
  /** The operation fails with this message and the revision is Failed (container crash). */
  operationFails?: string
  /** The operation succeeds but the revision ends up Failed with these runningStateDetails. */
  revisionFails?: string
  /** DELETE answers 202 with a Location header only (polled until it stops answering 202). */
  deleteLocationOnly?: boolean
  /** These reads answer 403 AuthorizationFailed. */
  forbidden?: Array<'registries' | 'roleAssignments' | 'identities'>
}

const err = (status: number, code: string, message: string): Reply => ({ status, body: { error: { code, message } } })

export class FakeArm {
  readonly environments = new Map<string, Environment>()
  readonly apps = new Map<string, App>()
  readonly jobs = new Map<string, Job>()
  /** Bodies of every job PUT that passed validation. */
  readonly jobPuts: unknown[] = []
  /** Azure Container Registries of the subscription: resource id → login server. */
  readonly registries = new Map<string, string>()
  /** User-assigned identities: lower-cased resource id → principal id. */
  readonly identities = new Map<string, string>()
  readonly roleAssignments: Array<{ scope: string; principalId: string; roleDefinitionId: string }> = []
  readonly revisions = new Map<string, Revision>()
  readonly operations = new Map<string, Operation>()
  /** Bodies of every PUT that passed validation. */
  readonly puts: unknown[] = []
  /** Validation errors the fake answered 400 with. */
  readonly rejected: string[][] = []
  scenario: ArmScenario = { pollsUntilDone: 2, neverFinishes: false }
  private seq = 0

  constructor(private readonly base: () => string) {}

  addEnvironment(id: string, location: string, defaultDomain = 'nicebeach-1234.westeurope.azurecontainerapps.io', workloadProfiles?: Environment['workloadProfiles']): void {
    this.environments.set(id.toLowerCase(), { location, defaultDomain, ...(workloadProfiles ? { workloadProfiles } : {}) })
  }

  /** Grants `role` (a built-in role's GUID) to `principalId` on `scope`. */
  assignRole(scope: string, principalId: string, role: string): void {
    const sub = /^\/subscriptions\/([^/]+)/.exec(scope)?.[1] ?? '00000000-aaaa-bbbb-cccc-000000000000'
    this.roleAssignments.push({ scope, principalId, roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${role}` })
  }

  handle(method: string, url: URL, body: unknown): Reply {
    const apiVersion = url.searchParams.get('api-version')
    if (!apiVersion) return err(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.')
    const p = decodeURIComponent(url.pathname)
    // The resource provider of the last /providers/ segment answers (a registry's role assignments are Microsoft.Authorization's).
    const last = p.slice(p.toLowerCase().lastIndexOf('/providers/'))
    const supported = OTHER_API_VERSIONS.find(([provider]) => provider.test(last))?.[1] ?? API_VERSIONS.join(',')
    if (!supported.split(',').includes(apiVersion)) return err(400, 'InvalidApiVersionParameter', `The api-version '${apiVersion}' is invalid. The supported versions are '${supported}'.`)
    const forbidden = (what: NonNullable<ArmScenario['forbidden']>[number]) =>
      this.scenario.forbidden?.includes(what) ? err(403, 'AuthorizationFailed', `The client does not have authorization to read ${what} over scope '${p}'.`) : null
    let m = /^\/subscriptions\/[^/]+\/providers\/Microsoft\.ContainerRegistry\/registries$/i.exec(p)
    if (m && method === 'GET') return forbidden('registries') ?? this.listRegistries()
    m = /^(\/subscriptions\/.+)\/providers\/Microsoft\.Authorization\/roleAssignments$/i.exec(p)
    if (m && method === 'GET') return forbidden('roleAssignments') ?? this.listRoleAssignments(m[1]!, url.searchParams.get('$filter'))
    m = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+)$/i.exec(p)
    if (m && method === 'GET') return forbidden('identities') ?? this.identity(m[1]!)
    m = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/providers\/Microsoft\.App\/(containerApps|jobs)$/i.exec(p)
    if (m && method === 'GET') return this.list(m[1]!, m[2]!.toLowerCase() === 'jobs')
    m = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.App\/jobs\/([^/]+))$/i.exec(p)
    if (m && method === 'GET') return this.getJob(m[1]!)
    if (m && method === 'PUT') return this.putJob(m[1]!, m[2]!, body)
    if (m && method === 'DELETE') return this.deleteJob(m[1]!)
    m = /^\/subscriptions\/[^/]+\/providers\/Microsoft\.App\/locations\/[^/]+\/containerappOperationStatuses\/([^/]+)$/i.exec(p)
    if (m && method === 'GET') return this.operation(m[1]!)
    m = /^\/subscriptions\/[^/]+\/providers\/Microsoft\.App\/locations\/[^/]+\/containerappOperationResults\/([^/]+)$/i.exec(p)
    if (m && method === 'GET') {
      const status = this.operation(m[1]!)
      return (status.body as { status?: string }).status === 'InProgress' ? { status: 202, headers: { location: url.toString() } } : { status: status.status === 200 ? 204 : status.status }
    }
    m = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.App\/managedEnvironments\/[^/]+)$/i.exec(p)
    if (m && method === 'GET') return this.environment(m[1]!)
    m = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.App\/containerApps\/([^/]+))\/revisions\/([^/]+)$/i.exec(p)
    if (m && method === 'GET') return this.revision(m[1]!, m[3]!)
    m = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.App\/containerApps\/([^/]+))$/i.exec(p)
    if (m && method === 'GET') return this.getApp(m[1]!)
    if (m && method === 'PUT') return this.putApp(m[1]!, m[2]!, body)
    if (m && method === 'DELETE') return this.deleteApp(m[1]!)
    return err(404, 'NotFound', `no route for ${method} ${p}`)
  }

  private environment(id: string): Reply {
    const e = this.environments.get(id.toLowerCase())
    if (!e) return err(404, 'ResourceNotFound', `The Resource 'Microsoft.App/managedEnvironments/${id.split('/').pop()}' under resource group was not found.`)
    return {
      status: 200,
      body: {
        id,
        name: id.split('/').pop(),
        type: 'Microsoft.App/managedEnvironments',
        location: e.location,
        properties: { provisioningState: 'Succeeded', defaultDomain: e.defaultDomain, workloadProfiles: e.workloadProfiles ?? null },
      },
    }
  }

  /** The app as ARM shows it: the client's fields plus defaults, read-only state and capitalised enums. */
  view(app: App): unknown {
    const env = this.environments.get(app.environmentId.toLowerCase())
    const ingress = app.configuration.ingress as Record<string, unknown> | undefined
    const fqdn = ingress ? `${app.name}${ingress.external ? '' : '.internal'}.${env?.defaultDomain ?? 'example.io'}` : undefined
    return {
      id: app.id,
      name: app.name,
      type: 'Microsoft.App/containerApps',
      location: app.location,
      tags: app.tags,
      ...(app.identity ? { identity: this.identityView(app.identity) } : {}),
      systemData: { createdBy: 'sp', createdByType: 'Application' },
      properties: {
        provisioningState: app.provisioningState,
        managedEnvironmentId: app.environmentId,
        environmentId: app.environmentId,
        latestRevisionName: app.latestRevisionName,
        latestReadyRevisionName: app.latestReadyRevisionName,
        latestRevisionFqdn: fqdn ? `${app.latestRevisionName}.${env?.defaultDomain}` : '',
        outboundIpAddresses: ['20.0.0.1'],
        configuration: {
          secrets: null,
          ...app.configuration,
          maxInactiveRevisions: 100,
          ...(ingress ? { ingress: { ...ingress, fqdn, exposedPort: 0, transport: capital(String(ingress.transport ?? 'auto')), customDomains: null, stickySessions: null } } : {}),
        },
        template: {
          revisionSuffix: '',
          volumes: null,
          ...app.template,
          containers: (app.template.containers as Array<Record<string, unknown>>).map((c) => ({ ...c, resources: { ...(c.resources as object), ephemeralStorage: '2Gi' } })),
        },
      },
    }
  }

  private getApp(id: string): Reply {
    const app = this.apps.get(id.toLowerCase())
    if (!app) return err(404, 'ResourceNotFound', `The Resource 'Microsoft.App/containerApps/${id.split('/').pop()}' under resource group was not found.`)
    return { status: 200, body: this.view(app) }
  }

  private putApp(id: string, name: string, body: unknown): Reply {
    const problems = validateModel('ContainerApp', body)
    if (problems.length) {
      this.rejected.push(problems)
      return err(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: ${problems.join('; ')}`)
    }
    const planned = this.scenario.putError
    if (planned) {
      this.scenario.putError = undefined
      return err(planned.status, planned.code, planned.message)
    }
    const b = body as {
      location: string
      tags?: Record<string, string>
      identity?: Identity
      properties: { environmentId?: string; managedEnvironmentId?: string; configuration?: Record<string, unknown>; template?: Record<string, unknown> }
    }
    const envId = b.properties.environmentId ?? b.properties.managedEnvironmentId ?? ''
    const env = this.environments.get(envId.toLowerCase())
    if (!env) return err(404, 'ManagedEnvironmentNotFound', `Managed environment '${envId}' was not found.`)
    if (norm(env.location) !== norm(b.location)) return err(400, 'LocationMismatch', `The container app must be in its environment's location ${env.location}, not ${b.location}.`)
    const key = id.toLowerCase()
    const old = this.apps.get(key)
    const template = b.properties.template ?? {}
    const newRevision = !old || !isDeepStrictEqual(old.template, template)
    const revisionName = newRevision ? `${name}--r${++this.seq}` : old!.latestRevisionName
    if (newRevision) {
      const image = String((template.containers as Array<{ image?: string }> | undefined)?.[0]?.image ?? '')
      this.revisions.set(`${key}/${revisionName}`, { name: revisionName, created: Date.now(), provisioningState: 'Provisioning', runningState: 'Activating', healthState: 'None', image })
    }
    const app: App = {
      id,
      name,
      location: env.location,
      tags: b.tags ?? {},
      ...(b.identity ? { identity: this.keepPrincipal(b.identity, old?.identity) } : {}),
      environmentId: envId,
      configuration: b.properties.configuration ?? {},
      template,
      provisioningState: 'InProgress',
      latestRevisionName: revisionName,
      latestReadyRevisionName: old?.latestReadyRevisionName ?? null,
    }
    this.apps.set(key, app)
    this.puts.push(body)
    const opId = `op-${++this.seq}`
    this.operations.set(opId, { kind: 'put', appId: key, polls: 0, status: 'InProgress' })
    return { status: old ? 200 : 201, headers: { 'azure-asyncoperation': this.opUrl(opId, env.location) }, body: this.view(app) }
  }

  private deleteApp(id: string): Reply {
    const key = id.toLowerCase()
    const app = this.apps.get(key)
    if (!app) return { status: 204 }
    const opId = `op-${++this.seq}`
    this.operations.set(opId, { kind: 'delete', appId: key, polls: 0, status: 'InProgress' })
    const result = this.opUrl(opId, app.location).replace('containerappOperationStatuses', 'containerappOperationResults')
    return { status: 202, headers: this.scenario.deleteLocationOnly ? { location: result } : { 'azure-asyncoperation': this.opUrl(opId, app.location), location: result } }
  }

  private opUrl(opId: string, location: string): string {
    const sub = '00000000-aaaa-bbbb-cccc-000000000000'
    return `${this.base()}/subscriptions/${sub}/providers/Microsoft.App/locations/${norm(location)}/containerappOperationStatuses/${opId}?api-version=${API_VERSIONS[0]}`
  }

  private operation(opId: string): Reply {
    const op = this.operations.get(opId)
    if (!op) return err(404, 'OperationNotFound', `operation ${opId} not found`)
    if (op.status === 'InProgress' && !this.scenario.neverFinishes && ++op.polls > this.scenario.pollsUntilDone) this.finish(op)
    return { status: 200, body: { id: opId, name: opId, status: op.status, startTime: new Date().toISOString(), ...(op.error ? { error: op.error } : {}) } }
  }

  private finish(op: Operation): void {
    if (op.kind === 'job-put' || op.kind === 'job-delete') {
      const job = this.jobs.get(op.appId)
      if (op.kind === 'job-delete') this.jobs.delete(op.appId)
      else if (job) job.provisioningState = 'Succeeded'
      op.status = 'Succeeded'
      return
    }
    const app = this.apps.get(op.appId)
    if (op.kind === 'delete') {
      this.apps.delete(op.appId)
      op.status = 'Succeeded'
      return
    }
    if (!app) return
    const rev = this.revisions.get(`${op.appId}/${app.latestRevisionName}`)!
    if (this.scenario.operationFails) {
      op.status = 'Failed'
      op.error = { code: 'ContainerAppOperationError', message: this.scenario.operationFails }
      app.provisioningState = 'Failed'
      Object.assign(rev, { provisioningState: 'Failed', runningState: 'Failed', healthState: 'Unhealthy', runningStateDetails: this.scenario.operationFails })
      return
    }
    op.status = 'Succeeded'
    app.provisioningState = 'Succeeded'
    if (this.scenario.revisionFails) {
      Object.assign(rev, { provisioningState: 'Provisioned', runningState: 'Failed', healthState: 'Unhealthy', runningStateDetails: this.scenario.revisionFails })
      return
    }
    Object.assign(rev, { provisioningState: 'Provisioned', runningState: 'Running', healthState: 'Healthy', runningStateDetails: '' })
    app.latestReadyRevisionName = app.latestRevisionName
  }

  /** A system-assigned identity keeps its principal across updates; a new one gets one. */
  private keepPrincipal(asked: Identity, old: Identity | undefined): Identity {
    const system = /SystemAssigned/i.test(asked.type)
    const principalId = system ? (old && /SystemAssigned/i.test(old.type) && old.principalId ? old.principalId : randomUUID()) : undefined
    return { ...asked, ...(principalId ? { principalId } : {}) }
  }

  private identityView(identity: Identity): unknown {
    const users = identity.userAssignedIdentities
      ? Object.fromEntries(Object.keys(identity.userAssignedIdentities).map((id) => [id, { principalId: this.identities.get(id.toLowerCase()) ?? null, clientId: randomUUID() }]))
      : undefined
    return { type: identity.type, ...(identity.principalId ? { principalId: identity.principalId, tenantId: TENANT } : {}), ...(users ? { userAssignedIdentities: users } : {}) }
  }

  private list(group: string, jobs: boolean): Reply {
    const inGroup = (id: string) => id.toLowerCase().split('/')[4] === group.toLowerCase()
    const value = jobs ? [...this.jobs.values()].filter((j) => inGroup(j.id)).map((j) => this.jobView(j)) : [...this.apps.values()].filter((a) => inGroup(a.id)).map((a) => this.view(a))
    return { status: 200, body: { value } }
  }

  private listRegistries(): Reply {
    const value = [...this.registries].map(([id, loginServer]) => ({
      id,
      name: id.split('/').pop(),
      type: 'Microsoft.ContainerRegistry/registries',
      location: 'westeurope',
      properties: { loginServer, adminUserEnabled: false },
    }))
    return { status: 200, body: { value } }
  }

  /** Role assignments at, above or below `scope` for the principal of `$filter=assignedTo('…')` (the only filter the adapter sends). */
  private listRoleAssignments(scope: string, filter: string | null): Reply {
    const principal = /^assignedTo\('([^']+)'\)$/.exec(filter ?? '')?.[1]
    if (!principal) return err(400, 'InvalidFilter', `unsupported $filter ${filter}`)
    const s = scope.toLowerCase()
    const related = (other: string) => s === other.toLowerCase() || s.startsWith(`${other.toLowerCase()}/`) || other.toLowerCase().startsWith(`${s}/`)
    const value = this.roleAssignments
      .filter((a) => a.principalId === principal && related(a.scope))
      .map((a, i) => ({
        id: `${a.scope}/providers/Microsoft.Authorization/roleAssignments/${i}`,
        type: 'Microsoft.Authorization/roleAssignments',
        properties: { scope: a.scope, roleDefinitionId: a.roleDefinitionId, principalId: a.principalId, principalType: 'ServicePrincipal' },
      }))
    return { status: 200, body: { value } }
  }

  private identity(id: string): Reply {
    const principalId = this.identities.get(id.toLowerCase())
    if (!principalId) return err(404, 'ResourceNotFound', `The Resource 'Microsoft.ManagedIdentity/userAssignedIdentities/${id.split('/').pop()}' under resource group was not found.`)
    return {
      status: 200,
      body: { id, name: id.split('/').pop(), type: 'Microsoft.ManagedIdentity/userAssignedIdentities', location: 'westeurope', properties: { principalId, clientId: randomUUID(), tenantId: TENANT } },
    }
  }

  jobView(job: Job): unknown {
    return {
      id: job.id,
      name: job.name,
      type: 'Microsoft.App/jobs',
      location: job.location,
      tags: job.tags,
      ...(job.identity ? { identity: this.identityView(job.identity) } : {}),
      systemData: { createdBy: 'sp', createdByType: 'Application' },
      properties: {
        provisioningState: job.provisioningState,
        environmentId: job.environmentId,
        workloadProfileName: null,
        configuration: { secrets: null, manualTriggerConfig: null, eventTriggerConfig: null, ...job.configuration, triggerType: job.configuration.triggerType },
        template: { initContainers: null, volumes: null, ...job.template },
        outboundIpAddresses: ['20.0.0.1'],
      },
    }
  }

  private getJob(id: string): Reply {
    const job = this.jobs.get(id.toLowerCase())
    if (!job) return err(404, 'ResourceNotFound', `The Resource 'Microsoft.App/jobs/${id.split('/').pop()}' under resource group was not found.`)
    return { status: 200, body: this.jobView(job) }
  }

  private putJob(id: string, name: string, body: unknown): Reply {
    const problems = validateModel('Job', body)
    if (problems.length) {
      this.rejected.push(problems)
      return err(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: ${problems.join('; ')}`)
    }
    const b = body as {
      location: string
      tags?: Record<string, string>
      identity?: Identity
      properties: { environmentId?: string; configuration?: Record<string, unknown>; template?: Record<string, unknown> }
    }
    const envId = b.properties.environmentId ?? ''
    const env = this.environments.get(envId.toLowerCase())
    if (!env) return err(404, 'ManagedEnvironmentNotFound', `Managed environment '${envId}' was not found.`)
    if (norm(env.location) !== norm(b.location)) return err(400, 'LocationMismatch', `The job must be in its environment's location ${env.location}, not ${b.location}.`)
    const key = id.toLowerCase()
    const old = this.jobs.get(key)
    const job: Job = {
      id,
      name,
      location: env.location,
      tags: b.tags ?? {},
      ...(b.identity ? { identity: this.keepPrincipal(b.identity, old?.identity) } : {}),
      environmentId: envId,
      configuration: b.properties.configuration ?? {},
      template: b.properties.template ?? {},
      provisioningState: 'InProgress',
    }
    this.jobs.set(key, job)
    this.jobPuts.push(body)
    const opId = `op-${++this.seq}`
    this.operations.set(opId, { kind: 'job-put', appId: key, polls: 0, status: 'InProgress' })
    return { status: old ? 200 : 201, headers: { 'azure-asyncoperation': this.opUrl(opId, env.location) }, body: this.jobView(job) }
  }

  private deleteJob(id: string): Reply {
    const key = id.toLowerCase()
    const job = this.jobs.get(key)
    if (!job) return { status: 204 }
    const opId = `op-${++this.seq}`
    this.operations.set(opId, { kind: 'job-delete', appId: key, polls: 0, status: 'InProgress' })
    return { status: 202, headers: { 'azure-asyncoperation': this.opUrl(opId, job.location) } }
  }

  private revision(appId: string, name: string): Reply {
    const rev = this.revisions.get(`${appId.toLowerCase()}/${name}`)
    if (!rev) return err(404, 'ContainerAppRevisionNotFound', `Revision '${name}' was not found.`)
    const { provisioningState, runningState, runningStateDetails, healthState } = rev
    return {
      status: 200,
      body: {
        id: `${appId}/revisions/${name}`,
        name,
        type: 'Microsoft.App/containerApps/revisions',
        properties: {
          createdTime: new Date(rev.created).toISOString(),
          active: true,
          replicas: runningState === 'Running' ? 1 : 0,
          trafficWeight: 100,
          provisioningState,
          runningState,
          runningStateDetails,
          healthState,
          template: { containers: [{ image: rev.image }] },
        },
      },
    }
  }
}

const norm = (location: string) => location.toLowerCase().replace(/\s+/g, '')
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1)
