/** The client side of reaper-main: starts it once per session and tells it which groups to reap. */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

let reaper: ChildProcess | undefined

/** Starts the reaper (idempotent). Without the compiled reaper-main.js (tests run from sources), nothing happens. */
export function startReaper(): void {
  if (reaper) return
  const main = fileURLToPath(new URL('./reaper-main.js', import.meta.url))
  if (!existsSync(main)) return
  reaper = spawn(process.execPath, [main], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] })
  reaper.on('error', () => (reaper = undefined))
  reaper.stdin!.on('error', () => undefined)
  reaper.unref()
  ;(reaper.stdin as unknown as { unref(): void }).unref()
}

export function reap(pgid: number, watch: boolean): void {
  reaper?.stdin?.write(`${watch ? '+' : '-'}${pgid}\n`)
}

/** The reaper also removes this session's containers when sls-run dies (local engines on a unix socket). */
export function reapContainers(session: string, socketPath: string): void {
  reaper?.stdin?.write(`d${session}\t${socketPath}\n`)
}
