import assert from 'node:assert/strict'
import http from 'node:http'
import { after, before, test } from 'node:test'
import { cacheControl, handle } from './server.mjs'

const server = http.createServer((req, res) => void handle(req, res))
let base = ''
before(async () => {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${server.address().port}`
})
after(() => server.close())

test('serves index.html at / with no-cache and an ETag that revalidates', async () => {
  const res = await fetch(`${base}/`)
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('cache-control'), 'no-cache')
  assert.match(await res.text(), /<h1>/)
  const again = await fetch(`${base}/`, { headers: { 'if-none-match': res.headers.get('etag') } })
  assert.equal(again.status, 304)
})

test('assets are cached, fingerprinted ones for a year', async () => {
  const res = await fetch(`${base}/assets/style.css`)
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('content-type'), 'text/css; charset=utf-8')
  assert.equal(res.headers.get('cache-control'), 'public, max-age=3600')
  assert.equal(cacheControl('/x/app.3f2a1c9d.js'), 'public, max-age=31536000, immutable')
})

test('unknown paths get the 404 page; escapes are refused', async () => {
  const res = await fetch(`${base}/nope`)
  assert.equal(res.status, 404)
  assert.match(await res.text(), /not found/i)
  const escape = await new Promise((resolve) => http.get(`${base}/../server.mjs`, (r) => { r.resume(); resolve(r.statusCode) }))
  assert.equal(escape, 404)
})
