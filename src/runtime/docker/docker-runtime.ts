/**
 * Runs an instance as a container through the engine (dockerode), as production would: the service's
 * image, the contract env plus PORT, `command:` as the entrypoint, CPU quota and memory limit from
 * `resources:`, stdout/stderr demultiplexed into the emulator's log. Every container carries the
 * session labels (labels.ts) and is removed when it ends, after its exit code and OOM flag are read.
 *
 * How the emulator reaches a container: on a Linux host with a local engine, straight at its bridge IP
 * (no userland proxy in the data path, and readiness sees the app's own socket); elsewhere (Docker
 * Desktop) through a port published on 127.0.0.1, which Docker's proxy accepts before the app listens,
 * so readiness then waits for an HTTP answer (`proxied`).
 */
import net from 'node:net'
import os from 'node:os'
import { PassThrough } from 'node:stream'
import type Dockerode from 'dockerode'
import { ExitCode, SlsError } from '../../errors.js'
import { forEachLine } from '../lines.js'
import type { ExitInfo, InstanceSpec, LogLine, Runtime, RuntimeInstance } from '../types.js'
import { engineMessage } from './engine-error.js'
import { sessionLabels, type Session } from './labels.js'
import { WarmContainers, type Prepared, type WarmDeps } from './warm.js'

const MAX_LINES = 200
/** Warm containers kept per service (warm.ts): created, attached, not started. */
export const WARM_PER_SERVICE = 1
/** The name containers use for the machine that runs sls-run (Docker Desktop's, mapped on Linux too). */
export const HOST_ALIAS = 'host.docker.internal'

export interface DockerRuntimeOptions {
  /** 'auto' (default): the bridge IP when this host has an address on the bridge, else a published port. */
  address?: 'auto' | 'bridge' | 'published'
}

type Container = Dockerode.Container

class DockerInstance implements RuntimeInstance {
  readonly exited: Promise<ExitInfo>
  private readonly lines: string[] = []
  private ended = false
  private stopRequested = false
  private killSent = false
  private stopping?: Promise<ExitInfo>
  private paused = false
  private wantPaused = false
  private ops: Promise<void> = Promise.resolve()

  constructor(
    readonly id: string,
    readonly container: Container,
    readonly address: { host: string; port: number },
    readonly proxied: boolean,
    private readonly stopSignal: string,
    waited: Promise<{ StatusCode?: number }>,
    logsDone: Promise<void>,
  ) {
    this.exited = this.lifecycle(waited, logsDone)
  }

  get containerId(): string {
    return this.container.id
  }

  lastLines(count: number): string[] {
    return count > 0 ? this.lines.slice(-count) : []
  }

  remember(line: string): void {
    this.lines.push(line)
    if (this.lines.length > MAX_LINES) this.lines.shift()
  }

  freeze(): Promise<void> {
    this.wantPaused = true
    return this.sync()
  }

  thaw(): Promise<void> {
    this.wantPaused = false
    return this.sync()
  }

  /** Pause/unpause calls run one at a time and converge on the last wish (freeze, thaw, freeze… collapse). */
  private sync(): Promise<void> {
    this.ops = this.ops.then(async () => {
      if (this.ended) return
      const want = this.wantPaused && !this.stopRequested
      if (want === this.paused) return
      await (want ? this.container.pause() : this.container.unpause()).then(
        () => (this.paused = want),
        () => undefined, // it ended meanwhile: the exit path reports that
      )
    })
    return this.ops
  }

  stop(graceMs: number): Promise<ExitInfo> {
    this.stopping ??= this.terminate(graceMs)
    return this.stopping
  }

