/**
 * Checks one request body or manifest against the provider's own published, machine-readable schema,
 * kept beside this file (see SOURCES.md for where each came from): Knative CRDs (OpenAPI v3 structural
 * schemas), Google API discovery documents, Azure's ARM deployment-template JSON Schema for
 * Microsoft.App, and AWS Smithy models. Each format is turned into JSON Schema here, by small
 * converters that follow the format's own rules, and validated with ajv. This is independent of the
 * hand-made fakes in ../fakes: nothing here is written from what the adapters send.
 *
 * Every `check…` function returns the problems ([] when valid). Fields the schema marks deprecated (or
 * output only / read only) are no errors: `inspect(kind, body).warnings` lists them.
 *
 * Unknown fields are problems in every format: Kubernetes' server-side apply refuses a field a
 * structural schema does not declare, Google refuses unknown names in a JSON payload, Azure's and
 * AWS's models list every member a request may have.
 */
import { readFileSync } from 'node:fs'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { parse as parseYaml } from 'yaml'

/** A JSON Schema (or a source schema) being read or built: plain JSON data. */
type Schema = Record<string, any>

export interface Report {
  /** What the provider would refuse, one line each: `path: what is wrong`. */
  problems: string[]
  /** Fields the schema marks deprecated, output only or read only: accepted, but worth knowing. */
  warnings: string[]
}

/** How a provider words the three commonest problems. */
interface Wording {
  unknown: (field: string, container: string | undefined) => string
  required: string
}

interface Checker {
  /** The schema's errors for `body` ([] when valid). */
  errors: (body: unknown) => ErrorObject[]
  wording: Wording
  /** Extra checks the schema states outside its JSON Schema part (a CRD's apiVersion and kind). */
  extra?: (body: unknown) => string[]
}

const here = (file: string) => new URL(file, import.meta.url)
const readJson = (file: string): Schema => JSON.parse(readFileSync(here(file), 'utf8'))
const mapValues = (obj: Schema, fn: (value: any, key: string) => any): Schema => Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, fn(v, k)]))

const INT32 = { minimum: -(2 ** 31), maximum: 2 ** 31 - 1 }
const UINT32 = { minimum: 0, maximum: 2 ** 32 - 1 }

// ---------------------------------------------------------------------------------------------------
// ajv, shared by every kind. `x-warn` is an annotation of ours: when a value is present where a schema
// carries it, its message is recorded as a warning (it never fails validation).

let warningSink: string[] = []
const ajv = new Ajv({ allErrors: true, strict: false, verbose: true })
ajv.addKeyword({
  keyword: 'x-warn',
  schemaType: 'string',
  errors: false,
  validate: (message: string, _data: unknown, _schema: unknown, cxt?: { instancePath: string }) => {
    warningSink.push(`${pathOf(cxt?.instancePath ?? '')}: ${message}`)
    return true
  },
})

