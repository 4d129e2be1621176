/**
 * The ARM surface of Microsoft.App the adapter uses, in memory: managed environments (GET), container
 * apps (GET, PUT validated against the SDK's `ContainerApp` mapper, DELETE), their revisions (GET) and
 * long-running operation statuses (Azure-AsyncOperation). A template change makes a new revision, as
 * in single-revision mode; the scenario knobs make the next PUT fail or its revision never get ready.
 */
import { isDeepStrictEqual } from 'node:util'
import { validateModel } from './azure-mappers.js'

export const API_VERSIONS = ['2024-03-01']

export interface Reply {
  status: number
  headers?: Record<string, string>
  body?: unknown
}

interface App {
  id: string
  name: string
  location: string
  tags: Record<string, string>
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

interface Operation {
  kind: 'put' | 'delete'
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
}

const err = (status: number, code: string, message: string): Reply => ({ status, body: { error: { code, message } } })

export class FakeArm {
  readonly environments = new Map<string, { location: string; defaultDomain: string }>()
  readonly apps = new Map<string, App>()
  readonly revisions = new Map<string, Revision>()
  readonly operations = new Map<string, Operation>()
  /** Bodies of every PUT that passed validation. */
  readonly puts: unknown[] = []
  /** Validation errors the fake answered 400 with. */
  readonly rejected: string[][] = []
  scenario: ArmScenario = { pollsUntilDone: 2, neverFinishes: false }
  private seq = 0

  constructor(private readonly base: () => string) {}

  addEnvironment(id: string, location: string, defaultDomain = 'nicebeach-1234.westeurope.azurecontainerapps.io'): void {
    this.environments.set(id.toLowerCase(), { location, defaultDomain })
  }

  handle(method: string, url: URL, body: unknown): Reply {
    const apiVersion = url.searchParams.get('api-version')
    if (!apiVersion) return err(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.')
    if (!API_VERSIONS.includes(apiVersion)) return err(400, 'InvalidApiVersionParameter', `The api-version '${apiVersion}' is invalid. The supported versions are '${API_VERSIONS.join(',')}'.`)
    const p = decodeURIComponent(url.pathname)
    let m = /^\/subscriptions\/[^/]+\/providers\/Microsoft\.App\/locations\/[^/]+\/containerappOperationStatuses\/([^/]+)$/i.exec(p)
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
      body: { id, name: id.split('/').pop(), type: 'Microsoft.App/managedEnvironments', location: e.location, properties: { provisioningState: 'Succeeded', defaultDomain: e.defaultDomain } },
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
    const b = body as { location: string; tags?: Record<string, string>; properties: { managedEnvironmentId?: string; configuration?: Record<string, unknown>; template?: Record<string, unknown> } }
    const envId = b.properties.managedEnvironmentId ?? ''
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
