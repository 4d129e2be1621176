/**
 * ECS Express Mode in the AWS fake: Create / Update / Describe / DeleteExpressGatewayService as the
 * API reference and the SDK's output shapes describe them. An Express service is an ECS service: each
 * one creates (or updates) a service in the FakeAwsState with a task definition revision and a
 * deployment, so its rollout advances over DescribeServices polls like any other (COMPLETED, FAILED or
 * never). Configurations are echoed with ECS's defaults filled in (log configuration, default VPC
 * network with a managed security group, /ping, CPU scaling) and an https endpoint on `*.on.aws`.
 * Semantic checks beyond the shapes: role ARNs in the fake's account, Fargate cpu/memory combinations.
 */
import { ACCOUNT, AwsFault, type FakeAwsState, type Service } from './aws-ecs-state.js'

type Json = Record<string, any>

export interface ExpressRecord {
  serviceArn: string
  cluster: string
  serviceName: string
  infrastructureRoleArn: string
  statusCode: 'ACTIVE' | 'DRAINING' | 'INACTIVE'
  statusReason?: string
  configurations: Json[]
  tags: Json[]
  createdAt: number
  updatedAt: number
}

const now = () => Date.now() / 1000
/** A function, not a constant: this module loads while ./aws-ecs-state.ts (ACCOUNT) is still loading. */
const isRole = (arn: unknown) => typeof arn === 'string' && arn.startsWith(`arn:aws:iam::${ACCOUNT}:role/`) && /^[\w+=,.@/:-]+$/.test(arn)
/** Fargate cpu → [min, max, step] memory (MiB). */
const SIZES: Record<string, [number, number, number]> = {
  '256': [512, 2048, 512],
  '512': [1024, 4096, 1024],
  '1024': [2048, 8192, 1024],
  '2048': [4096, 16384, 1024],
  '4096': [8192, 30720, 1024],
  '8192': [16384, 61440, 4096],
  '16384': [32768, 122880, 8192],
}
/** The task definition depends on these; the scaling target and health check path do not. */
const TASK_KEYS = ['executionRoleArn', 'cpu', 'memory', 'cpuArchitecture', 'primaryContainer'] as const

export class FakeExpress {
  readonly services = new Map<string, ExpressRecord>()
  /** Default VPC subnets ECS picks when the request has none. */
  defaultSubnets = ['subnet-0aaa', 'subnet-0bbb']
  private revision = 0

  constructor(private readonly state: FakeAwsState) {}

  handle(operation: string, b: Json): Json {
    switch (operation) {
      case 'CreateExpressGatewayService':
        return this.create(b)
      case 'UpdateExpressGatewayService':
        return this.update(b)
      case 'DescribeExpressGatewayService': {
        const rec = this.services.get(b.serviceArn)
        if (!rec) throw new AwsFault('ResourceNotFoundException', 400, `The specified Express service ${b.serviceArn} was not found.`)
        return { service: this.view(rec) }
      }
      case 'DeleteExpressGatewayService': {
        const rec = this.services.get(b.serviceArn)
        if (!rec || rec.statusCode === 'INACTIVE') throw new AwsFault('ServiceNotFoundException', 400, 'Service not found.')
        rec.statusCode = 'INACTIVE'
        const svc = this.ecsService(rec)
        if (svc) svc.status = 'INACTIVE'
        return { service: this.view(rec) }
      }
      default:
        throw new AwsFault('UnknownOperationException', 400, `the fake does not implement ${operation}`)
    }
  }

  private check(b: Json): void {
    for (const key of ['infrastructureRoleArn', 'executionRoleArn']) {
      if (b[key] !== undefined && !isRole(b[key])) throw new AwsFault('InvalidParameterException', 400, `${key} ${b[key]} is not a role ARN in account ${ACCOUNT}`)
    }
    if (b.cpu !== undefined || b.memory !== undefined) {
      const size = SIZES[String(b.cpu ?? '1024')]
      const memory = Number(b.memory ?? 2048)
      if (!size || memory < size[0] || memory > size[1] || (memory - size[0]) % size[2] !== 0) {
        throw new AwsFault('InvalidParameterException', 400, `Invalid 'cpu' and 'memory' combination: ${b.cpu}/${b.memory}`)
      }
    }
    const scaling = b.scalingTarget
    if (scaling && (scaling.minTaskCount < 1 || scaling.minTaskCount > scaling.maxTaskCount)) {
      throw new AwsFault('InvalidParameterException', 400, 'minTaskCount must be at least 1 and at most maxTaskCount')
    }
  }

