/** The offline stand-in base images (test/helpers/standins.ts) that engine-setup built or reused. */
import { execFileSync } from 'node:child_process'
import { describe, expect, inject, it } from 'vitest'
import { connect } from '../../src/runtime/docker/engine.js'
import { ensureStandins, STANDIN_LABEL } from '../helpers/standins.js'

const NAMES = ['alpine:3.20', 'node:22-alpine']

describe.skipIf(!inject('engine'))('stand-in base images', async () => {
  const { docker } = await connect(process.env, 60_000)

  /** Runs `cmd` in a new container of `image` (removed after); its exit code and output (a TTY: no demuxing). */
  async function run(image: string, cmd: string[], user?: string): Promise<{ code: number; out: string }> {
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

  it('carry the stand-in labels', async () => {
    for (const name of NAMES) {
      const labels = (await docker.getImage(name).inspect()).Config.Labels ?? {}
      expect(labels[STANDIN_LABEL], name).toBe('true')
      expect(labels[`${STANDIN_LABEL}.for`]).toBe(name)
      expect(labels[`${STANDIN_LABEL}.hash`]).toMatch(/^[0-9a-f]{64}$/)
      expect(labels['org.opencontainers.image.description']).toBe(`offline stand-in for ${name}, built from host files by sls-run's test support; NOT the real image`)
    }
  })

  it('node:22-alpine runs the host node and npm', async () => {
    const hostNode = execFileSync('node', ['--version'], { encoding: 'utf8' }).trim()
    expect(await run('node:22-alpine', ['node', '-e', 'console.log(`${[1, 2, 3].reduce((a, b) => a + b) * 7} ${process.version} ${process.env.NODE_VERSION}`)'])).toEqual({
      code: 0,
      out: `42 ${hostNode} ${hostNode.slice(1)}`,
    })
    const hostNpm = execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim()
    expect(await run('node:22-alpine', ['sh', '-c', 'npm --version'])).toEqual({ code: 0, out: hostNpm })
  })

  it('node:22-alpine has the node user (uid 1000) that USER and su switch to', async () => {
    const id = await run('node:22-alpine', ['id', 'node'])
    expect(id.out).toMatch(/^uid=1000\(node\) gid=1000\(node\)/)
    expect(await run('node:22-alpine', ['sh', '-c', 'id -u; stat -c %u:%g:%a /home/node; echo $HOME'], 'node')).toEqual({ code: 0, out: '1000\n1000:1000:755\n/home/node' })
    expect(await run('node:22-alpine', ['su', 'node', '-c', 'id -un'])).toEqual({ code: 0, out: 'node' })
  })

  it('alpine:3.20 has a shell, PATH, /tmp, the CA bundle, and BusyBox-style adduser/addgroup', async () => {
    const base = await run('alpine:3.20', ['sh', '-c', 'echo $PATH; stat -c %a /tmp; grep -c "BEGIN CERTIFICATE" /etc/ssl/certs/ca-certificates.crt'])
    const [pathEnv, tmpMode, certs] = base.out.split('\n')
    expect(pathEnv).toBe('/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
    expect(tmpMode).toBe('1777')
    expect(Number(certs)).toBeGreaterThan(10)
    const users = await run('alpine:3.20', ['sh', '-c', [
      'set -e',
      'addgroup -S app && adduser -S -G app -h /app app && id app && stat -c %U:%G /app',
      'adduser -D -u 2001 bob && id bob && addgroup bob app && id bob',
      'addgroup -g 3000 ops && adduser -D -G ops -s /bin/ash eve && grep ^eve: /etc/passwd',
      'su bob -c whoami',
    ].join('\n')])
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

  it('a second ensureStandins reuses both', async () => {
    const again = await ensureStandins(docker)
    expect(again.map((s) => [s.name, s.built])).toEqual(NAMES.map((name) => [name, false]))
    for (const s of again) expect(s.id).toBe((await docker.getImage(s.name).inspect()).Id)
  })
})
