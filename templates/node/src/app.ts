import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'

/** One JSON object per line on stdout: what Cloud Run, Knative and most log pipelines parse. */
export function log(severity: 'INFO' | 'WARNING' | 'ERROR', message: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), severity, message, ...fields })}\n`)
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

export function handle(req: IncomingMessage, res: ServerResponse): void {
  const started = performance.now()
  const url = new URL(req.url ?? '/', 'http://localhost')
  res.on('finish', () => log('INFO', 'request', { method: req.method, path: url.pathname, status: res.statusCode, ms: Math.round(performance.now() - started) }))
  if (url.pathname === '/healthz') return send(res, 200, { status: 'ok' })
  if (url.pathname === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
    return send(res, 200, { service: process.env.K_SERVICE ?? '{{name}}', revision: process.env.K_REVISION ?? 'local', message: 'Hello from {{name}}' })
  }
  send(res, 404, { error: 'not found' })
}

export function createApp(): Server {
  return createServer(handle)
}