/** `/spec/containers/0/name` as `spec.containers[0].name`; keys that are not identifiers in quotes. */
function pathOf(pointer: string): string {
  if (pointer === '') return '(root)'
  return pointer
    .split('/')
    .slice(1)
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, key) => (/^\d+$/.test(key) ? `${path}[${key}]` : /^[A-Za-z_$][\w$-]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`), '')
}

/** The JSON pointer of a property of the object at `pointer`. */
const childPointer = (pointer: string, key: string) => `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`
const show = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value) : typeof value === 'object' && value !== null ? (Array.isArray(value) ? 'an array' : 'an object') : String(value))

function describe(error: ErrorObject, wording: Wording): string {
  const at = pathOf(error.instancePath)
  const params = error.params as Record<string, any>
  const container = (error.parentSchema as Schema | undefined)?.title as string | undefined
  switch (error.keyword) {
    case 'additionalProperties':
      return `${pathOf(childPointer(error.instancePath, params.additionalProperty))}: ${wording.unknown(params.additionalProperty, container)}`
    case 'required':
      return `${pathOf(childPointer(error.instancePath, params.missingProperty))}: ${wording.required}${container ? ` (in ${container})` : ''}`
    case 'type':
      return `${at}: must be of type ${params.type} (got ${show(error.data)})`
    case 'enum':
      return `${at}: must be one of ${(params.allowedValues as unknown[]).map(show).join(', ')} (got ${show(error.data)})`
    case 'pattern': {
      const format = (error.parentSchema as Schema | undefined)?.['x-format'] as string | undefined
      return `${at}: must match ${format ? `format ${format} (${params.pattern})` : `pattern ${params.pattern}`} (got ${show(error.data)})`
    }
    default:
      return `${at}: ${error.message}${typeof error.data === 'object' ? '' : ` (got ${show(error.data)})`}`
  }
}

const errorsOf = (validate: ValidateFunction) => (body: unknown) => (validate(body) ? [] : [...(validate.errors ?? [])])

function run(checker: Checker, body: unknown): Report {
  warningSink = []
  const problems = checker.errors(body).map((e) => describe(e, checker.wording))
  problems.push(...(checker.extra?.(body) ?? []))
  const warnings = warningSink
  warningSink = []
  return { problems: [...new Set(problems)], warnings: [...new Set(warnings)] }
}

// ---------------------------------------------------------------------------------------------------
// Kubernetes CRD (apiextensions.k8s.io/v1, structural OpenAPI v3 schema). An object's fields are the
// declared properties, or the additionalProperties schema (a map); anything else is "not declared in
// schema" (server-side apply refuses it; plain create prunes it) unless x-kubernetes-preserve-unknown-fields
// keeps it. x-kubernetes-int-or-string takes an integer or a string. The root's apiVersion, kind and
// metadata are implicit in every CRD; `metadata` is Kubernetes' ObjectMeta, validated by the API server
// itself and not described by the CRD: not checked here. apiVersion and kind are checked against the
// CRD's group, served versions and kind.

const VALUE_KEYWORDS = [
  'type',
  'enum',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'required',
]

/** The validation keywords of an OpenAPI 3.0 / draft-04 schema, as draft-07 (which ajv reads) has them. */
function copyValueKeywords(node: Schema): Schema {
  const out = Object.fromEntries(VALUE_KEYWORDS.filter((key) => node[key] !== undefined).map((key) => [key, node[key]]))
  // A boolean exclusiveMinimum / exclusiveMaximum (OpenAPI 3.0, draft-04) makes minimum / maximum exclusive.
  for (const [exclusive, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof out[exclusive] !== 'boolean') continue
    if (out[exclusive]) out[exclusive] = out[bound]
    else delete out[exclusive]
    if (out[exclusive] !== undefined) delete out[bound]
  }
  return out
}

function fromStructural(node: Schema, root = false): Schema {
  const out = copyValueKeywords(node)
  if (node.format === 'int32') Object.assign(out, INT32)
  if (node['x-kubernetes-int-or-string']) out.type = ['integer', 'string']
  else for (const key of ['allOf', 'anyOf', 'oneOf']) if (node[key]) out[key] = node[key].map((s: Schema) => fromStructural(s))
  if (node.nullable && out.type) out.type = [...[out.type].flat(), 'null']
  if (node.items) out.items = fromStructural(node.items)
  if (node.properties) out.properties = mapValues(node.properties, (p: Schema) => fromStructural(p))
  // At the root, apiVersion, kind and metadata are always allowed (declared or not); metadata is ObjectMeta.
  if (root) out.properties = { ...out.properties, apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' } }
  if (typeof node.additionalProperties === 'object') out.additionalProperties = fromStructural(node.additionalProperties)
  else if (node.additionalProperties !== undefined) out.additionalProperties = node.additionalProperties
  else if (node.type === 'object' && !node['x-kubernetes-preserve-unknown-fields']) out.additionalProperties = false
  return out
}

const KUBERNETES: Wording = { unknown: () => 'field not declared in schema', required: 'Required value' }

function crdChecker(file: string): Checker {
  const crd = parseYaml(readFileSync(here(file), 'utf8')) as Schema
  const { group, names, versions } = crd.spec as { group: string; names: { kind: string }; versions: Schema[] }
  const served = versions.filter((v) => v.served)
  const storage = served.find((v) => v.storage) ?? served[0]!
  const apiVersions = served.map((v) => `${group}/${v.name}`)
  const validators = new Map(served.map((v) => [`${group}/${v.name}`, errorsOf(ajv.compile(fromStructural(v.schema.openAPIV3Schema, true)))]))
  const fallback = validators.get(`${group}/${storage.name}`)!
  return {
    // The version apiVersion names decides the schema (the storage version for an unserved one, which
    // `extra` reports).
    errors: (body) => (validators.get((body as Schema | null)?.apiVersion) ?? fallback)(body),
    wording: KUBERNETES,
    extra: (body) => {
      const obj = (body ?? {}) as Schema
      const problems: string[] = []
      if (!apiVersions.includes(obj.apiVersion)) problems.push(`apiVersion: must be one of ${apiVersions.map(show).join(', ')} (got ${show(obj.apiVersion)})`)
      if (obj.kind !== names.kind) problems.push(`kind: must be ${show(names.kind)} (got ${show(obj.kind)})`)
      return problems
    },
  }
}

// ---------------------------------------------------------------------------------------------------
// Google API discovery document (discoveryVersion v1). A schema's properties are all its fields (the
// JSON mapping of the proto); an object without additionalProperties takes no other field. "Required"
// is stated in the description ("Required. …", "REQUIRED: …", "Required, except when …"), the only
// place discovery states it. int64 travels as a decimal string (a number is accepted too), durations as
// "3.5s", timestamps as RFC 3339, bytes as base64. readOnly ("Output only") and deprecated fields are
// accepted by the server (output-only ones are ignored): warnings.

const DISCOVERY_FORMATS: Record<string, Schema> = {
  int64: { type: ['string', 'integer'], pattern: '^-?[0-9]+$' },
  uint64: { type: ['string', 'integer'], pattern: '^[0-9]+$' },
  'google-duration': { type: 'string', pattern: '^-?[0-9]+(\\.[0-9]{1,9})?s$' },
  'google-datetime': { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$' },
  byte: { type: 'string', pattern: '^[A-Za-z0-9+/_-]*={0,2}$' },
}

const isRequired = (description: unknown) => typeof description === 'string' && /^(Required\b|REQUIRED:)/.test(description)
const firstSentence = (text: unknown) => (typeof text === 'string' ? (text.split(/(?<=\.)\s/)[0] ?? text).trim() : '')

function fromDiscovery(node: Schema, title?: string): Schema {
  if (node.$ref) return { $ref: `#/definitions/${node.$ref}` }
  switch (node.type) {
    case 'object':
      return {
        ...(title ? { title } : {}),
        type: 'object',
        properties: mapValues(node.properties ?? {}, (p: Schema) => discoveryProperty(p)),
        required: Object.keys(node.properties ?? {}).filter((name) => isRequired(node.properties[name].description)),
        additionalProperties: node.additionalProperties ? fromDiscovery(node.additionalProperties) : false,
      }
    case 'array':
      return { type: 'array', items: fromDiscovery(node.items ?? {}) }
    case 'string': {
      const format = DISCOVERY_FORMATS[node.format]
      if (format) return { ...format, 'x-format': node.format }
      return { type: 'string', ...(node.enum ? { enum: node.enum } : {}), ...(node.pattern ? { pattern: node.pattern } : {}) }
    }
    case 'integer':
      return { type: 'integer', ...(node.format === 'int32' ? INT32 : node.format === 'uint32' ? UINT32 : {}) }
    case 'number':
    case 'boolean':
      return { type: node.type }
    default: // "any"
      return {}
  }
}

