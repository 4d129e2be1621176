import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import { createApp } from './app.js'

const server = createApp()
let base = ''
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
after(() => server.close())

test('GET / greets', async () => {
  const res = await fetch(`${base}/`)
  assert.equal(res.status, 200)
  assert.match(((await res.json()) as { message: string }).message, /Hello from/)
})

test('GET /healthz is ok', async () => {
  const res = await fetch(`${base}/healthz`)
  assert.deepEqual(await res.json(), { status: 'ok' })
})

test('an unknown path is 404', async () => {
  assert.equal((await fetch(`${base}/nope`)).status, 404)
})
