/**
 * Field builders for the sls-run.yaml schema. Each one carries its own error message (in the
 * "must …" form that diagnostics prefix with the key path) and, where the input is a near miss, a hint.
 */
import { Cron } from 'croner'
import { CRON_OPTIONS } from '../cron.js'
import * as z from '../../vendor/zod.js'
import { DURATION_PATTERN, SIZE_PATTERN, durationHint, formatDuration, formatSize, parseDuration, parseSize, sizeHint } from './units.js'

export const got = (value: unknown): string => {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  return JSON.stringify(value)
}

/** An integer in [min, max]; the message names both bounds. */
export function intRange(min: number, max: number) {
  const error = (issue: { input?: unknown }) => `must be a whole number between ${min} and ${max} (got ${got(issue.input)})`
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error })
}

/** A number in [min, max], fractions allowed. */
export function numberRange(min: number, max: number) {
  const error = (issue: { input?: unknown }) => `must be a number between ${min} and ${max} (got ${got(issue.input)})`
  return z.number({ error }).min(min, { error }).max(max, { error })
}

/**
 * A unit-bearing scalar (duration or size): text checked by `parse`, then within [min, max].
 * Accepts any YAML value so that a bare number (`idleTimeout: 60`) gets the unit hint too.
 */
function unitScalar(kind: { what: string; pattern: string; parse: (text: string) => number | undefined; hint: (text: string) => string; show: (n: number) => string }, min: string, max: string) {
  const [lo, hi] = [kind.parse(min)!, kind.parse(max)!]
  return z
    .any()
    .superRefine((value: unknown, ctx) => {
      const text = typeof value === 'number' ? String(value) : value
      const parsed = typeof value === 'string' ? kind.parse(value) : undefined
      if (parsed === undefined) {
        const hint = typeof text === 'string' ? kind.hint(text) : undefined
        ctx.addIssue({ code: 'custom', input: value, message: `must be ${kind.what} (got ${got(value)})`, ...(hint ? { params: { hint } } : {}) })
      } else if (parsed < lo || parsed > hi) {
        ctx.addIssue({ code: 'custom', input: value, message: `must be between ${min} and ${max} (got ${String(value)}${kind.show(parsed) === value ? '' : ` = ${kind.show(parsed)}`})` })
      }
    })
    .transform((value: string) => kind.parse(value)!)
    .meta({ type: 'string', pattern: kind.pattern })
}

/** A duration string (250ms, 30s, 5m, 1h) within [min, max], resolved to milliseconds. */
export const duration = (min: string, max: string) =>
  unitScalar({ what: 'a duration like 250ms, 30s, 5m or 1h', pattern: DURATION_PATTERN, parse: parseDuration, hint: durationHint, show: formatDuration }, min, max)

/** A size string (512Mi, 1Gi, 150MB) within [min, max], resolved to bytes. */
export const size = (min: string, max: string) => unitScalar({ what: 'a size like 512Mi, 1Gi or 150MB', pattern: SIZE_PATTERN, parse: parseSize, hint: sizeHint, show: formatSize }, min, max)

/** A string matching a pattern, with a plain-language description of what it must be. */
export function patterned(pattern: RegExp, what: string, maxLength = 253) {
  const error = (issue: { input?: unknown }) => `must be ${what} (got ${got(issue.input)})`
  return z
    .string({ error })
    .max(maxLength, { error: (issue) => `must be at most ${maxLength} characters (got ${String(issue.input).length})` })
    .regex(pattern, { error })
}

export const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/
export const dnsLabel = (maxLength: number) =>
  patterned(DNS_LABEL, `a DNS label: lowercase letters, digits and '-', starting with a letter, not ending with '-', at most ${maxLength} characters`, maxLength)

export const text = (what = 'a string') => z.string({ error: (issue) => `must be ${what} (got ${got(issue.input)})` })
export const nonEmpty = (what = 'a non-empty string') => text(what).min(1, { error: () => `must be ${what} (got "")` })
export const bool = () => z.boolean({ error: (issue) => `must be true or false (got ${got(issue.input)})` })

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: (issue) => `must be one of ${values.join(', ')} (got ${got(issue.input)})` })
}

export function list<T extends z.ZodType>(item: T, what: string) {
  return z.array(item, { error: (issue) => `must be a list of ${what} (got ${got(issue.input)})` })
}

/** A command: a list of arguments (exec form) or one string (run through a shell). */
export const command = () =>
  z.union([nonEmpty(), list(nonEmpty(), 'arguments').min(1, { error: () => 'must not be an empty list' })], {
    error: (issue) => `must be a command: a string or a list of arguments (got ${got(issue.input)})`,
  })

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
/** Variables the platform sets itself (Cloud Run's reserved names). */
export const RESERVED_ENV = ['PORT', 'K_SERVICE', 'K_REVISION', 'K_CONFIGURATION']

/** Environment variables: names are shell identifiers; values are strings (numbers and booleans are converted) without NUL. */
export const envMap = () =>
  z.record(
    patterned(ENV_NAME, 'a variable name (letters, digits, _; not starting with a digit)').refine((name) => !RESERVED_ENV.includes(name), {
      error: (issue) => `${String(issue.input)} is reserved: the platform sets it for every instance`,
    }),
    z
      .union([z.string(), z.number(), z.boolean()], { error: (issue) => `must be a string, number or boolean (got ${got(issue.input)})` })
      .transform(String)
      .refine((value) => !value.includes('\u0000'), {
        error: () => 'must not contain a NUL character (\\0): no process environment can hold one',
        params: { hint: 'Remove the \\0 (or \\x00) escape from the value.' },
      }),
    { error: (issue) => `must be a mapping of NAME: value (got ${got(issue.input)})` },
  )

export function mapping<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'invalid_type' ? `must be a mapping (got ${got(issue.input)})` : undefined),
  })
}

/** An IANA time zone name (Europe/Berlin, Etc/UTC), as the host's Intl knows them. */
export const timeZone = () =>
  nonEmpty('an IANA time zone such as Europe/Berlin or Etc/UTC').refine(
    (zone) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: zone })
        return true
      } catch {
        return false
      }
    },
    { error: (issue) => `must be an IANA time zone such as Europe/Berlin or Etc/UTC (got ${got(issue.input)})` },
  )

/**
 * A cron expression: unix-cron's five fields as Cloud Scheduler reads them (minute hour day month
 * weekday), a nickname (@hourly, @daily…), or six fields with seconds first (a local extension, handy
 * for trying a schedule out).
 */
export const cronExpression = () =>
  nonEmpty('a cron expression such as "*/5 * * * *"').superRefine((expr, ctx) => {
    try {
      new Cron(expr, CRON_OPTIONS) // as the scheduler reads it (a 7th field, a year, is refused)
    } catch (error) {
      ctx.addIssue({ code: 'custom', input: expr, message: `must be a cron expression such as "*/5 * * * *": ${(error as Error).message} (got ${got(expr)})` })
    }
  })

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const

/** Request headers: token names (RFC 9110) to string values. */
export const headerMap = () =>
  z.record(
    patterned(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'a header name'),
    z.union([z.string(), z.number(), z.boolean()], { error: (issue) => `must be a string (got ${got(issue.input)})` }).transform(String),
    { error: (issue) => `must be a mapping of Header-Name: value (got ${got(issue.input)})` },
  )
