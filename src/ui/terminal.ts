/** What the terminal allows: colour, spinners, prompts. Never under CI or when stdout is not a TTY. */
export interface TerminalInfo {
  interactive: boolean
  color: boolean
}

export function detectTerminal(env: NodeJS.ProcessEnv = process.env, stream: { isTTY?: boolean } = process.stdout): TerminalInfo {
  const ci = Boolean(env.CI) && env.CI !== 'false' && env.CI !== '0'
  const interactive = Boolean(stream.isTTY) && !ci && env.TERM !== 'dumb'
  const color = env.FORCE_COLOR ? env.FORCE_COLOR !== '0' : interactive && !('NO_COLOR' in env)
  return { interactive, color }
}

const CODES = { red: [31, 39], yellow: [33, 39], green: [32, 39], cyan: [36, 39], dim: [2, 22], bold: [1, 22] } as const
export type Style = keyof typeof CODES

export function painter(color: boolean) {
  return (style: Style, text: string) => (color ? `\u001b[${CODES[style][0]}m${text}\u001b[${CODES[style][1]}m` : text)
}
export type Paint = ReturnType<typeof painter>
