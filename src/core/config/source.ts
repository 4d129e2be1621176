/** Finding and reading sls-run.yaml: existence, size cap, encoding. Nothing here parses YAML. */
import { existsSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { ExitCode, SlsError } from '../../errors.js'
import { SourceText, type Diagnostic } from './diagnostic.js'

export const CONFIG_FILE_NAMES = ['sls-run.yaml', 'sls-run.yml']
export const MAX_CONFIG_BYTES = 1024 * 1024

/** The config file: the one given, or the nearest sls-run.yaml from cwd upwards. */
export function findConfigFile(explicit: string | undefined, cwd: string): string {
  if (explicit) {
    const file = path.resolve(cwd, explicit)
    if (!existsSync(file)) {
      throw new SlsError('CONFIG_NOT_FOUND', `${explicit}: no such file`, {
        exitCode: ExitCode.usage,
        hints: ['Check the path given with -c/--config.'],
      })
    }
    return file
  }
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    for (const name of CONFIG_FILE_NAMES) {
      const file = path.join(dir, name)
      if (existsSync(file)) return file
    }
    if (path.dirname(dir) === dir) break
  }
  throw new SlsError('CONFIG_NOT_FOUND', `no sls-run.yaml in ${cwd} or any parent folder`, {
    exitCode: ExitCode.usage,
    hints: ['Create one with `sls-run init`, or pass -c FILE.'],
  })
}

export type ReadResult = { source: SourceText } | { diagnostic: Diagnostic }

/** Reads the file as UTF-8 text, refusing what is not a config: a folder, over 1 MiB, empty, not UTF-8. */
export async function readConfigSource(file: string, display: string): Promise<ReadResult> {
  const fail = (code: string, message: string, hints: string[], offset = 0, text = ''): ReadResult => ({
    diagnostic: new SourceText(display, text).at(offset, offset + 1, { code, message, hints }),
  })
  const info = await stat(file)
  if (info.isDirectory()) return fail('CONFIG_NOT_A_FILE', `${display} is a folder, not a file`, ['Point -c at the sls-run.yaml file inside it.'])
  if (info.size > MAX_CONFIG_BYTES) {
    return fail('CONFIG_TOO_LARGE', `the file is ${info.size} bytes; sls-run.yaml may be at most 1 MiB`, ['Is this the right file? A config is a few KiB.'])
  }
  let bytes = await readFile(file)
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3)
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return fail('CONFIG_ENCODING', 'the file is UTF-16; sls-run.yaml must be UTF-8', ['Save the file as UTF-8.'])
  }
  const bad = firstInvalidUtf8(bytes)
  if (bad !== -1) {
    const before = bytes.subarray(0, bad).toString('utf8')
    return fail(
      'CONFIG_ENCODING',
      `invalid UTF-8 byte 0x${bytes[bad]!.toString(16).padStart(2, '0')}; sls-run.yaml must be UTF-8`,
      ['Save the file as UTF-8 (a Latin-1 or Windows-1252 editor setting is the usual cause).'],
      before.length,
      before + '\n',
    )
  }
  const text = bytes.toString('utf8')
  if (text.includes('\u0000')) {
    return fail('CONFIG_ENCODING', 'the file contains a NUL character; is it a binary file?', ['Check the path given with -c/--config.'], text.indexOf('\u0000'), text)
  }
  if (/^\s*$/.test(text.replace(/^\s*#.*$/gm, ''))) {
    return fail('CONFIG_EMPTY', 'the file is empty', ['Start from `sls-run init`, or add at least `name:` and `services:`.'])
  }
  return { source: new SourceText(display, text) }
}

/** Offset of the first byte that is not part of a valid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0
  while (i < bytes.length) {
    const b = bytes[i]!
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1
    if (need < 0) return i
    if (need > 0) {
      for (let k = 1; k <= need; k++) if (i + k >= bytes.length || (bytes[i + k]! & 0xc0) !== 0x80) return i
      const second = bytes[i + 1]!
      if ((b === 0xe0 && second < 0xa0) || (b === 0xed && second > 0x9f) || (b === 0xf0 && second < 0x90) || (b === 0xf4 && second > 0x8f)) return i
    }
    i += need + 1
  }
  return -1
}
