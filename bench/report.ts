/**
 * What every benchmark writes: aligned markdown tables on stdout, and one JSON file under bench/results/
 * with the machine it ran on. Node built-ins only.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/** bench/results/<name>.json: where a bench writes its JSON unless --out says otherwise. */
export const resultsFile = (name: string): string => path.join(ROOT, 'bench', 'results', `${name}.json`)

export type Cell = string | number | boolean | null | undefined

/** An aligned markdown table, ending with a newline: first column left, the others right. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
  const all = [header, ...rows.map((r) => r.map((c) => String(c ?? '')))]
  const widths = header.map((_, i) => Math.max(...all.map((r) => [...(r[i] ?? '')].length)))
  const lines = all.map((r) => `| ${widths.map((w, i) => (i ? (r[i] ?? '').padStart(w) : (r[i] ?? '').padEnd(w))).join(' | ')} |`)
  lines.splice(1, 0, `|${widths.map((w, i) => (i ? '-'.repeat(w + 1) + ':' : ':' + '-'.repeat(w + 1))).join('|')}|`)
  return lines.join('\n') + '\n'
}

/** `x` with `digits` decimals, '—' for no number. */
export const f = (x: number | null | undefined, digits = 1): string => (x == null || Number.isNaN(x) ? '—' : x.toFixed(digits))
/** Rounded to 0.01, for the JSON; NaN for no number (JSON.stringify writes it as null). */
export const r2 = (x: number | null | undefined): number => (x == null ? NaN : Math.round(x * 100) / 100)
/** Rounded to 0.001; NaN for no number. */
export const r3 = (x: number | null | undefined): number => (x == null ? NaN : Math.round(x * 1000) / 1000)

export interface Machine {
  cpuModel: string
  cpuCount: number
  totalMemBytes: number
  platform: NodeJS.Platform
  arch: string
  osRelease: string
}

export function machineInfo(): Machine {
  const cpus = os.cpus()
  return { cpuModel: cpus[0]?.model ?? 'unknown', cpuCount: cpus.length, totalMemBytes: os.totalmem(), platform: process.platform, arch: process.arch, osRelease: os.release() }
}

/** "node v…, <CPU> × <count>, <memory> GiB", the start of a bench's header line. */
export const machineLine = (machine: Machine): string => `node ${process.version}, ${machine.cpuModel} × ${machine.cpuCount}, ${(machine.totalMemBytes / 2 ** 30).toFixed(1)} GiB`

/** Writes `result` as JSON (2-space indent, final newline), making the folder; returns the path to print (relative to the cwd when inside it). */
export function writeResults(file: string, result: unknown): string {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n')
  const shown = path.relative(process.cwd(), file)
  return shown && !shown.startsWith('..') ? shown : file
}
