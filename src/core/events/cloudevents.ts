/**
 * CloudEvents 1.0 over HTTP, as the emulator's broker takes them in (`POST /events` on the admin port)
 * and hands them on (binary mode, as Eventarc and Knative deliver them).
 * https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/http-protocol-binding.md
 *
 * The `cloudevents` SDK (v10) maps headers to attributes, builds, validates and serializes the events;
 * around it this module fixes what the SDK gets wrong for a broker that must not change what it forwards:
 * - it only validates on request and its messages are terse: required attributes, specversion, time and
 *   attribute names are checked here first, with a reason that names the attribute;
 * - a Buffer body is never parsed as JSON, a string body not starting with `{`, `[` or `"` is turned into
 *   a JSON string, and a malformed body throws a bare SyntaxError: data is decoded here;
 * - structured `data_base64` becomes a Uint32Array (one element per byte: 4× the bytes once written),
 *   falsy `data` (false, 0, "") is dropped, and a content type other than the two exact spellings
 *   `application/cloudevents+json[; charset=utf-8]` is refused: structured mode is parsed here;
 * - a missing or unparsable `time` becomes "now": the original `time` (or its absence) is kept;
 * - header values are not percent-encoded/decoded as §3.1.3.2 requires: done here.
 * JSON data stays a JSON value; any other data stays bytes (a Buffer), never a string.
 */
import { CloudEvent, HTTP, ValidationError } from 'cloudevents'
import type { OutgoingRequest } from './types.js'

export type Event = CloudEvent<unknown>
export type IncomingHeaders = Record<string, string | string[] | undefined>

/** Why a request is not an acceptable CloudEvent; `status` is the HTTP answer (400, or 415 for batch mode). */
export class CloudEventError extends Error {
  override readonly name = 'CloudEventError'
  constructor(
    readonly reason: string,
    readonly status = 400,
  ) {
    super(reason)
  }
}

const REQUIRED = ['id', 'source', 'specversion', 'type'] as const
const ATTRIBUTE_NAME = /^[a-z0-9]+$/
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** What the wire carried and the SDK's CloudEvent cannot hold: the exact `time` (undefined: none) and body bytes. */
interface Wire {
  time: string | undefined
  body?: Buffer
}
const wire = new WeakMap<Event, Wire>()

/** The media type of a content-type, lower-cased, without parameters ('' when absent). */
export const mediaType = (contentType: string | undefined): string => (contentType ?? '').split(';')[0]!.trim().toLowerCase()

/** application/json, text/json and any `+json` type (the JSON event format's own test, §3.1). */
export function isJsonType(contentType: string | undefined): boolean {
  const media = mediaType(contentType)
  return media === 'application/json' || media === 'text/json' || media.endsWith('+json')
}

/** Parses a request posted to the broker (binary or structured mode); throws CloudEventError with the reason. */
export function parseIncoming(headers: IncomingHeaders, body: Buffer): Event {
  const lower: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) lower[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  const contentType = lower['content-type']
  const media = mediaType(contentType)
  if (media === 'application/cloudevents-batch+json') {
    throw new CloudEventError('batch mode (application/cloudevents-batch+json) is not supported: post one event per request, in binary or structured mode', 415)
  }
  if (media.startsWith('application/cloudevents')) {
    if (media !== 'application/cloudevents+json') throw new CloudEventError(`event format ${media} is not supported: structured mode takes application/cloudevents+json`, 415)
    return parseStructured(body)
  }
  if (Object.keys(lower).some((name) => name.startsWith('ce-'))) return parseBinary(lower, body)
  throw new CloudEventError(
    `not a CloudEvent: send binary mode (headers ce-id, ce-source, ce-specversion, ce-type) or structured mode (content-type application/cloudevents+json)${contentType ? `, not content-type ${contentType} alone` : ''}`,
  )
}

