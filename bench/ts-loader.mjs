// Module hooks that let `node` run the benchmarks' TypeScript and the src/ (and test/helpers/) files they
// import, without a build: a `.ts` file is transpiled by the project's own typescript (types dropped,
// nothing checked: `npx tsc --noEmit -p bench` checks), and a relative `./x.js` import from one resolves to
// `./x.ts` when only that exists (the NodeNext convention of this code base). Registered by
// bench/register.mjs (`node --import ./bench/register.mjs bench/<name>.ts`).
//
// Transpiled files are cached in node_modules/.cache/sls-run-bench/ts/, keyed by the source, its path and
// the typescript version: typescript itself (~100 MB of RSS) is only loaded when a file is not cached, so a
// bench's child process whose memory is measured (build context, simulator) pays only for the hooks
// thread (~10 MB). Delete the folder to start clean.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const CACHE = new URL('../node_modules/.cache/sls-run-bench/ts/', import.meta.url)
const TYPESCRIPT_VERSION = JSON.parse(readFileSync(new URL('../node_modules/typescript/package.json', import.meta.url), 'utf8')).version
const COMPILER_OPTIONS = { module: 'ESNext', target: 'ES2022' } // as names: typescript is not loaded yet
let ts // loaded on the first file that is not in the cache

export async function resolve(specifier, context, next) {
  if (/^\.\.?\//.test(specifier) && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
    const url = new URL(specifier, context.parentURL)
    const source = new URL(url.href.replace(/\.js$/, '.ts'))
    if (!existsSync(fileURLToPath(url)) && existsSync(fileURLToPath(source))) return { url: source.href, shortCircuit: true }
  }
  return next(specifier, context)
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context)
  const file = fileURLToPath(url)
  const text = readFileSync(file, 'utf8')
  const key = createHash('sha256')
    .update(JSON.stringify([TYPESCRIPT_VERSION, COMPILER_OPTIONS, file, text]))
    .digest('hex')
  const cached = new URL(`${key}.js`, CACHE)
  if (existsSync(cached)) return { format: 'module', source: readFileSync(cached, 'utf8'), shortCircuit: true }
  ts ??= (await import('typescript')).default
  const compilerOptions = { module: ts.ModuleKind[COMPILER_OPTIONS.module], target: ts.ScriptTarget[COMPILER_OPTIONS.target] }
  const { outputText } = ts.transpileModule(text, { fileName: file, compilerOptions })
  try {
    // Written aside and renamed: benches started at once never read half a file.
    mkdirSync(CACHE, { recursive: true })
    const part = new URL(`${key}.${process.pid}.${Math.random().toString(36).slice(2)}.part`, CACHE)
    writeFileSync(part, outputText)
    renameSync(part, cached)
  } catch {} // a read-only node_modules: no cache, only slower
  return { format: 'module', source: outputText, shortCircuit: true }
}
