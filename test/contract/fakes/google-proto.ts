/**
 * Request validation against Google's published proto model, as shipped in
 * @google-cloud/run/build/protos/protos.json (google.cloud.run.v2.*, google.iam.v1.*, google.longrunning.*):
 * the proto3 JSON mapping, walked recursively from the message descriptors.
 *
 * - field names are lowerCamelCase JSON names; unknown fields are errors;
 * - scalars by type (int32 as integer numbers or integer strings, int64 also as strings, bytes as
 *   base64, bool, string, double/float); enums by their string names; repeated as arrays; maps as
 *   objects whose keys fit the key type; at most one member of a oneof;
 * - well-known types in their JSON forms: Duration "300s", Timestamp RFC 3339, FieldMask "a.b,c",
 *   Struct / Value / ListValue, Any with "@type", Empty, wrappers;
 * - `(google.api.field_behavior) = OUTPUT_ONLY` fields sent by a client, and missing REQUIRED ones;
 * - HTTP rules (`google.api.http`): the path template, which field is the body, what the query may hold.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

interface ProtoField {
  type: string
  id: number
  rule?: string
  keyType?: string
  options?: Record<string, unknown>
}
interface ProtoNode {
  nested?: Record<string, ProtoNode>
  fields?: Record<string, ProtoField>
  oneofs?: Record<string, { oneof: string[] }>
  values?: Record<string, number>
  methods?: Record<string, { requestType: string; responseType: string; options?: Record<string, string> }>
}

const PROTOS = fileURLToPath(new URL('../../../node_modules/@google-cloud/run/build/protos/protos.json', import.meta.url))
const root = JSON.parse(readFileSync(PROTOS, 'utf8')) as ProtoNode

const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())

function lookup(fullName: string): ProtoNode | undefined {
  let node: ProtoNode | undefined = root
  for (const part of fullName.split('.')) node = node?.nested?.[part]
  return node
}

/** Protobuf name resolution: `type` seen from inside `scope` (innermost scope first). */
export function resolveType(type: string, scope: string): { name: string; node: ProtoNode } {
  if (type.startsWith('.')) type = type.slice(1)
  const parts = scope.split('.')
  for (let i = parts.length; i >= 0; i--) {
    const name = [...parts.slice(0, i), type].filter(Boolean).join('.')
    const node = lookup(name)
    if (node) return { name, node }
  }
  throw new Error(`proto type ${type} not found from ${scope}`)
}

const INT32 = new Set(['int32', 'sint32', 'sfixed32', 'uint32', 'fixed32'])
const INT64 = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64'])
const WRAPPERS: Record<string, string> = {
  'google.protobuf.StringValue': 'string',
  'google.protobuf.BoolValue': 'bool',
  'google.protobuf.Int32Value': 'int32',
  'google.protobuf.UInt32Value': 'uint32',
  'google.protobuf.Int64Value': 'int64',
  'google.protobuf.UInt64Value': 'uint64',
  'google.protobuf.DoubleValue': 'double',
  'google.protobuf.FloatValue': 'float',
  'google.protobuf.BytesValue': 'bytes',
}
const DURATION = /^-?\d{1,12}(\.\d{1,9})?s$/
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/
const FIELD_PATH = /^[a-z][A-Za-z0-9]*(\.[a-z][A-Za-z0-9]*)*$/
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/

const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)

function checkScalar(type: string, v: unknown, at: string, errors: string[]): void {
  const bad = (what: string) => errors.push(`${at}: expected ${what}, got ${typeName(v)} ${JSON.stringify(v)?.slice(0, 40)}`)
  if (type === 'string') {
    if (typeof v !== 'string') bad('string')
  } else if (type === 'bool') {
    if (typeof v !== 'boolean') bad('bool')
  } else if (type === 'bytes') {
    if (typeof v !== 'string' || !BASE64.test(v)) bad('base64 bytes')
  } else if (type === 'double' || type === 'float') {
    if (typeof v !== 'number' && !(typeof v === 'string' && /^(NaN|-?Infinity|-?\d+(\.\d+)?([eE][-+]?\d+)?)$/.test(v))) bad(type)
  } else if (INT32.has(type) || INT64.has(type)) {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN
    const limit = INT32.has(type) ? 2 ** 31 : 2 ** 63
    if (!Number.isInteger(n) || Math.abs(n) > limit || ((type.startsWith('u') || type.startsWith('fixed')) && n < 0)) bad(`${type} (integer${INT64.has(type) ? ' or decimal string' : ''})`)
  } else {
    throw new Error(`unknown scalar type ${type} at ${at}`)
  }
}