function discoveryProperty(node: Schema): Schema {
  const schema = fromDiscovery(node)
  const notes = [node.readOnly && `output only, ignored by the server: ${firstSentence(node.description)}`, node.deprecated && `deprecated: ${firstSentence(node.description)}`].filter(Boolean)
  if (notes.length === 0) return schema
  return { allOf: [schema], 'x-warn': notes.join('; ') }
}

const GOOGLE: Wording = { unknown: (field, container) => `Unknown name ${JSON.stringify(field)}: Cannot find field${container ? ` (not in ${container})` : ''}`, required: 'required field is missing' }

function discoveryChecker(file: string, root: string): Checker {
  const doc = readJson(file)
  const definitions = mapValues(doc.schemas, (s: Schema, name) => fromDiscovery(s, name))
  if (!definitions[root]) throw new Error(`${file}: no schema ${root}`)
  return { errors: errorsOf(ajv.compile({ definitions, $ref: `#/definitions/${root}` })), wording: GOOGLE }
}

// ---------------------------------------------------------------------------------------------------
// Azure: the ARM deployment-template JSON Schema (draft-04) Microsoft publishes for Microsoft.App
// 2024-03-01, generated from the REST API's Swagger. Used for a REST request body, three things of the
// template format are undone:
//  - every value may be a template expression ("[concat(…)]"): the REST API evaluates none, so that
//    alternative (a $ref to common/definitions.json#/definitions/expression, not kept here) is dropped;
//  - a resource's apiVersion and child `resources` exist only in templates (dropped), and its name and
//    type come from the request URL (not required in the body);
//  - the generator writes every number as "integer": the Swagger's only `number` on these resources,
//    ContainerResources.cpu ({"type": "number", "format": "double"} in CommonDefinitions.json, see
//    SOURCES.md), is put back.
// An object that lists properties takes no other (the Swagger models are closed; Azure's validator
// reports OBJECT_ADDITIONAL_PROPERTIES). Descriptions starting "Deprecated." mark deprecated fields.

