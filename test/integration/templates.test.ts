/**
 * The Node and static templates built with `sls-run build` on the stand-in bases (their Dockerfiles as
 * written: the base is the NODE_IMAGE build argument, here this run's stand-in), then run as production
 * would: a non-root user, serving `/` on $PORT, exiting 0 within 10 s of SIGTERM, and an image with no
 * dev dependencies, no `.env` and no tests. Prints each image's size and the size added over the base.
 */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import Docker from 'dockerode'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { buildJson, git, onStandins } from '../helpers/build-fixture.js'
import { runCli } from '../helpers/cli.js'
import { useTempDir } from '../helpers/temp.js'
import { waitFor } from '../helpers/wait.js'

const docker = new Docker()
const run = Math.random().toString(36).slice(2, 8)
const images: string[] = []
afterAll(async () => {
  for (const image of images)
    await docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => {})
})

/** Every file under dir, then the uid the image runs as (a container with the image's own user). */
async function inspectFiles(image: string, dir: string): Promise<{ files: string[]; uid: string }> {
  const container = await docker.createContainer({
    Image: image,
    Tty: true,
    Cmd: ['sh', '-c', `find ${dir} -type f; echo "uid=$(id -u)"`],
    Labels: { 'dev.sls-run.managed': 'true', 'dev.sls-run.test': 'templates' },
  })
  try {
    await container.start()
    await container.wait()
    const lines = (await container.logs({ stdout: true, stderr: true })).toString('utf8').split(/\r?\n/).filter(Boolean)
    return { files: lines.filter((l) => l.startsWith('/')), uid: lines.find((l) => l.startsWith('uid='))!.slice(4) }
  } finally {
    await container.remove({ force: true })
  }
}

describe.skipIf(!inject('engine'))('templates build and run on the stand-in bases', () => {
  const tempDir = useTempDir('sls-run-tpl-')

  for (const [template, workdir] of [
    ['node', '/app'],
    ['static', '/srv'],
  ] as const) {
    it(`${template}: non-root, serves /, exits 0 within 10 s of SIGTERM, ships no dev files`, { timeout: 240_000 }, async () => {
      const parent = tempDir()
      const name = `tpl-${template}-${run}`
      expect((await runCli(['init', name, '-t', template, '--port', '8080', '--ci', 'none'], { cwd: parent })).code).toBe(0)
      const dir = path.join(parent, name)
      writeFileSync(path.join(dir, '.env'), 'SECRET=do-not-ship\n')
      git(dir, 'init', '-q', '-b', 'main')
      git(dir, 'add', '-A')
      git(dir, 'commit', '-qm', 'init')
      const built = await runCli(['build', '--json', ...onStandins()], { cwd: dir, env: { DOCKER_HOST: process.env.DOCKER_HOST }, timeoutMs: 200_000 })
      expect(built.code, built.stderr + built.stdout.slice(-3000)).toBe(0)
      const result = buildJson(built).result.result![0]
      images.push(...result.tags)
      process.stderr.write(
        `template ${template}: image ${(result.size / 1e6).toFixed(1)} MB, added over ${result.report.baseImage} ${(result.report.added / 1e3).toFixed(1)} kB, build ${result.durationMs} ms\n`,
      )

      const { files, uid } = await inspectFiles(result.id, workdir)
      expect(files.length).toBeGreaterThan(1)
      expect(files.filter((f) => /\/\.env$|\.test\.(js|mjs|ts)$|\/node_modules\/(typescript|@types)\/|\/src\/|\.ts$/.test(f))).toEqual([])
      expect(uid).toBe('1000') // the image's `node` user

      const inspect = await docker.getImage(result.id).inspect()
      expect(inspect.Config.User).toBe('node')
      const container = await docker.createContainer({
        Image: result.id,
        Labels: { 'dev.sls-run.managed': 'true', 'dev.sls-run.test': 'templates' },
        ExposedPorts: { '8080/tcp': {} },
        HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
      })
      try {
        const started = Date.now()
        await container.start()
        const port = (await container.inspect()).NetworkSettings.Ports['8080/tcp']![0]!.HostPort
        const first = await waitFor(
          () => fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(250) }).catch(() => undefined),
          30_000,
          20,
          `the ${template} container to answer on port ${port}`,
        )
        expect(first.status).toBe(200)
        process.stderr.write(`template ${template}: docker start → first 200 in ${Date.now() - started} ms\n`)
        const stopAt = Date.now()
        await container.stop({ t: 10 })
        const state = (await container.inspect()).State
        expect(state.ExitCode).toBe(0)
        expect(Date.now() - stopAt).toBeLessThan(10_000)
      } finally {
        await container.remove({ force: true })
      }
    })
  }
})
