/**
 * Validates an ARM request body against the published model mappers of @azure/arm-appcontainers
 * (dist/commonjs/models/mappers.js, the serializer metadata the SDK itself uses): composite models are
 * walked by serializedName (dotted names such as `properties.template` are ARM's flattening), unknown
 * properties, wrong types, missing required properties and read-only properties set by the client are
 * errors. Where the SDK types a string as an extensible enum (Known* in models/index.js), the value
 * must be one of the known values.
 */
import { createRequire } from 'node:module'
import path from 'node:path'

interface TypeMapper {
  name: string
  className?: string
  element?: { type: TypeMapper }
  value?: { type: TypeMapper }
  allowedValues?: unknown[]
  modelProperties?: Record<string, PropertyMapper>
}
interface PropertyMapper {
  serializedName?: string
  required?: boolean
  readOnly?: boolean
  constraints?: { InclusiveMinimum?: number; InclusiveMaximum?: number; MinLength?: number; MaxLength?: number; Pattern?: RegExp | string }
  type: TypeMapper
}
interface Node {
  children: Map<string, Node>
  property?: PropertyMapper
}

const require = createRequire(import.meta.url)
const dist = path.dirname(require.resolve('@azure/arm-appcontainers'))
const mappers = require(path.join(dist, 'models', 'mappers.js')) as Record<string, { type: TypeMapper }>
const models = require(path.join(dist, 'models', 'index.js')) as Record<string, Record<string, string>>

/** `<ClassName>.<property>` → the SDK's Known enum for it (the ones the plan sends). */
const KNOWN: Record<string, string> = {
  'Configuration.activeRevisionsMode': 'KnownActiveRevisionsMode',
  'Ingress.transport': 'KnownIngressTransportMethod',
  'ContainerAppProbe.type': 'KnownType',
  'ContainerAppProbeHttpGet.scheme': 'KnownScheme',
  'JobConfiguration.triggerType': 'KnownTriggerType',
  'ManagedServiceIdentity.type': 'KnownManagedServiceIdentityType',
}

/**
 * Ranges the REST API documents in a property's description but the SDK's mappers do not carry as constraints
 * (ContainerAppProbe in Microsoft.App 2024-03-01, CommonDefinitions.json: "Minimum value is 1. Maximum value
 * is 60." and the like), so the fake refuses what ARM refuses.
 */
const DOCUMENTED: Record<string, { InclusiveMinimum: number; InclusiveMaximum: number }> = {
  'ContainerAppProbe.initialDelaySeconds': { InclusiveMinimum: 1, InclusiveMaximum: 60 },
  'ContainerAppProbe.periodSeconds': { InclusiveMinimum: 1, InclusiveMaximum: 240 },
  'ContainerAppProbe.timeoutSeconds': { InclusiveMinimum: 1, InclusiveMaximum: 240 },
  'ContainerAppProbe.failureThreshold': { InclusiveMinimum: 1, InclusiveMaximum: 10 },
  'ContainerAppProbe.successThreshold': { InclusiveMinimum: 1, InclusiveMaximum: 10 },
}

const trees = new Map<string, Node>()
function treeOf(className: string): Node {
  let tree = trees.get(className)
  if (tree) return tree
  const mapper = mappers[className]
  if (!mapper) throw new Error(`no mapper named ${className}`)
  tree = { children: new Map() }
  for (const property of Object.values(mapper.type.modelProperties ?? {})) {
    if (!property.serializedName) continue
    // Dots inside one name are escaped as `\.`.
    const parts = property.serializedName.split(/(?<!\\)\./).map((p) => p.replace(/\\\./g, '.'))
    let node = tree
    for (const part of parts) {
      let next = node.children.get(part)
      if (!next) node.children.set(part, (next = { children: new Map() }))
      node = next
    }
    node.property = property
  }
  trees.set(className, tree)
  return tree
}

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)

