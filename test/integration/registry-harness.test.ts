/**
 * The push-test harness itself (test/helpers/registry.ts): a real docker-registry with htpasswd auth on
 * 127.0.0.1, and the real engine pushing to it over plain HTTP (127.0.0.0/8 is an insecure registry by
 * default). Reads the engine's push stream by hand, independently of src/, so a failure here is the
 * environment's, not sls-run's.
 */
import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { startRegistry, type TestRegistry } from '../helpers/registry.js'
import { waitFor } from '../helpers/wait.js'

const SOURCE = inject('standins').alpine // this run's offline alpine stand-in (test/helpers/standins.ts), built by the engine project's global setup
const MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json'

interface PushLine {
  status?: string
  id?: string
  progress?: string
  progressDetail?: unknown
  error?: string
  errorDetail?: { message?: string }
  aux?: { Tag?: string; Digest?: string; Size?: number }
}

/** Reads the push stream to its end: NDJSON, and the engine reports failures inside it with HTTP 200. */
async function readPush(stream: NodeJS.ReadableStream): Promise<PushLine[]> {
  const lines: PushLine[] = []
  let rest = ''
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    rest += chunk.toString()
    const parts = rest.split('\n')
    rest = parts.pop() ?? ''
    for (const part of parts) if (part.trim()) lines.push(JSON.parse(part) as PushLine)
  }
  if (rest.trim()) lines.push(JSON.parse(rest) as PushLine)
  return lines
}

/** One line per layer: the last status each layer id got, without the progress bars. */
function layerStatuses(lines: PushLine[]): Map<string, string> {
  const byId = new Map<string, string>()
  for (const line of lines) if (line.id && line.status && line.status !== 'Pushing') byId.set(line.id, line.status)
  return byId
}

const basic = (r: TestRegistry) => `Basic ${Buffer.from(`${r.username}:${r.password}`).toString('base64')}`

describe.skipIf(!inject('engine'))('push-test harness: real registry with htpasswd auth + the real engine', () => {
  const docker = new Docker()
  let registry: TestRegistry
  let repo: string
  let pushedDigest: string
  const created: string[] = []

  const push = async (password: string) => {
    const image = docker.getImage(repo)
    const started = performance.now()
    const stream = await image.push({ tag: 't1', authconfig: { username: registry.username, password, serveraddress: registry.host } })
    const lines = await readPush(stream)
    return { lines, ms: performance.now() - started }
  }

  const manifest = (auth = true) => fetch(`${registry.url}/v2/harness/alpine/manifests/t1`, { headers: { Accept: MANIFEST_V2, ...(auth ? { Authorization: basic(registry) } : {}) } })

  beforeAll(async () => {
    const started = performance.now()
    registry = await startRegistry()
    console.log(`registry ${registry.host} up in ${(performance.now() - started).toFixed(0)} ms (dir ${registry.dir})`)
    repo = `${registry.host}/harness/alpine`
    await docker.getImage(SOURCE).tag({ repo, tag: 't1' })
    created.push(`${repo}:t1`)
  })

  afterAll(async () => {
    for (const ref of created)
      await docker
        .getImage(ref)
        .remove({ noprune: true })
        .catch(() => {})
    await registry?.stop()
  })

  it('answers /v2/ with 401 (Basic challenge) without or with wrong credentials, 200 with them', async () => {
    const anonymous = await fetch(`${registry.url}/v2/`)
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="sls-run-test"')
    const wrong = await fetch(`${registry.url}/v2/`, { headers: { Authorization: `Basic ${Buffer.from(`${registry.username}:nope`).toString('base64')}` } })
    expect(wrong.status).toBe(401)
    const ok = await fetch(`${registry.url}/v2/`, { headers: { Authorization: basic(registry) } })
    expect(ok.status).toBe(200)
    expect(ok.headers.get('docker-distribution-api-version')).toBe('registry/2.0')
  })

  it('a push with a wrong password fails inside the stream (HTTP 200), not as a rejected call', async () => {
    const { lines } = await push('wrong-password')
    const error = lines.find((l) => l.error || l.errorDetail)
    console.log(`push with a wrong password, stream:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`)
    expect(error?.errorDetail?.message ?? error?.error).toMatch(/unauthorized|authentication required|no basic auth credentials/i)
  })

  it('the engine pushes over plain HTTP with Basic auth; the registry serves the digest of the final aux', async () => {
    const { lines, ms } = await push(registry.password)
    const errors = lines.filter((l) => l.error || l.errorDetail)
    expect(errors, JSON.stringify(errors)).toEqual([])
    const layers = layerStatuses(lines)
    const aux = lines.at(-1)?.aux
    console.log(
      `first push of ${SOURCE} to ${repo}:t1 in ${ms.toFixed(0)} ms, ${lines.length} lines; layers: ${JSON.stringify(Object.fromEntries(layers))}\n` +
        lines
          .filter((l) => l.status !== 'Pushing')
          .map((l) => JSON.stringify(l))
          .join('\n'),
    )
    expect(aux).toMatchObject({ Tag: 't1', Digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), Size: expect.any(Number) })
    expect(layers.size).toBeGreaterThan(0)
    expect([...layers.values()].every((s) => s === 'Pushed' || s === 'Layer already exists')).toBe(true)
    expect([...layers.values()]).toContain('Pushed')
    pushedDigest = aux!.Digest!

    expect((await manifest(false)).status).toBe(401)
    const res = await manifest()
    const body = await res.text()
    expect(res.status, body).toBe(200)
    expect(res.headers.get('content-type')).toBe(MANIFEST_V2)
    expect(res.headers.get('docker-content-digest')).toBe(pushedDigest)
    expect(Buffer.byteLength(body)).toBe(aux!.Size)

    const local = await docker.getImage(`${repo}:t1`).inspect()
    expect(local.RepoDigests).toContain(`${repo}@${pushedDigest}`)
  })

  it('a second push finds every layer ("Layer already exists") and yields the same digest', async () => {
    const { lines, ms } = await push(registry.password)
    const layers = layerStatuses(lines)
    console.log(`second push in ${ms.toFixed(0)} ms; layers: ${JSON.stringify(Object.fromEntries(layers))}; final: ${JSON.stringify(lines.at(-1))}`)
    expect(lines.filter((l) => l.error || l.errorDetail)).toEqual([])
    expect([...layers.values()].every((s) => s === 'Layer already exists')).toBe(true)
    expect(lines.at(-1)?.aux?.Digest).toBe(pushedDigest)
  })

  it('kill() takes it down at once; restart() brings it back on the same port with the same storage', async () => {
    registry.kill()
    const down = await waitFor(
      () =>
        fetch(`${registry.url}/v2/`, { signal: AbortSignal.timeout(500) }).then(
          () => false,
          () => true,
        ),
      5000,
      20,
      `the killed registry on ${registry.url} to refuse connections`,
    )
    expect(down).toBe(true)

    const started = performance.now()
    await registry.restart()
    console.log(`restart after kill in ${(performance.now() - started).toFixed(0)} ms`)
    const res = await manifest()
    expect(res.status).toBe(200)
    expect(res.headers.get('docker-content-digest')).toBe(pushedDigest)

    // A graceful restart (SIGTERM) keeps it too.
    await registry.restart()
    expect((await manifest()).headers.get('docker-content-digest')).toBe(pushedDigest)
  })
})
