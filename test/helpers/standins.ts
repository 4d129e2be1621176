/**
 * Offline stand-ins for the base images our Dockerfiles name (no image registry is reachable here), built
 * from host files: Debian's static busybox (plus adduser/addgroup scripts, which Debian's build leaves out)
 * and CA bundle; for node:22-alpine also the host's node with every library ldd lists (glibc, not musl; no
 * `apk`) and npm. Never under a real image's name: each test run builds its own, named
 * `sls-run-standin/<real name>-<run>` (e.g. sls-run-standin/node:22-alpine-lq3x9a1f2), and builds FROM them
 * name them explicitly (the templates take their base as a build argument: --build-arg NODE_IMAGE=…).
 * Labelled dev.sls-run.standin=true (sls-run refuses to build, push or deploy an image on one without
 * --allow-standin) and with the run (RUN_LABEL): images built FROM them inherit both labels, so the end of
 * the run (removeRun) removes the stand-ins, every image built on them and their containers, and nothing else.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, existsSync, readFileSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import type Dockerode from 'dockerode'
import tar from 'tar-stream'
import { STANDIN_FOR_LABEL, STANDIN_IMAGE_LABEL, STANDIN_LABEL, STANDIN_NAMESPACE } from '../../src/core/image/standin.js'

export interface StandinInfo {
  name: string
  /** The real image it imitates. */
  for: string
  id: string
  built: boolean // false when reused: this run's stand-in, same recipe hash
  seconds?: number // the build's duration, when built
}

/** This run's stand-in names, by the real image each one imitates. */
export interface Standins {
  run: string
  alpine: string
  node: string
}

export { STANDIN_LABEL }
/** Every image and container a test run creates carries `dev.sls-run.test.run=<run>` (stand-ins pass it on). */
export const RUN_LABEL = 'dev.sls-run.test.run'
/** Bump when the recipe below changes: the hash label then differs and ensureStandins rebuilds. */
const RECIPE_VERSION = 'sls-run-standins/1'
const BUSYBOX = '/bin/busybox'
const PATH_ENV = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt'
const MTIME = new Date('2024-01-01T00:00:00Z') // generated entries: identical contexts hit the build cache

type Item =
  | { type: 'dir'; name: string; mode: number }
  | { type: 'text'; name: string; text: string; mode: number }
  | { type: 'symlink'; name: string; target: string }
  | { type: 'host'; name: string; from: string } // the host file's bytes and mode, symlinks followed
  | { type: 'tree'; name: string; from: string } // a host directory as it is (symlinks kept)

interface Recipe {
  /** The real image it imitates. */
  for: string
  dockerfile: string
  /** Context directories, each COPY'd to / in this order (the last one, `home`, with --chown=1000:1000). */
  layers: Array<[dir: string, items: Item[]]>
  hashInputs: unknown[]
}

