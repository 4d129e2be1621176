/**
 * Cron arithmetic for scheduled jobs, over croner: 5 fields (unix-cron, as Cloud Scheduler), the
 * nicknames (@hourly, @daily…), or 6 fields with seconds first (a local extension). Pure: the answer
 * depends only on the arguments.
 *
 * Day of month and day of week both restricted: either one matching is enough (croner's default,
 * the unix-cron rule). Daylight saving time, as croner computes it (see test/unit/cron.test.ts):
 * a wall time that does not exist (Europe/Berlin 2026-03-29 02:30, clocks jump 02:00 → 03:00) fires
 * at the first instant after the gap (03:00 CEST); a wall time that happens twice (2026-10-25 02:30)
 * fires once, at its first occurrence (CEST). Cloud Scheduler documents only that DST "can cause
 * jobs to run or not run unexpectedly" because it runs on wall clock time
 * (https://cloud.google.com/scheduler/docs/configuring/cron-job-schedules#time_zone).
 */
import { Cron } from 'croner'

const cache = new Map<string, Cron>()

/** The croner options every expression is read with, at config load (fields.ts) and at run time. */
export const CRON_OPTIONS = { paused: true, mode: '5-or-6-parts' } as const

function compile(cron: string, timezone: string): Cron {
  const key = `${timezone}\u0000${cron}`
  let compiled = cache.get(key)
  if (!compiled) {
    compiled = new Cron(cron, { ...CRON_OPTIONS, timezone })
    cache.set(key, compiled)
  }
  return compiled
}

/** The first tick strictly after `from`, or null when the expression never fires again. */
export function nextRun(cron: string, timezone: string, from: Date): Date | null {
  return compile(cron, timezone).nextRun(from)
}

/** The next `count` ticks strictly after `from` (fewer when the expression stops firing). */
export function nextRuns(cron: string, timezone: string, from: Date, count: number): Date[] {
  return compile(cron, timezone).nextRuns(count, from)
}

/** The nicknames croner reads, as the five standard cron fields they stand for (the same instants). */
export const CRON_NICKNAMES: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
}

const MONTH_AND_DAY_NAMES = /\b(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|SUN|MON|TUE|WED|THU|FRI|SAT)\b/gi

/**
 * A schedule's cron as the five standard (unix-cron) fields the platforms' schedulers read (Cloud Scheduler,
 * Knative's PingSource, Container Apps jobs): a nickname as its fields, croner's `?` as `*`. Or why it has
 * no such form: a seconds field (6 fields run in `sls-run dev` only), or croner's L / W / # / + day modifiers.
 */
export function standardCron(cron: string): { fields: string } | { problem: string } {
  const trimmed = cron.trim()
  if (trimmed.startsWith('@')) {
    const fields = CRON_NICKNAMES[trimmed.toLowerCase()]
    return fields ? { fields } : { problem: `${trimmed} is not a nickname standard cron has five fields for` }
  }
  const fields = trimmed.split(/\s+/)
  if (fields.length !== 5) return { problem: `it has ${fields.length} fields, a seconds field (6 fields run locally only): standard cron has 5` }
  const [, , dom = '', , dow = ''] = fields.map((f) => f.replace(MONTH_AND_DAY_NAMES, ''))
  if (/[LW]/i.test(dom) || /[L#]/i.test(dow) || dow.startsWith('+')) return { problem: `"${cron}" uses croner's L / W / # / + day modifiers, which standard cron does not have` }
  return { fields: fields.map((f) => f.replace(/\?/g, '*')).join(' ') }
}
