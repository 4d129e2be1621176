/**
 * The reaper: a tiny process that outlives `sls-run dev` by design (testcontainers' Ryuk, for
 * processes). sls-run writes `+<pgid>` / `-<pgid>` lines to its stdin as instances start and end.
 * When stdin closes, sls-run is gone, however it died (even SIGKILL), so every group still listed
 * gets SIGTERM, then SIGKILL after a short grace, and the reaper exits.
 */
const GRACE_MS = 3000
const groups = new Set<number>()
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
    const pgid = Number(line.slice(1))
    if (!Number.isInteger(pgid) || pgid <= 1) continue
    if (line.startsWith('+')) groups.add(pgid)
    else if (line.startsWith('-')) groups.delete(pgid)
  }
})
process.stdin.on('close', () => {
  let alive = [...groups].filter((pgid) => signal(pgid, 'SIGTERM'))
  const deadline = Date.now() + GRACE_MS
  const poll = setInterval(() => {
    alive = alive.filter((pgid) => signal(pgid, 0 as unknown as NodeJS.Signals))
    if (alive.length && Date.now() < deadline) return
    for (const pgid of alive) signal(pgid, 'SIGKILL')
    clearInterval(poll)
    process.exit(0)
  }, 100)
})