const ARM_EXPRESSION = 'https://schema.management.azure.com/schemas/common/definitions.json#/definitions/expression'

/** Facts of the Swagger that the template schema lost (see above). */
const SWAGGER_OVERLAY: Record<string, Record<string, Schema>> = {
  ContainerResources: { cpu: { type: 'number', description: 'Required CPU in cores, e.g. 0.5' } },
}

function fromArm(node: Schema, title?: string): Schema {
  if (node.oneOf) {
    const alternatives = (node.oneOf as Schema[]).filter((s) => s.$ref !== ARM_EXPRESSION)
    if (alternatives.length === 1) return fromArm({ ...alternatives[0], description: node.description })
    return { oneOf: alternatives.map((s) => fromArm(s)) }
  }
  const out: Schema = { ...(title ? { title } : {}), ...copyValueKeywords(node) }
  if (node.$ref) out.allOf = [{ $ref: node.$ref }]
  if (node.items) out.items = fromArm(node.items)
  if (node.properties) out.properties = mapValues(node.properties, (p: Schema) => fromArm(p))
  if (typeof node.additionalProperties === 'object') out.additionalProperties = fromArm(node.additionalProperties)
  else if (node.additionalProperties !== undefined) out.additionalProperties = node.additionalProperties
  else if (Object.keys(node.properties ?? {}).length > 0) out.additionalProperties = false
  if (typeof node.description === 'string' && /^Deprecated\b/.test(node.description)) out['x-warn'] = `deprecated: ${JSON.stringify(node.description)}`
  return out
}

const AZURE: Wording = {
  unknown: (field, container) => `OBJECT_ADDITIONAL_PROPERTIES: Additional property ${JSON.stringify(field)} is not allowed${container ? ` in ${container}` : ''}`,
  required: 'OBJECT_MISSING_REQUIRED_PROPERTY: missing required property',
}

function armChecker(file: string, resource: string): Checker {
  const doc = readJson(file)
  for (const [definition, properties] of Object.entries(SWAGGER_OVERLAY)) Object.assign(doc.definitions[definition].properties, properties)
  const { apiVersion: _apiVersion, resources: _resources, ...properties } = doc.resourceDefinitions[resource].properties as Schema
  const envelope = {
    ...doc.resourceDefinitions[resource],
    properties,
    required: (doc.resourceDefinitions[resource].required as string[]).filter((name) => !['apiVersion', 'name', 'type'].includes(name)),
  }
  const definitions = mapValues(doc.definitions, (s: Schema, name) => fromArm(s, name))
  return { errors: errorsOf(ajv.compile({ definitions, ...fromArm(envelope, `Microsoft.App/${resource}`) })), wording: AZURE }
}

// ---------------------------------------------------------------------------------------------------
// AWS Smithy JSON AST (2.0). A structure takes its members only; `required` members must be there; a
// union exactly one member; enum / intEnum their values (and the 1.0 `smithy.api#enum` trait); the
// `length`, `range` and `pattern` traits bound values, on the shape and on the member alike. Both awsJson1_1
// and restJson1 send timestamps in JSON as epoch seconds. The input is the operation's whole input
// structure, as an SDK takes it (for restJson1 it includes the members bound to the URI). Deprecated
// shapes and members are warnings.

