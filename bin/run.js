#!/usr/bin/env node
// Two answers come before oclif, whose loading costs ~30 ms of CPU even bundled, more than Node's own start-up:
// - `sls-run --version`: the line is oclif's user agent, byte for byte (test/e2e/cli.test.ts compares the two).
// - `sls-run [command] --help` when stdout is not a terminal: the page oclif printed at build time
//   (scripts/help-cache.mjs says when a page is served; test/e2e/help-cache.test.ts compares every page).
// Everything else goes through oclif.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const args = process.argv.slice(2)
/** This package's version and oclif's user agent: read only for the two early answers. */
function identity() {
  const { name, version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  return { version, userAgent: `${name}/${version} ${process.platform}-${process.arch} node-${process.version}` }
}

function cachedHelp() {
  if (args.at(-1) !== '--help' || process.stdout.isTTY || process.platform === 'win32' || process.env.FORCE_COLOR !== undefined) return undefined
  if (Object.keys(process.env).some((key) => key.startsWith('OCLIF_') || key.startsWith('SLS_RUN_'))) return undefined
  // A user-installed plugin (oclif's data folder holds their package.json) adds commands to the help.
  if (existsSync(path.join(process.env.XDG_DATA_HOME || path.join(process.env.HOME ?? '/', '.local', 'share'), 'sls-run', 'package.json'))) return undefined
  try {
    const cache = JSON.parse(readFileSync(new URL('../dist/help-cache.json', import.meta.url), 'utf8'))
    const { version, userAgent } = identity()
    const page = cache.version === version ? cache.pages[args.slice(0, -1).join(' ')] : undefined
    const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)))
    return page?.split('\u0000ROOT\u0000').join(root).split('\u0000AGENT\u0000').join(userAgent)
  } catch {
    return undefined // no cache (a build in progress, or the manifest rewritten since): oclif answers
  }
}

const help = cachedHelp()
if (args.length === 1 && args[0] === '--version') process.stdout.write(`${identity().userAgent}\n`)
else if (help !== undefined) process.stdout.write(help)
else {
  // Node ≥ 22.1 keeps compiled code between runs (in the OS temp folder; NODE_DISABLE_COMPILE_CACHE=1 turns it
  // off); on Node 20 this is a no-op. oclif, zod and yaml come as one-file bundles (scripts/vendor.mjs).
  const { enableCompileCache } = await import('node:module')
  enableCompileCache?.()
  const { execute } = await import('../dist/vendor/oclif.js')
  await execute({ dir: import.meta.url })
}
