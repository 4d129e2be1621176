/** Schema defaults the adapters compare against (a changed emulator-only setting gets a warning). */
import { service } from '../config/schema.js'

const defaults = service.parse({})

export const DEFAULTS = {
  idleTimeoutMs: defaults.scaling.idleTimeout,
  queueTimeoutMs: defaults.scaling.queueTimeout,
} as const