const PRELUDE: Record<string, Schema> = {
  String: { type: 'string' },
  Blob: { type: 'string' },
  Boolean: { type: 'boolean' },
  PrimitiveBoolean: { type: 'boolean' },
  Document: {},
  Unit: {},
  Timestamp: { type: 'number' },
  ...Object.fromEntries(
    ['Byte', 'Short', 'Integer', 'Long', 'BigInteger'].flatMap((n) => [
      [n, { type: 'integer' }],
      [`Primitive${n}`, { type: 'integer' }],
    ]),
  ),
  ...Object.fromEntries(
    ['Float', 'Double', 'BigDecimal'].flatMap((n) => [
      [n, { type: 'number' }],
      [`Primitive${n}`, { type: 'number' }],
    ]),
  ),
}

const SIMPLE: Record<string, Schema> = {
  string: { type: 'string' },
  blob: { type: 'string' },
  boolean: { type: 'boolean' },
  document: {},
  timestamp: { type: 'number' },
  byte: { type: 'integer' },
  short: { type: 'integer' },
  integer: { type: 'integer' },
  long: { type: 'integer' },
  bigInteger: { type: 'integer' },
  float: { type: 'number' },
  double: { type: 'number' },
  bigDecimal: { type: 'number' },
}

const localName = (id: string) => id.slice(id.indexOf('#') + 1)
const smithyRef = (id: string) => ({ $ref: `#/definitions/${id.startsWith('smithy.api#') ? `smithy.api.${localName(id)}` : localName(id)}` })

/**
 * Smithy patterns are meant to be ECMA 262, but AWS models carry some Java (java.util.regex) POSIX
 * classes such as \\p{Print}, which JavaScript does not know: they become the US-ASCII ranges Java gives them.
 */
const JAVA_POSIX: Record<string, string> = {
  Lower: 'a-z',
  Upper: 'A-Z',
  ASCII: '\\x00-\\x7F',
  Alpha: 'A-Za-z',
  Digit: '0-9',
  Alnum: 'A-Za-z0-9',
  Punct: '!-\\/:-@\\[-`{-~',
  Graph: '\\x21-\\x7E',
  Print: '\\x20-\\x7E',
  Blank: ' \\t',
  Cntrl: '\\x00-\\x1F\\x7F',
  XDigit: '0-9a-fA-F',
  Space: ' \\t\\n\\x0B\\f\\r',
}

function ecmaPattern(pattern: string): string {
  let out = ''
  let inClass = false
  for (let i = 0; i < pattern.length; i++) {
    const rest = pattern.slice(i)
    const posix = /^\\p\{(\w+)\}/.exec(rest)
    const range = posix && JAVA_POSIX[posix[1]!]
    if (posix && range) {
      out += inClass ? range : `[${range}]`
      i += posix[0].length - 1
    } else if (pattern[i] === '\\') {
      out += pattern.slice(i, i + 2)
      i++
    } else {
      if (pattern[i] === '[') inClass = true
      if (pattern[i] === ']') inClass = false
      out += pattern[i]
    }
  }
  return out
}

/** The constraint traits of a shape or member, for a value of the given shape type. */
function smithyConstraints(traits: Schema = {}, type: string): Schema {
  const out: Schema = {}
  const length = traits['smithy.api#length'] as { min?: number; max?: number } | undefined
  if (length) {
    const [min, max] = type === 'list' || type === 'set' ? ['minItems', 'maxItems'] : type === 'map' ? ['minProperties', 'maxProperties'] : ['minLength', 'maxLength']
    if (length.min !== undefined) out[min] = length.min
    if (length.max !== undefined) out[max] = length.max
  }
  const range = traits['smithy.api#range'] as { min?: number; max?: number } | undefined
  if (range?.min !== undefined) out.minimum = range.min
  if (range?.max !== undefined) out.maximum = range.max
  if (traits['smithy.api#pattern']) out.pattern = ecmaPattern(traits['smithy.api#pattern'] as string)
  if (traits['smithy.api#enum']) out.enum = (traits['smithy.api#enum'] as Array<{ value: string }>).map((e) => e.value)
  if (traits['smithy.api#deprecated'])
    out['x-warn'] = `deprecated${(traits['smithy.api#deprecated'] as { message?: string }).message ? `: ${(traits['smithy.api#deprecated'] as { message: string }).message}` : ''}`
  return out
}

