/**
 * The dashboard on the admin port: the page (`/`, static files from the package's dashboard/ folder),
 * a live stream of server-sent events (`/api/events`: a snapshot, then every change, keep-alive
 * comments, closed when the emulator stops), the cost meter (`/api/cost`) and the snapshot as JSON
 * (`/api/dashboard`: per service also the autoscaler's model, desiredInstances, actualInstances, mode,
 * reason, concurrency and observed; `desired` in each history sample; scaling decisions among the
 * events). It also gives the emulator's metrics their billable time and the engine handle.
 *
 *   let dashboard: Dashboard | undefined
 *   new Emulator({ …, adminRoutes: (emulator) => (dashboard = dashboardRoutes(emulator, { docker })).routes })
 *   devLoop onEvent: (event) => dashboard?.publish(event)
 */
import { readFile } from 'node:fs/promises'
import type http from 'node:http'
import type Dockerode from 'dockerode'
import type { Published } from './state.js'
import { sendJson, type Handler } from '../http/admin.js'
import type { Emulator } from '../emulator/emulator.js'
import { DashboardState, type Message } from './state.js'

/** dashboard/ at the package root: three levels up from src/core/dashboard/ and from dist/core/dashboard/. */
export const ASSETS = new URL('../../../dashboard/', import.meta.url)
export const KEEP_ALIVE_MS = 15_000
const MAX_BUFFERED = 8 * 1024 * 1024

const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' }
/** Same-origin only: no inline script, no CDN. */
const CSP = "default-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

export interface DashboardOptions {
  /** The engine of the docker runtime, for container CPU and memory in /metrics. */
  docker?: Dockerode | (() => Dockerode | undefined)
  /** Keep-alive comment interval on the event stream (15 s). */
  keepAliveMs?: number
}

export interface Dashboard {
  routes: Record<string, Handler>
  /** Dev-loop events (changes, rebuilds, config reloads and errors) for the page. */
  publish(event: Published): void
  state: DashboardState
}

export function dashboardRoutes(emulator: Emulator, options: DashboardOptions = {}): Dashboard {
  const state = new DashboardState(emulator)
  const { docker } = options
  emulator.metrics.attach({
    billableSeconds: () => state.cost.billableSeconds(Date.now()),
    ...(docker ? { docker: typeof docker === 'function' ? docker : () => docker } : {}),
  })
  const routes: Record<string, Handler> = {
    '/': (req, res) => sendAsset(req, res, 'index.html'),
    '/dashboard/*': (req, res) => sendAsset(req, res, (req.url ?? '').split('?')[0]!.slice('/dashboard/'.length)),
    '/api/events': (req, res) => stream(state, req, res, options.keepAliveMs ?? KEEP_ALIVE_MS),
    '/api/cost': (_req, res) => sendJson(res, state.cost.report(Date.now())),
    '/api/dashboard': (_req, res) => sendJson(res, state.snapshot()),
  }
  return { routes, publish: (event) => state.publish(event), state }
}

async function sendAsset(req: http.IncomingMessage, res: http.ServerResponse, name: string): Promise<void> {
  const type = /^[\w-]+\.(html|js|css|svg)$/.exec(name)?.[1]
  const body = type ? await readFile(new URL(name, ASSETS)).catch(() => undefined) : undefined
  if (!body) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
    return void res.end('not found\n')
  }
  res.writeHead(200, { 'content-type': TYPES[type!]!, 'content-length': body.length, 'cache-control': 'no-cache', 'content-security-policy': CSP, 'x-content-type-options': 'nosniff' })
  res.end(req.method === 'HEAD' ? undefined : body)
}

function stream(state: DashboardState, req: http.IncomingMessage, res: http.ServerResponse, keepAliveMs: number): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' })
  res.flushHeaders()
  const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
  res.write('retry: 2000\n\n')
  send('snapshot', state.snapshot())
  if (state.done) {
    send('end', { at: Date.now() })
    return void res.end()
  }
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), keepAliveMs)
  keepAlive.unref()
  const stop = state.listen((message: Message) => {
    send(message.type, message)
    // The session ended, or a client this far behind: end the stream (an EventSource reconnects and starts from a fresh snapshot).
    if (message.type === 'end' || res.writableLength > MAX_BUFFERED) {
      cleanup()
      res.end()
    }
  })
  const cleanup = () => {
    stop()
    clearInterval(keepAlive)
  }
  req.once('close', cleanup)
  res.once('close', cleanup)
}
