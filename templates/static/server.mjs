// {{name}}: serves ./public on $PORT with production cache headers, in the image and under `sls-run dev`.
//   *.html and /          Cache-Control: no-cache (revalidate every time, cheap thanks to the ETag)
//   name.<hash>.ext       Cache-Control: public, max-age=31536000, immutable (fingerprinted assets)
//   other files           Cache-Control: public, max-age=3600
// ETag / If-None-Match → 304, HEAD, index.html for folders, 404.html, no path escapes, graceful SIGTERM.
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('./public', import.meta.url))
const TYPES = { '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp', '.ico': 'image/x-icon', '.txt': 'text/plain; charset=utf-8', '.woff2': 'font/woff2', '.xml': 'application/xml' }

export function cacheControl(file) {
  if (file.endsWith('.html')) return 'no-cache'
  if (/\.[0-9a-f]{8,}\.[a-z0-9]+$/i.test(file)) return 'public, max-age=31536000, immutable'
  return 'public, max-age=3600'
}

async function resolve(urlPath) {
  let rel
  try {
    rel = decodeURIComponent(urlPath.split('?')[0])
  } catch {
    return undefined
  }
  const file = path.resolve(ROOT, `.${path.posix.normalize(`/${rel}`)}`)
  if (file !== ROOT && !file.startsWith(ROOT + path.sep)) return undefined
  const info = await stat(file).catch(() => undefined)
  if (info?.isDirectory()) return resolve(`${rel.replace(/\/?$/, '/')}index.html`)
  return info?.isFile() ? { file, info } : undefined
}

export async function handle(req, res) {
  const started = performance.now()
  res.on('finish', () => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), severity: 'INFO', message: 'request', method: req.method, path: req.url, status: res.statusCode, ms: Math.round(performance.now() - started) })}\n`))
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end()
    return
  }
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end('ok')
    return
  }
  const found = (await resolve(req.url ?? '/')) ?? (await resolve('/404.html'))
  if (!found) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
    return
  }
  const status = found.file.endsWith(`${path.sep}404.html`) && req.url !== '/404.html' ? 404 : 200
  const etag = `"${found.info.size.toString(16)}-${Math.floor(found.info.mtimeMs).toString(16)}"`
  const headers = { 'content-type': TYPES[path.extname(found.file).toLowerCase()] ?? 'application/octet-stream', 'cache-control': cacheControl(found.file), etag, 'last-modified': found.info.mtime.toUTCString(), 'x-content-type-options': 'nosniff' }
  if (status === 200 && req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers).end()
    return
  }
  res.writeHead(status, { ...headers, 'content-length': found.info.size })
  if (req.method === 'HEAD') res.end()
  else createReadStream(found.file).pipe(res)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.PORT ?? {{port}})
  const server = http.createServer((req, res) => void handle(req, res))
  server.listen(port, '0.0.0.0', () => process.stdout.write(`${JSON.stringify({ severity: 'INFO', message: 'listening', port })}\n`))
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.once(signal, () => {
      server.close(() => process.exit(0))
      server.closeIdleConnections()
      setTimeout(() => process.exit(0), 8000).unref()
    })
  }
}