  private create(b: Json): Json {
    this.check(b)
    if (!b.infrastructureRoleArn) throw new AwsFault('InvalidParameterException', 400, 'infrastructureRoleArn is required')
    const cluster = b.cluster ?? 'default'
    // Express creates the default cluster when it does not exist; others must.
    if (cluster === 'default') this.state.clusters.add('default')
    if (!this.state.clusters.has(cluster)) throw new AwsFault('ClusterNotFoundException', 400, 'Cluster not found.')
    const name = b.serviceName ?? `express-${++this.revision}`
    const serviceArn = `arn:aws:ecs:${this.state.region}:${ACCOUNT}:service/${cluster}/${name}`
    if (this.services.get(serviceArn)?.statusCode === 'ACTIVE') throw new AwsFault('InvalidParameterException', 400, 'Creation of service was not idempotent.')
    const config = this.configuration(
      cluster,
      name,
      {
        cpu: '1024',
        memory: '2048',
        cpuArchitecture: 'X86_64',
        healthCheckPath: '/ping',
        networkConfiguration: {},
        primaryContainer: {},
        scalingTarget: { minTaskCount: 1, maxTaskCount: 1, autoScalingMetric: 'AVERAGE_CPU', autoScalingTargetValue: 60 },
      },
      b,
    )
    const rec: ExpressRecord = {
      serviceArn,
      cluster,
      serviceName: name,
      infrastructureRoleArn: b.infrastructureRoleArn,
      statusCode: 'ACTIVE',
      configurations: [config],
      tags: b.tags ?? [],
      createdAt: now(),
      updatedAt: now(),
    }
    const svc: Service = {
      serviceName: name,
      serviceArn,
      clusterArn: this.state.clusterArn(cluster),
      status: 'ACTIVE',
      taskDefinition: config.taskDefinitionArn,
      desiredCount: config.scalingTarget.minTaskCount,
      runningCount: 0,
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: config.networkConfiguration.subnets, securityGroups: config.networkConfiguration.securityGroups, assignPublicIp: 'ENABLED' } },
      loadBalancers: [
        {
          targetGroupArn: `arn:aws:elasticloadbalancing:${this.state.region}:${ACCOUNT}:targetgroup/ecs-express-${name}/1`,
          containerName: 'Main',
          containerPort: config.primaryContainer.containerPort,
        },
      ],
      deployments: [],
      events: [],
    }
    this.state.startDeployment(svc, config.taskDefinitionArn)
    this.state.services.set(`${cluster}/${name}`, svc)
    this.services.set(serviceArn, rec)
    return { service: this.view(rec) }
  }

  private update(b: Json): Json {
    this.check(b)
    const rec = this.services.get(b.serviceArn)
    if (!rec) throw new AwsFault('ServiceNotFoundException', 400, 'Service not found.')
    if (rec.statusCode !== 'ACTIVE') throw new AwsFault('ServiceNotActiveException', 400, 'Service was not ACTIVE.')
    const latest = rec.configurations[rec.configurations.length - 1]!
    const { serviceArn: _arn, ...changes } = b
    const config = this.configuration(rec.cluster, rec.serviceName, latest, changes, latest)
    const taskChanged = config.taskDefinitionArn !== latest.taskDefinitionArn
    rec.configurations.push(config)
    rec.updatedAt = now()
    const svc = this.ecsService(rec)!
    if (changes.scalingTarget) svc.desiredCount = config.scalingTarget.minTaskCount
    if (taskChanged) {
      svc.taskDefinition = config.taskDefinitionArn
      this.state.startDeployment(svc, config.taskDefinitionArn)
    }
    const { activeConfigurations: _a, infrastructureRoleArn: _i, currentDeployment: _c, tags: _t, ...rest } = this.view(rec)
    return { service: { ...rest, targetConfiguration: structuredClone(config) } }
  }

  /** A new configuration: `base` with the request's members over it, and a new task definition unless `previous` has the same one. */
  private configuration(cluster: string, name: string, base: Json, b: Json, previous?: Json): Json {
    const container = { containerPort: 80, awsLogsConfiguration: { logGroup: `/aws/ecs/${cluster}/${name}`, logStreamPrefix: 'ecs' }, ...(b.primaryContainer ?? base.primaryContainer) }
    const network = b.networkConfiguration ?? base.networkConfiguration ?? {}
    const config: Json = {
      ...structuredClone(base),
      ...(b.executionRoleArn ? { executionRoleArn: b.executionRoleArn } : {}),
      ...(b.healthCheckPath ? { healthCheckPath: b.healthCheckPath } : {}),
      ...(b.cpu ? { cpu: b.cpu } : {}),
      ...(b.memory ? { memory: b.memory } : {}),
      ...(b.cpuArchitecture ? { cpuArchitecture: b.cpuArchitecture } : {}),
      primaryContainer: container,
      networkConfiguration: { subnets: network.subnets ?? this.defaultSubnets, securityGroups: network.securityGroups ?? [`sg-express-${name}`] },
      scalingTarget: { ...base.scalingTarget, ...b.scalingTarget },
      serviceRevisionArn: `arn:aws:ecs:${this.state.region}:${ACCOUNT}:service-revision/${cluster}/${name}/${++this.revision}`,
      // One endpoint per service, kept across its revisions.
      ingressPaths: base.ingressPaths ?? [{ accessType: 'PUBLIC', endpoint: `${name}-${(0x5eed + this.services.size).toString(16)}.ecs.${this.state.region}.on.aws` }],
      createdAt: now() + this.revision / 1000,
    }
    if (!container.image) throw new AwsFault('InvalidParameterException', 400, 'primaryContainer.image is required')
    const same = previous && TASK_KEYS.every((k) => JSON.stringify(config[k]) === JSON.stringify(previous[k]))
    config.taskDefinitionArn = same
      ? previous.taskDefinitionArn
      : this.state.ecs('RegisterTaskDefinition', {
          family: `${cluster}-${name}`,
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          cpu: config.cpu,
          memory: config.memory,
          executionRoleArn: config.executionRoleArn,
          containerDefinitions: [
            { name: 'Main', image: container.image, portMappings: [{ containerPort: container.containerPort, name: 'main' }], command: container.command, environment: container.environment },
          ],
        }).taskDefinition.taskDefinitionArn
    return config
  }

  private ecsService(rec: ExpressRecord): Service | undefined {
    return this.state.services.get(`${rec.cluster}/${rec.serviceName}`)
  }

  /** Configurations stay active while ECS still runs a deployment of their task definition. */
  private view(rec: ExpressRecord): Json {
    const svc = this.ecsService(rec)
    const running = new Set((svc?.deployments ?? []).map((d) => d.taskDefinition))
    const active = rec.configurations.filter((c, i) => running.has(c.taskDefinitionArn) || i === rec.configurations.length - 1)
    const seen = new Set<string>()
    const unique = active.reverse().filter((c) => !seen.has(c.taskDefinitionArn) && seen.add(c.taskDefinitionArn))
    return {
      cluster: this.state.clusterArn(rec.cluster),
      serviceName: rec.serviceName,
      serviceArn: rec.serviceArn,
      infrastructureRoleArn: rec.infrastructureRoleArn,
      status: { statusCode: rec.statusCode, ...(rec.statusReason ? { statusReason: rec.statusReason } : {}) },
      currentDeployment: svc?.deployments.find((d) => d.status === 'PRIMARY')?.id,
      activeConfigurations: structuredClone(unique),
      tags: rec.tags,
      createdAt: rec.createdAt,
      updatedAt: rec.updatedAt,
    }
  }
}