// BusyBox-compatible adduser/addgroup (the options Alpine Dockerfiles use), as scripts on busybox applets.
const ADDGROUP = `#!/bin/sh
# sls-run stand-in for BusyBox addgroup
set -e
gid= sys=
while getopts g:S o; do case $o in g) gid=$OPTARG;; S) sys=1;; *) exit 1;; esac; done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo 'usage: addgroup [-g GID] [-S] GROUP | addgroup USER GROUP' >&2; exit 1; }
if [ $# -ge 2 ]; then # add USER to GROUP
  grep -q "^$1:" /etc/passwd && grep -q "^$2:" /etc/group || { echo "addgroup: no user $1 or no group $2" >&2; exit 1; }
  awk -F: -v OFS=: -v u="$1" -v g="$2" '$1 == g { n = split($4, m, ","); f = 0; for (i = 1; i <= n; i++) if (m[i] == u) f = 1; if (!f) $4 = ($4 == "" ? u : $4 "," u) } { print }' /etc/group > /tmp/.group
  cat /tmp/.group > /etc/group && rm /tmp/.group && exit 0
fi
grep -q "^$1:" /etc/group && { echo "addgroup: group '$1' in use" >&2; exit 1; }
[ -n "$gid" ] || { gid=1000; [ -z "$sys" ] || gid=100; while cut -d: -f3 /etc/group | grep -qx "$gid"; do gid=$((gid + 1)); done; }
echo "$1:x:$gid:" >> /etc/group
`
const ADDUSER = `#!/bin/sh
# sls-run stand-in for BusyBox adduser
set -e
home= gecos= shell= group= sys= nohome= uid=
while getopts h:g:s:G:SDHu:k: o; do
  case $o in h) home=$OPTARG;; g) gecos=$OPTARG;; s) shell=$OPTARG;; G) group=$OPTARG;; S) sys=1;; D|k) ;; H) nohome=1;; u) uid=$OPTARG;; *) exit 1;; esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo 'usage: adduser [-h DIR] [-g GECOS] [-s SHELL] [-G GROUP] [-S] [-D] [-H] [-u UID] USER [GROUP]' >&2; exit 1; }
[ $# -lt 2 ] || exec addgroup "$1" "$2"
user=$1
grep -q "^$user:" /etc/passwd && { echo "adduser: user '$user' in use" >&2; exit 1; }
[ -n "$uid" ] || { uid=1000; [ -z "$sys" ] || uid=100; while cut -d: -f3 /etc/passwd | grep -qx "$uid"; do uid=$((uid + 1)); done; }
if [ -z "$group" ] && [ -n "$sys" ]; then group=nogroup
elif [ -z "$group" ]; then
  group=$user
  if cut -d: -f3 /etc/group | grep -qx "$uid"; then addgroup "$group"; else addgroup -g "$uid" "$group"; fi
fi
gid=$(awk -F: -v g="$group" '$1 == g { print $3 }' /etc/group)
[ -n "$gid" ] || { echo "adduser: unknown group $group" >&2; exit 1; }
[ -n "$home" ] || home=/home/$user
[ -n "$shell" ] || { shell=/bin/sh; [ -z "$sys" ] || shell=/sbin/nologin; }
echo "$user:x:$uid:$gid:$gecos:$home:$shell" >> /etc/passwd
echo "$user:!:$(($(date +%s) / 86400)):0:99999:7:::" >> /etc/shadow
[ -n "$nohome" ] || [ -d "$home" ] || { mkdir -p "$home" && chown "$uid:$gid" "$home"; }
`

function hostFacts() {
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: run \`scripts/provision.sh standins\` (installs Debian's busybox-static) to build the offline stand-in images`)
  if (/=>|ld-linux/.test(spawnSync('ldd', [BUSYBOX], { encoding: 'utf8' }).stdout ?? '')) {
    throw new Error(`${BUSYBOX} is dynamically linked (Debian's busybox, not busybox-static): run \`scripts/provision.sh standins\``)
  }
  const busyboxVersion = (spawnSync(BUSYBOX, [], { encoding: 'utf8' }).stdout ?? '').split('\n')[0]!.trim()
  const applets = execFileSync(BUSYBOX, ['--list-full'], { encoding: 'utf8' })
    .split('\n')
    .map((a) => a.trim())
    .filter((a) => a && a !== 'bin/busybox')
  const nodeBin = realpathSync(execFileSync('which', ['node'], { encoding: 'utf8' }).trim())
  const nodeVersion = execFileSync(nodeBin, ['--version'], { encoding: 'utf8' }).trim().replace(/^v/, '')
  const ldd = execFileSync('ldd', [nodeBin], { encoding: 'utf8' })
  if (/not found/.test(ldd)) throw new Error(`ldd ${nodeBin} lists a library it cannot find:\n${ldd}`)
  const libs = ldd.split('\n').flatMap((line) => /(?:=>\s*|^\s*)(\/\S+)\s+\(0x/.exec(line)?.slice(1, 2) ?? [])
  const npmDir = path.resolve(path.dirname(nodeBin), '../lib/node_modules/npm')
  const npmVersion = (JSON.parse(readFileSync(path.join(npmDir, 'package.json'), 'utf8')) as { version: string }).version
  const caSha = createHash('sha256').update(readFileSync(CA_BUNDLE)).digest('hex')
  return { busyboxVersion, applets, nodeBin, nodeVersion, libs, npmDir, npmVersion, caSha }
}

