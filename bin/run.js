#!/usr/bin/env node
// `sls-run --version` answers before loading oclif: loading @oclif/core costs ~30 ms of CPU even bundled, more
// than Node's own start-up. The line is oclif's user agent, byte for byte (test/e2e/cli.test.ts
// compares the two). Everything else goes through oclif.
if (process.argv.length === 3 && process.argv[2] === '--version') {
  const { readFileSync } = await import('node:fs')
  const { name, version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${name}/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  // Node ≥ 22.1 keeps compiled code between runs (in the OS temp folder; NODE_DISABLE_COMPILE_CACHE=1 turns it
  // off); on Node 20 this is a no-op. oclif, zod and yaml come as one-file bundles (scripts/vendor.mjs).
  const { enableCompileCache } = await import('node:module')
  enableCompileCache?.()
  const { execute } = await import('../dist/vendor/oclif.js')
  await execute({ dir: import.meta.url })
}
