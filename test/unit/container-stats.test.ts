import type Dockerode from 'dockerode'
import { expect, it } from 'vitest'
import { containerStats } from '../../src/core/emulator/container-stats.js'
import type { InstanceStatus } from '../../src/core/emulator/pool.js'

const instance = (id: string, state: InstanceStatus['state'], container?: string): InstanceStatus => ({ id, state, inFlight: 0, served: 0, startedAt: 0, ...(container ? { container } : {}) })

/** A fake engine: per container id, stats (or a promise that never settles). */
function engine(stats: Record<string, object | 'hang' | 'fail'>, asked: string[] = []) {
  return {
    getContainer: (id: string) => ({
      stats: (options: { stream: boolean; 'one-shot': boolean; abortSignal: AbortSignal }) => {
        asked.push(`${id} stream=${options.stream} one-shot=${options['one-shot']}`)
        const answer = stats[id]
        if (answer === 'hang') return new Promise((_, reject) => options.abortSignal.addEventListener('abort', () => reject(new Error('aborted'))))
        if (answer === 'fail') return Promise.reject(new Error('no such container'))
        return Promise.resolve(answer)
      },
    }),
  } as unknown as Dockerode
}

it('reads one-shot stats of live instances with a container: CPU seconds and memory without page cache', async () => {
  const asked: string[] = []
  const docker = engine(
    {
      c1: { cpu_stats: { cpu_usage: { total_usage: 2_500_000_000 } }, memory_stats: { usage: 50_000_000, stats: { total_inactive_file: 10_000_000 } } },
      c2: { cpu_stats: { cpu_usage: { total_usage: 1e9 } }, memory_stats: { usage: 8_000_000, stats: { inactive_file: 1_000_000 } } },
    },
    asked,
  )
  const pools = [{ service: 'api', instances: [instance('api#1', 'ready', 'c1'), instance('api#2', 'draining', 'c2'), instance('api#3', 'stopped', 'c3'), instance('api#4', 'ready')] }]
  expect(await containerStats(docker, pools)).toEqual([
    { service: 'api', instance: 'api#1', cpuSeconds: 2.5, memoryBytes: 40_000_000 },
    { service: 'api', instance: 'api#2', cpuSeconds: 1, memoryBytes: 7_000_000 },
  ])
  expect(asked).toEqual(['c1 stream=false one-shot=true', 'c2 stream=false one-shot=true'])
})

it('leaves out a container whose stats fail or take longer than the timeout, without holding the scrape', async () => {
  const docker = engine({ ok: { cpu_stats: { cpu_usage: { total_usage: 1e9 } }, memory_stats: { usage: 1 } }, slow: 'hang', gone: 'fail' })
  const pools = [{ service: 'api', instances: [instance('api#1', 'ready', 'ok'), instance('api#2', 'ready', 'slow'), instance('api#3', 'ready', 'gone')] }]
  const started = Date.now()
  const samples = await containerStats(docker, pools, 100)
  expect(Date.now() - started).toBeLessThan(1000)
  expect(samples.map((s) => s.instance)).toEqual(['api#1'])
})
