/**
 * The dev loop of `sls-run dev`: watch each service's folder, debounce a burst of saves (150 ms), then
 * roll out a new revision without dropping a request (router.ts): the process runtime simply starts the
 * new code; the docker runtime first rebuilds the image (cached layers keep it fast) and runs it by id.
 * A failed build or start keeps the last good revision serving and reports why until the next save.
 * Saving sls-run.yaml reloads it: an invalid file keeps everything running and shows the diagnostics;
 * services whose settings changed get a new revision.
 */
import type Dockerode from 'dockerode'
import { loadConfig, type Config, type Diagnostic } from '../config/index.js'
import type { Emulator } from '../emulator/emulator.js'
import { buildServices, type BuildEvent } from '../image/build.js'
import type { Builder } from '../image/build.js'
import { watchConfigFile, watchService, type ServiceWatcher } from './watch.js'

export const DEBOUNCE_MS = 150

export type DevLoopEvent =
  | { type: 'change'; service: string; files: string[] }
  | { type: 'rebuild'; service: string; state: 'started' }
  | { type: 'rebuild'; service: string; state: 'done'; image: string; durationMs: number; cached: boolean }
  | { type: 'rebuild'; service: string; state: 'failed'; message: string; code?: string }
  | { type: 'config'; state: 'reloaded'; changed: string[]; restartNeeded: string[] }
  | { type: 'config'; state: 'invalid'; message: string; diagnostics: Diagnostic[] }

export interface DevLoopOptions {
  emulator: Emulator
  configFile: string
  /** Which runtime each service runs in (the docker ones are rebuilt before a rollout). */
  runtimeOf(service: string): 'docker' | 'process'
  docker?: Dockerode
  builder?: Builder
  onEvent(event: DevLoopEvent): void
  /** Passed to loadConfig on reload (the same environment as at start). */
  environment?: string
}

interface ServiceState {
  timer?: NodeJS.Timeout
  files: Set<string>
  busy?: Promise<void>
  again: boolean
}

export class DevLoop {
  private readonly watchers: ServiceWatcher[] = []
  private readonly state = new Map<string, ServiceState>()
  private configTimer?: NodeJS.Timeout
  private stopped = false

  constructor(private readonly options: DevLoopOptions) {}

  async start(): Promise<void> {
    const config = this.options.emulator.currentConfig
    for (const name of this.options.emulator.services) {
      this.state.set(name, { files: new Set(), again: false })
      this.watchers.push(await watchService(config.services[name]!, this.options.runtimeOf(name), this.options.configFile, (file) => this.changed(name, file)))
    }
    this.watchers.push(await watchConfigFile(this.options.configFile, () => this.configChanged()))
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.configTimer)
    for (const s of this.state.values()) clearTimeout(s.timer)
    await Promise.all(this.watchers.splice(0).map((w) => w.close()))
  }

  /** `r`: a new revision of every service now, as if each had been saved. */
  rebuildAll(): void {
    for (const name of this.state.keys()) this.changed(name, undefined)
  }

  /** A saved file, or undefined for "rebuild now". Bursts collapse into one rollout per service. */
  private changed(name: string, file: string | undefined): void {
    if (this.stopped) return
    const s = this.state.get(name)!
    if (file) s.files.add(file)
    clearTimeout(s.timer)
    s.timer = setTimeout(() => this.flush(name), file ? DEBOUNCE_MS : 0)
  }

  private flush(name: string): void {
    const s = this.state.get(name)!
    if (s.busy) {
      s.again = true // a save during a build: build once more when it ends
      return
    }
    const files = [...s.files]
    s.files.clear()
    this.options.onEvent({ type: 'change', service: name, files })
    s.busy = this.rollout(name).finally(() => {
      s.busy = undefined
      if (s.again && !this.stopped) {
        s.again = false
        this.flush(name)
      }
    })
  }

  private async rollout(name: string): Promise<void> {
    const { emulator, onEvent } = this.options
    if (this.options.runtimeOf(name) === 'process') {
      emulator.rollout(name)
      return
    }
    onEvent({ type: 'rebuild', service: name, state: 'started' })
    try {
      const [result] = await buildServices(this.options.docker!, emulator.currentConfig, { services: [name], tags: [], noCache: false, pull: false, buildArgs: {}, builder: this.options.builder ?? 'classic', strict: false }, (_: BuildEvent) => undefined)
      if (!result) throw new Error(`${name} has no build: section to rebuild`)
      onEvent({ type: 'rebuild', service: name, state: 'done', image: result.id, durationMs: result.durationMs, cached: result.cached })
      if (!this.stopped) emulator.rollout(name, { image: result.id })
    } catch (error) {
      onEvent({ type: 'rebuild', service: name, state: 'failed', message: (error as Error).message, ...((error as { code?: string }).code ? { code: (error as { code: string }).code } : {}) })
    }
  }

  private configChanged(): void {
    clearTimeout(this.configTimer)
    this.configTimer = setTimeout(() => void this.reload(), DEBOUNCE_MS)
  }

  private async reload(): Promise<void> {
    if (this.stopped) return
    const { emulator, onEvent } = this.options
    let next: Config
    try {
      next = (await loadConfig({ file: this.options.configFile, ...(this.options.environment ? { environment: this.options.environment } : {}) })).config
    } catch (error) {
      const details = (error as { details?: { diagnostics?: Diagnostic[] } }).details
      onEvent({ type: 'config', state: 'invalid', message: (error as Error).message, diagnostics: details?.diagnostics ?? [] })
      return
    }
    const before = emulator.currentConfig
    const changed: string[] = []
    const restartNeeded: string[] = []
    for (const name of emulator.services) {
      const [a, b] = [before.services[name], next.services[name]]
      if (!b) {
        restartNeeded.push(`${name} (removed)`)
        continue
      }
      if (JSON.stringify(a) === JSON.stringify(b)) continue
      // The gateway's own settings live as long as the session.
      if (a?.dev.port !== b.dev.port || a?.timeout !== b.timeout) restartNeeded.push(`${name} (dev.port or timeout)`)
      changed.push(name)
    }
    for (const name of Object.keys(next.services)) if (!emulator.services.includes(name)) restartNeeded.push(`${name} (new)`)
    onEvent({ type: 'config', state: 'reloaded', changed, restartNeeded })
    emulator.updateConfig(next)
    for (const name of changed) this.changed(name, undefined)
  }
}
