/**
 * A strict reader of the Prometheus text format (0.0.4): every line is a HELP/TYPE comment, blank, or a
 * sample `name{label="value",…} number`; every sample belongs to a declared family. Throws on anything else.
 */
export interface PromSample {
  name: string
  labels: Record<string, string>
  value: number
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? ([^ ]+)( -?\d+)?$/
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\["\\n])*)"(,|$)/
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])

export function parsePrometheus(text: string): { types: Map<string, string>; samples: PromSample[] } {
  const types = new Map<string, string>()
  const samples: PromSample[] = []
  text.split('\n').forEach((line, i) => {
    const where = `line ${i + 1}: ${line}`
    if (line === '' || line.startsWith('# HELP ')) return
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ')
      if (!name || !type || !TYPES.has(type)) throw new Error(`bad TYPE, ${where}`)
      return types.set(name, type)
    }
    if (line.startsWith('#')) return
    const m = SAMPLE.exec(line)
    if (!m) throw new Error(`not a sample, ${where}`)
    const labels: Record<string, string> = {}
    let rest = m[3] ?? ''
    while (rest) {
      const l = LABEL.exec(rest)
      if (!l) throw new Error(`bad labels, ${where}`)
      labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1')
      rest = rest.slice(l[0].length)
    }
    const value = m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4])
    if (Number.isNaN(value) && m[4] !== 'NaN') throw new Error(`bad value, ${where}`)
    const family = [...types.keys()].find((f) => m[1] === f || (/_(bucket|sum|count)$/.test(m[1]!) && m[1]!.replace(/_(bucket|sum|count)$/, '') === f))
    if (!family) throw new Error(`sample without a TYPE, ${where}`)
    samples.push({ name: m[1]!, labels, value })
  })
  return { types, samples }
}

/** The sum of `name`'s samples whose labels include `match`. */
export function sum(samples: PromSample[], name: string, match: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0)
}
