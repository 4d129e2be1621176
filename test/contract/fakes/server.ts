/** What every fake shares: stop a node:http(s) server now, keep-alive connections included. */
import type { Server } from 'node:http'
import { expect } from 'vitest'
import { SlsError } from '../../../src/errors.js'

export function closeServer(server: Pick<Server, 'close' | 'closeAllConnections'>): Promise<void> {
  return new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })
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
