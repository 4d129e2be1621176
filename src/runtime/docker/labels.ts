/**
 * The labels every container (and network) sls-run starts carries (docs/emulator.md, "No orphans"): they are how
 * `sls-run dev` finds what an ended session left behind, how the reaper removes a killed session's
 * containers, and how `sls-run clean` lists them. Nothing sls-run did not label is ever touched.
 */
import { createHash } from 'node:crypto'
import os from 'node:os'

export const LABEL = {
  managed: 'dev.sls-run.managed',
  session: 'dev.sls-run.session',
  project: 'dev.sls-run.project',
  service: 'dev.sls-run.service',
  instance: 'dev.sls-run.instance',
  pid: 'dev.sls-run.pid',
  host: 'dev.sls-run.host',
  standin: 'dev.sls-run.standin',
} as const

export interface Session {
  id: string
  /** Hash of the config file's path: which project a container belongs to. */
  project: string
  pid: number
  host: string
}

export function newSession(configPath: string): Session {
  return { id: crypto.randomUUID(), project: projectHash(configPath), pid: process.pid, host: os.hostname() }
}

export const projectHash = (configPath: string) => createHash('sha256').update(configPath).digest('hex').slice(0, 12)

export function sessionLabels(session: Session, service: string, instanceId: string): Record<string, string> {
  return {
    [LABEL.managed]: 'true',
    [LABEL.session]: session.id,
    [LABEL.project]: session.project,
    [LABEL.service]: service,
    [LABEL.instance]: instanceId,
    [LABEL.pid]: String(session.pid),
    [LABEL.host]: session.host,
  }
}
