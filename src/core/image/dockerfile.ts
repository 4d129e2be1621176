/**
 * Just enough Dockerfile parsing for what sls-run says about a build: which stages there are (to check
 * `build.target` before the engine is called), which external image the built stage starts from (for
 * "size added over the base"), and which line made each layer (for the size report). The engine stays
 * the judge of syntax; this parser never rejects a file the engine would accept.
 */

export interface Instruction {
  keyword: string
  /** Arguments as written, continuation lines joined with a space. */
  args: string
  /** 1-based line where the instruction starts. */
  line: number
  /** 0-based index of the stage the instruction belongs to (-1: before the first FROM). */
  stage: number
}

export interface Stage {
  index: number
  name?: string
  /** What FROM names, after ARG substitution: an image reference or an earlier stage's name/index. */
  from: string
  line: number
  instructions: Instruction[]
}

export interface Dockerfile {
  instructions: Instruction[]
  stages: Stage[]
}

export function parseDockerfile(text: string, buildArgs: Record<string, string> = {}): Dockerfile {
  const lines = text.replace(/\r\n?/g, '\n').split('\n')
  const escape = escapeDirective(lines)
  const instructions: Instruction[] = []
  const stages: Stage[] = []
  const globalArgs: Record<string, string> = {}
  let i = 0
  while (i < lines.length) {
    const start = i
    let raw = lines[i++]!
    if (/^\s*(#|$)/.test(raw)) continue
    // Continuation: a line ending in the escape character goes on; comment and blank lines inside are skipped.
    while (endsWithEscape(raw, escape) && i < lines.length) {
      raw = raw.replace(/\s*$/, '').slice(0, -1).trimEnd()
      let next = lines[i++]!
      while (/^\s*#/.test(next) && i < lines.length) next = lines[i++]!
      raw = `${raw} ${next.trim()}`
    }
    const match = /^\s*(\S+)\s*(.*)$/.exec(raw)
    if (!match) continue
    const keyword = match[1]!.toUpperCase()
    const args = match[2]!.trim()
    if (keyword === 'FROM') {
      const words = args.split(/\s+/).filter((w) => !w.startsWith('--'))
      const name = words.length >= 3 && words[1]!.toUpperCase() === 'AS' ? words[2]!.toLowerCase() : undefined
      stages.push({ index: stages.length, name, from: substitute(words[0] ?? '', { ...globalArgs, ...pick(buildArgs, globalArgs) }), line: start + 1, instructions: [] })
    } else if (keyword === 'ARG' && stages.length === 0) {
      const [key, value] = splitArg(args)
      globalArgs[key] = value ?? ''
    }
    const instruction: Instruction = { keyword, args, line: start + 1, stage: stages.length - 1 }
    instructions.push(instruction)
    if (keyword !== 'FROM' && stages.length) stages[stages.length - 1]!.instructions.push(instruction)
  }
  return { instructions, stages }
}

/** The stage a build ends at: the target, or the last stage. Undefined when the target is unknown. */
export function targetStage(file: Dockerfile, target?: string): Stage | undefined {
  if (!target) return file.stages[file.stages.length - 1]
  return file.stages.find((s) => s.name === target.toLowerCase())
}

/**
 * The stages an image is made of, from the one that starts from an external image to `stage`
 * (`FROM build AS runtime` inherits build's layers), plus that external image ('scratch' included).
 */
export function stageChain(file: Dockerfile, stage: Stage): { base: string; stages: Stage[] } {
  const chain: Stage[] = [stage]
  let current = stage
  for (;;) {
    const parent = file.stages.find((s, index) => index < current.index && (s.name === current.from.toLowerCase() || String(index) === current.from))
    if (!parent) return { base: current.from, stages: chain }
    chain.unshift(parent)
    current = parent
  }
}

function escapeDirective(lines: string[]): string {
  for (const line of lines) {
    const directive = /^#\s*([a-z]+)\s*=\s*(\S+)\s*$/i.exec(line)
    if (!directive) break
    if (directive[1]!.toLowerCase() === 'escape' && (directive[2] === '`' || directive[2] === '\\')) return directive[2]
  }
  return '\\'
}

function endsWithEscape(line: string, escape: string): boolean {
  return !/^\s*#/.test(line) && line.replace(/\s*$/, '').endsWith(escape)
}

function splitArg(args: string): [string, string | undefined] {
  const eq = args.indexOf('=')
  if (eq < 0) return [args.trim(), undefined]
  return [
    args.slice(0, eq).trim(),
    args
      .slice(eq + 1)
      .trim()
      .replace(/^(["'])(.*)\1$/, '$2'),
  ]
}

function pick(from: Record<string, string>, keys: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(from).filter(([k]) => k in keys))
}

/** `$VAR`, `${VAR}`, `${VAR:-default}` and `${VAR:+alt}` as Docker substitutes them in FROM. */
export function substitute(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, braced, op, word, bare) => {
    const name = (braced ?? bare) as string
    const set = vars[name] !== undefined && vars[name] !== ''
    if (op === '-') return set ? vars[name]! : (word as string)
    if (op === '+') return set ? (word as string) : ''
    return vars[name] ?? ''
  })
}
