import { FakeExpress } from './aws-express-state.js'

/**
 * What the AWS fake remembers and how ECS, Application Auto Scaling, CloudWatch Logs and ECR answer: task
 * definition families and revisions, services with deployments that roll out over DescribeServices polls
 * (COMPLETED after `completeAfter` polls, or FAILED with stopped tasks, or never), scalable targets
 * and policies, log groups, and ECR tokens. Answers are the response members the SDK reads (awsJson1_1). ECS
 * Express Mode operations are answered by ./aws-express-state.ts on top of these services.
 *
 * Tasks that log with awslogs start only when their log group exists: the fake's task execution roles have the
 * AWS-managed AmazonECSTaskExecutionRolePolicy only (logs:CreateLogStream and logs:PutLogEvents, no
 * logs:CreateLogGroup: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonECSTaskExecutionRolePolicy.html),
 * so `awslogs-create-group` cannot create a missing one either; such tasks stop with a ResourceInitializationError
 * (worded as ECS words it) and the rollout fails.
 */
export const ACCOUNT = '123456789012'

export class AwsFault extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

export interface Scenario {
  /** DescribeServices polls before an IN_PROGRESS rollout is COMPLETED (or FAILED). */
  completeAfter: number
  rollout: 'complete' | 'fail' | 'never'
}

type Json = Record<string, any>

interface Revision {
  arn: string
  revision: number
  body: Json
  registeredAt: number
}

interface Deployment {
  id: string
  status: 'PRIMARY' | 'ACTIVE'
  taskDefinition: string
  desiredCount: number
  runningCount: number
  failedTasks: number
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED'
  rolloutStateReason?: string
  polls: number
  createdAt: number
}

export interface Service {
  serviceName: string
  serviceArn: string
  clusterArn: string
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE'
  taskDefinition: string
  desiredCount: number
  runningCount: number
  launchType: string
  networkConfiguration?: Json
  loadBalancers: Json[]
  healthCheckGracePeriodSeconds?: number
  deploymentConfiguration?: Json
  deployments: Deployment[]
  events: Json[]
}

const now = () => Date.now() / 1000
let seq = 0

/** The values PutRetentionPolicy accepts (the model's documentation of `Days`; the model types it as an integer). */
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]

export interface LogGroup {
  retentionInDays?: number
  tags: Record<string, string>
}

export class FakeAwsState {
  readonly clusters = new Set(['shop'])
  readonly families = new Map<string, Revision[]>()
  readonly services = new Map<string, Service>()
  readonly stoppedTasks: Json[] = []
  readonly scalableTargets = new Map<string, Json>()
  readonly policies = new Map<string, Json>()
  readonly logGroups = new Map<string, LogGroup>()
  readonly ecrPassword = `ecr-password-${Math.random().toString(36).slice(2)}`
  readonly express: FakeExpress = new FakeExpress(this)

  constructor(
    readonly region: string,
    readonly scenario: Scenario,
  ) {}

  clusterArn(name: string) {
    return `arn:aws:ecs:${this.region}:${ACCOUNT}:cluster/${name}`
  }

  private cluster(name: string | undefined): string {
    const c = (name ?? 'default').split('/').pop()!
    if (!this.clusters.has(c)) throw new AwsFault('ClusterNotFoundException', 400, 'Cluster not found.')
    return c
  }

  private findRevision(ref: string): Revision | undefined {
    const name = ref.includes('/') ? ref.slice(ref.lastIndexOf('/') + 1) : ref
    const [family, rev] = name.split(':')
    const list = (this.families.get(family!) ?? []).filter(Boolean)
    return rev ? list.find((r) => r.revision === Number(rev)) : list[list.length - 1]
  }

