// A tiny HTTP service that follows the container contract: listens on $PORT, answers /healthz,
// stops cleanly on SIGTERM. Each request "works" for WORK_MS (default 50 ms), so a burst needs
// several instances. No dependencies.
import http from 'node:http'

const port = Number(process.env.PORT ?? 8080)
const workMs = Number(process.env.WORK_MS ?? 50)
const server = http.createServer((req, res) => {
  if (req.url === '/healthz') return res.end('ok')
  setTimeout(() => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ greeting: process.env.GREETING ?? 'hello', service: process.env.K_SERVICE, revision: process.env.K_REVISION }))
  }, workMs)
})
server.listen(port, '0.0.0.0', () => console.log(JSON.stringify({ msg: 'listening', port })))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
