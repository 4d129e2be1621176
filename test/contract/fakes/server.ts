/** What every fake shares: stop a node:http(s) server now, keep-alive connections included. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect } from 'vitest'
import { SlsError } from '../../../src/errors.js'

export function closeServer(server: Pick<Server, 'close' | 'closeAllConnections'>): Promise<void> {
  return new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })
}

/**
 * A Google API fake's server on 127.0.0.1: each request goes to `handle`; one that throws answers 500 in
 * Google's error shape. `endpoint` ends with a slash.
 */
export async function listenGoogleApi(handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: { code: 500, status: 'INTERNAL', message: String(err) } }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => closeServer(server) }
}

/** The SlsError a promise rejects with (the test fails if it resolves or rejects with anything else). */
export async function failure(promise: Promise<unknown>): Promise<SlsError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(SlsError)
  return err as SlsError
}
