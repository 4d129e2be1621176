/**
 * The narrow seam between the emulator and whatever runs an instance (docs/runtimes.md): a local
 * process (execa) or a container (dockerode). The emulator decides when to start and stop; it probes
 * readiness itself, against `address`, so both runtimes are measured the same way.
 */

export interface InstanceSpec {
  service: string
  revision: string
  /** `<service>#<n>`, unique for the session. */
  instanceId: string
  /**
   * A string runs through a shell; a list is exec form. Process runtime: `dev.command`. Docker runtime:
   * `command:`, which replaces the image's entrypoint (as Kubernetes' and Cloud Run's `command` do);
   * absent, the image's own ENTRYPOINT/CMD run.
   */
  command?: string | readonly string[]
  cwd: string
  /**
   * The contract environment without PORT (K_SERVICE, K_REVISION, K_CONFIGURATION, env, envFile,
   * SLS_RUN_<SERVICE>_URL); the runtime adds PORT for the port it chose.
   */
  env: Record<string, string>
  /** The port the app listens on inside a container (`port:`); the process runtime picks a free one instead. */
  port: number
  /** Docker runtime: the image (`<image>:latest` as `sls-run build` tags it, or a pre-built reference). */
  image?: string
  /** Docker runtime: vCPUs (CPU quota) and the memory limit in bytes. */
  cpu?: number
  memoryBytes?: number
}

export interface LogLine {
  instanceId: string
  stream: 'stdout' | 'stderr'
  line: string
  at: number
}

export interface ExitInfo {
  /** Exit code, or null when ended by a signal. */
  code: number | null
  signal: string | null
  /** Why it ended: it exited by itself, sls-run stopped it, or it could not start at all. */
  reason: 'exited' | 'stopped' | 'killed' | 'spawn-failed' | 'oom-killed'
  message?: string
}

export interface RuntimeInstance {
  readonly id: string
  /** Where the instance listens, as seen from the emulator. */
  readonly address: { host: string; port: number }
  readonly pid?: number
  /** The container's id (docker runtime). */
  readonly containerId?: string
  /** Settles once, when the instance has ended for whatever reason (never rejects). */
  readonly exited: Promise<ExitInfo>
  /** The last lines it printed (stdout and stderr interleaved), for error messages. */
  lastLines(count: number): string[]
  /**
   * The address is behind a forwarding proxy (Docker's userland proxy on a published port) that accepts
   * connections before the app listens: readiness must see an HTTP answer, not just a connection.
   */
  readonly proxied?: boolean
  /** cpuThrottling: freeze the instance while no request is in flight (docker pause) and thaw it for the next. */
  freeze?(): Promise<void>
  thaw?(): Promise<void>
}

export interface Runtime {
  readonly kind: 'process' | 'docker'
  /** Resolves once the instance is spawned (not yet ready); rejects with SlsError if it cannot be. */
  start(spec: InstanceSpec, onLog: (line: LogLine) => void): Promise<RuntimeInstance>
  /**
   * Gets ready to start instances like `spec` sooner (docker: a warm container, created and attached, not
   * started); in the background, never failing. `spec.instanceId` is a placeholder.
   */
  prepare?(spec: InstanceSpec): void
  /** The session is over: frees what `prepare` made. */
  close?(): Promise<void>
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it ended. Safe to call twice. */
  stop(instance: RuntimeInstance, graceMs: number): Promise<ExitInfo>
  /** A gateway URL (http://127.0.0.1:port) as an instance reaches it (a container: host.docker.internal). */
  instanceUrl?(url: string): string
  /** More addresses the gateways listen on, so instances can reach them (the Docker bridge's gateway). */
  readonly gatewayHosts?: readonly string[]
}
