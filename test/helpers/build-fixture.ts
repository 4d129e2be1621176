/**
 * A copy of test/fixtures/build/node-app in a temp git repository, this run's stand-in base images, and
 * NDJSON parsing for `build --json`.
 */
import { execFileSync } from 'node:child_process'
import { cpSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { inject } from 'vitest'
import type { CliResult } from './cli.js'

export const NODE_APP = fileURLToPath(new URL('../fixtures/build/node-app', import.meta.url))

/** This run's stand-in base images (`sls-run-standin/node:22-alpine-<run>`…), built by engine-setup.ts. */
export const standins = () => inject('standins')

/**
 * The `build` (and `deploy`) flags for a build on this run's stand-ins: the Node base as the build argument
 * the templates and the fixture read (NODE_IMAGE), and the consent to build on a stand-in.
 */
export const onStandins = (): string[] => ['--allow-standin', '--build-arg', `NODE_IMAGE=${standins().node}`]

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=sls-run test', '-c', 'user.email=test@sls-run.dev', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' }).trim()
}

/** Copies the fixture into `dir`, names its image `repo`, and commits it all; returns HEAD. */
export function fixtureRepo(dir: string, repo: string, yaml?: string): string {
  cpSync(NODE_APP, dir, { recursive: true })
  writeFileSync(path.join(dir, 'sls-run.yaml'), yaml ?? `name: fixture\nservices:\n  web:\n    build:\n      context: .\n      target: runtime\n    image: ${repo}\n`)
  git(dir, 'init', '-q', '-b', 'main')
  git(dir, 'add', '-A')
  git(dir, 'commit', '-qm', 'fixture')
  return git(dir, 'rev-parse', 'HEAD')
}

export interface BuildJson {
  events: Array<Record<string, any>>
  result: { type: 'result'; status: string; result?: any[]; warnings?: string[]; error?: { code: string; message: string; hints: string[]; details?: any } }
}

/** Every stdout line is one JSON document; the last is the result envelope. */
export function buildJson(r: CliResult): BuildJson {
  const lines = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>)
  const last = lines.pop()
  if (last?.type !== 'result') throw new Error(`the last line is not the result envelope:\n${r.stdout}\n${r.stderr}`)
  return { events: lines, result: last as BuildJson['result'] }
}
