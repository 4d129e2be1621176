/**
 * CPU and memory of the running instance containers, read from the engine at scrape time (one-shot
 * stats, all containers at once, each bounded by a short timeout: a slow engine leaves a gap in the
 * metrics, never a hung scrape).
 */
import type Dockerode from 'dockerode'
import type { InstanceStatus } from './pool.js'

export interface ContainerSample {
  service: string
  instance: string
  cpuSeconds: number
  /** Usage minus inactive page cache, as `docker stats` shows it. */
  memoryBytes: number
}

const LIVE = new Set(['starting', 'ready', 'draining'])

export async function containerStats(docker: Dockerode, pools: Array<{ service: string; instances: InstanceStatus[] }>, timeoutMs = 1000): Promise<ContainerSample[]> {
  const targets = pools.flatMap((pool) => pool.instances.filter((i) => i.container && LIVE.has(i.state)).map((i) => ({ service: pool.service, instance: i.id, container: i.container! })))
  const samples = await Promise.all(
    targets.map(async ({ service, instance, container }): Promise<ContainerSample | undefined> => {
      // abortSignal (dockerode passes it to the request, not the query) frees the socket of a late answer.
      const abort = new AbortController()
      const options = { stream: false as const, 'one-shot': true, abortSignal: abort.signal }
      const stats = await withTimeout(docker.getContainer(container).stats(options), timeoutMs, abort).catch(() => undefined)
      if (!stats?.cpu_stats?.cpu_usage) return undefined
      const memory = stats.memory_stats ?? {}
      const inactive = memory.stats?.total_inactive_file ?? memory.stats?.inactive_file ?? 0
      return { service, instance, cpuSeconds: stats.cpu_stats.cpu_usage.total_usage / 1e9, memoryBytes: Math.max(0, (memory.usage ?? 0) - inactive) }
    }),
  )
  return samples.filter((s): s is ContainerSample => s !== undefined)
}

function withTimeout<T>(promise: Promise<T>, ms: number, abort: AbortController): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort()
      reject(new Error(`engine stats took over ${ms} ms`))
    }, ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
