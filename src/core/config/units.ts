/**
 * Strict parsers for the two unit-bearing scalar kinds in sls-run.yaml.
 * Durations: an integer with one unit, `250ms`, `30s`, `5m`, `1h` (no bare numbers: `60` is ambiguous).
 * Sizes: Kubernetes quantities, binary `Ki Mi Gi Ti` or decimal `K M G T` (`KB MB GB TB` and `B` too).
 */

export const DURATION_PATTERN = '^[0-9]+(ms|s|m|h)$'
const DURATION_RE = new RegExp(DURATION_PATTERN)
const DURATION_UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const

export const SIZE_PATTERN = '^[0-9]+(\\.[0-9]+)?(B|Ki|Mi|Gi|Ti|K|M|G|T|KB|MB|GB|TB)$'
const SIZE_RE = new RegExp(SIZE_PATTERN)
const SIZE_UNIT_BYTES: Record<string, number> = {
  B: 1,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
}

/** Milliseconds, or undefined when the text is not a strict duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION_RE.exec(text)
  if (!match) return undefined
  const value = Number(text.slice(0, text.length - match[1]!.length))
  return value * DURATION_UNIT_MS[match[1] as keyof typeof DURATION_UNIT_MS]
}

/** Bytes, or undefined when the text is not a strict size. */
export function parseSize(text: string): number | undefined {
  const match = SIZE_RE.exec(text)
  if (!match) return undefined
  const unit = match[2]!
  return Math.round(Number(text.slice(0, text.length - unit.length)) * SIZE_UNIT_BYTES[unit]!)
}

/** The shortest exact spelling of a duration: 90000 → "90s", 1500 → "1500ms". */
export function formatDuration(ms: number): string {
  for (const [unit, factor] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= factor && ms % factor === 0) return `${ms / factor}${unit}`
  }
  return `${ms}ms`
}

/** Binary units for display: 536870912 → "512Mi". */
export function formatSize(bytes: number): string {
  for (const [unit, factor] of [
    ['Ti', 1024 ** 4],
    ['Gi', 1024 ** 3],
    ['Mi', 1024 ** 2],
    ['Ki', 1024],
  ] as const) {
    if (bytes >= factor) {
      const value = bytes / factor
      return `${Number.isInteger(value) ? value : value.toFixed(1)}${unit}`
    }
  }
  return `${bytes}B`
}

/** Decimal units, as `docker images` shows sizes: 119786123 → "119.8 MB". */
export function formatBytes(bytes: number): string {
  for (const [unit, factor] of [
    ['TB', 1e12],
    ['GB', 1e9],
    ['MB', 1e6],
    ['kB', 1e3],
  ] as const) {
    if (bytes >= factor) return `${(bytes / factor).toFixed(1)} ${unit}`
  }
  return `${bytes} B`
}

/** A hint for a near-miss spelling, e.g. "60" → "60s", "512mb" → "512MB or 512Mi". */
export function durationHint(text: string): string {
  if (/^[0-9]+$/.test(text)) return `add a unit: "${text}s" or "${text}ms"`
  if (/^[0-9]+\.[0-9]+(ms|s|m|h)$/.test(text)) return 'use a whole number with a smaller unit, e.g. "1500ms" for 1.5s'
  return 'write a whole number and one unit: ms, s, m or h (e.g. 250ms, 30s, 5m, 1h)'
}

export function sizeHint(text: string): string {
  const nearMiss = /^([0-9.]+)\s*([kmgt])i?b?$/i.exec(text)
  if (nearMiss) {
    const [, value, letter] = nearMiss
    const unit = letter!.toUpperCase()
    return `units are case-sensitive: "${value}${unit}i" (binary) or "${value}${unit}B" (decimal)`
  }
  if (/^[0-9]+$/.test(text)) return `add a unit, e.g. "${text}Mi"`
  return 'write a number and a unit: Ki, Mi, Gi (binary) or K, M, G, KB, MB, GB (decimal), e.g. 512Mi'
}
