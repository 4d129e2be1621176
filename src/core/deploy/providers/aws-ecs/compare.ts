/**
 * Is what ECS runs already the plan? RegisterTaskDefinition always makes a new revision, so the
 * adapter compares before registering. ECS echoes a task definition with defaults filled in
 * (container `cpu: 0`, empty `mountPoints`, `volumesFrom`, `systemControls`; with awsvpc each port
 * mapping's `hostPort` equal to its `containerPort`) and read-only fields
 * (ARN, revision, status, registeredAt): `covers(planned, actual)` is true when every planned value is
 * there, and what ECS has beyond the plan is such a default (empty or zero), so a value the plan
 * dropped (an env var, a health check, an entry point) counts as a change.
 */

const isEmpty = (v: unknown) =>
  v === undefined ||
  v === null ||
  v === 0 ||
  v === false ||
  v === '' ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0)

/** `strictExtras`: whether keys only `actual` has must be empty (true below the top level). */
export function covers(planned: unknown, actual: unknown, strictExtras = true): boolean {
  if (Array.isArray(planned)) {
    return Array.isArray(actual) && actual.length === planned.length && planned.every((p, i) => covers(p, actual[i]))
  }
  if (planned && typeof planned === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return false
    const a = actual as Record<string, unknown>
    const p = planned as Record<string, unknown>
    if (!Object.entries(p).every(([k, v]) => covers(v, a[k]))) return false
    return !strictExtras || Object.entries(a).every(([k, v]) => k in p || isEmpty(v) || (k === 'hostPort' && String(v) === String(p.containerPort)))
  }
  // ECS answers numbers where the request had strings and back (cpu "1024", healthCheck numbers).
  return planned === actual || (planned !== undefined && actual !== undefined && planned !== null && actual !== null && String(planned) === String(actual))
}

/** The planned task definition (RegisterTaskDefinition body) against a described one; tags are not part of a revision. */
export function sameTaskDefinition(planned: Record<string, unknown>, actual: Record<string, unknown> | undefined): boolean {
  if (!actual) return false
  const { tags: _tags, ...rest } = planned
  return covers(rest, actual, false)
}

/**
 * The planned UpdateService body against the described service: network, load balancers and desired
 * count (when planned). Deployment settings that ECS echoes with extra defaults are compared one way.
 */
export function sameServiceSettings(update: Record<string, unknown>, service: Record<string, unknown>): boolean {
  const keys = ['networkConfiguration', 'loadBalancers', 'healthCheckGracePeriodSeconds', 'desiredCount'] as const
  for (const key of keys) {
    if (!(key in update)) continue
    if (key === 'networkConfiguration') {
      // ECS may list subnets and security groups in another order.
      const norm = (n: unknown) => {
        const c = ((n as Record<string, unknown> | undefined)?.awsvpcConfiguration ?? {}) as Record<string, unknown>
        const sorted = (x: unknown) => (Array.isArray(x) ? [...x].sort() : [])
        return { subnets: sorted(c.subnets), securityGroups: sorted(c.securityGroups), assignPublicIp: c.assignPublicIp ?? 'DISABLED' }
      }
      const planned = norm(update[key])
      const actual = norm(service[key])
      // Without planned security groups ECS uses the VPC's default group: not a difference.
      if (!planned.securityGroups.length) actual.securityGroups = []
      if (JSON.stringify(planned) !== JSON.stringify(actual)) return false
    } else if (!covers(update[key], service[key])) {
      return false
    }
  }
  const planned = update.deploymentConfiguration
  return planned === undefined || covers(planned, service.deploymentConfiguration, false)
}

/** `arn:…:task-definition/family:3` → `family:3`. */
export function revisionOf(taskDefinitionArn: string | undefined): string | null {
  if (!taskDefinitionArn) return null
  return taskDefinitionArn.slice(taskDefinitionArn.lastIndexOf('/') + 1)
}

const sortedStrings = (x: unknown) => (Array.isArray(x) ? [...x].map(String).sort() : [])
const byName = (x: unknown) => (Array.isArray(x) ? [...(x as Array<{ name?: string; value?: string }>)].map((e) => `${e.name}=${e.value}`).sort() : [])

/**
 * Express: the planned UpdateExpressGatewayService body against the newest active configuration
 * (DescribeExpressGatewayService). ECS echoes a configuration with its defaults filled in (a log
 * configuration, the default VPC's network), so only what the plan sets is compared, and the container
 * field by field: a command or an env var the plan dropped counts as a change.
 */
export function sameExpressConfiguration(update: Record<string, unknown>, active: Record<string, unknown> | undefined): boolean {
  if (!active) return false
  const str = (v: unknown) => (v === undefined || v === null ? '' : String(v))
  for (const key of ['executionRoleArn', 'healthCheckPath', 'cpu', 'memory'] as const) if (str(update[key]) !== str(active[key])) return false
  if ((update.cpuArchitecture ?? 'X86_64') !== (active.cpuArchitecture ?? 'X86_64')) return false
  const planned = (update.primaryContainer ?? {}) as Record<string, unknown>
  const actual = (active.primaryContainer ?? {}) as Record<string, unknown>
  if (str(planned.image) !== str(actual.image) || str(planned.containerPort) !== str(actual.containerPort)) return false
  if (JSON.stringify(planned.command ?? []) !== JSON.stringify(actual.command ?? [])) return false
  if (JSON.stringify(byName(planned.environment)) !== JSON.stringify(byName(actual.environment))) return false
  const net = update.networkConfiguration as Record<string, unknown> | undefined
  if (net) {
    const have = (active.networkConfiguration ?? {}) as Record<string, unknown>
    if (net.subnets && JSON.stringify(sortedStrings(net.subnets)) !== JSON.stringify(sortedStrings(have.subnets))) return false
    if (net.securityGroups && JSON.stringify(sortedStrings(net.securityGroups)) !== JSON.stringify(sortedStrings(have.securityGroups))) return false
  }
  return update.scalingTarget === undefined || covers(update.scalingTarget, active.scalingTarget)
}