function fromSmithyShape(id: string, shape: Schema, model: Schema): Schema {
  const constraints = smithyConstraints(shape.traits, shape.type)
  const member = (m: Schema) => {
    const target = model.shapes[m.target] as Schema | undefined
    const own = smithyConstraints(m.traits, target?.type ?? '')
    return Object.keys(own).length === 0 ? smithyRef(m.target) : { allOf: [smithyRef(m.target)], ...own }
  }
  switch (shape.type) {
    case 'structure':
    case 'union': {
      const members = (shape.members ?? {}) as Record<string, Schema>
      return {
        title: localName(id),
        type: 'object',
        properties: mapValues(members, member),
        required: Object.keys(members).filter((name) => members[name]!.traits?.['smithy.api#required'] !== undefined),
        additionalProperties: false,
        ...(shape.type === 'union' ? { minProperties: 1, maxProperties: 1 } : {}),
        ...constraints,
      }
    }
    case 'list':
    case 'set':
      return { type: 'array', items: member(shape.member), ...(shape.type === 'set' ? { uniqueItems: true } : {}), ...constraints }
    case 'map':
      return { type: 'object', additionalProperties: member(shape.value), propertyNames: smithyConstraints(model.shapes[shape.key.target]?.traits, 'string'), ...constraints }
    case 'enum':
      return { type: 'string', enum: Object.entries(shape.members as Schema).map(([name, m]) => m.traits?.['smithy.api#enumValue'] ?? name), ...constraints }
    case 'intEnum':
      return { type: 'integer', enum: Object.values(shape.members as Schema).map((m) => m.traits['smithy.api#enumValue']), ...constraints }
    default: {
      const base = SIMPLE[shape.type]
      if (!base) throw new Error(`${id}: shape type ${shape.type} is not handled`)
      const timestamp = shape.type === 'timestamp' && shape.traits?.['smithy.api#timestampFormat'] === 'date-time' ? { type: 'string' } : {}
      return { ...base, ...timestamp, ...constraints }
    }
  }
}

const AWS: Wording = { unknown: (_field, container) => `unknown member${container ? ` (not in ${container})` : ''}`, required: 'missing required member' }

/** Per model file: its service's name (the X-Amz-Target prefix) and a validator per operation. */
function smithyCheckers(file: string): { service: string; operations: Map<string, Checker> } {
  const model = readJson(file)
  const shapes = model.shapes as Record<string, Schema>
  const definitions: Schema = {}
  for (const [name, schema] of Object.entries(PRELUDE)) definitions[`smithy.api.${name}`] = schema
  for (const [id, shape] of Object.entries(shapes)) if (!['service', 'operation', 'resource'].includes(shape.type)) definitions[localName(id)] = fromSmithyShape(id, shape, model)
  const [serviceId] = Object.entries(shapes).find(([, s]) => s.type === 'service')!
  const operations = new Map<string, Checker>()
  for (const [id, shape] of Object.entries(shapes)) {
    if (shape.type !== 'operation') continue
    operations.set(localName(id), { errors: errorsOf(ajv.compile({ definitions, ...smithyRef(shape.input.target) })), wording: AWS })
  }
  return { service: localName(serviceId), operations }
}

// ---------------------------------------------------------------------------------------------------
// The kinds of resource checked, each loaded and compiled on first use.

const once = <T>(load: () => T) => {
  let value: T | undefined
  return () => (value ??= load())
}

const AWS_MODELS = {
  ecs: once(() => smithyCheckers('aws/ecs.extract.json')),
  applicationAutoScaling: once(() => smithyCheckers('aws/application-auto-scaling.extract.json')),
  scheduler: once(() => smithyCheckers('aws/scheduler.extract.json')),
  cloudwatchLogs: once(() => smithyCheckers('aws/cloudwatch-logs.extract.json')),
}

const ARM_FILE = 'azure/Microsoft.App-2024-03-01.deploymentTemplate.json'

const CHECKERS = {
  'knative-service': once(() => crdChecker('knative/serving-service-crd.yaml')),
  'knative-pingsource': once(() => crdChecker('knative/eventing-pingsource-crd.yaml')),
  'cloud-run-service': once(() => discoveryChecker('google/run-v2.discovery.json', 'GoogleCloudRunV2Service')),
  'cloud-run-set-iam-policy': once(() => discoveryChecker('google/run-v2.discovery.json', 'GoogleIamV1SetIamPolicyRequest')),
  'cloud-scheduler-job': once(() => discoveryChecker('google/cloudscheduler-v1.discovery.json', 'Job')),
  'container-app': once(() => armChecker(ARM_FILE, 'containerApps')),
  'container-apps-job': once(() => armChecker(ARM_FILE, 'jobs')),
}

