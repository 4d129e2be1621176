/**
 * `sls-run init --install`: the template's install command (`install` in template.json, e.g. `npm ci`) in
 * the new project, so that its first `sls-run dev` finds its dependencies. Output is kept, not shown; a
 * failure leaves the project in place and says how to finish by hand.
 */
import { execa } from 'execa'
import { SlsError } from '../../errors.js'

export async function installDependencies(dir: string, command: string): Promise<{ command: string; durationMs: number }> {
  const started = performance.now()
  const result = await execa(command, { cwd: dir, shell: true, stdin: 'ignore', all: true, reject: false })
  if (result.exitCode === 0) return { command, durationMs: Math.round(performance.now() - started) }
  const lastLines = String(result.all ?? '')
    .split(/\r?\n/)
    .filter(Boolean)
    .slice(-20)
  throw new SlsError(
    'INIT_INSTALL_FAILED',
    `the project was created, but \`${command}\` failed in ${dir}${result.exitCode === undefined ? `: ${result.shortMessage}` : ` (exit ${result.exitCode})`}`,
    {
      details: { dir, command, exitCode: result.exitCode ?? null, lastLines },
      hints: [`Run \`${command}\` in ${dir} yourself once the cause is fixed (last lines: ${lastLines.slice(-3).join(' | ') || 'none'}).`],
    },
  )
}
