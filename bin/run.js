#!/usr/bin/env node
// `sls-run --version` answers before loading oclif: importing @oclif/core alone costs ~130 ms, four
// times Node's own start-up. The line is oclif's user agent, byte for byte (test/e2e/cli.test.ts
// compares the two). Everything else goes through oclif.
if (process.argv.length === 3 && process.argv[2] === '--version') {
  const { readFileSync } = await import('node:fs')
  const { name, version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${name}/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  const { execute } = await import('@oclif/core')
  await execute({ dir: import.meta.url })
}
