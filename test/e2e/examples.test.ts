/**
 * Every project under examples/ works as written: `config validate` accepts it, and each service with a
 * `build:` section has the Dockerfile it names, whose COPY sources are in the build context.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { envelope, runCli } from '../helpers/cli.js'

const EXAMPLES = fileURLToPath(new URL('../../examples', import.meta.url))

/** The sources of each COPY/ADD that reads the build context (not --from another stage), exec or shell form. */
function copySources(dockerfile: string): string[] {
  return dockerfile
    .split('\n')
    .map((line) => /^\s*(?:COPY|ADD)\s+(.*)$/i.exec(line)?.[1]?.trim())
    .filter((args): args is string => args !== undefined && !/--from=/i.test(args))
    .flatMap((args) => {
      const words = args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/).filter((w) => !w.startsWith('--'))
      return words.slice(0, -1)
    })
}

describe('examples', () => {
  for (const example of readdirSync(EXAMPLES).filter((e) => existsSync(path.join(EXAMPLES, e, 'sls-run.yaml')))) {
    it(`${example}: config validate accepts it, and every Dockerfile it names exists and copies files that exist`, async () => {
      const file = path.join(EXAMPLES, example, 'sls-run.yaml')
      const valid = await runCli(['config', 'validate', '-c', file, '--json'])
      expect(valid.code, valid.stdout).toBe(0)
      expect(envelope(valid).result.diagnostics).toEqual([])

      const printed = envelope(await runCli(['config', 'print', '-c', file, '--json'])).result as { services: Record<string, { build?: { context: string; dockerfile: string } }> }
      const builds = Object.entries(printed.services).filter(([, s]) => s.build)
      expect(builds.length).toBeGreaterThan(0)
      for (const [service, { build }] of builds) {
        expect(existsSync(build!.dockerfile), `${service}: ${build!.dockerfile}`).toBe(true)
        for (const source of copySources(readFileSync(build!.dockerfile, 'utf8'))) {
          expect(existsSync(path.join(build!.context, source)), `${service}: COPY ${source}`).toBe(true)
        }
      }
    })
  }
})
