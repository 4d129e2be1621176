// Replaces the compiled re-export modules of src/vendor/ (dist/vendor/{oclif,zod,yaml}.js) with one-file
// bundles of the package each re-exports. Every CLI run loads @oclif/core (65 CommonJS files, each resolved,
// stat-ed, read, lexed for its exports and compiled), and `config validate` adds zod and yaml (~170 files):
// one file per package halves the start-up CPU of `sls-run --help` and `config validate` (bench/startup.ts
// shows the figures). The bundles are ES modules, so Node does not run its CommonJS export lexer over them.
//
// Source and tests keep importing src/vendor/*.ts, which re-export the packages from node_modules; only
// the built CLI (dist/) runs the bundles. The packages stay dependencies: their types, and plugins
// (@oclif/plugin-plugins) that import @oclif/core themselves.
import { build } from 'esbuild'
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'

const root = new URL('..', import.meta.url).pathname
const require = createRequire(import.meta.url)

// An ES module bundle of a CommonJS package needs its export names spelled out (esbuild cannot turn
// `export *` of CommonJS into static exports): they are read from the package itself, so a new export in
// an update is never missed.
const namesOf = (pkg) => Object.keys(require(pkg)).filter((name) => name !== 'default' && name !== '__esModule' && /^[A-Za-z_$][\w$]*$/.test(name))

const vendored = [
  { file: 'oclif', pkg: '@oclif/core', commonJs: true },
  { file: 'yaml', pkg: 'yaml', commonJs: true },
  { file: 'zod', pkg: 'zod', commonJs: false },
]

for (const { file, pkg, commonJs } of vendored) {
  const source = readFileSync(`${root}src/vendor/${file}.ts`, 'utf8')
  if (!source.includes(`export * from '${pkg}'`)) throw new Error(`src/vendor/${file}.ts must re-export ${pkg} (export * from '${pkg}')`)
  const contents = commonJs ? `export { ${namesOf(pkg).join(', ')} } from '${pkg}'\n` : `export * from '${pkg}'\n`
  const outfile = `${root}dist/vendor/${file}.js`
  await build({
    stdin: { contents, resolveDir: root, sourcefile: `vendor-${file}.js`, loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    legalComments: 'eof',
    logLevel: 'error',
    // oclif loads TypeScript only to run a plugin's uncompiled sources in development: never here.
    external: ['typescript', 'ts-node'],
    // CommonJS code inside the bundle requires Node's built-ins at run time.
    banner: {
      js: `// ${pkg} bundled by scripts/vendor.mjs for start-up speed; see src/vendor/${file}.ts.\nimport { createRequire as __vendorRequire } from 'node:module';\nconst require = __vendorRequire(import.meta.url);`,
    },
  })
  const size = readFileSync(outfile).length
  console.error(`dist/vendor/${file}.js: ${pkg} in one file (${Math.round(size / 1024)} KiB)`)
}
