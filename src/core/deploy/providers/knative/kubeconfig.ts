/**
 * The user's kubeconfig, read the way kubectl reads it: `$KUBECONFIG` (a list of files joined with the
 * path delimiter; files that do not exist are skipped) or `~/.kube/config`. When several files define the
 * same cluster, user or context name, or `current-context`, the first file wins. Relative file paths
 * inside a file are relative to that file's folder. No prompts: anything interactive is an error.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { missingCredentials } from '../../api.js'

/** `users[].user.exec`: a client-go credential plugin. */
export interface ExecConfig {
  apiVersion?: string
  command?: string
  args?: string[]
  env?: Array<{ name: string; value: string }> | null
  interactiveMode?: string
  provideClusterInfo?: boolean
  installHint?: string
}

/** One context, resolved: where the API server is, how to trust it and who we are. */
export interface KubeTarget {
  context: string
  /** The files read, in order (for messages). */
  files: string[]
  /** `clusters[].cluster.server`, without a trailing slash (it may carry a path prefix). */
  server: string
  /** PEM of the CA to trust; undefined means the system roots. */
  ca?: string
  insecure: boolean
  tlsServerName?: string
  /** The `extensions` entry `client.authentication.k8s.io/exec` of the cluster, for exec plugins. */
  execClusterConfig?: unknown
  cert?: string
  key?: string
  token?: string
  basic?: { username: string; password: string }
  exec?: ExecConfig
  /** Folder of the file that defined the user (relative exec commands resolve from there). */
  userDir: string
}

type Named = { name?: string; [key: string]: unknown }
interface Entry {
  value: Record<string, unknown>
  dir: string
}

const HINTS = [
  'Point KUBECONFIG at your kubeconfig, or create ~/.kube/config (e.g. `kind create cluster`, `gcloud container clusters get-credentials`, `az aks get-credentials`, `aws eks update-kubeconfig`).',
  'Check it with `kubectl config view --minify` and `kubectl auth can-i patch services.serving.knative.dev`.',
]

/** The kubeconfig files to read, in priority order. */
export function kubeconfigPaths(env: NodeJS.ProcessEnv): { paths: string[]; fromEnv: boolean } {
  const list = env.KUBECONFIG
  if (list && list.trim()) return { paths: list.split(path.delimiter).filter((p) => p.trim() !== ''), fromEnv: true }
  const home = env.HOME || env.USERPROFILE || os.homedir()
  return { paths: [path.join(home, '.kube', 'config')], fromEnv: false }
}

const fail = (what: string, hints: string[] = HINTS) => missingCredentials('Kubernetes', what, hints)

async function readYamlFile(file: string): Promise<Record<string, unknown>> {
  const { parse } = await import('../../../../vendor/yaml.js')
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw fail(`kubeconfig ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
  }
  let doc: unknown
  try {
    doc = parse(text)
  } catch (err) {
    // The parser's message quotes the offending line, which may be a token or a key: say only where.
    const at = (err as { linePos?: Array<{ line: number; col: number }> }).linePos?.[0]
    throw fail(`kubeconfig ${file} is not valid YAML${at ? ` (line ${at.line}, column ${at.col})` : ''}`)
  }
  if (doc === null || doc === undefined) return {}
  if (typeof doc !== 'object' || Array.isArray(doc)) throw fail(`kubeconfig ${file} is not a kubeconfig (expected a mapping)`)
  return doc as Record<string, unknown>
}

/** Reads and merges the files; first definition of a name wins. */
async function loadMerged(env: NodeJS.ProcessEnv) {
  const { paths, fromEnv } = kubeconfigPaths(env)
  const files = paths.filter((p) => existsSync(p))
  if (files.length === 0) {
    throw fail(fromEnv ? `none of the files in KUBECONFIG exist (${paths.join(', ')})` : `${paths[0]} does not exist and KUBECONFIG is not set`)
  }
  const maps = { clusters: new Map<string, Entry>(), users: new Map<string, Entry>(), contexts: new Map<string, Entry>() }
  const inner = { clusters: 'cluster', users: 'user', contexts: 'context' } as const
  let current: string | undefined
  for (const file of files) {
    const doc = await readYamlFile(file)
    const dir = path.dirname(path.resolve(file))
    for (const kind of ['clusters', 'users', 'contexts'] as const) {
      const list = doc[kind]
      if (list === undefined || list === null) continue
      if (!Array.isArray(list)) throw fail(`kubeconfig ${file}: ${kind} is not a list`)
      for (const item of list as Named[]) {
        if (!item || typeof item.name !== 'string' || maps[kind].has(item.name)) continue
        const value = item[inner[kind]]
        maps[kind].set(item.name, { value: value && typeof value === 'object' ? (value as Record<string, unknown>) : {}, dir })
      }
    }
    const cc = doc['current-context']
    if (current === undefined && typeof cc === 'string' && cc !== '') current = cc
  }
  return { files, current, ...maps }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

async function fileOrData(entry: Entry, fileKey: string, dataKey: string, label: string): Promise<string | undefined> {
  const data = str(entry.value[dataKey])
  if (data) return Buffer.from(data, 'base64').toString('utf8')
  const file = str(entry.value[fileKey])
  if (!file) return undefined
  const resolved = path.resolve(entry.dir, file)
  try {
    return await readFile(resolved, 'utf8')
  } catch (err) {
    throw fail(`the ${label} file ${resolved} named by the kubeconfig cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
  }
}

