/** The push stream reader and the failure classification behind retries and error codes. */
import { describe, expect, it } from 'vitest'
import { classify } from '../../src/core/registry/push.js'
import { PushReader, type LayerEvent } from '../../src/core/registry/push-progress.js'

const lines = (...objects: object[]) => objects.map((o) => JSON.stringify(o)).join('\n') + '\n'

describe('PushReader', () => {
  it('counts pushed and existing layers, keeps the digest, and emits each layer once it is done', () => {
    const events: LayerEvent[] = []
    const reader = new PushReader((e) => events.push(e))
    const text = lines(
      { status: 'The push refers to repository [127.0.0.1:5000/acme/web]' },
      { status: 'Preparing', progressDetail: {}, id: 'aaa' },
      { status: 'Preparing', progressDetail: {}, id: 'bbb' },
      { status: 'Preparing', progressDetail: {}, id: 'ccc' },
      { status: 'Pushing', progressDetail: { current: 512, total: 2048 }, progress: '[==>   ]', id: 'aaa' },
      { status: 'Pushing', progressDetail: { current: 1024, total: 2048 }, progress: '[====> ]', id: 'aaa' },
      { status: 'Layer already exists', progressDetail: {}, id: 'bbb' },
      { status: 'Mounted from acme/other', progressDetail: {}, id: 'ccc' },
      { status: 'Pushed', progressDetail: {}, id: 'aaa' },
      { status: 'abc123: digest: sha256:feed size: 528' },
      { progressDetail: {}, aux: { Tag: 'abc123', Digest: 'sha256:feed', Size: 528 } },
    )
    reader.write(text.slice(0, 100))
    reader.write(text.slice(100))
    const outcome = reader.end()
    expect(outcome).toEqual({ digest: 'sha256:feed', size: 528, error: undefined, pushed: ['aaa'], existing: ['bbb', 'ccc'] })
    expect(events.filter((e) => e.status === 'pushing')).toHaveLength(1) // progress ticks are not re-emitted
    expect(events.filter((e) => e.status === 'pushed' || e.status === 'exists').map((e) => e.id)).toEqual(['bbb', 'ccc', 'aaa'])
  })

  it('an error inside the 200 stream wins over a missing digest', () => {
    const reader = new PushReader(() => {})
    reader.write(lines({ status: 'Preparing', id: 'aaa' }, { errorDetail: { message: 'unauthorized: authentication required' }, error: 'unauthorized: authentication required' }))
    expect(reader.end()).toMatchObject({ digest: undefined, error: 'unauthorized: authentication required' })
  })
})

describe('classify', () => {
  it.each([
    ['unauthorized: authentication required', 'auth'],
    ['no basic auth credentials', 'auth'],
    ['denied: requested access to the resource is denied', 'denied'],
    ['name unknown: repository name not known to registry', 'unknown-repo'],
    ['Get "http://127.0.0.1:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused', 'transient'],
    ['received unexpected HTTP status: 503 Service Unavailable', 'transient'],
    ['Patch "http://127.0.0.1:5000/v2/x/blobs/uploads/1": EOF', 'transient'],
    ['manifest invalid: manifest invalid', 'other'],
  ])('%s → %s', (message, kind) => {
    expect(classify(message)).toBe(kind)
  })
})
