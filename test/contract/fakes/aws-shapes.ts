/**
 * Request validation for the AWS fake, from the published shapes as the installed SDK clients ship
 * them: @aws-sdk/client-ecs, client-application-auto-scaling and client-ecr export a static schema per
 * operation (`<Operation>$` = [9, namespace, name, traits, input, output]) whose input structure is
 * [3, ns, name, traits, memberNames, memberSchemas, requiredCount] (the first `requiredCount` members are
 * the required ones), lists [1, ns, name, traits, member], maps [2, ns, name, traits, key, value], unions
 * [4, …] like structures, and simple types as numbers (0 string, 1 number, 2 boolean, 4–7 timestamp,
 * 15 document, 21 blob; `64 | t` a list of t, `128 | t` a map of t). Unknown members, wrong types and
 * missing required members are errors. The schemas carry no enum values: the SDK's exported enum
 * objects (LaunchType, NetworkMode…) check the members listed in ENUMS.
 */
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

type SdkModule = Record<string, unknown>
export const SDK = {
  ecs: require('@aws-sdk/client-ecs') as SdkModule,
  autoscaling: require('@aws-sdk/client-application-auto-scaling') as SdkModule,
  ecr: require('@aws-sdk/client-ecr') as SdkModule,
}

/** Structure.member → the SDK's exported enum object (values the API accepts). */
const ENUMS: Record<string, string> = {
  'RegisterTaskDefinitionRequest.networkMode': 'NetworkMode',
  'RegisterTaskDefinitionRequest.requiresCompatibilities': 'Compatibility',
  'RuntimePlatform.cpuArchitecture': 'CPUArchitecture',
  'RuntimePlatform.operatingSystemFamily': 'OSFamily',
  'PortMapping.protocol': 'TransportProtocol',
  'LogConfiguration.logDriver': 'LogDriver',
  'CreateServiceRequest.launchType': 'LaunchType',
  'CreateServiceRequest.propagateTags': 'PropagateTags',
  'AwsVpcConfiguration.assignPublicIp': 'AssignPublicIp',
  'ListTasksRequest.desiredStatus': 'DesiredStatus',
  'RegisterScalableTargetRequest.ServiceNamespace': 'ServiceNamespace',
  'RegisterScalableTargetRequest.ScalableDimension': 'ScalableDimension',
  'PutScalingPolicyRequest.ServiceNamespace': 'ServiceNamespace',
  'PutScalingPolicyRequest.ScalableDimension': 'ScalableDimension',
  'PutScalingPolicyRequest.PolicyType': 'PolicyType',
  'PredefinedMetricSpecification.PredefinedMetricType': 'MetricType',
  'DeregisterScalableTargetRequest.ServiceNamespace': 'ServiceNamespace',
  'DeregisterScalableTargetRequest.ScalableDimension': 'ScalableDimension',
  'CreateExpressGatewayServiceRequest.cpuArchitecture': 'ExpressCpuArchitecture',
  'UpdateExpressGatewayServiceRequest.cpuArchitecture': 'ExpressCpuArchitecture',
  'ExpressGatewayScalingTarget.autoScalingMetric': 'ExpressGatewayServiceScalingMetric',
  'DescribeExpressGatewayServiceRequest.include': 'ExpressGatewayServiceInclude',
}

type SchemaRef = unknown

function deref(ref: SchemaRef): SchemaRef {
  let s = ref
  for (;;) {
    if (typeof s === 'function') s = (s as () => unknown)()
    // A member with traits: [schemaRef, traits]; a full schema has its namespace second.
    else if (Array.isArray(s) && typeof s[1] !== 'string') s = s[0]
    else return s
  }
}

/** The input structure schema of `operation` in `sdk`, or undefined when the SDK has no such operation. */
export function inputSchema(sdk: SdkModule, operation: string): SchemaRef | undefined {
  const op = sdk[`${operation}$`]
  if (!Array.isArray(op) || op[0] !== 9) return undefined
  return deref(op[4])
}