export type Kind = keyof typeof CHECKERS

export const KINDS = Object.keys(CHECKERS) as Kind[]

/** Problems and warnings of `body` as a resource of this kind. */
export function inspect(kind: Kind, body: unknown): Report {
  return run(CHECKERS[kind](), body)
}

/**
 * Problems and warnings of an AWS JSON request by its operation: `service` is the Smithy service shape's
 * name, which awsJson1_1 sends as the X-Amz-Target prefix (AmazonEC2ContainerServiceV20141113,
 * AnyScaleFrontendService, Logs_20140328); for restJson1 services (EventBridge Scheduler: AWSChronosService) the same
 * pair names the operation.
 */
export function inspectAws(service: string, operation: string, input: unknown): Report {
  const model = Object.values(AWS_MODELS)
    .map((load) => load())
    .find((m) => m.service === service)
  const checker = model?.operations.get(operation)
  if (!checker) return { problems: [`${service}.${operation}: no such operation in the kept AWS models (see SOURCES.md)`], warnings: [] }
  return run(checker, input)
}

/** An awsJson1_1 request by its X-Amz-Target header, e.g. `AmazonEC2ContainerServiceV20141113.CreateService`. */
export function inspectAwsJsonTarget(xAmzTarget: string, input: unknown): Report {
  const [service = '', operation = ''] = xAmzTarget.split('.')
  return inspectAws(service, operation, input)
}

// One function per resource kind: the problems only ([] when valid).
export const checkKnativeService = (obj: unknown) => inspect('knative-service', obj).problems
export const checkPingSource = (obj: unknown) => inspect('knative-pingsource', obj).problems
export const checkCloudRunService = (body: unknown) => inspect('cloud-run-service', body).problems
export const checkCloudRunSetIamPolicy = (body: unknown) => inspect('cloud-run-set-iam-policy', body).problems
export const checkCloudSchedulerJob = (body: unknown) => inspect('cloud-scheduler-job', body).problems
export const checkContainerApp = (body: unknown) => inspect('container-app', body).problems
export const checkContainerAppsJob = (body: unknown) => inspect('container-apps-job', body).problems

const ECS = 'AmazonEC2ContainerServiceV20141113'
const AUTOSCALING = 'AnyScaleFrontendService'
const SCHEDULER = 'AWSChronosService'
const LOGS = 'Logs_20140328'
export const checkEcsRegisterTaskDefinition = (input: unknown) => inspectAws(ECS, 'RegisterTaskDefinition', input).problems
export const checkEcsDescribeServices = (input: unknown) => inspectAws(ECS, 'DescribeServices', input).problems
export const checkEcsCreateService = (input: unknown) => inspectAws(ECS, 'CreateService', input).problems
export const checkEcsUpdateService = (input: unknown) => inspectAws(ECS, 'UpdateService', input).problems
export const checkEcsDescribeExpressGatewayService = (input: unknown) => inspectAws(ECS, 'DescribeExpressGatewayService', input).problems
export const checkEcsCreateExpressGatewayService = (input: unknown) => inspectAws(ECS, 'CreateExpressGatewayService', input).problems
export const checkEcsUpdateExpressGatewayService = (input: unknown) => inspectAws(ECS, 'UpdateExpressGatewayService', input).problems
export const checkRegisterScalableTarget = (input: unknown) => inspectAws(AUTOSCALING, 'RegisterScalableTarget', input).problems
export const checkPutScalingPolicy = (input: unknown) => inspectAws(AUTOSCALING, 'PutScalingPolicy', input).problems
export const checkSchedulerCreateSchedule = (input: unknown) => inspectAws(SCHEDULER, 'CreateSchedule', input).problems
export const checkSchedulerUpdateSchedule = (input: unknown) => inspectAws(SCHEDULER, 'UpdateSchedule', input).problems
export const checkLogsCreateLogGroup = (input: unknown) => inspectAws(LOGS, 'CreateLogGroup', input).problems
export const checkLogsPutRetentionPolicy = (input: unknown) => inspectAws(LOGS, 'PutRetentionPolicy', input).problems
