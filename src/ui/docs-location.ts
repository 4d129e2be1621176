/**
 * Where a docs/ page is: the copy inside the installed package (this repository's root in a checkout),
 * so a link printed by `--help` or an error works offline and matches the version that runs. A target is
 * a path under docs/ with an optional anchor: `troubleshooting.md#no-docker-engine`. Node built-ins only:
 * the help path loads it.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The package root: this module is src/ui/ (tests) or dist/ui/ (the CLI), two levels below it. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** The absolute location of a docs/ target: `/…/sls-run/docs/troubleshooting.md#no-docker-engine`. */
export function docsLocation(target: string): string {
  const hash = target.indexOf('#')
  const [page, anchor] = hash === -1 ? [target, ''] : [target.slice(0, hash), target.slice(hash)]
  return path.join(PACKAGE_ROOT, 'docs', ...page.split('/')) + anchor
}
