/**
 * Environments: `provider` picks a deploy adapter; its settings sit beside it and are validated
 * here so that unknown keys are errors like everywhere else. The deploy issue extends these shapes
 * as the adapters grow; a third-party provider will register its own shape.
 */
import * as z from 'zod'
import { bool, list, mapping, nonEmpty, oneOf } from './fields.js'

export const PROVIDER_IDS = ['cloud-run', 'knative', 'azure-container-apps', 'aws-ecs'] as const

const settings = {
  'cloud-run': {
    project: nonEmpty('a Google Cloud project id').describe('Google Cloud project id'),
    region: nonEmpty('a region such as us-central1').describe('Cloud Run region'),
    public: bool().prefault(false).describe('Grant roles/run.invoker to allUsers'),
  },
  knative: {
    context: nonEmpty('a kubeconfig context name').optional().describe('kubeconfig context (default: current)'),
    namespace: nonEmpty('a namespace').prefault('default').describe('Kubernetes namespace'),
  },
  'azure-container-apps': {
    subscription: nonEmpty('a subscription id').describe('Azure subscription id'),
    resourceGroup: nonEmpty('a resource group name').describe('Resource group'),
    environment: nonEmpty('a Container Apps environment name').describe('Container Apps managed environment'),
    location: nonEmpty('an Azure region such as westeurope').optional().describe("Azure region (default: the managed environment's, read at deploy time)"),
    public: bool().prefault(false).describe('External ingress (reachable from the internet)'),
  },
  'aws-ecs': {
    mode: oneOf(['express', 'fargate'])
      .prefault('express')
      .describe('express: an ECS Express Mode service (ECS manages the load balancer, HTTPS URL and scaling); fargate: task definition + service + Application Auto Scaling'),
    region: nonEmpty('a region such as eu-west-1').describe('AWS region'),
    cluster: nonEmpty('a cluster name').prefault('default').describe('ECS cluster'),
    subnets: list(nonEmpty('a subnet id'), 'subnet ids').optional().describe('awsvpc subnets (default: the default VPC; fargate reads its subnets at deploy time)'),
    securityGroups: list(nonEmpty('a security group id'), 'security group ids').optional().describe('awsvpc security groups'),
    assignPublicIp: bool().prefault(false).describe('fargate: give tasks a public IP'),
    targetGroupArn: nonEmpty('a target group ARN').optional().describe('fargate: ALB target group: requests route through it and scale tasks'),
    executionRoleArn: nonEmpty('an IAM role ARN').optional().describe('Task execution role (default: ecsTaskExecutionRole)'),
    infrastructureRoleArn: nonEmpty('an IAM role ARN')
      .optional()
      .describe('express: the role ECS uses to manage the load balancer, security groups and scaling (default: ecsInfrastructureRoleForExpressServices)'),
  },
} satisfies Record<(typeof PROVIDER_IDS)[number], z.ZodRawShape>

/**
 * `provider: plugin` names a provider that an installed oclif plugin registers (the `sls-run:providers`
 * hook, see README). Its settings sit under `settings:` and are checked by the plugin's own schema at
 * deploy time: the built-in ids stay a closed list, so a typo in one is still caught with "did you mean".
 */
const pluginSettings = {
  plugin: z
    .string({ error: 'must be a provider id such as fly' })
    .regex(/^[a-z][a-z0-9-]{0,62}$/, { error: 'must be a provider id: lower case letters, digits and dashes' })
    .describe('Provider id registered by an installed plugin'),
  settings: z.record(z.string(), z.unknown(), { error: 'must be a mapping' }).prefault({}).describe("The plugin provider's settings (checked by its schema at deploy time)"),
}

export const PLUGIN_PROVIDER = 'plugin'

/** `{ provider, services, ...settings }`, discriminated by provider id. */
export function providerEnvironment(services: z.ZodType) {
  const common = { services: services.prefault({}).describe('Per-service overrides of any service key for this environment') }
  const env = <const Id extends (typeof PROVIDER_IDS)[number]>(id: Id) => mapping({ provider: z.literal(id), ...common, ...settings[id] })
  const plugin = mapping({ provider: z.literal(PLUGIN_PROVIDER), ...common, ...pluginSettings })
  return z.discriminatedUnion('provider', [env('cloud-run'), env('knative'), env('azure-container-apps'), env('aws-ecs'), plugin], {
    error: (issue) =>
      issue.code === 'invalid_union' && issue.input !== null && typeof issue.input === 'object'
        ? `must be one of ${[...PROVIDER_IDS, PLUGIN_PROVIDER].join(', ')} (got ${JSON.stringify((issue.input as { provider?: unknown }).provider ?? null)})`
        : 'must be a mapping with a provider key',
  })
}
