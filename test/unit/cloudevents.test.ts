/** CloudEvents intake and encoding (cloudevents.ts): binary and structured mode in, binary mode out, data kept intact. */
import { CloudEvent } from 'cloudevents'
import { describe, expect, it } from 'vitest'
import { CloudEventError, parseIncoming, percentDecode, percentEncode, toBinary, toStructured } from '../../src/core/events/cloudevents.js'

const JSON_BODY = '{"total": 12.5,  "items": [1, 2], "big": 12345678901234567890}'
const BYTES = Buffer.from([...Array.from({ length: 256 }, (_, i) => i), 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

const binaryHeaders = {
  'ce-id': 'evt-1',
  'ce-source': '/orders',
  'ce-specversion': '1.0',
  'ce-type': 'com.example.order.created',
  'ce-time': '2026-01-31T12:00:00.123456Z',
  'ce-subject': 'order/42',
  'ce-dataschema': 'https://example.com/order.json',
  'ce-tenant': 'acme',
  'ce-note': 'Euro%20%E2%82%AC%20%F0%9F%98%80',
  'content-type': 'application/json; charset=utf-8',
}

const structuredEvent = {
  specversion: '1.0',
  id: 'evt-1',
  source: '/orders',
  type: 'com.example.order.created',
  time: '2026-01-31T12:00:00.123456Z',
  subject: 'order/42',
  dataschema: 'https://example.com/order.json',
  datacontenttype: 'application/json; charset=utf-8',
  tenant: 'acme',
  note: 'Euro € 😀',
  data: { total: 12.5, items: [1, 2] },
}

const structured = (event: Record<string, unknown>) => parseIncoming({ 'Content-Type': 'application/cloudevents+json; charset=UTF-8' }, Buffer.from(JSON.stringify(event)))

function reasonOf(fn: () => unknown): { reason: string; status: number } {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(CloudEventError)
    return { reason: (error as CloudEventError).reason, status: (error as CloudEventError).status }
  }
  throw new Error('expected a CloudEventError')
}

function expectOrderAttributes(event: CloudEvent<unknown>) {
  expect(event.id).toBe('evt-1')
  expect(event.source).toBe('/orders')
  expect(event.specversion).toBe('1.0')
  expect(event.type).toBe('com.example.order.created')
  expect(event.subject).toBe('order/42')
  expect(event.dataschema).toBe('https://example.com/order.json')
  expect(event.datacontenttype).toBe('application/json; charset=utf-8')
  expect(event.tenant).toBe('acme')
  expect(event.note).toBe('Euro € 😀')
  expect(toStructured(event).time).toBe('2026-01-31T12:00:00.123456Z')
}

describe('parseIncoming', () => {
  it('binary mode: every attribute, extensions (percent-decoded) and the JSON data as a JSON value', () => {
    const event = parseIncoming(binaryHeaders, Buffer.from(JSON_BODY))
    expectOrderAttributes(event)
    expect(event.data).toEqual({ total: 12.5, items: [1, 2], big: 12345678901234567890 })
  })

  it('structured mode (any charset spelling): the same attributes, extensions and data', () => {
    const event = structured(structuredEvent)
    expectOrderAttributes(event)
    expect(event.data).toEqual({ total: 12.5, items: [1, 2] })
  })

  it('binary mode with a non-JSON content type keeps the data as the exact bytes', () => {
    const event = parseIncoming({ ...binaryHeaders, 'content-type': 'application/octet-stream' }, BYTES)
    expect(Buffer.isBuffer(event.data)).toBe(true)
    expect(Buffer.compare(event.data as Buffer, BYTES)).toBe(0)
  })

  it('structured mode keeps falsy data (false, 0, "") that the SDK would drop', () => {
    for (const data of [false, 0, '']) expect(structured({ ...structuredEvent, data }).data).toBe(data)
  })

  it.each([
    ['binary without ce-type', () => parseIncoming({ ...binaryHeaders, 'ce-type': undefined }, Buffer.from('{}')), /missing required attribute type \(header ce-type\)/],
    ['binary without ce-id', () => parseIncoming({ ...binaryHeaders, 'ce-id': undefined }, Buffer.from('{}')), /missing required attribute id \(header ce-id\)/],
    ['structured without source', () => structured({ ...structuredEvent, source: undefined }), /missing required attribute source \(member "source"\)/],
    ['structured with an empty id', () => structured({ ...structuredEvent, id: '' }), /missing required attribute id/],
    ['specversion 0.3', () => structured({ ...structuredEvent, specversion: '0.3' }), /unsupported specversion "0\.3".*only CloudEvents 1\.0/],
    ['binary specversion 2.0', () => parseIncoming({ ...binaryHeaders, 'ce-specversion': '2.0' }, Buffer.alloc(0)), /unsupported specversion "2\.0" \(header ce-specversion\)/],
    ['malformed structured JSON', () => parseIncoming({ 'content-type': 'application/cloudevents+json' }, Buffer.from('{"id": ')), /structured mode: the body is not valid JSON/],
    ['a structured array', () => parseIncoming({ 'content-type': 'application/cloudevents+json' }, Buffer.from('[]')), /must be a JSON object.*batch/],
    ['malformed JSON data in binary mode', () => parseIncoming(binaryHeaders, Buffer.from('{nope')), /data is not valid JSON, as content-type application\/json; charset=utf-8 says/],
    ['an unparsable time', () => parseIncoming({ ...binaryHeaders, 'ce-time': 'yesterday' }, Buffer.alloc(0)), /attribute time \(header ce-time\) must be an RFC 3339 timestamp/],
    ['data and data_base64 together', () => structured({ ...structuredEvent, data_base64: 'AAEC' }), /data and data_base64 are both present/],
    ['data_base64 that is not base64', () => structured({ ...structuredEvent, data: undefined, data_base64: 'not base64!' }), /data_base64 must be a base64 string/],
    ['an upper-case extension name', () => structured({ ...structuredEvent, Tenant: 'x' }), /"Tenant" is not a valid attribute name/],
    ['a header extension name with a dash', () => parseIncoming({ ...binaryHeaders, 'ce-trace-id': 'x' }, Buffer.alloc(0)), /header ce-trace-id: "trace-id" is not a valid attribute name/],
    ['a source that is not a URI reference (SDK schema)', () => structured({ ...structuredEvent, source: 'a b' }), /attribute source \(member "source"\) must match format "uri-reference": "a b"/],
    ['an overlong UTF-8 encoding', () => parseIncoming({ ...binaryHeaders, 'ce-note': '%C0%A0' }, Buffer.alloc(0)), /header ce-note: the value is not valid UTF-8/],
    ['plain JSON without ce-* headers', () => parseIncoming({ 'content-type': 'application/json' }, Buffer.from('{}')), /not a CloudEvent: send binary mode.*not content-type application\/json alone/],
  ])('refuses %s with a reason naming the problem', (_name, fn, reason) => {
    const error = reasonOf(fn)
    expect(error.reason).toMatch(reason)
    expect(error.status).toBe(400)
  })

  it('refuses batch mode with 415 and says how to post instead', () => {
    const error = reasonOf(() => parseIncoming({ 'content-type': 'application/cloudevents-batch+json' }, Buffer.from('[]')))
    expect(error.status).toBe(415)
    expect(error.reason).toMatch(/batch mode .* is not supported: post one event per request/)
  })
})

describe('toBinary', () => {
  it('binary in → binary out: the ce-* headers, content-type and the JSON bytes as received (big integer included)', () => {
    const out = toBinary(parseIncoming(binaryHeaders, Buffer.from(JSON_BODY)))
    expect(out.headers).toEqual({ ...binaryHeaders })
    expect(Buffer.isBuffer(out.body)).toBe(true)
    expect((out.body as Buffer).toString('utf8')).toBe(JSON_BODY)
  })

  it('binary data goes out byte-identical, in both directions', () => {
    const event = parseIncoming({ ...binaryHeaders, 'content-type': 'image/png' }, BYTES)
    const out = toBinary(event)
    expect(out.headers['content-type']).toBe('image/png')
    expect(Buffer.compare(out.body as Buffer, BYTES)).toBe(0)
    expect(toStructured(event).data_base64).toBe(BYTES.toString('base64'))
    expect(toStructured(event)).not.toHaveProperty('data')
  })

  it('structured data_base64 is delivered as the original bytes (not the SDK Uint32Array, 4 bytes per byte)', () => {
    const { data: _json, ...attributes } = structuredEvent
    const event = structured({ ...attributes, datacontenttype: 'application/octet-stream', data_base64: BYTES.toString('base64') })
    const out = toBinary(event)
    expect((out.body as Buffer).length).toBe(BYTES.length)
    expect(Buffer.compare(out.body as Buffer, BYTES)).toBe(0)
    expect(out.headers['content-type']).toBe('application/octet-stream')
  })

  it('structured JSON data goes out as JSON; without datacontenttype as application/json', () => {
    const { datacontenttype: _type, ...untyped } = structuredEvent
    const out = toBinary(structured(untyped))
    expect(out.headers['content-type']).toBe('application/json')
    expect(JSON.parse((out.body as Buffer).toString('utf8'))).toEqual(structuredEvent.data)
    expect(out.headers['ce-note']).toBe('Euro%20%E2%82%AC%20%F0%9F%98%80')
    expect(out.headers['ce-specversion']).toBe('1.0')
    expect(toBinary(structured({ ...untyped, data: false })).body?.toString()).toBe('false')
  })

  it('text data with a text content type goes out as the text itself, not a JSON string', () => {
    const out = toBinary(structured({ ...structuredEvent, datacontenttype: 'text/plain', data: 'hello "world"' }))
    expect(out.body?.toString()).toBe('hello "world"')
  })

  it('an event received without time is delivered without ce-time (the SDK would invent one)', () => {
    const { time: _time, ...timeless } = structuredEvent
    const event = structured(timeless)
    expect(toBinary(event).headers).not.toHaveProperty('ce-time')
    expect(toStructured(event)).not.toHaveProperty('time')
    expect(toBinary(parseIncoming({ ...binaryHeaders, 'ce-time': undefined }, Buffer.alloc(0))).headers).not.toHaveProperty('ce-time')
  })

  it('an event built in code (invoke --event-type) gets its SDK time and JSON data', () => {
    const event = new CloudEvent<unknown>({ id: 'x1', source: '/cli', type: 't.v1', time: '2026-02-01T00:00:00.000Z', data: { ok: true } })
    const out = toBinary(event)
    expect(out.headers).toMatchObject({ 'ce-id': 'x1', 'ce-source': '/cli', 'ce-type': 't.v1', 'ce-specversion': '1.0', 'ce-time': '2026-02-01T00:00:00.000Z', 'content-type': 'application/json' })
    expect(out.body?.toString()).toBe('{"ok":true}')
  })
})

describe('header value encoding (HTTP binding §3.1.3.2)', () => {
  it('percent-encodes space, double quote, percent and non-ASCII as upper-case UTF-8 bytes', () => {
    expect(percentEncode('Euro € 😀')).toBe('Euro%20%E2%82%AC%20%F0%9F%98%80')
    expect(percentEncode('a"b%c/d')).toBe('a%22b%25c/d')
  })

  it('decodes lower-case escapes, legacy double-quoted values and raw UTF-8 bytes as Node hands them over', () => {
    expect(percentDecode('ce-x', 'Euro%20%e2%82%ac')).toBe('Euro €')
    expect(percentDecode('ce-x', '"hello \\"world\\""')).toBe('hello "world"')
    expect(percentDecode('ce-x', Buffer.from('é', 'utf8').toString('latin1'))).toBe('é')
  })
})

describe('toStructured text data', () => {
  it('text/* that is valid UTF-8 stays a data string; invalid UTF-8 under text/plain becomes data_base64', () => {
    const ok = parseIncoming({ 'ce-id': 't', 'ce-source': '/s', 'ce-specversion': '1.0', 'ce-type': 'x', 'content-type': 'text/plain; charset=utf-8' }, Buffer.from('héllo'))
    expect(toStructured(ok)).toMatchObject({ data: 'héllo' })
    expect(toStructured(ok)).not.toHaveProperty('data_base64')
    const bad = parseIncoming({ 'ce-id': 'u', 'ce-source': '/s', 'ce-specversion': '1.0', 'ce-type': 'x', 'content-type': 'text/plain' }, Buffer.from([0xff, 0xfe, 0x41]))
    expect(toStructured(bad)).toMatchObject({ data_base64: Buffer.from([0xff, 0xfe, 0x41]).toString('base64') })
  })
})
