import { createApp, log } from './app.js'

const port = Number(process.env.PORT ?? {{port}})
const server = createApp()
server.listen(port, '0.0.0.0', () => log('INFO', 'listening', { port }))

// Graceful stop: the platform sends SIGTERM, then SIGKILL after its grace period (10 s on Cloud Run).
// Stop accepting, let in-flight requests finish, close idle keep-alive connections, exit 0.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    log('INFO', 'shutting down', { signal })
    server.close(() => process.exit(0))
    server.closeIdleConnections()
    setTimeout(() => {
      log('WARNING', 'in-flight requests still running after 8 s; exiting')
      process.exit(0)
    }, 8000).unref()
  })
}