/** Resolves `context` (or the current context) into a server and credentials. */
export async function resolveKubeTarget(env: NodeJS.ProcessEnv, context?: string | null): Promise<KubeTarget> {
  const merged = await loadMerged(env)
  const name = context ?? merged.current
  const where = merged.files.join(', ')
  if (!name) {
    throw fail(`no context chosen: ${where} has no current-context and the environment sets no \`context:\``, [
      'Run `kubectl config use-context <name>`, or set `context: <name>` in the environment of sls-run.yaml.',
    ])
  }
  const ctxEntry = merged.contexts.get(name)
  if (!ctxEntry) {
    const known = [...merged.contexts.keys()]
    throw fail(`context "${name}" is not in ${where}`, [
      known.length ? `Contexts there: ${known.join(', ')}.` : 'That kubeconfig defines no contexts.',
      'Fix `context:` in sls-run.yaml, or `kubectl config get-contexts`.',
    ])
  }
  const clusterName = str(ctxEntry.value.cluster)
  const cluster = clusterName ? merged.clusters.get(clusterName) : undefined
  if (!cluster) throw fail(`context "${name}" names cluster "${clusterName ?? ''}", which is not in ${where}`)
  const server = str(cluster.value.server)
  if (!server) throw fail(`cluster "${clusterName}" in ${where} has no server`)
  if (str(cluster.value['proxy-url'])) throw fail(`cluster "${clusterName}" uses proxy-url, which sls-run does not support yet`, ['Remove proxy-url (or use a kubeconfig without it) for deploys.'])

  const userName = str(ctxEntry.value.user)
  const user: Entry = userName ? (merged.users.get(userName) ?? { value: {}, dir: '' }) : { value: {}, dir: cluster.dir }
  if (userName && !merged.users.has(userName)) throw fail(`context "${name}" names user "${userName}", which is not in ${where}`)

  const unsupported = ['auth-provider', 'as', 'as-uid', 'as-groups', 'as-user-extra'].filter((k) => user.value[k] !== undefined && user.value[k] !== null)
  if (unsupported.length) {
    throw fail(`user "${userName}" uses ${unsupported.join(', ')}, which sls-run does not support`, [
      'auth-provider plugins were removed from kubectl: use the exec credential plugin of your platform (gke-gcloud-auth-plugin, kubelogin, aws eks get-token), or a token.',
    ])
  }

  const target: KubeTarget = {
    context: name,
    files: merged.files,
    server: server.replace(/\/+$/, ''),
    insecure: cluster.value['insecure-skip-tls-verify'] === true,
    userDir: user.dir,
  }
  const ca = await fileOrData(cluster, 'certificate-authority', 'certificate-authority-data', 'certificate-authority')
  if (ca) target.ca = ca
  const sni = str(cluster.value['tls-server-name'])
  if (sni) target.tlsServerName = sni
  const extensions = cluster.value.extensions
  if (Array.isArray(extensions)) {
    const ext = (extensions as Named[]).find((e) => e?.name === 'client.authentication.k8s.io/exec')
    if (ext) target.execClusterConfig = ext.extension
  }
  const cert = await fileOrData(user, 'client-certificate', 'client-certificate-data', 'client-certificate')
  const key = await fileOrData(user, 'client-key', 'client-key-data', 'client-key')
  if (cert && key) Object.assign(target, { cert, key })
  else if (cert || key) throw fail(`user "${userName}" has a client ${cert ? 'certificate without a key' : 'key without a certificate'}`)

  const tokenFile = str(user.value.tokenFile)
  if (tokenFile) {
    const resolved = path.resolve(user.dir, tokenFile)
    try {
      target.token = (await readFile(resolved, 'utf8')).trim()
    } catch (err) {
      throw fail(`the tokenFile ${resolved} of user "${userName}" cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
    }
  } else if (str(user.value.token)) target.token = str(user.value.token)
  const username = str(user.value.username)
  if (username) target.basic = { username, password: typeof user.value.password === 'string' ? user.value.password : '' }
  if (user.value.exec && typeof user.value.exec === 'object') target.exec = user.value.exec as ExecConfig
  return target
}
