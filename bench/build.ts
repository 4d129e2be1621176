// Benchmark of `sls-run build` (see bench/README.md): build-context creation (time and memory) against
// GNU tar on the same tree, and cold vs cached vs source-only builds of the fixture app with both
// builders, through the real CLI (bin/run.js: needs `npm run build`) and engine, on node:22-alpine or its
// offline stand-in (standin-base.ts). Prints tables and writes bench/results/build.json.
//   node --import ./bench/register.mjs bench/build.ts [--runs N] [--out FILE]
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Docker from 'dockerode'
import type { BuildResult } from '../src/core/image/build.js'
import type { ContextRun } from './context-child.js'
import { NODE, TS_NODE, countOption, parseBenchArgs } from './lib.js'
import { ROOT, resultsFile, table, writeResults } from './report.js'
import { nodeBase } from './standin-base.js'

const BIN = path.join(ROOT, 'bin/run.js')
const FIXTURE = path.join(ROOT, 'test/fixtures/build/node-app')
const CHILD = path.join(ROOT, 'bench/context-child.ts')
const { runs, out } = parseBenchArgs(process.argv.slice(2), { script: 'bench/build.ts', out: resultsFile('build'), quick: false, keepCa: false, options: { runs: countOption('--runs', 5) } })
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

// ---- 1. context creation -------------------------------------------------------------------------
interface Tree {
  name: string
  nodeModules: number
  src: number
  srcBytes: number
}

function makeTree(dir: string, { nodeModules, src, srcBytes }: Tree) {
  fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\nCOPY . /app\n')
  fs.writeFileSync(path.join(dir, '.dockerignore'), 'node_modules\n.git\n')
  const blob = Buffer.alloc(srcBytes, 97)
  for (let i = 0; i < nodeModules; i++) {
    const d = path.join(dir, 'node_modules', `pkg${i % 400}`, `lib${Math.floor(i / 400) % 10}`)
    fs.mkdirSync(d, { recursive: true })
    fs.writeFileSync(path.join(d, `f${i}.js`), 'module.exports = 1\n')
  }
  for (let i = 0; i < src; i++) {
    const d = path.join(dir, 'src', `m${i % 50}`)
    fs.mkdirSync(d, { recursive: true })
    fs.writeFileSync(path.join(d, `f${i}.js`), blob)
  }
}

/** bench/context-child.ts over `dir`, in a fresh process. */
function contextRun(dir: string): ContextRun {
  const r = spawnSync(NODE, [...TS_NODE, CHILD, dir, path.join(dir, 'Dockerfile')], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(r.stderr)
  return JSON.parse(r.stdout) as ContextRun
}

function measureContext(dir: string) {
  const samples = Array.from({ length: runs }, () => contextRun(dir))
  return { ms: median(samples.map((s) => s.ms)), files: samples[0]!.files, tarBytes: samples[0]!.tarBytes, peakRssMB: median(samples.map((s) => s.peakRssMB)) }
}

function measureTar(dir: string) {
  const ms: number[] = []
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint()
    execFileSync('sh', ['-c', `tar -cf - --exclude=./node_modules --exclude=./.git -C "${dir}" . | wc -c`], { encoding: 'utf8' })
    ms.push(Number(process.hrtime.bigint() - t) / 1e6)
  }
  return median(ms)
}

