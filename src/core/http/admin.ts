/**
 * The admin server of a `sls-run dev` session (`--admin-port`, 127.0.0.1): a small route table, so the
 * status API, Prometheus metrics, the live event stream and the dashboard stay separate modules.
 */
import http from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { ExitCode, SlsError } from '../../errors.js'

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>

export interface AdminServer {
  url: string
  close(): Promise<void>
}

/**
 * Routes: a key `/path` answers GET and HEAD, `POST /path` (any other method) that method; exact matches
 * first, then prefix matches (a key ending in `/*`).
 */
export async function startAdmin(host: string, port: number, routes: Record<string, Handler>): Promise<AdminServer> {
  const server = http.createServer((req, res) => {
    // DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 reaches this port with
    // `Host: evil.example`. Only names that mean this machine are served (as Vite's and webpack's dev
    // servers do), on every route, GET included.
    if (!localHost(req.headers.host, host)) {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' })
      return void res.end(`the admin server answers only to localhost, loopback addresses and ${host} (Host: ${JSON.stringify(req.headers.host ?? '')} refused)\n`)
    }
    const path = (req.url ?? '/').split('?')[0]!
    const safe = req.method === 'GET' || req.method === 'HEAD'
    // A web page open in the browser may POST to 127.0.0.1 (a "simple" cross-origin request needs no
    // preflight): refuse state-changing requests that a browser marks as coming from another origin.
    // Tools (sls-run invoke, curl) send no Origin.
    const origin = req.headers.origin
    if (!safe && ((origin !== undefined && origin !== `http://${req.headers.host}`) || req.headers['sec-fetch-site'] === 'cross-site')) {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' })
      return void res.end('cross-origin requests to the admin server are refused\n')
    }
    const key = safe ? path : `${req.method} ${path}`
    const handler = routes[key] ?? prefixRoute(routes, key)
    if (!handler) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
      return void res.end(
        `not found: try ${Object.keys(routes)
          .filter((r) => !r.endsWith('*'))
          .join(', ')}\n`,
      )
    }
    Promise.resolve(handler(req, res)).catch((error: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
      res.end(`${error.message}\n`)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new SlsError('PORT_IN_USE', `port ${port} is already in use`, { exitCode: ExitCode.usage, hints: ['Stop what listens there, or choose another port with --admin-port.'] })
          : error,
      ),
    )
    server.listen(port, host, () => resolve())
  })
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** Whether a Host header names this machine: localhost (and *.localhost), a loopback address, or the bind address. */
export function localHost(header: string | undefined, bindHost: string): boolean {
  if (!header) return false
  const name = header.startsWith('[') ? header.slice(1, header.indexOf(']')) : header.replace(/:\d+$/, '')
  const lower = name.toLowerCase()
  if (lower === 'localhost' || lower.endsWith('.localhost') || lower === bindHost.toLowerCase()) return true
  if (net.isIPv4(lower)) return lower.startsWith('127.')
  return net.isIPv6(lower) && (lower === '::1' || /^::ffff:127\./.test(lower))
}

function prefixRoute(routes: Record<string, Handler>, path: string): Handler | undefined {
  const key = Object.keys(routes).find((r) => r.endsWith('/*') && path.startsWith(r.slice(0, -1)))
  return key ? routes[key] : undefined
}

export function sendJson(res: http.ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body))
}