function parseBinary(headers: Record<string, string>, body: Buffer): Event {
  const decoded: Record<string, string> = {}
  const attributes: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('ce-')) {
      decoded[name] = value
      continue
    }
    const attribute = name.slice(3)
    if (!ATTRIBUTE_NAME.test(attribute)) throw new CloudEventError(`header ${name}: ${badName(attribute)}`)
    decoded[name] = attributes[attribute] = percentDecode(name, value)
  }
  checkAttributes(attributes, (a) => `header ce-${a}`)
  const contentType = headers['content-type']
  let data: unknown
  if (body.length > 0) data = isJsonType(contentType) ? parseJsonData(body, contentType!) : body
  const mapped = HTTP.toEvent({ headers: decoded, body: undefined })
  if (Array.isArray(mapped)) throw new CloudEventError('expected one event, got a batch')
  const event = validated(new CloudEvent<unknown>({ ...mapped, data } as Partial<Event>, false), (a) => `header ce-${a}`)
  wire.set(event, { time: attributes.time, ...(body.length > 0 ? { body } : {}) })
  return event
}

function parseStructured(body: Buffer): Event {
  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch (error) {
    throw new CloudEventError(`structured mode: the body is not valid JSON (${(error as Error).message})`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CloudEventError(`structured mode: the body must be a JSON object holding the event's attributes, not ${Array.isArray(parsed) ? 'an array (batch mode is not supported)' : typeof parsed}`)
  }
  const { data_base64: base64, ...members } = parsed as Record<string, unknown>
  for (const [name, value] of Object.entries(members)) {
    if (name !== 'data' && !ATTRIBUTE_NAME.test(name)) throw new CloudEventError(`member "${name}": ${badName(name)}`)
    if (name !== 'data' && typeof value === 'object' && value !== null)
      throw new CloudEventError(`attribute ${name} must be a string, number or boolean, not ${Array.isArray(value) ? 'an array' : 'an object'}`)
  }
  checkAttributes(members, (a) => `member "${a}"`)
  if (base64 !== undefined) {
    if ('data' in members) throw new CloudEventError('data and data_base64 are both present: an event carries one or the other')
    if (typeof base64 !== 'string' || !BASE64.test(base64)) throw new CloudEventError('data_base64 must be a base64 string (RFC 4648)')
  }
  const data = base64 === undefined ? members.data : Buffer.from(base64, 'base64')
  const event = validated(new CloudEvent<unknown>({ ...members, data } as Partial<Event>, false), (a) => `member "${a}"`)
  wire.set(event, { time: members.time as string | undefined })
  return event
}

function checkAttributes(attributes: Record<string, unknown>, where: (attribute: string) => string): void {
  for (const name of REQUIRED) {
    const value = attributes[name]
    if (value === undefined || value === null || value === '') throw new CloudEventError(`missing required attribute ${name} (${where(name)})`)
    if (typeof value !== 'string') throw new CloudEventError(`attribute ${name} (${where(name)}) must be a string, not ${typeof value}`)
  }
  if (attributes.specversion !== '1.0') throw new CloudEventError(`unsupported specversion "${String(attributes.specversion)}" (${where('specversion')}): only CloudEvents 1.0 is accepted`)
  const time = attributes.time
  if (time !== undefined && (typeof time !== 'string' || !RFC3339.test(time) || Number.isNaN(Date.parse(time)))) {
    throw new CloudEventError(`attribute time (${where('time')}) must be an RFC 3339 timestamp such as 2026-01-31T12:00:00Z, not ${JSON.stringify(time)}`)
  }
}

const badName = (name: string) => `"${name}" is not a valid attribute name (CloudEvents attribute names are lower-case letters a-z and digits only)`

function parseJsonData(body: Buffer, contentType: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch (error) {
    throw new CloudEventError(`data is not valid JSON, as content-type ${contentType} says it is (${(error as Error).message})`)
  }
}

/** Runs the SDK's validation (its JSON Schema) and turns its error into a reason that names the attribute. */
function validated(event: Event, where: (attribute: string) => string): Event {
  try {
    event.validate()
    return event
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error
    const first = (error.errors as Array<{ instancePath?: string; keyword?: string; message?: string; params?: Record<string, unknown> }>)[0]
    if (first && typeof first === 'object' && typeof first.instancePath === 'string') {
      if (first.keyword === 'required') return fail(`missing required attribute ${String(first.params?.missingProperty)}`)
      const attribute = first.instancePath.replace(/^\//, '').split('/')[0]!
      return fail(`attribute ${attribute} (${where(attribute)}) ${first.message ?? 'is invalid'}: ${JSON.stringify(event[attribute])}`)
    }
    return fail(`invalid CloudEvent: ${error.message.split('\n')[0]}`)
  }
}

const fail = (reason: string): never => {
  throw new CloudEventError(reason)
}

/** The event in binary mode, for delivery: ce-* headers (percent-encoded), content-type, the data as bytes. */
export function toBinary(event: Event): Pick<OutgoingRequest, 'headers' | 'body'> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(HTTP.binary(event).headers)) {
    if (value === undefined || !name.startsWith('ce-') || name === 'ce-time') continue
    headers[name] = percentEncode(typeof value === 'string' ? value : String(value))
  }
  const time = timeOf(event)
  if (time !== undefined) headers['ce-time'] = percentEncode(time)
  const known = wire.get(event)?.body
  const bytes = known ?? dataBytes(event)
  const contentType = event.datacontenttype ?? (bytes || event.data === undefined ? undefined : 'application/json')
  if (contentType) headers['content-type'] = contentType
  if (bytes) return { headers, body: bytes }
  if (event.data === undefined) return { headers }
  const text = typeof event.data === 'string' && !isJsonType(contentType) ? event.data : JSON.stringify(event.data)
  return { headers, body: Buffer.from(text, 'utf8') }
}