const trees: Tree[] = [
  { name: '20k files, node_modules ignored', nodeModules: 18_000, src: 2_000, srcBytes: 200 },
  { name: '2k files, 100 MB sent', nodeModules: 0, src: 2_000, srcBytes: 50_000 },
  { name: 'empty (Dockerfile only)', nodeModules: 0, src: 0, srcBytes: 0 },
]
const contextRows = []
for (const tree of [{ name: 'warm-up', nodeModules: 0, src: 0, srcBytes: 0 }, ...trees]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sls-run-bench-ctx-'))
  try {
    makeTree(dir, tree)
    // An unmeasured first run fills the loader's cache (bench/ts-loader.mjs): the measured ones load no typescript.
    if (tree.name === 'warm-up') {
      contextRun(dir)
      continue
    }
    const ours = measureContext(dir)
    const tar = measureTar(dir)
    contextRows.push({ tree: tree.name, ...ours, tarMs: tar, ratio: ours.ms / tar })
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
console.log(`\nBuild context (median of ${runs}; each in a fresh process; tar = GNU tar -c | wc -c on the same tree)\n`)
console.log(
  table(
    ['tree', 'files sent', 'MB sent', 'sls-run ms', 'GNU tar ms', 'ratio', 'peak RSS MB'],
    contextRows.map((r) => [r.tree, r.files, (r.tarBytes / 1e6).toFixed(1), r.ms.toFixed(0), r.tarMs.toFixed(0), `${r.ratio.toFixed(2)}×`, r.peakRssMB.toFixed(0)]),
  ),
)

// ---- 2. builds -------------------------------------------------------------------------------------
type Built = BuildResult & { wall: number }
const git = (cwd: string, ...a: string[]) => execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@sls-run.dev', ...a], { cwd, encoding: 'utf8' }).trim()
function build(cwd: string, builder: string, extra: string[] = []): Built {
  const t = process.hrtime.bigint()
  const r = spawnSync(NODE, [BIN, 'build', '--json', '--builder', builder, ...extra], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true' } })
  const wall = Number(process.hrtime.bigint() - t) / 1e6
  const last = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { status?: string; result?: BuildResult[]; error?: unknown }
  if (last.status !== 'ok' || !last.result?.[0]) throw new Error(`build failed: ${JSON.stringify(last.error ?? r.stderr.slice(-2000))}`)
  return { wall, ...last.result[0] }
}
const buildRows = []
let report: Built | undefined
const repo = `sls-run-bench/web-${process.pid}`
const base = await nodeBase(new Docker())
try {
  for (const builder of ['classic', 'buildkit']) {
    const samples: Record<'cold' | 'cached' | 'source', Built[]> = { cold: [], cached: [], source: [] }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sls-run-bench-build-'))
    try {
      fs.cpSync(FIXTURE, dir, { recursive: true })
      fs.writeFileSync(path.join(dir, 'sls-run.yaml'), `name: bench\nservices:\n  web:\n    build: { context: ., target: runtime }\n    image: ${repo}\n`)
      git(dir, 'init', '-q', '-b', 'main')
      git(dir, 'add', '-A')
      git(dir, 'commit', '-qm', 'bench')
      for (let i = 0; i < Math.min(runs, 3); i++) {
        samples.cold.push(build(dir, builder, ['--no-cache', ...base.buildArgs]))
        samples.cached.push(build(dir, builder, base.buildArgs))
        fs.appendFileSync(path.join(dir, 'server.js'), `// change ${i}\n`)
        git(dir, 'commit', '-qam', `change ${i}`)
        samples.source.push(build(dir, builder, base.buildArgs))
      }
      report ??= samples.cached[0]
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
    const cold = median(samples.cold.map((s) => s.wall))
    for (const [kind, list] of Object.entries(samples)) {
      const wall = median(list.map((s) => s.wall))
      buildRows.push({ builder, kind, wallMs: wall, buildMs: median(list.map((s) => s.durationMs)), allCached: list.every((s) => s.cached), vsCold: wall / cold })
    }
  }
} finally {
  const ids = execFileSync('docker', ['images', '-q', '--filter', `reference=${repo}`], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
  if (ids.length) spawnSync('docker', ['rmi', '-f', ...new Set(ids)])
  await base.cleanup()
}
console.log(
  `\nBuilds of test/fixtures/build/node-app (FROM ${base.image}${base.standin ? ', an offline stand-in' : ''}; median of ${Math.min(runs, 3)}; wall = CLI process, build = result.durationMs)\n`,
)
console.log(
  table(
    ['builder', 'build', 'wall ms', 'build ms', 'every step cached', '× cold'],
    buildRows.map((r) => [r.builder, r.kind, r.wallMs.toFixed(0), r.buildMs.toFixed(0), r.allCached, `${r.vsCold.toFixed(2)}×`]),
  ),
)
const sizes = report!.report
console.log(`\nSize report of the fixture (${report!.builder}):`)
console.log(`  ${(report!.size / 1e6).toFixed(1)} MB total, base ${sizes.baseImage} ${(sizes.baseSize / 1e6).toFixed(1)} MB, added ${(sizes.added / 1e6).toFixed(2)} MB, ${report!.layers} layers`)
for (const l of sizes.largest) console.log(`  ${(l.size / 1e6).toFixed(3).padStart(8)} MB  Dockerfile:${l.line ?? '?'}  ${l.instruction ?? l.createdBy}`)

const shown = writeResults(out, { at: new Date().toISOString(), node: process.version, cpus: os.cpus().length, runs, context: contextRows, builds: buildRows, sizeReport: sizes })
console.log(`\nwrote ${shown}`)
