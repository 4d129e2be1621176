/** Questions on an interactive terminal (never under CI or without a TTY: commands check that first). */
import { createInterface } from 'node:readline/promises'

export interface Asker {
  text(question: string, fallback: string, check?: (answer: string) => string | undefined): Promise<string>
  choose(question: string, choices: Array<{ value: string; label: string }>, fallback: string): Promise<string>
  close(): void
}

export function terminalAsker(input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stderr): Asker {
  const rl = createInterface({ input, output, terminal: true })
  const ask = async (question: string, fallback: string, check?: (answer: string) => string | undefined): Promise<string> => {
    for (;;) {
      const answer = (await rl.question(`${question} (${fallback}): `)).trim() || fallback
      const problem = check?.(answer)
      if (!problem) return answer
      output.write(`  ${problem}\n`)
    }
  }
  return {
    text: ask,
    async choose(question, choices, fallback) {
      output.write(`${question}\n${choices.map((c, i) => `  ${i + 1}) ${c.value.padEnd(8)} ${c.label}`).join('\n')}\n`)
      const answer = await ask('choose a number or a name', fallback, (a) => (choices.some((c, i) => c.value === a || String(i + 1) === a) ? undefined : `pick 1-${choices.length} or one of ${choices.map((c) => c.value).join(', ')}`))
      return choices.find((c, i) => c.value === answer || String(i + 1) === answer)!.value
    },
    close: () => rl.close(),
  }
}