/** Well-known types with a special JSON form; false when `name` is an ordinary message. */
function checkWellKnown(name: string, v: unknown, at: string, errors: string[]): boolean {
  switch (name) {
    case 'google.protobuf.Duration':
      if (typeof v !== 'string' || !DURATION.test(v)) errors.push(`${at}: expected a Duration like "300s", got ${JSON.stringify(v)}`)
      return true
    case 'google.protobuf.Timestamp':
      if (typeof v !== 'string' || !TIMESTAMP.test(v) || Number.isNaN(Date.parse(v))) errors.push(`${at}: expected an RFC 3339 Timestamp, got ${JSON.stringify(v)}`)
      return true
    case 'google.protobuf.FieldMask':
      if (typeof v !== 'string' || (v !== '' && !v.split(',').every((p) => FIELD_PATH.test(p)))) errors.push(`${at}: expected a FieldMask ("a.b,c"), got ${JSON.stringify(v)}`)
      return true
    case 'google.protobuf.Struct':
      if (typeName(v) !== 'object') errors.push(`${at}: expected a Struct (JSON object)`)
      return true
    case 'google.protobuf.ListValue':
      if (!Array.isArray(v)) errors.push(`${at}: expected a ListValue (JSON array)`)
      return true
    case 'google.protobuf.Value':
      return true
    case 'google.protobuf.Empty':
      if (typeName(v) !== 'object' || Object.keys(v as object).length) errors.push(`${at}: expected {} (Empty)`)
      return true
    case 'google.protobuf.Any':
      if (typeName(v) !== 'object' || typeof (v as Record<string, unknown>)['@type'] !== 'string') errors.push(`${at}: expected an Any with "@type"`)
      return true
  }
  if (WRAPPERS[name]) {
    checkScalar(WRAPPERS[name]!, v, at, errors)
    return true
  }
  return false
}

export interface CheckOptions {
  /** Reject OUTPUT_ONLY fields (requests) and require REQUIRED ones. */
  request: boolean
  /** Top-level fields that come from the URL path, not the body. */
  skipTop?: string[]
}

function checkValue(field: ProtoField, scope: string, v: unknown, at: string, errors: string[], opts: CheckOptions): void {
  if (v === null) return // proto3 JSON: null is the default value
  if (
    !field.type.includes('.') &&
    (field.type === 'string' || field.type === 'bool' || field.type === 'bytes' || field.type === 'double' || field.type === 'float' || INT32.has(field.type) || INT64.has(field.type))
  ) {
    checkScalar(field.type, v, at, errors)
    return
  }
  const { name, node } = resolveType(field.type, scope)
  if (checkWellKnown(name, v, at, errors)) return
  if (node.values) {
    if (typeof v !== 'string' || !(v in node.values)) errors.push(`${at}: expected one of ${name} (${Object.keys(node.values).join(', ')}), got ${JSON.stringify(v)}`)
    return
  }
  checkMessage(name, v, at, errors, opts)
}

/** Errors of `value` as the JSON form of message `fullName` (empty when valid). */
export function checkMessage(fullName: string, value: unknown, at: string, errors: string[], opts: CheckOptions): string[] {
  const node = lookup(fullName)
  if (!node?.fields) throw new Error(`proto message ${fullName} not found`)
  if (checkWellKnown(fullName, value, at, errors)) return errors
  if (typeName(value) !== 'object') {
    errors.push(`${at}: expected ${fullName} (JSON object), got ${typeName(value)}`)
    return errors
  }
  const obj = value as Record<string, unknown>
  const byJson = new Map(Object.entries(node.fields).map(([name, f]) => [camel(name), f]))
  for (const [key, v] of Object.entries(obj)) {
    const field = byJson.get(key)
    const path = at ? `${at}.${key}` : key
    if (!field) {
      errors.push(`${path}: unknown field "${key}" of ${fullName}`)
      continue
    }
    if (opts.request && field.options?.['(google.api.field_behavior)'] === 'OUTPUT_ONLY') errors.push(`${path}: output only field of ${fullName}, not to be set by a client`)
    if (field.keyType) {
      if (typeName(v) !== 'object') {
        errors.push(`${path}: expected map<${field.keyType}, ${field.type}> (JSON object), got ${typeName(v)}`)
        continue
      }
      for (const [k, item] of Object.entries(v as object)) {
        if (field.keyType !== 'string' && !(field.keyType === 'bool' ? /^(true|false)$/ : /^-?\d+$/).test(k)) errors.push(`${path}: map key ${JSON.stringify(k)} is not a ${field.keyType}`)
        checkValue(field, fullName, item, `${path}[${JSON.stringify(k)}]`, errors, opts)
      }
    } else if (field.rule === 'repeated') {
      if (v === null) continue
      if (!Array.isArray(v)) errors.push(`${path}: expected repeated ${field.type} (JSON array), got ${typeName(v)}`)
      else v.forEach((item, i) => checkValue(field, fullName, item, `${path}[${i}]`, errors, opts))
    } else {
      checkValue(field, fullName, v, path, errors, opts)
    }
  }
  for (const [name, { oneof }] of Object.entries(node.oneofs ?? {})) {
    const set = oneof.map(camel).filter((k) => obj[k] !== undefined && obj[k] !== null)
    if (set.length > 1) errors.push(`${at || fullName}: only one of oneof ${name} may be set, got ${set.join(', ')}`)
  }
  if (opts.request) {
    for (const [name, f] of Object.entries(node.fields)) {
      const key = camel(name)
      if (f.options?.['(google.api.field_behavior)'] === 'REQUIRED' && obj[key] === undefined && !(at === '' && opts.skipTop?.includes(key))) {
        errors.push(`${at ? `${at}.` : ''}${key}: required field of ${fullName} is missing`)
      }
    }
  }
  return errors
}

