// Benchmark of the `sls-run init` templates that can be built here (see bench/README.md): for each,
// init → build --no-cache (cold) → build (cached) → docker run → first 200, through the real CLI
// (bin/run.js: needs `npm run build`) and engine, FROM node:22-alpine or its offline stand-in
// (standin-base.ts, passed as the templates' NODE_IMAGE build argument). Prints a table and writes
// bench/results/templates.json.
//   node --import ./bench/register.mjs bench/templates.ts [--runs N] [--out FILE]
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import Docker from 'dockerode'
import type { BuildResult } from '../src/core/image/build.js'
import { NODE, countOption, parseBenchArgs, sleep } from './lib.js'
import { ROOT, resultsFile, table, writeResults } from './report.js'
import { nodeBase } from './standin-base.js'

const BIN = path.join(ROOT, 'bin/run.js')
const { runs, out } = parseBenchArgs(process.argv.slice(2), { script: 'bench/templates.ts', out: resultsFile('templates'), quick: false, keepCa: false, options: { runs: countOption('--runs', 3) } })
const templates = ['node', 'static']
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** `sls-run <args>` with --json: the envelope (build --json is NDJSON ending with it; the other commands print one, indented). */
function cli<R>(cwd: string, ...a: string[]): { result: R } {
  const r = spawnSync(NODE, [BIN, ...a], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true' } })
  if (r.status !== 0) throw new Error(`sls-run ${a.join(' ')} failed:\n${r.stderr}\n${r.stdout.slice(-2000)}`)
  return JSON.parse(a[0] === 'build' ? (r.stdout.trim().split('\n').pop() ?? '') : r.stdout) as { result: R }
}
const git = (cwd: string, ...a: string[]) => execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@sls-run.dev', ...a], { cwd })

async function firstOk(image: string): Promise<number> {
  const started = performance.now()
  const keepAlive = setInterval(() => {}, 1000) // AbortSignal.timeout's timer is unref'd: keep the loop alive
  const id = execFileSync('docker', ['run', '-d', '--label', 'dev.sls-run.managed=true', '-p', '127.0.0.1::8080', image], { encoding: 'utf8' }).trim()
  try {
    const port = execFileSync('docker', ['port', id, '8080/tcp'], { encoding: 'utf8' }).trim().split(':').pop()
    for (;;) {
      const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(250) }).catch(() => undefined)
      if (res?.status === 200) return performance.now() - started
      if (performance.now() - started > 30_000) throw new Error(`${image} never answered 200`)
      await sleep(10)
    }
  } finally {
    clearInterval(keepAlive)
    spawnSync('docker', ['rm', '-f', id])
  }
}

const rows = []
const base = await nodeBase(new Docker())
try {
  for (const template of templates) {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'sls-run-bench-tpl-'))
    const name = `bench-${template}-${process.pid}`
    try {
      cli(parent, 'init', name, '--template', template, '--ci', 'none', '--json')
      const dir = path.join(parent, name)
      git(dir, 'init', '-q', '-b', 'main')
      git(dir, 'add', '-A')
      git(dir, 'commit', '-qm', 'init')
      const [cold, cached, first]: [number[], number[], number[]] = [[], [], []]
      let result: BuildResult | undefined
      for (let i = 0; i < runs; i++) {
        result = cli<BuildResult[]>(dir, 'build', '--json', '--no-cache', ...base.buildArgs).result[0]!
        cold.push(result.durationMs)
        cached.push(cli<BuildResult[]>(dir, 'build', '--json', ...base.buildArgs).result[0]!.durationMs)
        first.push(await firstOk(`${name}:latest`))
      }
      rows.push({ template, sizeMB: result!.size / 1e6, base: result!.report.baseImage, addedKB: result!.report.added / 1e3, coldMs: median(cold), cachedMs: median(cached), firstOkMs: median(first) })
    } finally {
      fs.rmSync(parent, { recursive: true, force: true })
      const ids = execFileSync('docker', ['images', '-q', '--filter', `reference=${name}`], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
      if (ids.length) spawnSync('docker', ['rmi', '-f', ...new Set(ids)])
    }
  }
} finally {
  await base.cleanup()
}
console.log(`\nTemplates FROM ${base.image}${base.standin ? ' (an offline stand-in)' : ''} (median of ${runs}; build = result.durationMs; first 200 polled every 10 ms)\n`)
const header = ['template', 'image MB', 'base', 'added over base', 'build cold ms', 'build cached ms', 'docker run → first 200 ms']
console.log(
  table(
    header,
    rows.map((r) => [r.template, r.sizeMB.toFixed(1), r.base, `${r.addedKB.toFixed(1)} kB`, r.coldMs.toFixed(0), r.cachedMs.toFixed(0), r.firstOkMs.toFixed(0)]),
  ),
)
const note = base.standin ? 'offline stand-in base: sizes are the stand-in node:22-alpine (host node, glibc), not the real image' : 'the real node:22-alpine'
console.log(`wrote ${writeResults(out, { at: new Date().toISOString(), node: process.version, runs, base: base.image, note, rows })}`)