const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)

function simple(code: number, value: unknown, path: string, errors: string[]): void {
  if (code & 64) {
    if (!Array.isArray(value)) errors.push(`${path}: expected a list, got ${typeOf(value)}`)
    else value.forEach((v, i) => simple(code & 63, v, `${path}[${i}]`, errors))
    return
  }
  if (code & 128) {
    if (typeOf(value) !== 'object') errors.push(`${path}: expected a map, got ${typeOf(value)}`)
    else for (const [k, v] of Object.entries(value as object)) simple(code & 127, v, `${path}.${k}`, errors)
    return
  }
  const want =
    code === 0 || code === 21 ? 'string' : code === 1 || code === 17 || code === 19 ? 'number' : code === 2 ? 'boolean' : code >= 4 && code <= 7 ? 'number|string' : code === 15 ? 'any' : 'unknown'
  if (want === 'any') return
  if (!want.split('|').includes(typeOf(value))) errors.push(`${path}: expected ${want}, got ${typeOf(value)} ${JSON.stringify(value)}`)
}

/** Every problem of `value` against `ref` (empty when valid). */
export function validate(sdk: SdkModule, ref: SchemaRef, value: unknown, path = '$'): string[] {
  const errors: string[] = []
  walk(sdk, ref, value, path, errors)
  return errors
}

function walk(sdk: SdkModule, ref: SchemaRef, value: unknown, path: string, errors: string[]): void {
  const s = deref(ref)
  if (typeof s === 'number') return simple(s, value, path, errors)
  if (!Array.isArray(s)) return void errors.push(`${path}: no schema`)
  const kind = s[0] as number
  if (kind === 0) return walk(sdk, s[4], value, path, errors)
  if (kind === 1) {
    if (!Array.isArray(value)) return void errors.push(`${path}: expected a list, got ${typeOf(value)}`)
    return value.forEach((v, i) => walk(sdk, s[4], v, `${path}[${i}]`, errors))
  }
  if (kind === 2) {
    if (typeOf(value) !== 'object') return void errors.push(`${path}: expected a map, got ${typeOf(value)}`)
    for (const [k, v] of Object.entries(value as object)) walk(sdk, s[5], v, `${path}.${k}`, errors)
    return
  }
  if (kind === 3 || kind === 4) {
    if (typeOf(value) !== 'object') return void errors.push(`${path}: expected a ${s[2]} structure, got ${typeOf(value)}`)
    const names = s[4] as string[]
    const members = s[5] as SchemaRef[]
    const required = kind === 3 && typeof s[6] === 'number' ? names.slice(0, s[6]) : []
    const obj = value as Record<string, unknown>
    for (const name of required) if (obj[name] === undefined) errors.push(`${path}.${name}: required by ${s[2]}`)
    const present = Object.keys(obj).filter((k) => obj[k] !== undefined)
    if (kind === 4 && present.length !== 1) errors.push(`${path}: union ${s[2]} needs exactly one member, got ${present.length}`)
    for (const key of present) {
      const i = names.indexOf(key)
      if (i < 0) {
        errors.push(`${path}.${key}: unknown member of ${s[2]}`)
        continue
      }
      walk(sdk, members[i], obj[key], `${path}.${key}`, errors)
      const enumName = ENUMS[`${s[2]}.${key}`]
      if (enumName) {
        const allowed = Object.values(sdk[enumName] as Record<string, string>)
        for (const v of Array.isArray(obj[key]) ? (obj[key] as unknown[]) : [obj[key]]) {
          if (typeof v === 'string' && !allowed.includes(v)) errors.push(`${path}.${key}: ${JSON.stringify(v)} is not one of ${enumName} (${allowed.join(', ')})`)
        }
      }
    }
    return
  }
  errors.push(`${path}: unsupported schema kind ${kind}`)
}
