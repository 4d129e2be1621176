/**
 * The stable debugger port of `sls-run dev --inspect` (127.0.0.1:9229 by default): a TCP forwarder to
 * the debugger of the service's current debug instance. Debuggers keep one address across reloads
 * (a new revision's instance announces a new port; new connections go there), and Node's inspector
 * builds its `/json/list` URLs from the Host header, so they name this port, not the instance's.
 */
import net from 'node:net'

export interface DebugTarget {
  host: string
  port: number
}

export class DebugProxy {
  private readonly server: net.Server
  private readonly sockets = new Set<net.Socket>()
  private target?: DebugTarget

  constructor() {
    this.server = net.createServer((client) => this.forward(client))
  }

  listen(port: number, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, host, () => {
        this.server.off('error', reject)
        resolve((this.server.address() as net.AddressInfo).port)
      })
    })
  }

  /** Where new connections go (undefined: refused until a debugger announces itself). */
  retarget(target: DebugTarget | undefined): void {
    this.target = target
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private forward(client: net.Socket): void {
    const target = this.target
    if (!target) return void client.destroy()
    const upstream = net.connect(target)
    for (const socket of [client, upstream]) {
      this.sockets.add(socket)
      socket.once('close', () => this.sockets.delete(socket))
      socket.once('error', () => undefined) // either side going away closes both (below)
    }
    client.pipe(upstream)
    upstream.pipe(client)
    client.once('close', () => upstream.destroy())
    upstream.once('close', () => client.destroy())
  }
}
