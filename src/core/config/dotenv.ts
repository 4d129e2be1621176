/** The dotenv reader `envFile:` uses: the same for `config validate` (files.ts) and for the instances (emulator/contract.ts). */
import { readFileSync } from 'node:fs'
import { ExitCode, SlsError } from '../../errors.js'

/** A dotenv file: KEY=value lines, `#` comments, optional `export `, single or double quotes. */
export function readEnvFile(file: string): Record<string, string> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    throw new SlsError('ENV_FILE_NOT_FOUND', `envFile ${file} cannot be read`, { exitCode: ExitCode.usage, hints: ['Create it, or remove envFile from sls-run.yaml.'] })
  }
  const env: Record<string, string> = {}
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim()
    if (!line || line.startsWith('#')) return
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line)
    if (!match) {
      throw new SlsError('ENV_FILE_INVALID', `${file}:${index + 1}: not a KEY=value line`, { exitCode: ExitCode.usage, hints: ['Each line is KEY=value; comments start with #.'] })
    }
    const value = match[2]!
    const quoted = /^(['"])(.*)\1$/.exec(value)
    env[match[1]!] = quoted ? (quoted[1] === '"' ? quoted[2]!.replace(/\\n/g, '\n') : quoted[2]!) : value.replace(/\s+#.*$/, '')
  })
  return env
}