  ecs(operation: string, b: Json): Json {
    switch (operation) {
      case 'DescribeClusters': {
        const names: string[] = b.clusters ?? ['default']
        const found = names.filter((n) => this.clusters.has(n))
        return {
          clusters: found.map((n) => ({ clusterArn: this.clusterArn(n), clusterName: n, status: 'ACTIVE' })),
          failures: names.filter((n) => !this.clusters.has(n)).map((n) => ({ arn: `arn:aws:ecs:${this.region}:${ACCOUNT}:cluster/${n}`, reason: 'MISSING' })),
        }
      }
      case 'RegisterTaskDefinition': {
        const list = this.families.get(b.family) ?? []
        const revision = list.length + 1
        const arn = `arn:aws:ecs:${this.region}:${ACCOUNT}:task-definition/${b.family}:${revision}`
        list.push({ arn, revision, body: structuredClone(b), registeredAt: now() })
        this.families.set(b.family, list)
        return { taskDefinition: this.describeRevision(list[list.length - 1]!), tags: b.tags ?? [] }
      }
      case 'DescribeTaskDefinition': {
        const rev = this.findRevision(b.taskDefinition)
        if (!rev) throw new AwsFault('ClientException', 400, 'Unable to describe task definition.')
        return { taskDefinition: this.describeRevision(rev), ...(b.include?.includes('TAGS') ? { tags: rev.body.tags ?? [] } : {}) }
      }
      case 'DescribeServices': {
        const cluster = this.cluster(b.cluster)
        const out: Json[] = []
        const failures: Json[] = []
        for (const name of b.services as string[]) {
          const svc = this.services.get(`${cluster}/${name}`)
          if (!svc) failures.push({ arn: `arn:aws:ecs:${this.region}:${ACCOUNT}:service/${cluster}/${name}`, reason: 'MISSING' })
          else out.push(this.poll(svc))
        }
        return { services: out, failures }
      }
      case 'CreateService': {
        const cluster = this.cluster(b.cluster)
        const key = `${cluster}/${b.serviceName}`
        if (this.services.get(key)?.status === 'ACTIVE') throw new AwsFault('InvalidParameterException', 400, 'Creation of service was not idempotent.')
        const rev = this.findRevision(b.taskDefinition)
        if (!rev) throw new AwsFault('ClientException', 400, 'TaskDefinition not found.')
        const svc: Service = {
          serviceName: b.serviceName,
          serviceArn: `arn:aws:ecs:${this.region}:${ACCOUNT}:service/${key}`,
          clusterArn: this.clusterArn(cluster),
          status: 'ACTIVE',
          taskDefinition: rev.arn,
          desiredCount: b.desiredCount ?? 0,
          runningCount: 0,
          launchType: b.launchType,
          networkConfiguration: b.networkConfiguration,
          loadBalancers: b.loadBalancers ?? [],
          healthCheckGracePeriodSeconds: b.healthCheckGracePeriodSeconds,
          deploymentConfiguration: { ...b.deploymentConfiguration, alarms: { alarmNames: [], enable: false, rollback: false } },
          deployments: [],
          events: [],
        }
        this.startDeployment(svc, rev.arn)
        this.services.set(key, svc)
        return { service: this.view(svc) }
      }
      case 'UpdateService': {
        const cluster = this.cluster(b.cluster)
        const svc = this.services.get(`${cluster}/${b.service}`)
        if (!svc) throw new AwsFault('ServiceNotFoundException', 400, 'Service not found.')
        if (svc.status !== 'ACTIVE') throw new AwsFault('ServiceNotActiveException', 400, 'Service was not ACTIVE.')
        if (b.desiredCount !== undefined) svc.desiredCount = b.desiredCount
        if (b.networkConfiguration) svc.networkConfiguration = b.networkConfiguration
        if (b.loadBalancers) svc.loadBalancers = b.loadBalancers
        if (b.deploymentConfiguration) svc.deploymentConfiguration = { ...b.deploymentConfiguration, alarms: { alarmNames: [], enable: false, rollback: false } }
        if (b.taskDefinition) {
          const rev = this.findRevision(b.taskDefinition)
          if (!rev) throw new AwsFault('ClientException', 400, 'TaskDefinition not found.')
          svc.taskDefinition = rev.arn
          this.startDeployment(svc, rev.arn)
        } else {
          for (const d of svc.deployments) d.desiredCount = svc.desiredCount
          if (svc.desiredCount === 0) svc.runningCount = 0
        }
        return { service: this.view(svc) }
      }
      case 'DeleteService': {
        const cluster = this.cluster(b.cluster)
        const svc = this.services.get(`${cluster}/${b.service}`)
        if (!svc || svc.status === 'INACTIVE') throw new AwsFault('ServiceNotFoundException', 400, 'Service not found.')
        if (svc.desiredCount > 0 && !b.force) throw new AwsFault('InvalidParameterException', 400, 'The service cannot be stopped while it is scaled above 0.')
        svc.status = 'INACTIVE'
        return { service: this.view(svc) }
      }
      case 'ListTasks': {
        const cluster = this.cluster(b.cluster)
        const tasks = b.desiredStatus === 'STOPPED' ? this.stoppedTasks.filter((t) => t.group === `service:${b.serviceName}` && t.clusterArn === this.clusterArn(cluster)) : []
        return { taskArns: tasks.map((t) => t.taskArn) }
      }
      case 'DescribeTasks': {
        this.cluster(b.cluster)
        return { tasks: this.stoppedTasks.filter((t) => (b.tasks as string[]).includes(t.taskArn)), failures: [] }
      }
      default:
        if (operation.endsWith('ExpressGatewayService')) return this.express.handle(operation, b)
        throw new AwsFault('UnknownOperationException', 400, `the fake does not implement ${operation}`)
    }
  }

