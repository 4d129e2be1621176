/**
 * The probe app (and a SIGTERM-ignoring app) in an image FROM this run's node:22-alpine stand-in, for docker
 * runtime tests. It inherits the stand-in's run label, so the engine project's teardown removes it too.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type Docker from 'dockerode'
import tar from 'tar-stream'
import { standins } from './build-fixture.js'

const APP = fileURLToPath(new URL('../fixtures/apps/platform-probe.mjs', import.meta.url))
const IGNORE_TERM = fileURLToPath(new URL('../fixtures/apps/ignore-sigterm.mjs', import.meta.url))

export async function buildProbeImage(docker: Docker, tag: string): Promise<void> {
  const pack = tar.pack()
  pack.entry({ name: 'Dockerfile' }, `FROM ${standins().node}\nWORKDIR /app\nCOPY app.mjs ignore-sigterm.mjs ./\nENV LISTEN_HOST=0.0.0.0\nCMD ["node", "app.mjs"]\n`)
  pack.entry({ name: 'app.mjs' }, readFileSync(APP))
  pack.entry({ name: 'ignore-sigterm.mjs' }, readFileSync(IGNORE_TERM))
  pack.finalize()
  const stream = await docker.buildImage(pack as unknown as NodeJS.ReadableStream, { t: tag, labels: { 'dev.sls-run.test': 'true' } })
  const output = await new Promise<Array<{ error?: string }>>((resolve, reject) => docker.modem.followProgress(stream, (error, out) => (error ? reject(error) : resolve(out))))
  const failed = output.find((o) => o.error)
  if (failed) throw new Error(`building ${tag}: ${failed.error}`)
}