export interface HttpRule {
  rpc: string
  method: string
  requestType: string
  responseType: string
  /** The field the body fills (`*`: the whole request, none: no body). */
  body?: string
  regex: RegExp
  /** Path variables (dotted request field paths, camelCase) in capture order. */
  vars: string[]
}

/** A `google.api.http` path template as a regex: `/v2/{name=projects/*\/locations/*}:verb`. */
function templateRegex(template: string): { regex: RegExp; vars: string[] } {
  const vars: string[] = []
  const escape = (s: string) => s.replace(/[.+?^$()[\]|\\]/g, '\\$&')
  const seg = (pattern: string) =>
    pattern
      .split('/')
      .map((p) => (p === '**' ? '.+' : p === '*' ? '[^/:]+' : escape(p)))
      .join('/')
  const source = template.replace(/\{([^}=]+)(?:=([^}]*))?\}|([^{]+)/g, (_m, v: string | undefined, pattern: string | undefined, literal: string | undefined) => {
    if (literal !== undefined) return escape(literal).replace(/\*/g, '[^/]+')
    vars.push(v!.split('.').map(camel).join('.'))
    return `(${seg(pattern ?? '*')})`
  })
  return { regex: new RegExp(`^${source}$`), vars }
}

/** The HTTP rules of a proto service (e.g. google.cloud.run.v2.Services), plus `extra` ones. */
export function httpRules(service: string, extra: Array<Omit<HttpRule, 'regex' | 'vars'> & { template: string }> = []): HttpRule[] {
  const node = lookup(service)
  if (!node?.methods) throw new Error(`proto service ${service} not found`)
  const rules: HttpRule[] = []
  for (const [rpc, m] of Object.entries(node.methods)) {
    for (const verb of ['get', 'post', 'patch', 'put', 'delete']) {
      const template = m.options?.[`(google.api.http).${verb}`]
      if (!template) continue
      const resolve = (t: string) => resolveType(t, service).name
      rules.push({
        rpc,
        method: verb.toUpperCase(),
        requestType: resolve(m.requestType),
        responseType: resolve(m.responseType),
        body: m.options?.['(google.api.http).body'],
        ...templateRegex(template),
      })
    }
  }
  for (const { template, ...rest } of extra) rules.push({ ...rest, ...templateRegex(template) })
  return rules
}

export interface MatchedRequest {
  rule: HttpRule
  /** Path variables by field path (`name`, `service.name`, `resource`). */
  params: Record<string, string>
  errors: string[]
}

/** Match method + path and validate the query and the body against the rule's request message. */
export function matchRequest(rules: HttpRule[], method: string, url: URL, body: unknown): MatchedRequest | null {
  const path = decodeURIComponent(url.pathname)
  for (const rule of rules) {
    if (rule.method !== method) continue
    const m = rule.regex.exec(path)
    if (!m) continue
    const params = Object.fromEntries(rule.vars.map((v, i) => [v, m[i + 1]!]))
    const errors: string[] = []
    const request = lookup(rule.requestType)!
    const fields = new Map(Object.entries(request.fields ?? {}).map(([n, f]) => [camel(n), f]))
    const top = new Set(rule.vars.map((v) => v.split('.')[0]!))
    for (const [key, value] of url.searchParams) {
      const field = fields.get(key.split('.')[0]!)
      if (!field || top.has(key) || (rule.body && (rule.body === '*' || camel(rule.body) === key))) errors.push(`query parameter "${key}" is not a field of ${rule.requestType} that the URL may carry`)
      else if (field.type === 'bool' && !/^(true|false)$/.test(value)) errors.push(`query parameter "${key}": expected true or false`)
    }
    if (!rule.body) {
      if (body !== undefined) errors.push(`${rule.rpc} takes no request body`)
    } else if (rule.body === '*') {
      checkMessage(rule.requestType, body ?? {}, '', errors, { request: true, skipTop: [...top] })
      for (const k of top) if (body && typeof body === 'object' && k in body) errors.push(`${k}: comes from the URL path, not the body`)
    } else {
      const field = fields.get(camel(rule.body))!
      checkMessage(resolveType(field.type, rule.requestType).name, body, '', errors, { request: true })
    }
    return { rule, params, errors }
  }
  return null
}