function recipes(host: ReturnType<typeof hostFacts>): Recipe[] {
  const accounts = (node: boolean): Item[] => [
    {
      type: 'text',
      name: 'etc/passwd',
      mode: 0o644,
      text: `root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n${node ? 'node:x:1000:1000:Linux User,,,:/home/node:/bin/sh\n' : ''}`,
    },
    { type: 'text', name: 'etc/group', mode: 0o644, text: `root:x:0:root\nnogroup:x:65533:\nnobody:x:65534:\n${node ? 'node:x:1000:node\n' : ''}` },
    { type: 'text', name: 'etc/shadow', mode: 0o640, text: `root:*::0:::::\nnobody:!::0:::::\n${node ? 'node:!:19000:0:99999:7:::\n' : ''}` },
  ]
  const present = new Set(host.applets)
  const modes: Record<string, number> = { root: 0o700, tmp: 0o1777, 'var/tmp': 0o1777 }
  const base: Item[] = [
    ...['bin', 'sbin', 'etc', 'home', 'lib', 'root', 'tmp', 'usr/bin', 'usr/sbin', 'usr/local/bin', 'usr/local/sbin', 'usr/local/lib', 'var/tmp'].map((name): Item => ({
      type: 'dir',
      name,
      mode: modes[name] ?? 0o755,
    })),
    { type: 'host', name: 'bin/busybox', from: BUSYBOX },
    ...host.applets.map((name): Item => ({ type: 'symlink', name, target: '/bin/busybox' })),
    ...(present.has('usr/sbin/addgroup') ? [] : [{ type: 'text' as const, name: 'usr/sbin/addgroup', mode: 0o755, text: ADDGROUP }]),
    ...(present.has('usr/sbin/adduser') ? [] : [{ type: 'text' as const, name: 'usr/sbin/adduser', mode: 0o755, text: ADDUSER }]),
    { type: 'host', name: CA_BUNDLE.slice(1), from: CA_BUNDLE },
  ]
  const common = [host.busyboxVersion, host.caSha]
  const alpine: Recipe = {
    for: 'alpine:3.20',
    dockerfile: `FROM scratch\nCOPY base/ /\nCOPY accounts/ /\nENV PATH=${PATH_ENV}\nCMD ["/bin/sh"]\n`,
    layers: [
      ['base', base],
      ['accounts', accounts(false)],
    ],
    hashInputs: ['alpine:3.20', ...common],
  }
  const node: Recipe = {
    for: 'node:22-alpine',
    dockerfile:
      `FROM scratch\nCOPY base/ /\nCOPY accounts/ /\nCOPY node/ /\nCOPY --chown=1000:1000 home/ /home/\n` +
      `ENV PATH=${PATH_ENV} NODE_VERSION=${host.nodeVersion} NODE_EXTRA_CA_CERTS=${CA_BUNDLE}\nCMD ["node"]\n`,
    layers: [
      ['base', base],
      ['accounts', accounts(true)],
      [
        'node',
        [
          { type: 'host', name: 'usr/local/bin/node', from: host.nodeBin },
          ...host.libs.map((lib): Item => ({ type: 'host', name: lib.slice(1), from: lib })),
          { type: 'text', name: 'etc/nsswitch.conf', mode: 0o644, text: 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n' },
          { type: 'tree', name: 'usr/local/lib/node_modules/npm', from: host.npmDir },
          { type: 'symlink', name: 'usr/local/bin/npm', target: '../lib/node_modules/npm/bin/npm-cli.js' },
          { type: 'symlink', name: 'usr/local/bin/npx', target: '../lib/node_modules/npm/bin/npx-cli.js' },
        ],
      ],
      ['home', [{ type: 'dir', name: 'node', mode: 0o755 }]],
    ],
    hashInputs: ['node:22-alpine', ...common, host.nodeVersion, host.npmVersion, host.libs],
  }
  return [alpine, node]
}

/** Writes the build context into `pack` one entry at a time, streaming host files. */
async function fill(pack: tar.Pack, recipe: Recipe): Promise<void> {
  const dirs = new Set<string>()
  const entry = (header: Partial<tar.Header> & { name: string }, body?: string | NodeJS.ReadableStream) =>
    new Promise<void>((resolve, reject) => {
      const done = (error?: Error | null) => (error ? reject(error) : resolve())
      const full = { uid: 0, gid: 0, mtime: MTIME, ...header }
      if (body === undefined)
        pack.entry(full, done) // directory or symlink
      else if (typeof body === 'string') pack.entry(full, body, done)
      else pipeline(body, pack.entry(full, done)).catch(reject)
    })
  const dir = async (name: string, mode = 0o755) => {
    if (dirs.has(name)) return
    if (path.posix.dirname(name) !== '.') await dir(path.posix.dirname(name))
    dirs.add(name)
    await entry({ name: `${name}/`, type: 'directory', mode })
  }
  const file = async (name: string, from: string) => {
    const stat = statSync(from) // follows symlinks: the real file lands at the listed path
    await dir(path.posix.dirname(name))
    await entry({ name, type: 'file', mode: stat.mode & 0o7777, size: stat.size, mtime: stat.mtime }, createReadStream(from))
  }
  const tree = async (name: string, from: string): Promise<void> => {
    await dir(name, statSync(from).mode & 0o7777)
    for (const child of readdirSync(from, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const [to, src] = [`${name}/${child.name}`, path.join(from, child.name)]
      if (child.isDirectory()) await tree(to, src)
      else if (child.isSymbolicLink()) await entry({ name: to, type: 'symlink', linkname: readlinkSync(src), mode: 0o777 })
      else if (child.isFile()) await file(to, src)
    }
  }
  await entry({ name: 'Dockerfile', type: 'file', mode: 0o644 }, recipe.dockerfile)
  for (const [layer, items] of recipe.layers) {
    await dir(layer)
    for (const item of items) {
      const name = `${layer}/${item.name}`
      if (item.type !== 'dir') await dir(path.posix.dirname(name))
      if (item.type === 'dir') await dir(name, item.mode)
      else if (item.type === 'text') await entry({ name, type: 'file', mode: item.mode }, item.text)
      else if (item.type === 'symlink') await entry({ name, type: 'symlink', linkname: item.target, mode: 0o777 })
      else if (item.type === 'host') await file(name, item.from)
      else await tree(name, item.from)
    }
  }
  pack.finalize()
}

/** Reads the build's NDJSON progress to its end; errors arrive inside the 200 stream. Returns the image id. */
async function readProgress(stream: NodeJS.ReadableStream, name: string): Promise<string | undefined> {
  let [id, rest, tail] = [undefined as string | undefined, '', [] as string[]]
  const handle = (line: string) => {
    if (!line.trim()) return
    const event = JSON.parse(line) as { stream?: string; error?: string; errorDetail?: { message?: string }; aux?: { ID?: string } }
    if (event.stream && tail.push(event.stream) > 30) tail.shift()
    if (event.error || event.errorDetail) throw new Error(`building the stand-in ${name} failed: ${event.error ?? event.errorDetail?.message}\n${tail.join('')}`)
    if (event.aux?.ID) id = event.aux.ID
  }
  stream.setEncoding('utf8')
  for await (const chunk of stream as AsyncIterable<string>) {
    const lines = (rest + chunk).split('\n')
    rest = lines.pop()!
    lines.forEach(handle)
  }
  handle(rest)
  return id
}

async function build(docker: Dockerode, recipe: Recipe, name: string, labels: Record<string, string>): Promise<string> {
  const pack = tar.pack()
  const abort = new AbortController()
  const filling = fill(pack, recipe).catch((error: Error) => (abort.abort(), pack.destroy(error), Promise.reject(error)))
  const request = docker.buildImage(pack as unknown as NodeJS.ReadableStream, { t: name, labels, rm: true, forcerm: true, abortSignal: abort.signal })
  request.catch(() => pack.destroy())
  const [stream] = await Promise.all([request, filling])
  return (await readProgress(stream, name)) ?? (await docker.getImage(name).inspect()).Id
}

/** A new run id: lowercase, usable in a tag. */
export const newRun = (): string => `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`

/** `sls-run-standin/node:22-alpine-<run>`: the real name in our own namespace, the run in the tag. */
export const standinName = (real: string, run: string): string => `${STANDIN_NAMESPACE}/${real}-${run}`

export const standinNames = (run: string): Standins => ({ run, alpine: standinName('alpine:3.20', run), node: standinName('node:22-alpine', run) })

/** Builds (or, within the same run, reuses) this run's stand-ins for alpine:3.20 and node:22-alpine. */
export async function ensureStandins(docker: Dockerode, run: string, log: (line: string) => void = () => {}): Promise<StandinInfo[]> {
  const host = hostFacts()
  const results: StandinInfo[] = []
  for (const recipe of recipes(host)) {
    const name = standinName(recipe.for, run)
    const hash = createHash('sha256')
      .update(JSON.stringify([RECIPE_VERSION, ...recipe.hashInputs]))
      .digest('hex')
    const existing = await docker
      .getImage(name)
      .inspect()
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode === 404) return undefined
        throw error
      })
    const current = existing?.Config?.Labels ?? {}
    if (existing && !current[STANDIN_LABEL]) throw new Error(`${name} exists but is not a stand-in (no ${STANDIN_LABEL} label): not touching it`)
    if (existing && current[`${STANDIN_LABEL}.hash`] === hash) {
      results.push({ name, for: recipe.for, id: existing.Id, built: false })
      continue
    }
    log(`building ${name}: ${existing ? 'its inputs changed' : 'none yet'}`)
    const started = performance.now()
    const id = await build(docker, recipe, name, {
      [STANDIN_LABEL]: 'true',
      [STANDIN_FOR_LABEL]: recipe.for,
      [STANDIN_IMAGE_LABEL]: name,
      [`${STANDIN_LABEL}.hash`]: hash,
      [RUN_LABEL]: run,
      'org.opencontainers.image.description': `offline stand-in for ${recipe.for}, built from host files by sls-run's test support; NOT the real image`,
    })
    const seconds = (performance.now() - started) / 1000
    if (existing && existing.Id !== id)
      await docker
        .getImage(existing.Id)
        .remove()
        .catch(() => {}) // in use: removeRun gets it
    results.push({ name, for: recipe.for, id, built: true, seconds })
  }
  return results
}

/**
 * The end of a run: removes the containers and images labelled with `run` (the stand-ins, every image built
 * on them, and whatever the tests labelled), children before parents, in a few bounded passes. Returns
 * what could not be removed.
 */
export async function removeRun(docker: Dockerode, run: string): Promise<string[]> {
  const filters = { label: [`${RUN_LABEL}=${run}`] }
  for (const c of await docker.listContainers({ all: true, filters }))
    await docker
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch(() => {})
  for (let pass = 0; pass < 6; pass++) {
    const images = await docker.listImages({ all: true, filters })
    if (!images.length) break
    // Newest first: an image built on another is newer than it (the stand-ins go last).
    for (const image of images.sort((a, b) => b.Created - a.Created))
      await docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => {})
  }
  const containers = await docker.listContainers({ all: true, filters })
  const images = await docker.listImages({ all: true, filters })
  return [...containers.map((c) => `container ${c.Id.slice(0, 12)}`), ...images.map((i) => `image ${(i.RepoTags ?? []).join(', ') || i.Id.slice(7, 19)}`)]
}
