/** A request the platform answers itself, with Cloud Run's status codes (docs/emulator.md, "Platform answers"). */
export class PlatformResponse extends Error {
  constructor(
    readonly status: 429 | 503 | 504,
    message: string,
  ) {
    super(message)
    this.name = 'PlatformResponse'
  }
}

export const noRoom = () => new PlatformResponse(429, 'Rejected by the emulator: no available instance (maxInstances reached and queueTimeout passed)')
export const unavailable = (why: string) => new PlatformResponse(503, `Service unavailable: ${why}`)
export const timedOut = (ms: number) => new PlatformResponse(504, `Upstream request timeout: no response within ${ms} ms`)
