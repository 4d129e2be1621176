import net from 'node:net'

/** A port nobody listens on right now (the OS picks it); racy by nature, but the app binds it at once. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, host, () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close((error) => (error ? reject(error) : resolve(port)))
    })
  })
}
