/**
 * The warm-container pool of the docker runtime (src/runtime/docker/warm.ts) with fake create/remove: bounded
 * per service, one template at a time (a new template removes the old one's), nothing left after close, also
 * what was still being created. The real engine side: test/integration/dev-docker.test.ts.
 */
import { describe, expect, it } from 'vitest'
import type { Prepared, WarmDeps } from '../../src/runtime/docker/warm.js'
import { WarmContainers } from '../../src/runtime/docker/warm.js'

function fakeEngine() {
  const live = new Set<string>()
  const pending: Array<() => void> = []
  let n = 0
  const deps: WarmDeps = {
    create: () =>
      new Promise<Prepared>((resolve) => {
        const id = `c${++n}`
        live.add(id)
        pending.push(() => resolve({ container: { id } as Prepared['container'], out: undefined as never, err: undefined as never, done: Promise.resolve(), detach: () => undefined }))
      }),
    remove: async (prepared) => void live.delete(prepared.container.id),
  }
  const settle = async () => {
    for (const resolve of pending.splice(0)) resolve()
    await new Promise((r) => setImmediate(r))
  }
  return { live, deps, settle }
}

describe('warm containers', () => {
  it('keeps `size` per service, hands them out once, and refills', async () => {
    const engine = fakeEngine()
    const warm = new WarmContainers(1)
    warm.fill('api', 't1', engine.deps)
    warm.fill('api', 't1', engine.deps) // already filling: no second one
    await engine.settle()
    expect(engine.live.size).toBe(1)
    expect(warm.counts).toEqual({ api: 1 })
    const taken = warm.take('api', 't1', engine.deps)
    expect(taken?.container.id).toBe('c1')
    expect(warm.take('api', 't1', engine.deps)).toBeUndefined()
    warm.fill('api', 't1', engine.deps)
    await engine.settle()
    expect(warm.counts).toEqual({ api: 1 })
  })

  it('a start with another template (a new revision) removes the old warm container and gets none', async () => {
    const engine = fakeEngine()
    const warm = new WarmContainers(1)
    warm.fill('api', 'revision-1', engine.deps)
    await engine.settle()
    expect(warm.take('api', 'revision-2', engine.deps)).toBeUndefined()
    await engine.settle()
    expect(engine.live.size).toBe(0)
  })

  it('one still being created for an old template is removed when it arrives', async () => {
    const engine = fakeEngine()
    const warm = new WarmContainers(1)
    warm.fill('api', 'revision-1', engine.deps)
    warm.fill('api', 'revision-2', engine.deps) // the first is still being created
    await engine.settle()
    await engine.settle()
    expect(engine.live.size).toBe(1)
    expect(warm.take('api', 'revision-2', engine.deps)).toBeDefined()
  })

  it('close removes every warm container, also those still being created', async () => {
    const engine = fakeEngine()
    const warm = new WarmContainers(2)
    warm.fill('api', 't', engine.deps)
    await engine.settle()
    warm.fill('web', 't', engine.deps)
    const closed = warm.close(engine.deps)
    await engine.settle()
    await closed
    expect(engine.live.size).toBe(0)
    expect(warm.counts).toEqual({})
  })
})
