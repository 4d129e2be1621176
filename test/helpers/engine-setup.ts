/**
 * Global setup of the `engine` project: is there a Docker engine? Without one the engine suites are
 * skipped (vitest prints the skipped count, and this prints why), except under CI=true, where a missing
 * engine fails the run: CI provisions one (scripts/provision.sh), so its absence is a broken CI.
 * With an engine, it builds this run's offline stand-in base images (test/helpers/standins.ts), named
 * `sls-run-standin/<real name>-<run>` and handed to the tests (`inject('standins')`); the teardown removes
 * everything labelled with the run (the stand-ins, the images built on them, the tests' own images and
 * containers) and nothing of any other run or session.
 */
import type { TestProject } from 'vitest/node'
import { connect, probeEngine } from '../../src/runtime/docker/engine.js'
import { ensureStandins, newRun, removeRun, standinNames, type Standins } from './standins.js'

declare module 'vitest' {
  export interface ProvidedContext {
    engine: boolean
    standins: Standins
  }
}

export default async function setup(project: TestProject) {
  const run = newRun()
  project.provide('standins', standinNames(run))
  try {
    const engine = await probeEngine(process.env, 5000)
    project.provide('engine', true)
    process.stderr.write(`engine suites: Docker ${engine.version} (API ${engine.apiVersion}) at ${engine.endpoint}\n`)
  } catch (error) {
    const ci = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0'
    if (ci) throw new Error(`CI=true but no Docker engine answers: ${(error as Error).message}. Run scripts/provision.sh first.`)
    project.provide('engine', false)
    process.stderr.write(`\n!!! engine suites SKIPPED: no Docker engine (${(error as Error).message}). Run scripts/provision.sh to start one.\n\n`)
    return
  }
  const { docker } = await connect(process.env, 120_000)
  const teardown = async () => {
    const left = await removeRun(docker, run)
    process.stderr.write(`stand-in images: run ${run} removed${left.length ? `; could not remove ${left.join(', ')}` : ''}\n`)
  }
  // An engine that answers but cannot build the stand-ins fails the run with the reason (after removing what it made).
  const standins = await ensureStandins(docker, run, (line) => process.stderr.write(`stand-in images: ${line}\n`)).catch(async (error: unknown) => {
    await teardown()
    throw error
  })
  const summary = standins.map((s) => `${s.name} (${s.built ? `built ${s.seconds?.toFixed(1)} s` : 'reused'})`)
  process.stderr.write(`stand-in images: ${summary.join(', ')}\n`)
  return teardown
}
