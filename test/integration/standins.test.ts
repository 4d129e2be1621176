/** The offline stand-in base images (test/helpers/standins.ts) that engine-setup built for this run. */
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { describe, expect, inject, it } from 'vitest'
import { connect } from '../../src/runtime/docker/engine.js'
import { ensureStandins, RUN_LABEL, STANDIN_LABEL } from '../helpers/standins.js'

const { run, alpine, node } = inject('standins')
const NAMES: Array<[name: string, real: string]> = [
  [alpine, 'alpine:3.20'],
  [node, 'node:22-alpine'],
]

describe.skipIf(!inject('engine'))('stand-in base images', async () => {
  const { docker } = await connect(process.env, 60_000)

  /** Runs `cmd` in a new container of `image` (removed after); its exit code and output (a TTY: no demuxing). */
  async function exec(image: string, cmd: string[], user?: string): Promise<{ code: number; out: string }> {
    const container = await docker.createContainer({ Image: image, Cmd: cmd, User: user ?? '', Tty: true, Labels: { 'dev.sls-run.test': 'standins' } })
    try {
      await container.start()
      const { StatusCode } = (await container.wait()) as { StatusCode: number }
      const out = (await container.logs({ stdout: true, stderr: true })).toString('utf8').replace(/\r/g, '').trim()
      return { code: StatusCode, out }
    } finally {
      await container.remove({ force: true })
    }
  }

  it('have their own names (never a real image name) and carry the stand-in and run labels', async () => {
    expect(NAMES.map(([name]) => name)).toEqual([`sls-run-standin/alpine:3.20-${run}`, `sls-run-standin/node:22-alpine-${run}`])
    for (const [name, real] of NAMES) {
      const labels = (await docker.getImage(name).inspect()).Config.Labels ?? {}
      expect(labels[STANDIN_LABEL], name).toBe('true')
      expect(labels[`${STANDIN_LABEL}.for`]).toBe(real)
      expect(labels[`${STANDIN_LABEL}.image`]).toBe(name)
      expect(labels[RUN_LABEL]).toBe(run)
      expect(labels[`${STANDIN_LABEL}.hash`]).toMatch(/^[0-9a-f]{64}$/)
      expect(labels['org.opencontainers.image.description']).toBe(`offline stand-in for ${real}, built from host files by sls-run's test support; NOT the real image`)
    }
  })

  it('the node:22-alpine stand-in runs the host node and npm', async () => {
    const hostNode = execFileSync('node', ['--version'], { encoding: 'utf8' }).trim()
    expect(await exec(node, ['node', '-e', 'console.log(`${[1, 2, 3].reduce((a, b) => a + b) * 7} ${process.version} ${process.env.NODE_VERSION}`)'])).toEqual({
      code: 0,
      out: `42 ${hostNode} ${hostNode.slice(1)}`,
    })
    // The npm that ships with this node (the one the stand-in copies), not whichever npm is first on PATH
    // (under `npm test`, node_modules/.bin may hold another: @oclif/plugin-plugins depends on npm).
    const hostNpm = execFileSync(process.execPath, [path.resolve(path.dirname(process.execPath), '../lib/node_modules/npm/bin/npm-cli.js'), '--version'], { encoding: 'utf8' }).trim()
    expect(await exec(node, ['sh', '-c', 'npm --version'])).toEqual({ code: 0, out: hostNpm })
  })

  it('the node:22-alpine stand-in has the node user (uid 1000) that USER and su switch to', async () => {
    const id = await exec(node, ['id', 'node'])
    expect(id.out).toMatch(/^uid=1000\(node\) gid=1000\(node\)/)
    expect(await exec(node, ['sh', '-c', 'id -u; stat -c %u:%g:%a /home/node; echo $HOME'], 'node')).toEqual({ code: 0, out: '1000\n1000:1000:755\n/home/node' })
    expect(await exec(node, ['su', 'node', '-c', 'id -un'])).toEqual({ code: 0, out: 'node' })
  })

  it('the alpine:3.20 stand-in has a shell, PATH, /tmp, the CA bundle, and BusyBox-style adduser/addgroup', async () => {
    const base = await exec(alpine, ['sh', '-c', 'echo $PATH; stat -c %a /tmp; grep -c "BEGIN CERTIFICATE" /etc/ssl/certs/ca-certificates.crt'])
    const [pathEnv, tmpMode, certs] = base.out.split('\n')
    expect(pathEnv).toBe('/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
    expect(tmpMode).toBe('1777')
    expect(Number(certs)).toBeGreaterThan(10)
    const users = await exec(alpine, [
      'sh',
      '-c',
      [
        'set -e',
        'addgroup -S app && adduser -S -G app -h /app app && id app && stat -c %U:%G /app',
        'adduser -D -u 2001 bob && id bob && addgroup bob app && id bob',
        'addgroup -g 3000 ops && adduser -D -G ops -s /bin/ash eve && grep ^eve: /etc/passwd',
        'su bob -c whoami',
      ].join('\n'),
    ])
    expect(users).toEqual({
      code: 0,
      out: [
        'uid=100(app) gid=100(app) groups=100(app)',
        'app:app',
        'uid=2001(bob) gid=2001(bob) groups=2001(bob)',
        'uid=2001(bob) gid=2001(bob) groups=2001(bob),100(app)',
        'eve:x:1000:3000::/home/eve:/bin/ash',
        'bob',
      ].join('\n'),
    })
  })

  it('a second ensureStandins of the same run reuses both', async () => {
    const again = await ensureStandins(docker, run)
    expect(again.map((s) => [s.name, s.built])).toEqual(NAMES.map(([name]) => [name, false]))
    for (const s of again) expect(s.id).toBe((await docker.getImage(s.name).inspect()).Id)
  })
})
