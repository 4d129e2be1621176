/**
 * The README's two set-up commands, taken literally from its fenced blocks marked `<!-- setup: main -->` and
 * `<!-- setup: test -->`, on a clean clone in a temp folder: the main job (the process-runtime demo, no
 * Docker) finishes with exit 0 and its expected lines; the test command is the one `.ci/run` runs (it is not
 * run again here: CI is running it).
 */
import { execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { freePort } from '../../src/runtime/free-port.js'
import { useTempDir } from '../helpers/temp.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const tempDir = useTempDir()

/** The command in the fenced block right after `<!-- setup: NAME -->`. */
function setupBlock(readme: string, name: string): string {
  const match = new RegExp(`<!-- setup: ${name} -->\\n\`\`\`sh\\n([\\s\\S]*?)\\n\`\`\``).exec(readme)
  if (!match) throw new Error(`README.md has no fenced block marked <!-- setup: ${name} -->`)
  return match[1]!.trim()
}

describe("README's set-up commands", () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8')

  it('the test command is the one .ci/run runs', () => {
    const ciRun = readFileSync(path.join(ROOT, '.ci/run'), 'utf8')
    const test = setupBlock(readme, 'test')
    expect(ciRun.split('\n').map((line) => line.trim())).toContain(test)
  })

  it('the main job works as written on a clean clone: exit 0, the burst answered, back at zero', async () => {
    const main = setupBlock(readme, 'main')
    const dir = path.join(tempDir(), 'clone')
    execFileSync('git', ['clone', '--quiet', ROOT, dir])
    const [port, adminPort] = [await freePort(), await freePort()]
    const child = spawn('bash', ['-ec', main], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', DEMO_PORT: String(port), DEMO_ADMIN_PORT: String(adminPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    expect(code, output.slice(-3000)).toBe(0)
    expect(output).toMatch(/== 60 answers \(200\) in \d+ ms from \d+ instances/)
    expect(output).toContain('== web is back at 0 ready instances')
  }, 600_000)
})