  private async terminate(graceMs: number): Promise<ExitInfo> {
    if (this.ended) return this.exited
    this.stopRequested = true
    await this.sync() // a frozen process never sees SIGTERM: thaw first
    if (graceMs > 0) {
      await this.signal(this.stopSignal)
      let timer: NodeJS.Timeout | undefined
      const inTime = await Promise.race([this.exited.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)))])
      clearTimeout(timer)
      if (inTime) return this.exited
    }
    this.killSent = true
    await this.signal('SIGKILL')
    return this.exited
  }

  private async signal(signal: string): Promise<void> {
    await this.container.kill({ signal }).catch(() => undefined) // 409: not running any more
  }

  private async lifecycle(waited: Promise<{ StatusCode?: number }>, logsDone: Promise<void>): Promise<ExitInfo> {
    const result = await waited.catch((error: Error) => ({ StatusCode: undefined, error }))
    const state = await this.container.inspect().then(
      (info) => info.State,
      () => undefined,
    )
    this.ended = true
    let timer: NodeJS.Timeout | undefined
    await Promise.race([logsDone, new Promise((resolve) => (timer = setTimeout(resolve, 1000)))])
    clearTimeout(timer)
    await this.container.remove({ force: true, v: true }).catch(() => undefined)
    const code = state?.ExitCode ?? result.StatusCode ?? null
    const signal = code !== null && code > 128 ? (signalName(code - 128) ?? null) : null
    if (state?.OOMKilled) return { code, signal, reason: 'oom-killed', message: 'OOMKilled: the container went over its memory limit' }
    const reason = this.killSent ? 'killed' : this.stopRequested ? 'stopped' : 'exited'
    return { code, signal, reason, ...('error' in result ? { message: `lost track of the container: ${engineMessage(result.error)}` } : {}) }
  }
}

/**
 * How the emulator and containers reach each other on this engine (also shown by `sls-run doctor`): 'bridge'
 * when this host can bind the default bridge's gateway address (a local engine on Linux: straight to each
 * container's IP, no userland port proxy), else 'published' ports (Docker Desktop, rootless, a remote engine).
 */
export async function containerNetwork(docker: Dockerode): Promise<{ mode: 'bridge' | 'published'; gateway?: string }> {
  const bridge = (await docker
    .getNetwork('bridge')
    .inspect()
    .catch(() => undefined)) as { IPAM?: { Config?: Array<{ Gateway?: string; Subnet?: string }> } } | undefined
  const config = bridge?.IPAM?.Config?.find((c) => c.Gateway || c.Subnet?.includes('.'))
  const gateway = config?.Gateway ?? (config?.Subnet ? firstHost(config.Subnet) : undefined)
  return gateway !== undefined && (await canBind(gateway)) ? { mode: 'bridge', gateway } : { mode: 'published', ...(gateway ? { gateway } : {}) }
}

/** Docker gives a bridge's gateway the subnet's first address unless told otherwise. */
function firstHost(subnet: string): string | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/\d+$/.exec(subnet)
  return match ? `${match[1]}.${match[2]}.${match[3]}.${Number(match[4]) + 1}` : undefined
}

/** An address this host can listen on is one of its own (even on a bridge with no container yet). */
function canBind(host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen(0, host, () => server.close(() => resolve(true)))
  })
}

function signalName(n: number): string | undefined {
  return Object.entries(os.constants.signals).find(([, value]) => value === n)?.[0]
}

export class DockerRuntime implements Runtime {
  readonly kind = 'docker' as const
  readonly gatewayHosts: readonly string[]
  private created = 0
  private warmCount = 0
  private readonly warm = new WarmContainers(WARM_PER_SERVICE)

  private constructor(
    private readonly docker: Dockerode,
    private readonly session: Session,
    private readonly mode: 'bridge' | 'published',
    bridgeGateway: string | undefined,
  ) {
    // Containers reach the gateways at host.docker.internal → the bridge's gateway address on Linux.
    this.gatewayHosts = mode === 'bridge' && bridgeGateway ? [bridgeGateway] : []
  }

  /**
   * Looks at the engine's default bridge to decide how containers and the emulator reach each other:
   * when this host can bind the bridge's gateway address, it is on that network (a local engine on
   * Linux), so containers are reached at their IPs and reach the gateways there. Otherwise (Docker
   * Desktop, rootless, a remote engine) published ports and Docker's own host.docker.internal.
   */
  static async create(docker: Dockerode, session: Session, options: DockerRuntimeOptions = {}): Promise<DockerRuntime> {
    const network = await containerNetwork(docker)
    const mode = options.address === 'bridge' || options.address === 'published' ? options.address : network.mode
    return new DockerRuntime(docker, session, mode, network.mode === 'bridge' ? network.gateway : undefined)
  }

  instanceUrl(url: string): string {
    const parsed = new URL(url)
    if (parsed.hostname === '127.0.0.1' || parsed.hostname === 'localhost' || parsed.hostname === '[::1]') parsed.hostname = HOST_ALIAS
    return parsed.origin
  }

  async hasImage(ref: string): Promise<boolean> {
    return this.docker
      .getImage(ref)
      .inspect()
      .then(
        () => true,
        () => false,
      )
  }

