/**
 * Where the Docker engine is and how to reach it. Honours DOCKER_HOST (unix://, npipe://, tcp://
 * with DOCKER_TLS_VERIFY / DOCKER_CERT_PATH), else the first socket that exists among the system
 * one, rootless Docker's and Docker Desktop's. dockerode is imported lazily: `sls-run --help` never
 * pays for it.
 */
import { existsSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type Dockerode from 'dockerode'
import { ExitCode, SlsError } from '../../errors.js'
import { engineUnavailable } from './engine-error.js'

export interface EngineEndpoint {
  /** As a user would write it in DOCKER_HOST. */
  url: string
  options: Dockerode.DockerOptions
  /** A local unix socket (so the engine's disk is this machine's disk). */
  local: boolean
}

export function resolveEndpoint(env: NodeJS.ProcessEnv = process.env): EngineEndpoint {
  const host = env.DOCKER_HOST?.trim()
  if (!host) {
    const candidates = ['/var/run/docker.sock', env.XDG_RUNTIME_DIR && path.join(env.XDG_RUNTIME_DIR, 'docker.sock'), path.join(os.homedir(), '.docker/run/docker.sock')]
    const socketPath = candidates.find((c): c is string => Boolean(c) && existsSync(c as string)) ?? '/var/run/docker.sock'
    return { url: `unix://${socketPath}`, options: { socketPath }, local: true }
  }
  if (host.startsWith('unix://')) return { url: host, options: { socketPath: host.slice('unix://'.length) }, local: true }
  if (host.startsWith('npipe://')) return { url: host, options: { socketPath: host.slice('npipe://'.length) }, local: true }
  const tcp = /^(tcp|http|https):\/\/([^:/]+|\[[^\]]+\]):?(\d+)?\/?$/.exec(host)
  if (!tcp) {
    throw new SlsError('DOCKER_HOST_INVALID', `DOCKER_HOST=${host} is not an address sls-run understands`, {
      exitCode: ExitCode.usage,
      hints: ['Use unix:///path/to/docker.sock or tcp://host:2376 (ssh:// contexts are not supported yet).'],
    })
  }
  const tls = tcp[1] === 'https' || (env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0')
  const certDir = env.DOCKER_CERT_PATH ?? path.join(os.homedir(), '.docker')
  const readCert = (name: string) => (existsSync(path.join(certDir, name)) ? readFileSync(path.join(certDir, name)) : undefined)
  return {
    url: host,
    local: false,
    options: {
      host: tcp[2]!.replace(/^\[|\]$/g, ''),
      port: Number(tcp[3] ?? (tls ? 2376 : 2375)),
      protocol: tls ? 'https' : 'http',
      ...(tls ? { ca: readCert('ca.pem'), cert: readCert('cert.pem'), key: readCert('key.pem') } : {}),
    },
  }
}

export interface EngineInfo {
  endpoint: string
  version: string
  apiVersion: string
  minApiVersion: string
  os: string
  arch: string
  /** "2" when BuildKit is the engine's default builder (the `Builder-Version` ping header). */
  defaultBuilder: '1' | '2' | undefined
  rootDir: string
  storageDriver: string
}

export async function connect(env: NodeJS.ProcessEnv = process.env, timeoutMs = 5000): Promise<{ docker: Dockerode; endpoint: EngineEndpoint }> {
  const endpoint = resolveEndpoint(env)
  const { default: Docker } = await import('dockerode')
  return { docker: new Docker({ ...endpoint.options, timeout: timeoutMs }), endpoint }
}

/** Asks the engine who it is; DOCKER_UNAVAILABLE (exit 3) when nothing answers. */
export async function probeEngine(env: NodeJS.ProcessEnv = process.env, timeoutMs = 3000): Promise<EngineInfo> {
  const { docker, endpoint } = await connect(env, timeoutMs)
  try {
    const headers = await pingHeaders(docker)
    const [version, info] = await Promise.all([docker.version(), docker.info() as Promise<{ DockerRootDir: string; Driver: string }>])
    return {
      endpoint: endpoint.url,
      version: version.Version,
      apiVersion: version.ApiVersion,
      minApiVersion: version.MinAPIVersion ?? '',
      os: version.Os,
      arch: version.Arch,
      defaultBuilder: headers['builder-version'] === '2' ? '2' : headers['builder-version'] === '1' ? '1' : undefined,
      rootDir: info.DockerRootDir,
      storageDriver: info.Driver,
    }
  } catch (error) {
    throw engineUnavailable(endpoint.url, error)
  }
}

function pingHeaders(docker: Dockerode): Promise<Record<string, string | string[] | undefined>> {
  return new Promise((resolve, reject) => {
    docker.modem.dial({ path: '/_ping?', method: 'GET', isStream: true, statusCodes: { 200: true } }, (error: unknown, res: unknown) => {
      if (error) return reject(error)
      const response = res as import('node:http').IncomingMessage
      response.resume()
      resolve(response.headers)
    })
  })
}