/**
 * The event in the JSON event format, as a plain object: JSON data as `data`, text (`text/*` that is valid
 * UTF-8) as a `data` string, other bytes as `data_base64` (JSON event format §3.1).
 */
export function toStructured(event: Event): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(event.toJSON())) {
    if (value !== undefined && name !== 'data' && name !== 'data_base64' && name !== 'time') out[name] = value
  }
  const time = timeOf(event)
  if (time !== undefined) out.time = time
  const bytes = dataBytes(event)
  const text = bytes && mediaType(event.datacontenttype).startsWith('text/') ? bytes.toString('utf8') : undefined
  if (text !== undefined && Buffer.from(text, 'utf8').equals(bytes!)) out.data = text
  else if (bytes) out.data_base64 = bytes.toString('base64')
  else if (event.data !== undefined) out.data = event.data
  return out
}

/** The event's binary data (a Buffer, Uint8Array or the SDK's data_base64), or undefined for JSON/text data. */
export function dataBytes(event: Event): Buffer | undefined {
  if (typeof event.data_base64 === 'string') return Buffer.from(event.data_base64, 'base64')
  const data = event.data
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  return undefined
}

/** `time` as received (none when the sender set none); the SDK's value for events built in code. */
const timeOf = (event: Event): string | undefined => (wire.has(event) ? wire.get(event)!.time : event.time)

/** §3.1.3.2: space, double quote, percent and anything outside printable ASCII become %XX of their UTF-8 bytes. */
export function percentEncode(value: string): string {
  let out = ''
  for (const char of value) {
    const code = char.codePointAt(0)!
    if (code > 0x20 && code < 0x7f && char !== '"' && char !== '%') out += char
    else for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/**
 * §3.1.3.2 decoding: unquote a double-quoted value, then one round of percent-decoding that must yield
 * valid UTF-8. Node hands header bytes over as latin1 characters, so unencoded bytes are taken as bytes.
 */
export function percentDecode(header: string, raw: string): string {
  let value = raw.trim()
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1')
  if (/^[\x20-\x24\x26-\x7e]*$/.test(value)) return value
  const bytes: number[] = []
  for (let i = 0; i < value.length; i++) {
    const hex = value.slice(i + 1, i + 3)
    if (value[i] === '%' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16))
      i += 2
    } else if (value.charCodeAt(i) <= 0xff) {
      bytes.push(value.charCodeAt(i))
    } else {
      const char = String.fromCodePoint(value.codePointAt(i)!)
      bytes.push(...Buffer.from(char, 'utf8'))
      i += char.length - 1
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes))
  } catch {
    throw new CloudEventError(`header ${header}: the value is not valid UTF-8 once percent-decoded`)
  }
}