function checkType(value: unknown, type: TypeMapper, at: string, errors: string[], known?: string): void {
  switch (type.name) {
    case 'String':
    case 'Uuid':
    case 'ByteArray':
      if (typeof value !== 'string') errors.push(`${at}: expected a string, got ${kind(value)}`)
      else if (known) {
        const values = Object.values(models[known] ?? {})
        if (values.length && !values.includes(value)) errors.push(`${at}: ${JSON.stringify(value)} is not one of ${values.join(', ')}`)
      }
      return
    case 'DateTime':
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) errors.push(`${at}: expected a date-time string`)
      return
    case 'Number':
      if (typeof value !== 'number' || !Number.isFinite(value)) errors.push(`${at}: expected a number, got ${kind(value)}`)
      return
    case 'Boolean':
      if (typeof value !== 'boolean') errors.push(`${at}: expected a boolean, got ${kind(value)}`)
      return
    case 'Enum':
      if (!type.allowedValues?.includes(value)) errors.push(`${at}: ${JSON.stringify(value)} is not one of ${type.allowedValues?.join(', ')}`)
      return
    case 'Sequence':
      if (!Array.isArray(value)) errors.push(`${at}: expected an array, got ${kind(value)}`)
      else value.forEach((v, i) => checkType(v, type.element!.type, `${at}[${i}]`, errors))
      return
    case 'Dictionary':
      if (kind(value) !== 'object') errors.push(`${at}: expected an object, got ${kind(value)}`)
      else for (const [k, v] of Object.entries(value as object)) checkType(v, type.value!.type, `${at}.${k}`, errors)
      return
    case 'Composite':
      checkComposite(value, type.className!, at, errors)
      return
    default:
      return // any / Object
  }
}

function checkConstraints(value: unknown, property: PropertyMapper, at: string, errors: string[], documented?: PropertyMapper['constraints']): void {
  const c = property.constraints ?? documented
  if (!c) return
  if (typeof value === 'number') {
    if (c.InclusiveMinimum !== undefined && value < c.InclusiveMinimum) errors.push(`${at}: must be ≥ ${c.InclusiveMinimum}`)
    if (c.InclusiveMaximum !== undefined && value > c.InclusiveMaximum) errors.push(`${at}: must be ≤ ${c.InclusiveMaximum}`)
  }
  if (typeof value === 'string') {
    if (c.MinLength !== undefined && value.length < c.MinLength) errors.push(`${at}: shorter than ${c.MinLength}`)
    if (c.MaxLength !== undefined && value.length > c.MaxLength) errors.push(`${at}: longer than ${c.MaxLength}`)
    if (c.Pattern !== undefined && !new RegExp(c.Pattern).test(value)) errors.push(`${at}: does not match ${String(c.Pattern)}`)
  }
}

function walk(value: unknown, node: Node, className: string, at: string, errors: string[]): void {
  if (kind(value) !== 'object') {
    errors.push(`${at || '(body)'}: expected an object (${className}), got ${kind(value)}`)
    return
  }
  const obj = value as Record<string, unknown>
  for (const [key, v] of Object.entries(obj)) {
    const here = at ? `${at}.${key}` : key
    const child = node.children.get(key)
    if (!child) {
      errors.push(`${here}: unknown property (not in ${className})`)
      continue
    }
    if (child.property) {
      const name = Object.entries(mappers[className]!.type.modelProperties ?? {}).find(([, p]) => p === child.property)?.[0]
      if (child.property.readOnly) errors.push(`${here}: read-only, set by the service`)
      checkType(v, child.property.type, here, errors, name ? KNOWN[`${className}.${name}`] : undefined)
      checkConstraints(v, child.property, here, errors, name ? DOCUMENTED[`${className}.${name}`] : undefined)
    } else {
      walk(v, child, className, here, errors)
    }
  }
  for (const [key, child] of node.children) {
    if (child.property?.required && !(key in obj)) errors.push(`${at ? `${at}.` : ''}${key}: required (${className})`)
  }
}

function checkComposite(value: unknown, className: string, at: string, errors: string[]): void {
  walk(value, treeOf(className), className, at, errors)
}

/** The problems with `body` as a `className` (e.g. `ContainerApp`), empty when it is valid. */
export function validateModel(className: string, body: unknown): string[] {
  const errors: string[] = []
  checkComposite(body, className, '', errors)
  return errors
}
