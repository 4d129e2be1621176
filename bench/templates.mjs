// Benchmark of the `sls-run init` templates that can be built here (see bench/README.md): for each,
// init → build --no-cache (cold) → build (cached) → docker run → first 200, through the real CLI and
// engine, FROM node:22-alpine or its offline stand-in (standin-base.mjs, passed as the templates' NODE_IMAGE
// build argument). Prints a table and writes bench/results/templates.json.
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Docker from 'dockerode'
import { nodeBase } from './standin-base.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BIN = path.join(ROOT, 'bin/run.js')
const args = process.argv.slice(2)
const runs = Number(args[args.indexOf('--runs') + 1]) || 3
const out = args.includes('--out') ? args[args.indexOf('--out') + 1] : path.join(ROOT, 'bench/results/templates.json')
const templates = ['node', 'static']
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const cli = (cwd, ...a) => {
  const r = spawnSync(process.execPath, [BIN, ...a], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true' } })
  if (r.status !== 0) throw new Error(`sls-run ${a.join(' ')} failed:\n${r.stderr}\n${r.stdout.slice(-2000)}`)
  // build --json is NDJSON ending with the envelope; other commands print one (indented) envelope
  return a[0] === 'build' ? JSON.parse(r.stdout.trim().split('\n').pop()) : JSON.parse(r.stdout)
}
const git = (cwd, ...a) => execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@sls-run.dev', ...a], { cwd })

async function firstOk(image) {
  const started = performance.now()
  const keepAlive = setInterval(() => {}, 1000) // AbortSignal.timeout's timer is unref'd: keep the loop alive
  const id = execFileSync('docker', ['run', '-d', '--label', 'dev.sls-run.managed=true', '-p', '127.0.0.1::8080', image], { encoding: 'utf8' }).trim()
  try {
    const port = execFileSync('docker', ['port', id, '8080/tcp'], { encoding: 'utf8' }).trim().split(':').pop()
    for (;;) {
      const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(250) }).catch(() => undefined)
      if (res?.status === 200) return performance.now() - started
      if (performance.now() - started > 30_000) throw new Error(`${image} never answered 200`)
      await new Promise((resolve) => setTimeout(resolve, 10))
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
      const cold = []
      const cached = []
      const first = []
      let result
      for (let i = 0; i < runs; i++) {
        result = cli(dir, 'build', '--json', '--no-cache', ...base.buildArgs).result[0]
        cold.push(result.durationMs)
        cached.push(cli(dir, 'build', '--json', ...base.buildArgs).result[0].durationMs)
        first.push(await firstOk(`${name}:latest`))
      }
      rows.push({ template, sizeMB: result.size / 1e6, base: result.report.baseImage, addedKB: result.report.added / 1e3, coldMs: median(cold), cachedMs: median(cached), firstOkMs: median(first) })
    } finally {
      fs.rmSync(parent, { recursive: true, force: true })
      const ids = execFileSync('docker', ['images', '-q', '--filter', `reference=${name}`], { encoding: 'utf8' }).split('\n').filter(Boolean)
      if (ids.length) spawnSync('docker', ['rmi', '-f', ...new Set(ids)])
    }
  }
} finally {
  await base.cleanup()
}
const header = ['template', 'image MB', 'base', 'added over base', 'build cold ms', 'build cached ms', 'docker run → first 200 ms']
const cells = rows.map((r) => [r.template, r.sizeMB.toFixed(1), r.base, `${r.addedKB.toFixed(1)} kB`, r.coldMs.toFixed(0), r.cachedMs.toFixed(0), r.firstOkMs.toFixed(0)])
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)))
const line = (c) => `| ${c.map((x, i) => x.padEnd(widths[i])).join(' | ')} |`
console.log(`\nTemplates FROM ${base.image}${base.standin ? ' (an offline stand-in)' : ''} (median of ${runs}; build = result.durationMs; first 200 polled every 10 ms)\n`)
console.log([line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n'))
fs.mkdirSync(path.dirname(out), { recursive: true })
fs.writeFileSync(out, JSON.stringify({ at: new Date().toISOString(), node: process.version, runs, base: base.image, note: base.standin ? 'offline stand-in base: sizes are the stand-in node:22-alpine (host node, glibc), not the real image' : 'the real node:22-alpine', rows }, null, 2) + '\n')
console.log(`\nwrote ${path.relative(ROOT, out)}`)
