/** The event broker (bus.ts): POST /events over real HTTP, routing, retries on a fake clock, dead letters in real files, stop(). */
import { readFileSync, existsSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { CloudEvent } from 'cloudevents'
import { BodyTooLarge, EventBus, MAX_EVENT_BYTES, readBody, type Subscription } from '../../src/core/events/bus.js'
import type { DeadLetterLine } from '../../src/core/events/dead-letter.js'
import type { EventDeliveryEvent, OutgoingRequest, SendResult } from '../../src/core/events/types.js'
import { FakeClock } from '../helpers/fakes.js'
import { useTempDir } from '../helpers/temp.js'

const tempDir = useTempDir('sls-run-bus-')
const RETRY = { count: 3, minBackoff: 1_000, maxBackoff: 10_000, maxDoublings: 5 }
const BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i))

type Answer = number | ((signal: AbortSignal) => Promise<SendResult>)
interface Call {
  service: string
  request: OutgoingRequest
  at: number
}

const result = (status: number, body = ''): SendResult => ({ status, headers: {}, body: Buffer.from(body), durationMs: 5, coldStart: false, ...(status === 0 ? { error: 'connection refused' } : {}) })

/** A bus on a fake clock whose send answers from `answers` (per service, in order; the last repeats) and records each request. */
function setup(subscriptions: Subscription[], answers: Record<string, Answer[]> = {}) {
  const clock = new FakeClock()
  const calls: Call[] = []
  const events: EventDeliveryEvent[] = []
  const deadLetterFile = path.join(tempDir(), 'nested', 'dead-letters.ndjson')
  const bus = new EventBus({
    subscriptions,
    clock,
    deadLetterFile,
    onEvent: (e) => events.push(e),
    send: async (service, request, signal) => {
      calls.push({ service, request, at: clock.now() })
      const list = answers[service] ?? [200]
      const answer = list[Math.min(calls.filter((c) => c.service === service).length - 1, list.length - 1)]!
      return typeof answer === 'number' ? result(answer, answer >= 400 ? `answer ${answer}` : '') : answer(signal!)
    },
  })
  const deadLetters = (): DeadLetterLine[] =>
    existsSync(deadLetterFile)
      ? readFileSync(deadLetterFile, 'utf8')
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l) as DeadLetterLine)
      : []
  return { bus, clock, calls, events, deadLetterFile, deadLetters }
}

const sub = (service: string, type: string, extra: Partial<Subscription> = {}): Subscription => ({ service, type, path: `/events/${service}`, retry: RETRY, ...extra })
const orderEvent = (extra: Record<string, unknown> = {}) =>
  new CloudEvent<unknown>({ id: 'o-1', source: '/orders', type: 'order.created', datacontenttype: 'application/json', data: { n: 1, text: 'ü' }, ...extra })

const servers: http.Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
})

