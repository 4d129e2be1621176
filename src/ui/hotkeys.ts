/**
 * Hotkeys of `sls-run dev` on an interactive terminal (never under CI or without a TTY on stdin):
 * r rebuild now, o open the dashboard, c clear, q quit. In raw mode the terminal no longer turns
 * Ctrl-C into SIGINT, so it is forwarded as one (a second Ctrl-C still kills at once).
 */
import { spawn } from 'node:child_process'

export interface HotkeyActions {
  rebuild(): void
  dashboardUrl: string
  note(text: string): void
}

export function startHotkeys(actions: HotkeyActions, interactive: boolean): () => void {
  const stdin = process.stdin
  if (!interactive || !stdin.isTTY) return () => undefined
  stdin.setRawMode(true)
  stdin.resume()
  stdin.setEncoding('utf8')
  const onData = (key: string) => {
    if (key === '\u0003' || key === 'q') return void process.kill(process.pid, 'SIGINT')
    if (key === 'r') return actions.rebuild()
    if (key === 'c') return void process.stderr.write('\u001b[2J\u001b[3J\u001b[H')
    if (key === 'o') return openUrl(actions.dashboardUrl, actions.note)
  }
  stdin.on('data', onData)
  actions.note('keys: r rebuild · o open the dashboard · c clear · q quit')
  return () => {
    stdin.off('data', onData)
    if (stdin.isTTY) stdin.setRawMode(false)
    stdin.pause()
  }
}

function openUrl(url: string, note: (text: string) => void): void {
  const [command, ...args] = process.platform === 'darwin' ? ['open', url] : process.platform === 'win32' ? ['cmd', '/c', 'start', '', url] : ['xdg-open', url]
  const child = spawn(command!, args, { detached: true, stdio: 'ignore' })
  child.once('error', () => note(`dashboard: ${url}`))
  child.unref()
}
