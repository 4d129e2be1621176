// The Node base image the benches build on (docker.ts, build.ts, templates.ts): SLS_RUN_BENCH_NODE_IMAGE
// when set; else node:22-alpine when the engine has the real image; else an offline stand-in built for this
// run from host files by the tests' own recipe (test/helpers/standins.ts), named
// sls-run-standin/node:22-alpine-<run>, never like a real image. sls-run refuses to build on a stand-in
// without --allow-standin, so `buildArgs` carries it then. cleanup() removes the stand-in and every image and
// container built on it (they inherit its run label), and nothing else.
import type Dockerode from 'dockerode'
import { STANDIN_LABEL } from '../src/core/image/standin.js'

const REAL = 'node:22-alpine'

export interface NodeBase {
  image: string
  standin: boolean
  /** For `sls-run build`: `--build-arg NODE_IMAGE=<image>`, and `--allow-standin` on a stand-in. */
  buildArgs: string[]
  cleanup(): Promise<void>
}

export async function nodeBase(docker: Dockerode, log = (line: string) => void process.stderr.write(`${line}\n`)): Promise<NodeBase> {
  const labels = async (image: string) =>
    (
      await docker
        .getImage(image)
        .inspect()
        .catch(() => undefined)
    )?.Config?.Labels ?? undefined
  const chosen = process.env.SLS_RUN_BENCH_NODE_IMAGE
  const real = chosen
    ? undefined
    : await docker
        .getImage(REAL)
        .inspect()
        .catch(() => undefined)
  if (chosen || (real && real.Config?.Labels?.[STANDIN_LABEL] !== 'true')) {
    const image = chosen ?? REAL
    const standin = (await labels(image))?.[STANDIN_LABEL] === 'true'
    return { image, standin, buildArgs: ['--build-arg', `NODE_IMAGE=${image}`, ...(standin ? ['--allow-standin'] : [])], cleanup: async () => {} }
  }
  if (real) log(`${REAL} on this engine is an old offline stand-in under the real name (remove it: docker rmi ${REAL}); not using it`)
  // Only now: the tests' recipe (and what it imports) is not needed with a real base.
  const { ensureStandins, newRun, removeRun } = await import('../test/helpers/standins.js')
  const run = newRun()
  const built = await ensureStandins(docker, run, (line) => log(`stand-in: ${line}`))
  const image = built.find((s) => s.for === REAL)!.name
  log(`no real ${REAL} on this engine: benches run on the offline stand-in ${image} (the host's glibc node)`)
  return {
    image,
    standin: true,
    buildArgs: ['--build-arg', `NODE_IMAGE=${image}`, '--allow-standin'],
    cleanup: async () => {
      const left = await removeRun(docker, run)
      if (left.length) log(`could not remove ${left.join(', ')}`)
    },
  }
}