  autoscaling(operation: string, b: Json): Json {
    const key = `${b.ServiceNamespace}|${b.ResourceId}|${b.ScalableDimension}`
    switch (operation) {
      case 'RegisterScalableTarget': {
        if (b.MinCapacity > b.MaxCapacity) throw new AwsFault('ValidationException', 400, 'Minimum capacity cannot be greater than maximum capacity')
        this.scalableTargets.set(key, structuredClone(b))
        return { ScalableTargetARN: `arn:aws:application-autoscaling:${this.region}:${ACCOUNT}:scalable-target/${Buffer.from(key).toString('hex').slice(0, 24)}` }
      }
      case 'PutScalingPolicy': {
        if (!this.scalableTargets.has(key)) throw new AwsFault('ObjectNotFoundException', 400, 'No scalable target registered for service namespace: ecs')
        this.policies.set(`${key}|${b.PolicyName}`, structuredClone(b))
        return { PolicyARN: `arn:aws:autoscaling:${this.region}:${ACCOUNT}:scalingPolicy:x:resource/${b.ResourceId}:policyName/${b.PolicyName}`, Alarms: [] }
      }
      case 'DeregisterScalableTarget': {
        if (!this.scalableTargets.delete(key)) throw new AwsFault('ObjectNotFoundException', 400, 'No scalable target found for service namespace: ecs')
        for (const k of [...this.policies.keys()]) if (k.startsWith(`${key}|`)) this.policies.delete(k)
        return {}
      }
      default:
        throw new AwsFault('UnknownOperationException', 400, `the fake does not implement ${operation}`)
    }
  }

  logs(operation: string, b: Json): Json {
    switch (operation) {
      case 'CreateLogGroup': {
        if (this.logGroups.has(b.logGroupName)) throw new AwsFault('ResourceAlreadyExistsException', 400, 'The specified log group already exists')
        if (String(b.logGroupName).startsWith('aws/')) throw new AwsFault('InvalidParameterException', 400, 'Log group names cannot start with aws/')
        this.logGroups.set(b.logGroupName, { tags: { ...b.tags } })
        return {}
      }
      case 'PutRetentionPolicy': {
        const group = this.logGroups.get(b.logGroupName)
        if (!group) throw new AwsFault('ResourceNotFoundException', 400, 'The specified log group does not exist.')
        if (!RETENTION_DAYS.includes(b.retentionInDays)) {
          throw new AwsFault(
            'InvalidParameterException',
            400,
            `1 validation error detected: Value '${b.retentionInDays}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`,
          )
        }
        group.retentionInDays = b.retentionInDays
        return {}
      }
      default:
        throw new AwsFault('UnknownOperationException', 400, `the fake does not implement ${operation}`)
    }
  }

  /** Why tasks of this revision cannot start for want of their awslogs log group, or undefined. */
  private logProblem(taskDefinitionArn: string): string | undefined {
    const rev = this.findRevision(taskDefinitionArn)
    for (const c of (rev?.body.containerDefinitions ?? []) as Json[]) {
      const options = c.logConfiguration?.logDriver === 'awslogs' ? (c.logConfiguration.options ?? {}) : undefined
      const group = options?.['awslogs-group']
      if (!group || this.logGroups.has(group)) continue
      const role = String(rev!.body.executionRoleArn ?? `arn:aws:iam::${ACCOUNT}:role/ecsTaskExecutionRole`)
        .split('/')
        .pop()
      return options['awslogs-create-group'] === 'true'
        ? `ResourceInitializationError: failed to validate logger args: create log group: AccessDeniedException: User: arn:aws:sts::${ACCOUNT}:assumed-role/${role}/task is not authorized to perform: logs:CreateLogGroup on resource: arn:aws:logs:${this.region}:${ACCOUNT}:log-group:${group}:log-stream: : exit status 1`
        : `ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. : exit status 1`
    }
    return undefined
  }

