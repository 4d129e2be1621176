/**
 * Questions on an interactive terminal (never under CI or without a TTY: commands check that first).
 * Answers are read from a line queue, so type-ahead and pasted answers are kept for the next questions;
 * Ctrl-C or Ctrl-D aborts with a user error (nothing has been written at that point).
 */
import { createInterface } from 'node:readline'
import { ExitCode, SlsError } from '../errors.js'

export interface Asker {
  text(question: string, fallback: string, check?: (answer: string) => string | undefined): Promise<string>
  choose(question: string, choices: Array<{ value: string; label: string }>, fallback: string): Promise<string>
  /** `question [y/N]: `; only y or yes (any case) is a yes. */
  confirm(question: string): Promise<boolean>
  close(): void
}

const aborted = () => new SlsError('ABORTED', 'stopped at a question; nothing was written', { exitCode: ExitCode.usage, hints: ['Pass the choices as flags (see --help) to skip the questions.'] })

export function terminalAsker(input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stderr): Asker {
  const rl = createInterface({ input, output, terminal: true })
  const lines: string[] = []
  let waiting: { resolve: (line: string) => void; reject: (error: Error) => void } | undefined
  let closed = false
  rl.on('line', (line) => (waiting ? (waiting.resolve(line), (waiting = undefined)) : lines.push(line)))
  const end = () => {
    closed = true
    waiting?.reject(aborted())
    waiting = undefined
  }
  rl.on('close', end)
  rl.on('SIGINT', () => rl.close())
  const next = (): Promise<string> => {
    if (lines.length) return Promise.resolve(lines.shift()!)
    if (closed) return Promise.reject(aborted())
    return new Promise((resolve, reject) => (waiting = { resolve, reject }))
  }
  const ask = async (question: string, fallback: string, check?: (answer: string) => string | undefined): Promise<string> => {
    for (;;) {
      rl.setPrompt(`${question} (${fallback}): `)
      rl.prompt()
      const answer = (await next()).trim() || fallback
      const problem = check?.(answer)
      if (!problem) return answer
      output.write(`  ${problem}\n`)
    }
  }
  return {
    text: ask,
    async choose(question, choices, fallback) {
      output.write(`${question}\n${choices.map((c, i) => `  ${i + 1}) ${c.value.padEnd(8)} ${c.label}`).join('\n')}\n`)
      const pick = (a: string) => choices.find((c, i) => c.value === a || String(i + 1) === a)
      const answer = await ask('choose a number or a name', fallback, (a) => (pick(a) ? undefined : `pick 1-${choices.length} or one of ${choices.map((c) => c.value).join(', ')}`))
      return pick(answer)!.value
    },
    async confirm(question) {
      rl.setPrompt(`${question} [y/N]: `)
      rl.prompt()
      return /^y(es)?$/i.test((await next()).trim())
    },
    close: () => rl.close(),
  }
}
