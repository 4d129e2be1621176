/**
 * Finding and removing the containers sls-run left behind (docs/emulator.md, "No orphans": the start-up sweep and `sls-run clean`). A
 * managed container is an orphan when the `sls-run dev` that started it is gone: its labelled host is
 * this machine and its labelled pid is not alive. Only labelled containers are ever listed or removed.
 */
import os from 'node:os'
import type Dockerode from 'dockerode'
import { LABEL } from './labels.js'

export interface ManagedContainer {
  id: string
  name: string
  service: string
  session: string
  project: string
  pid: number
  host: string
  state: string
  image: string
  /** Its session's sls-run process is gone (on this host). */
  orphan: boolean
}

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' // alive, but someone else's
  }
}

export async function listManaged(docker: Dockerode, hostname = os.hostname()): Promise<ManagedContainer[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL.managed}=true`] } })
  return list.map((c) => {
    const labels = c.Labels ?? {}
    const pid = Number(labels[LABEL.pid])
    const host = labels[LABEL.host] ?? ''
    return {
      id: c.Id,
      name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
      service: labels[LABEL.service] ?? '',
      session: labels[LABEL.session] ?? '',
      project: labels[LABEL.project] ?? '',
      pid,
      host,
      state: c.State,
      image: c.Image,
      orphan: host === hostname && !pidAlive(pid),
    }
  })
}

/** Force-removes the given containers (a paused one too); returns the ones that are gone. */
export async function removeContainers(docker: Dockerode, containers: ManagedContainer[]): Promise<ManagedContainer[]> {
  const results = await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.id)
        .remove({ force: true, v: true })
        .then(
          () => c,
          (error: { statusCode?: number }) => (error.statusCode === 404 ? c : undefined),
        ),
    ),
  )
  return results.filter((c): c is ManagedContainer => c !== undefined)
}

/** Layer 3: what ended sessions on this host left behind, removed. */
export async function sweepOrphans(docker: Dockerode): Promise<ManagedContainer[]> {
  const orphans = (await listManaged(docker)).filter((c) => c.orphan)
  return orphans.length ? removeContainers(docker, orphans) : []
}