  ecr(operation: string): Json {
    if (operation !== 'GetAuthorizationToken') throw new AwsFault('UnknownOperationException', 400, `the fake does not implement ${operation}`)
    return {
      authorizationData: [
        {
          authorizationToken: Buffer.from(`AWS:${this.ecrPassword}`).toString('base64'),
          expiresAt: now() + 12 * 3600,
          proxyEndpoint: `https://${ACCOUNT}.dkr.ecr.${this.region}.amazonaws.com`,
        },
      ],
    }
  }

  /** ECS echoes a revision with defaults filled in and read-only fields added. */
  private describeRevision(rev: Revision): Json {
    const { tags: _tags, ...body } = structuredClone(rev.body)
    body.containerDefinitions = (body.containerDefinitions as Json[]).map((c) => ({
      cpu: 0,
      mountPoints: [],
      volumesFrom: [],
      systemControls: [],
      ...c,
      // awsvpc: ECS answers hostPort = containerPort.
      portMappings: (c.portMappings ?? []).map((m: Json) => ({ ...m, hostPort: m.hostPort ?? m.containerPort })),
    }))
    return {
      ...body,
      taskDefinitionArn: rev.arn,
      revision: rev.revision,
      status: 'ACTIVE',
      compatibilities: ['EC2', 'FARGATE'],
      requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.logging-driver.awslogs' }],
      registeredAt: rev.registeredAt,
      registeredBy: `arn:aws:iam::${ACCOUNT}:user/deployer`,
    }
  }

  /** Express uses it too: a new PRIMARY deployment of `taskDefinition`. */
  startDeployment(svc: Service, taskDefinition: string): void {
    for (const d of svc.deployments) d.status = 'ACTIVE'
    svc.deployments.unshift({
      id: `ecs-svc/${++seq}`,
      status: 'PRIMARY',
      taskDefinition,
      desiredCount: svc.desiredCount,
      runningCount: 0,
      failedTasks: 0,
      rolloutState: 'IN_PROGRESS',
      polls: 0,
      createdAt: now(),
    })
    svc.events.unshift({ id: String(++seq), createdAt: now(), message: `(service ${svc.serviceName}) has started 1 tasks: (task ${seq}).` })
  }

  /** One DescribeServices look advances the rollout of the PRIMARY deployment. */
  private poll(svc: Service): Json {
    const d = svc.deployments.find((x) => x.status === 'PRIMARY')
    if (svc.status === 'ACTIVE' && d && d.rolloutState === 'IN_PROGRESS') {
      d.polls += 1
      if (this.scenario.rollout !== 'never' && d.polls > this.scenario.completeAfter) {
        const logProblem = this.logProblem(d.taskDefinition)
        if (this.scenario.rollout === 'complete' && !logProblem) {
          d.rolloutState = 'COMPLETED'
          d.rolloutStateReason = 'ECS deployment completed.'
          d.runningCount = d.desiredCount
          svc.runningCount = svc.desiredCount
          svc.deployments = [d]
          svc.events.unshift({ id: String(++seq), createdAt: now(), message: `(service ${svc.serviceName}) has reached a steady state.` })
        } else {
          d.rolloutState = 'FAILED'
          d.failedTasks = 3
          d.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.'
          const taskArn = `arn:aws:ecs:${this.region}:${ACCOUNT}:task/${svc.clusterArn.split('/').pop()}/${(++seq).toString(16).padStart(32, '0')}`
          this.stoppedTasks.push({
            taskArn,
            clusterArn: svc.clusterArn,
            group: `service:${svc.serviceName}`,
            taskDefinitionArn: d.taskDefinition,
            lastStatus: 'STOPPED',
            desiredStatus: 'STOPPED',
            stopCode: logProblem ? 'TaskFailedToStart' : 'EssentialContainerExited',
            stoppedReason: logProblem ?? 'Essential container in task exited',
            stoppedAt: now(),
            containers: [{ name: svc.serviceName, lastStatus: 'STOPPED', ...(logProblem ? {} : { exitCode: 1 }) }],
          })
        }
      }
    }
    return this.view(svc)
  }

  view(svc: Service): Json {
    const { deployments, ...rest } = svc
    return { ...structuredClone(rest), deployments: deployments.map(({ polls: _p, ...d }) => ({ ...d, updatedAt: now() })) }
  }
}