  /** IMAGE_NOT_FOUND (exit 3) unless the engine has `ref`: checked before any gateway opens. */
  async ensureImage(ref: string, service: string): Promise<void> {
    await this.docker
      .getImage(ref)
      .inspect()
      .catch((error: { statusCode?: number }) => {
        throw error.statusCode === 404 ? imageNotFound(ref, service) : error
      })
  }

  /**
   * A warm container for `spec`'s service (warm.ts), made in the background; the next cold start uses it.
   * `spec.instanceId` is not used: a warm container has no instance yet.
   */
  prepare(spec: InstanceSpec): void {
    if (!spec.image) return
    this.warm.fill(spec.service, this.template(spec), this.warmDeps(spec))
  }

  async start(spec: InstanceSpec, onLog: (line: LogLine) => void): Promise<RuntimeInstance> {
    if (!spec.image) throw spawnFailed(spec, 'no image to run')
    const template = this.template(spec)
    const deps = this.warmDeps(spec)
    let prepared = this.warm.take(spec.service, template, deps)
    if (prepared && prepared.imageId !== (await this.imageId(spec.image))) {
      void deps.remove(prepared) // the tag names a rebuilt image now
      prepared = undefined
    }
    const name = this.containerName(spec.service, spec.instanceId.replace(/^.*#/, ''))
    const warm = prepared !== undefined
    prepared ??= await this.create(spec, name, spec.instanceId)
    this.warm.fill(spec.service, template, deps)
    const { container } = prepared
    try {
      await container.start()
      // A warm container takes the instance's name (its instance label was fixed at creation); after the start,
      // not beside it: the engine handles the two one at a time, and the cold start should not wait for a name.
      if (warm) void container.rename({ name }).catch(() => undefined)
      const waited = container.wait({ condition: 'not-running' }) as Promise<{ StatusCode?: number }>
      const info = await container.inspect()
      const portKey = `${spec.port}/tcp`
      const address = this.mode === 'bridge' ? { host: bridgeIp(info), port: spec.port } : { host: '127.0.0.1', port: Number(info.NetworkSettings.Ports?.[portKey]?.[0]?.HostPort) }
      if (!address.host || !address.port) throw new Error(`the engine reported no ${this.mode === 'bridge' ? 'bridge address' : 'published port'} for the container`)
      const instance = new DockerInstance(spec.instanceId, container, address, this.mode === 'published', (info.Config as { StopSignal?: string }).StopSignal || 'SIGTERM', waited, prepared.done)
      for (const [source, name] of [
        [prepared.out, 'stdout'],
        [prepared.err, 'stderr'],
      ] as const) {
        forEachLine(source, (line) => {
          instance.remember(line)
          onLog({ instanceId: spec.instanceId, stream: name, line, at: Date.now() })
        })
      }
      return instance
    } catch (error) {
      await removeWarm(prepared)
      throw error instanceof SlsError ? error : spawnFailed(spec, engineMessage(error))
    }
  }

  /** Removes the warm containers (an emulator stops; the next `prepare` makes new ones). */
  async close(): Promise<void> {
    await this.warm.close({ remove: removeWarm })
  }

  /** Warm containers ready now, by service. */
  get warmContainers(): Record<string, number> {
    return this.warm.counts
  }

  /** Unique even when a later pool of the session (a new revision) numbers its instances from 1 again. */
  private containerName(service: string, suffix: string): string {
    return `sls-run-${service}-${suffix}-${this.session.id.slice(0, 8)}-${(++this.created).toString(36)}`
  }

  /** Everything a container of `spec` is created with but its name and instance label: which warm container fits. */
  private template(spec: InstanceSpec): string {
    return JSON.stringify(this.createOptions(spec, '', ''))
  }

  private warmDeps(spec: InstanceSpec): WarmDeps {
    return {
      create: () => {
        const n = ++this.warmCount
        return this.create(spec, this.containerName(spec.service, `warm${n}`), `${spec.service}#warm${n}`, true)
      },
      remove: removeWarm,
    }
  }

  private async imageId(ref: string): Promise<string | undefined> {
    return this.docker
      .getImage(ref)
      .inspect()
      .then(
        (info) => info.Id,
        () => undefined,
      )
  }

  private createOptions(spec: InstanceSpec, name: string, instanceLabel: string): Dockerode.ContainerCreateOptions {
    const portKey = `${spec.port}/tcp`
    const entrypoint = spec.command === undefined ? undefined : typeof spec.command === 'string' ? ['/bin/sh', '-c', spec.command] : [...spec.command]
    return {
      name,
      Image: spec.image,
      Env: Object.entries({ ...spec.env, PORT: String(spec.port) }).map(([key, value]) => `${key}=${value}`),
      ...(entrypoint ? { Entrypoint: entrypoint, Cmd: [] } : {}),
      Labels: sessionLabels(this.session, spec.service, instanceLabel),
      ExposedPorts: { [portKey]: {} },
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      OpenStdin: false,
      HostConfig: {
        PortBindings: this.mode === 'published' ? { [portKey]: [{ HostIp: '127.0.0.1', HostPort: '' }] } : {},
        ...(spec.cpu ? { NanoCpus: Math.round(spec.cpu * 1e9) } : {}),
        ...(spec.memoryBytes ? { Memory: spec.memoryBytes, MemorySwap: spec.memoryBytes } : {}),
        ExtraHosts: [`${HOST_ALIAS}:host-gateway`],
      },
    }
  }

  /** Creates the container and attaches to its output (not started). `warm`: also notes its image id. */
  private async create(spec: InstanceSpec, name: string, instanceLabel: string, warm = false): Promise<Prepared> {
    let container: Container
    try {
      container = await this.docker.createContainer(this.createOptions(spec, name, instanceLabel))
    } catch (error) {
      throw (error as { statusCode?: number }).statusCode === 404 ? imageNotFound(spec.image!, spec.service) : spawnFailed(spec, engineMessage(error))
    }
    try {
      // Attached before start, as `docker run` does, so nothing is missed; `logs: true` would also replay the
      // container's log, which a busy engine can hand over after the first streamed lines: each line twice.
      const stream = (await container.attach({ stream: true, stdout: true, stderr: true, logs: false })) as NodeJS.ReadableStream
      const [out, err] = [new PassThrough(), new PassThrough()]
      this.docker.modem.demuxStream(stream, out, err)
      const done = new Promise<void>((resolve) => {
        stream.once('end', resolve)
        stream.once('close', resolve)
        stream.once('error', () => resolve())
      }).then(() => {
        out.end()
        err.end()
      })
      const detach = () => (stream as NodeJS.ReadableStream & { destroy?(): void }).destroy?.()
      const imageId = warm
        ? await container.inspect().then(
            (info) => info.Image,
            (error: unknown) => (detach(), Promise.reject(error)),
          )
        : undefined
      return { container, out, err, done, detach, ...(imageId ? { imageId } : {}) }
    } catch (error) {
      await removeContainer(container)
      throw spawnFailed(spec, engineMessage(error))
    }
  }

  async stop(instance: RuntimeInstance, graceMs: number): Promise<ExitInfo> {
    if (!(instance instanceof DockerInstance)) throw new TypeError(`${instance.id} is not a container instance`)
    return instance.stop(graceMs)
  }
}

const removeContainer = (container: Container) =>
  container.remove({ force: true, v: true }).then(
    () => undefined,
    () => undefined,
  )

/** A prepared container that will not run (warm, or its start failed): its attach connection closed, the container removed. */
const removeWarm = (prepared: Prepared) => (prepared.detach(), removeContainer(prepared.container))

function bridgeIp(info: Dockerode.ContainerInspectInfo): string {
  const networks = Object.values(info.NetworkSettings.Networks ?? {})
  return (info.NetworkSettings as { IPAddress?: string }).IPAddress || networks.find((n) => n.IPAddress)?.IPAddress || ''
}

function spawnFailed(spec: InstanceSpec, reason: string): SlsError {
  return new SlsError('INSTANCE_SPAWN_FAILED', `${spec.instanceId}: cannot start a container from ${spec.image}: ${reason}`, {
    hints: ['Check the image, command: and resources: in sls-run.yaml, and `docker info` for the engine.'],
  })
}

export function imageNotFound(ref: string, service: string): SlsError {
  return new SlsError('IMAGE_NOT_FOUND', `${service}: the image ${ref} is not on this Docker engine`, {
    exitCode: ExitCode.environment,
    hints: [`Run \`sls-run build ${service}\` first (it tags <image>:latest), or pull the image; or use --runtime process.`],
  })
}
