/**
 * When a process started, as a token that tells one process from a later one that got the same pid.
 * A pid alone names whichever process has it now; pid + start time names one process for good.
 *
 * Linux: field 22 of /proc/<pid>/stat (clock ticks since boot) with the boot's id, so a record made
 * before a reboot never matches. Elsewhere: `ps -o lstart= -p PID` in the C locale (to the second).
 * The command line is not compared: `sh -c` execs the app and a Node app may set process.title, so it
 * changes under a process that is still the same one; the start time never does.
 */
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'

let bootId: Promise<string> | undefined

/** This boot's id (/proc/sys/kernel/random/boot_id), else the boot time (`btime` of /proc/stat). */
function currentBoot(): Promise<string> {
  bootId ??= readFile('/proc/sys/kernel/random/boot_id', 'utf8').then(
    (id) => id.trim(),
    () =>
      readFile('/proc/stat', 'utf8').then(
        (stat) => /^btime (\d+)$/m.exec(stat)?.[1] ?? 'unknown-boot',
        () => 'unknown-boot',
      ),
  )
  return bootId
}

async function linuxStartTime(pid: number): Promise<string | undefined> {
  // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so count fields after the last `)`.
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  if (stat === undefined) return undefined
  const ticks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] // field 22; field 3 (state) is [0]
  return ticks && /^\d+$/.test(ticks) ? `${await currentBoot()}:${ticks}` : undefined
}

function psStartTime(pid: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('ps', ['-o', 'lstart=', '-p', String(pid)], { env: { ...process.env, LC_ALL: 'C' }, timeout: 5000 }, (error, stdout) => {
      const text = stdout.trim().replace(/\s+/g, ' ')
      resolve(error || !text ? undefined : text)
    })
  })
}

/** The start-time token of a running process, or undefined when it is gone (or cannot be read). */
export function processStartTime(pid: number): Promise<string | undefined> {
  if (!Number.isInteger(pid) || pid <= 0) return Promise.resolve(undefined)
  return process.platform === 'linux' ? linuxStartTime(pid) : psStartTime(pid)
}
