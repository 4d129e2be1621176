import { describe, expect, it } from 'vitest'
import { engineMessage, engineUnavailable } from '../../src/runtime/docker/engine-error.js'

/** An error shaped as dockerode (docker-modem) rejects when the engine answers with an error status. */
function answered(statusCode: number, json: unknown): Error {
  const message = (json as { message?: string } | null)?.message ?? String(json)
  return Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message} `), { statusCode, json })
}

describe('engineMessage', () => {
  it("is what the engine said when it answered, without dockerode's HTTP wrapping", () => {
    expect(engineMessage(answered(404, { message: 'No such image: web:latest' }))).toBe('No such image: web:latest')
  })
  it("falls back to the error's own message (a socket error, a stream without JSON, an empty engine message)", () => {
    expect(engineMessage(Object.assign(new Error('connect ECONNREFUSED /var/run/docker.sock'), { code: 'ECONNREFUSED' }))).toBe('connect ECONNREFUSED /var/run/docker.sock')
    expect(engineMessage(answered(500, Buffer.from('oops')))).toBe('(HTTP code 500) unexpected - oops ')
    expect(engineMessage(answered(500, { message: '' }))).toBe('(HTTP code 500) unexpected -  ')
  })
  it('reads anything thrown', () => {
    expect(engineMessage('a string')).toBe('a string')
    expect(engineMessage(undefined)).toBe('undefined')
    expect(engineMessage({ json: { message: 42 } })).toBe('[object Object]')
  })
})

describe('engineUnavailable', () => {
  it('is DOCKER_UNAVAILABLE, exit 3, naming the address and the socket error code, with the doctor hint', () => {
    const cause = Object.assign(new Error('connect ENOENT /nonexistent.sock'), { code: 'ENOENT' })
    const error = engineUnavailable('unix:///nonexistent.sock', cause)
    expect(error).toMatchObject({ code: 'DOCKER_UNAVAILABLE', exitCode: 3, message: 'no Docker engine answers at unix:///nonexistent.sock (ENOENT)', cause })
    expect(error.hints).toEqual([expect.stringMatching(/^Start the engine/), 'Run `sls-run doctor` to see what is missing.'])
  })
  it('says what the engine said when there is no code (it answered, with an error)', () => {
    expect(engineUnavailable('tcp://box:2375', answered(500, { message: 'server is shutting down' })).message).toBe('no Docker engine answers at tcp://box:2375 (server is shutting down)')
  })
})
