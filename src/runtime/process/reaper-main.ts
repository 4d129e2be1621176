/**
 * The reaper: a tiny process that outlives `sls-run dev` by design (testcontainers' Ryuk, for
 * processes). sls-run writes `+<pgid>` / `-<pgid>` lines to its stdin as instances start and end.
 * When stdin closes, sls-run is gone, however it died (even SIGKILL), so every group still listed
 * gets SIGTERM, then SIGKILL after a short grace, and the reaper exits.
 *
 * Containers too: `d<session>\t<docker socket path>` asks it to remove, on the same signal, every
 * container labelled with that session (through the engine's API on its unix socket).
 */
import http from 'node:http'

const GRACE_MS = 3000
const groups = new Set<number>()
const dockerSessions = new Map<string, string>()
let buffered = ''

const signal = (pgid: number, sig: NodeJS.Signals) => {
  try {
    process.kill(-pgid, sig)
    return true
  } catch {
    return false
  }
}

// Ctrl-C reaches the whole terminal group; the reaper must stay to clean up after it.
for (const sig of ['SIGINT', 'SIGHUP', 'SIGTERM'] as const) process.on(sig, () => undefined)

process.stdin.setEncoding('utf8')
process.stdin.on('data', (chunk: string) => {
  const lines = (buffered + chunk).split('\n')
  buffered = lines.pop() ?? ''
  for (const line of lines) {
    if (line.startsWith('d')) {
      const [session, socketPath] = line.slice(1).split('\t')
      if (session && socketPath) dockerSessions.set(session, socketPath)
      continue
    }
    const pgid = Number(line.slice(1))
    if (!Number.isInteger(pgid) || pgid <= 1) continue
    if (line.startsWith('+')) groups.add(pgid)
    else if (line.startsWith('-')) groups.delete(pgid)
  }
})
function engine(socketPath: string, method: string, path: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath, method, path, timeout: 10_000 }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve(body))
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(''))
    req.end()
  })
}

async function removeSessionContainers(session: string, socketPath: string): Promise<void> {
  const filters = encodeURIComponent(JSON.stringify({ label: [`dev.sls-run.session=${session}`] }))
  let list: Array<{ Id: string }> = []
  try {
    list = JSON.parse(await engine(socketPath, 'GET', `/containers/json?all=1&filters=${filters}`)) as Array<{ Id: string }>
  } catch {
    return
  }
  await Promise.all(list.map((c) => engine(socketPath, 'DELETE', `/containers/${c.Id}?force=1&v=1`)))
}

process.stdin.on('close', () => {
  const containers = Promise.all([...dockerSessions].map(([session, socketPath]) => removeSessionContainers(session, socketPath)))
  let alive = [...groups].filter((pgid) => signal(pgid, 'SIGTERM'))
  const deadline = Date.now() + GRACE_MS
  const poll = setInterval(() => {
    alive = alive.filter((pgid) => signal(pgid, 0 as unknown as NodeJS.Signals))
    if (alive.length && Date.now() < deadline) return
    for (const pgid of alive) signal(pgid, 'SIGKILL')
    clearInterval(poll)
    void containers.finally(() => process.exit(0))
  }, 100)
})