async function serve(bus: EventBus): Promise<string> {
  const server = http.createServer((req, res) => void Promise.resolve(bus.handler()(req, res)).catch((e: Error) => res.end(e.message)))
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`
}

async function post(url: string, headers: Record<string, string>, body: string | Buffer) {
  const res = await fetch(url, { method: 'POST', headers, body: typeof body === 'string' ? body : new Uint8Array(body) })
  return { status: res.status, type: res.headers.get('content-type'), json: (await res.json()) as Record<string, unknown> }
}

const ceHeaders = { 'ce-id': 'b-1', 'ce-source': '/billing', 'ce-specversion': '1.0', 'ce-type': 'invoice.paid' }

describe('POST /events (a real HTTP server around handler())', () => {
  it('binary mode: 202 with the subscribers, then a binary-mode delivery with the data byte-identical', async () => {
    const { bus, calls } = setup([sub('mailer', 'invoice.paid'), sub('ledger', 'invoice.paid')])
    const url = await serve(bus)
    const res = await post(url, { ...ceHeaders, 'ce-customer': 'c42', 'content-type': 'application/octet-stream' }, BYTES)
    expect(res).toEqual({ status: 202, type: 'application/json', json: { id: 'b-1', type: 'invoice.paid', source: '/billing', subscribers: ['mailer', 'ledger'] } })
    await bus.stop()
    expect(calls.map((c) => c.service).sort()).toEqual(['ledger', 'mailer'])
    const { request } = calls.find((c) => c.service === 'mailer')!
    expect(request.method).toBe('POST')
    expect(request.path).toBe('/events/mailer')
    expect(request.headers).toMatchObject({ ...ceHeaders, 'ce-customer': 'c42', 'content-type': 'application/octet-stream' })
    expect(Buffer.compare(request.body as Buffer, BYTES)).toBe(0)
  })

  it('structured mode with data_base64: the subscriber gets the original bytes in binary mode', async () => {
    const { bus, calls } = setup([sub('ledger', 'invoice.paid')])
    const url = await serve(bus)
    const event = { specversion: '1.0', id: 's-1', source: '/billing', type: 'invoice.paid', datacontenttype: 'image/png', data_base64: BYTES.toString('base64') }
    const res = await post(url, { 'content-type': 'application/cloudevents+json' }, JSON.stringify(event))
    expect(res.status).toBe(202)
    await bus.stop()
    expect(calls).toHaveLength(1)
    expect(calls[0]!.request.headers).toMatchObject({ 'ce-id': 's-1', 'ce-specversion': '1.0', 'content-type': 'image/png' })
    expect(Buffer.compare(calls[0]!.request.body as Buffer, BYTES)).toBe(0)
  })

  it('no subscriber: 202 with an empty list and nothing sent', async () => {
    const { bus, calls } = setup([sub('mailer', 'invoice.paid')])
    const res = await post(await serve(bus), { ...ceHeaders, 'ce-type': 'invoice.voided' }, '')
    expect(res.json).toEqual({ id: 'b-1', type: 'invoice.voided', source: '/billing', subscribers: [] })
    await bus.stop()
    expect(calls).toHaveLength(0)
  })

  it.each([
    ['missing type', { ...ceHeaders, 'ce-type': '' }, '', /missing required attribute type/],
    ['missing source', { 'ce-id': '1', 'ce-specversion': '1.0', 'ce-type': 't' }, '', /missing required attribute source \(header ce-source\)/],
    ['missing id', { 'ce-source': '/s', 'ce-specversion': '1.0', 'ce-type': 't' }, '', /missing required attribute id \(header ce-id\)/],
    ['wrong specversion', { ...ceHeaders, 'ce-specversion': '0.3' }, '', /unsupported specversion "0\.3"/],
    ['malformed structured JSON', { 'content-type': 'application/cloudevents+json' }, '{"specversion": "1.0",', /the body is not valid JSON/],
    ['malformed JSON data', { ...ceHeaders, 'content-type': 'application/json' }, '{"a":', /data is not valid JSON/],
  ])('%s → 400 application/json with the reason', async (_name, headers, body, reason) => {
    const { bus, calls } = setup([sub('mailer', 't'), sub('mailer', 'invoice.paid')])
    const res = await post(await serve(bus), headers, body)
    expect(res.status).toBe(400)
    expect(res.type).toBe('application/json')
    expect(res.json.error).toMatch(reason)
    await bus.stop()
    expect(calls).toHaveLength(0)
  })

  it('a body declared above 10 MiB → 413 before it is read', async () => {
    const { bus } = setup([])
    const url = new URL(await serve(bus))
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...ceHeaders, 'content-length': String(MAX_EVENT_BYTES + 1) } }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
        req.destroy()
      })
      req.on('error', reject)
      req.flushHeaders()
    })
    expect(status).toBe(413)
  })

  it('readBody stops at the limit when the body streams without a length', async () => {
    const stream = Object.assign(Readable.from([Buffer.alloc(6), Buffer.alloc(6)]), { headers: {} }) as unknown as http.IncomingMessage
    await expect(readBody(stream, 10)).rejects.toBeInstanceOf(BodyTooLarge)
    const small = Object.assign(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), { headers: {} }) as unknown as http.IncomingMessage
    expect((await readBody(small, 10)).toString()).toBe('abcd')
  })

  it('GET → 405; after stop() → 503', async () => {
    const { bus } = setup([])
    const url = await serve(bus)
    expect((await fetch(url)).status).toBe(405)
    await bus.stop()
    expect((await post(url, ceHeaders, '')).status).toBe(503)
  })
})

describe('routing', () => {
  it('type must match exactly; source filters when the subscription names one; every match gets it', async () => {
    const { bus, calls } = setup([
      sub('any-source', 'order.created'),
      sub('orders-only', 'order.created', { source: '/orders' }),
      sub('shop-only', 'order.created', { source: '/shop' }),
      sub('other-type', 'order.created.v2'),
    ])
    const published = bus.publish(orderEvent())
    expect(published.subscribers).toEqual(['any-source', 'orders-only'])
    const finals = await published.done
    expect(finals.map((e) => [e.service, e.outcome])).toEqual([
      ['any-source', 'ok'],
      ['orders-only', 'ok'],
    ])
    expect(calls.map((c) => c.service)).toEqual(['any-source', 'orders-only'])
    expect(JSON.parse((calls[0]!.request.body as Buffer).toString('utf8'))).toEqual({ n: 1, text: 'ü' })
  })
})

describe('retries and dead letters', () => {
  it('500: retried count times after 1s, 2s, 4s, then dead-lettered with the event and its data intact', async () => {
    const { bus, clock, calls, events, deadLetterFile, deadLetters } = setup([sub('api', 'order.created')], { api: [500] })
    const t0 = clock.now()
    const { done } = bus.publish(orderEvent())
    for (const [wait, expected] of [
      [999, 1],
      [1, 2],
      [1_999, 2],
      [1, 3],
      [3_999, 3],
      [1, 4],
    ] as const) {
      await clock.advance(wait)
      expect(calls).toHaveLength(expected)
    }
    const [final] = await done
    expect(calls.map((c) => c.at - t0)).toEqual([0, 1_000, 3_000, 7_000])
    expect(events.map((e) => [e.attempt, e.outcome, e.status, e.nextInMs])).toEqual([
      [1, 'retry', 500, 1_000],
      [2, 'retry', 500, 2_000],
      [3, 'retry', 500, 4_000],
      [4, 'dead-lettered', 500, undefined],
    ])
    expect(final).toMatchObject({ outcome: 'dead-lettered', deadLetterFile, eventId: 'o-1', eventType: 'order.created', source: '/orders' })
    const lines = deadLetters()
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ time: new Date(t0 + 7_000).toISOString(), service: 'api', path: '/events/api', attempts: 4, lastStatus: 500, lastError: 'answer 500' })
    expect(lines[0]!.event).toMatchObject({ specversion: '1.0', id: 'o-1', source: '/orders', type: 'order.created', datacontenttype: 'application/json', data: { n: 1, text: 'ü' } })
    await clock.advance(60_000)
    expect(calls).toHaveLength(4)
  })

  it('binary data is dead-lettered as data_base64 of the original bytes', async () => {
    const { bus, deadLetters } = setup([sub('api', 'blob', { retry: { ...RETRY, count: 0 } })], { api: [503] })
    await bus.publish(new CloudEvent<unknown>({ id: 'b', source: '/s', type: 'blob', datacontenttype: 'application/octet-stream', data: BYTES })).done
    const [line] = deadLetters()
    expect(line!.attempts).toBe(1)
    expect(line!.event).not.toHaveProperty('data')
    expect(Buffer.compare(Buffer.from(line!.event.data_base64 as string, 'base64'), BYTES)).toBe(0)
  })

  it('404 is dead-lettered at once, without retries', async () => {
    const { bus, clock, calls, events, deadLetters } = setup([sub('api', 'order.created')], { api: [404] })
    const [final] = await bus.publish(orderEvent()).done
    await clock.advance(60_000)
    expect(calls).toHaveLength(1)
    expect(events).toEqual([final])
    expect(final).toMatchObject({ attempt: 1, outcome: 'dead-lettered', status: 404 })
    expect(deadLetters().map((l) => [l.attempts, l.lastStatus])).toEqual([[1, 404]])
  })

  it('no answer (status 0), 429 and a throwing send are retried until a 2xx', async () => {
    const { bus, clock, calls, events, deadLetters } = setup([sub('api', 'order.created')], {
      api: [0, 429, () => Promise.reject(new Error('socket hang up')), 204],
    })
    const { done } = bus.publish(orderEvent())
    await clock.advance(1_000 + 2_000 + 4_000)
    const [final] = await done
    expect(calls).toHaveLength(4)
    expect(events.map((e) => [e.outcome, e.status, e.error])).toEqual([
      ['retry', 0, 'connection refused'],
      ['retry', 429, undefined],
      ['retry', 0, 'socket hang up'],
      ['ok', 204, undefined],
    ])
    expect(final!.attempt).toBe(4)
    expect(deadLetters()).toEqual([])
  })

  it('deliverTo: one delivery without routing, with the subscription retry policy, resolving with the final try', async () => {
    const { bus, clock, calls, events } = setup([sub('api', 'order.created', { path: '/hook', retry: { ...RETRY, count: 1, minBackoff: 250 } })], { api: [500, 200] })
    const final = bus.deliverTo('api', '/hook', orderEvent())
    await clock.advance(249)
    expect(calls).toHaveLength(1)
    await clock.advance(1)
    expect(await final).toMatchObject({ attempt: 2, outcome: 'ok', status: 200 })
    expect(events[0]).toMatchObject({ outcome: 'retry', nextInMs: 250 })
    expect(calls[1]!.request).toMatchObject({ method: 'POST', path: '/hook' })
  })
})

describe('stop()', () => {
  it('cancels a pending retry: dead-lettered with lastError "emulator stopped", never sent again', async () => {
    const { bus, clock, calls, events, deadLetters } = setup([sub('api', 'order.created')], { api: [500] })
    const { done } = bus.publish(orderEvent())
    await clock.advance(1_000)
    expect(calls).toHaveLength(2)
    await bus.stop()
    const [final] = await done
    expect(final).toMatchObject({ attempt: 2, outcome: 'dead-lettered', status: 500, error: 'emulator stopped', durationMs: 0 })
    expect(events.map((e) => e.outcome)).toEqual(['retry', 'retry', 'dead-lettered'])
    expect(deadLetters().map((l) => [l.attempts, l.lastStatus, l.lastError])).toEqual([[2, 500, 'emulator stopped']])
    await clock.advance(60_000)
    expect(calls).toHaveLength(2)
    expect(() => bus.publish(orderEvent())).toThrow(/stopped/)
    await expect(bus.deliverTo('api', '/x', orderEvent())).rejects.toThrow(/stopped/)
  })

  it('aborts a send in flight and resolves once that delivery is dead-lettered', async () => {
    let aborted = false
    const hang = (signal: AbortSignal) =>
      new Promise<SendResult>((resolve) =>
        signal.addEventListener('abort', () => {
          aborted = true
          resolve(result(0))
        }),
      )
    const { bus, events, deadLetters } = setup([sub('api', 'order.created')], { api: [hang] })
    void bus.publish(orderEvent())
    await new Promise((resolve) => setImmediate(resolve))
    expect(events).toEqual([])
    await bus.stop()
    expect(aborted).toBe(true)
    expect(events.map((e) => [e.outcome, e.error])).toEqual([['dead-lettered', 'emulator stopped']])
    expect(deadLetters().map((l) => l.lastError)).toEqual(['emulator stopped'])
  })
})
