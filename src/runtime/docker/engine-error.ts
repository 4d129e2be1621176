/**
 * How an error from the Docker engine reads in sls-run's messages. When the engine answered, dockerode
 * puts its JSON body on the error (`json.message`: "No such image: …", "invalid reference format");
 * its own message only wraps that in "(HTTP code 404) no such image - … ". When nothing answered,
 * the socket error's code (ENOENT, ECONNREFUSED) says why, and the address is named beside it.
 */
import { ExitCode, SlsError } from '../../errors.js'

/** What the engine said (its JSON `message`), else the error's own message. */
export function engineMessage(error: unknown): string {
  const e = error as { json?: { message?: unknown }; message?: unknown } | null | undefined
  if (typeof e?.json?.message === 'string' && e.json.message) return e.json.message
  if (typeof e?.message === 'string' && e.message) return e.message
  return String(error)
}

/** DOCKER_UNAVAILABLE (exit 3): no engine answers at `url` (as a user writes DOCKER_HOST). */
export function engineUnavailable(url: string, cause: unknown): SlsError {
  const code = (cause as { code?: unknown } | null | undefined)?.code
  const reason = typeof code === 'string' && code ? code : engineMessage(cause)
  return new SlsError('DOCKER_UNAVAILABLE', `no Docker engine answers at ${url} (${reason})`, {
    exitCode: ExitCode.environment,
    cause,
    hints: ['Start the engine (Docker Desktop, `sudo systemctl start docker`, or `dockerd &`), or point DOCKER_HOST at one.', 'Run `sls-run doctor` to see what is missing.'],
  })
}
