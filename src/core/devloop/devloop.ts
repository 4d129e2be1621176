/**
 * The dev loop of `sls-run dev`: watch the files of each service that ship (ships.ts), debounce a burst
 * of saves (DEBOUNCE_MS), drop saves whose bytes are what already runs (fingerprints.ts), then roll out a new
 * revision without dropping a request (router.ts): the process runtime simply starts the new code; the
 * docker runtime first rebuilds the image (cached layers keep it fast) and runs it by id. A failed build
 * or start keeps the last good revision serving and reports why until the next save.
 * Saving sls-run.yaml reloads it: an invalid file keeps everything running and shows the diagnostics;
 * services whose settings changed get a new revision.
 * Loop breaker: more than LOOP_RELOADS reloads within LOOP_WINDOW_MS with no request in between pause
 * the service's reloads with one DEV_RELOAD_LOOP warning; a save of any other file (or `r`) resumes them.
 */
import type Dockerode from 'dockerode'
import { loadConfig, type Config, type Diagnostic } from '../config/index.js'
import type { Emulator, EmulatorEvent } from '../emulator/emulator.js'
import { buildServices, type BuildEvent } from '../image/build.js'
import type { Builder } from '../image/build.js'
import { Fingerprints } from './fingerprints.js'
import { runDevBuild } from './process-build.js'
import { standinNoticeEvent, type StandinNotice } from './image-at-start.js'
import { OwnFiles } from './own-files.js'
import { watchConfigFile, watchService, type ServiceWatcher } from './watch.js'

export const DEBOUNCE_MS = 50
export const LOOP_RELOADS = 5
export const LOOP_WINDOW_MS = 10_000
/** How many changed files an event names. */
const NAMED_FILES = 5

export type ReloadReason = 'files changed' | 'sls-run.yaml changed' | 'requested'

export type DevLoopEvent =
  | { type: 'change'; service: string; files: string[]; fileCount: number; outcome: 'reload' | 'unchanged' | 'paused' }
  | { type: 'reload'; service: string; revision: string; reason: ReloadReason; files: string[]; fileCount: number; savedToServingMs: number; buildMs?: number }
  | { type: 'reload-paused'; code: 'DEV_RELOAD_LOOP'; service: string; message: string; files: string[]; hint: string }
  | { type: 'reload-resumed'; service: string; files: string[] }
  | { type: 'rebuild'; service: string; state: 'started' }
  | { type: 'rebuild'; service: string; state: 'done'; image?: string; durationMs: number; cached: boolean; first?: true }
  | { type: 'rebuild'; service: string; state: 'failed'; message: string; code?: string }
  | { type: 'config'; state: 'reloaded'; changed: string[]; restartNeeded: string[] }
  | { type: 'config'; state: 'invalid'; message: string; diagnostics: Diagnostic[] }
  | StandinNotice

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
  /** Files the session writes itself (default: its redirected stdout/stderr). */
  own?: OwnFiles
  /** A valid sls-run.yaml was loaded (after the emulator took it): the session's other parts follow it. */
  onConfig?(config: Config): void
}

interface Batch {
  files: Map<string, string>
  reason: ReloadReason
  firstAt: number
}

interface ServiceState {
  timer?: NodeJS.Timeout
  batch?: Batch
  busy?: Promise<void>
  again: boolean
  fingerprints: Fingerprints
  /** Reloads since the last request (for the loop breaker). */
  recent: Array<{ at: number; files: string[] }>
  /** Set while the loop breaker holds the service: the files that kept changing. */
  paused?: Set<string>
}

interface PendingReload {
  service: string
  reason: ReloadReason
  files: string[]
  fileCount: number
  firstAt: number
  buildMs?: number
  changed?: string[]
  fingerprints: Fingerprints
}

export class DevLoop {
  private readonly watchers: ServiceWatcher[] = []
  private readonly state = new Map<string, ServiceState>()
  private readonly pending = new Map<string, PendingReload>()
  private configTimer?: NodeJS.Timeout
  private unsubscribe?: () => void
  private stopped = false

  constructor(private readonly options: DevLoopOptions) {}

  async start(): Promise<void> {
    const { emulator } = this.options
    const config = emulator.currentConfig
    const own = this.options.own ?? OwnFiles.forSession([])
    this.unsubscribe = emulator.subscribe((event) => this.observe(event))
    for (const name of emulator.services) {
      const fingerprints = new Fingerprints()
      this.state.set(name, { again: false, fingerprints, recent: [] })
      this.watchers.push(
        await watchService({
          service: config.services[name]!,
          runtime: this.options.runtimeOf(name),
          configFile: this.options.configFile,
          own,
          fingerprints,
          onChange: (rel, absolute) => this.changed(name, 'files changed', rel, absolute),
        }),
      )
    }
    this.watchers.push(await watchConfigFile(this.options.configFile, () => this.configChanged()))
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.unsubscribe?.()
    clearTimeout(this.configTimer)
    for (const s of this.state.values()) clearTimeout(s.timer)
    await Promise.all(this.watchers.splice(0).map((w) => w.close()))
  }

  /** `r`: a new revision of every service now, as if each had been saved. */
  rebuildAll(): void {
    for (const name of this.state.keys()) this.changed(name, 'requested')
  }

  /** A saved file, or a forced reload. Bursts collapse into one rollout per service. */
  private changed(name: string, reason: ReloadReason, rel?: string, absolute?: string): void {
    if (this.stopped) return
    const s = this.state.get(name)!
    s.batch ??= { files: new Map(), reason, firstAt: Date.now() }
    if (reason !== 'files changed') s.batch.reason = reason // a forced reload wins over the content check
    if (rel && absolute) s.batch.files.set(rel, absolute)
    clearTimeout(s.timer)
    s.timer = setTimeout(() => this.flush(name), rel ? DEBOUNCE_MS : 0)
  }

  private flush(name: string): void {
    const s = this.state.get(name)!
    if (s.busy) {
      s.again = true // a save during a build: build once more when it ends
      return
    }
    const batch = s.batch
    s.batch = undefined
    if (!batch) return
    s.busy = this.handle(name, batch).finally(() => {
      s.busy = undefined
      if (s.again && !this.stopped) {
        s.again = false
        this.flush(name)
      }
    })
  }

  private async handle(name: string, batch: Batch): Promise<void> {
    const s = this.state.get(name)!
    const { onEvent } = this.options
    let files = [...batch.files.keys()].sort()
    let next = new Map<string, string>()
    if (batch.reason === 'files changed') {
      ;({ changed: files, next } = await s.fingerprints.diff(batch.files))
      const all = [...batch.files.keys()].sort()
      if (!files.length) return onEvent({ type: 'change', service: name, files: all.slice(0, NAMED_FILES), fileCount: all.length, outcome: 'unchanged' })
      if (s.paused && files.every((f) => s.paused!.has(f))) return onEvent({ type: 'change', service: name, files: files.slice(0, NAMED_FILES), fileCount: files.length, outcome: 'paused' })
      if (!s.paused && this.looping(name, files)) return
    }
    if (s.paused) {
      s.paused = undefined
      onEvent({ type: 'reload-resumed', service: name, files: files.slice(0, NAMED_FILES) })
    }
    onEvent({ type: 'change', service: name, files: files.slice(0, NAMED_FILES), fileCount: files.length, outcome: 'reload' })
    s.recent.push({ at: Date.now(), files })
    s.fingerprints.take(next)
    await this.rollout(name, {
      service: name,
      reason: batch.reason,
      files: files.slice(0, NAMED_FILES),
      fileCount: files.length,
      firstAt: batch.firstAt,
      changed: [...next.keys()],
      fingerprints: s.fingerprints,
    })
  }

  /** The loop breaker: true (and the service paused, with one warning) when this reload would be one too many. */
  private looping(name: string, files: string[]): boolean {
    const s = this.state.get(name)!
    const now = Date.now()
    s.recent = s.recent.filter((r) => now - r.at < LOOP_WINDOW_MS)
    if (s.recent.length < LOOP_RELOADS) return false
    const counts = new Map<string, number>()
    for (const f of [...s.recent.flatMap((r) => r.files), ...files]) counts.set(f, (counts.get(f) ?? 0) + 1)
    const repeated = [...counts]
      .filter(([, n]) => n > 1)
      .sort((a, b) => b[1] - a[1])
      .map(([f]) => f)
    const culprits = (repeated.length ? repeated : files).slice(0, NAMED_FILES)
    s.paused = new Set(culprits)
    s.recent = []
    const line = `services.${name}.dev.ignore: [${culprits.map((f) => JSON.stringify(f)).join(', ')}]`
    this.options.onEvent({
      type: 'reload-paused',
      code: 'DEV_RELOAD_LOOP',
      service: name,
      message: `${name} reloaded ${LOOP_RELOADS} times in ${LOOP_WINDOW_MS / 1000} s with no request in between: ${culprits.join(', ')} keep${culprits.length === 1 ? 's' : ''} changing; reloads are paused until another file is saved`,
      files: culprits,
      hint: `If something writes ${culprits.length === 1 ? 'this file' : 'these files'} while the service runs, add to sls-run.yaml ${line}`,
    })
    return true
  }

  /** Requests reset the loop breaker; a revision that serves completes its reload. */
  private observe(event: EmulatorEvent): void {
    if (event.type === 'request') {
      const s = this.state.get(event.service)
      if (s) s.recent = []
      return
    }
    if (event.type !== 'revision') return
    const pending = this.pending.get(event.revision)
    if (!pending || event.state === 'starting') return
    this.pending.delete(event.revision)
    if (event.state === 'retired') return // a newer save overtook it before it served
    if (event.state === 'failed') return pending.fingerprints.forget(pending.changed ?? [])
    const { fingerprints: _, changed: __, firstAt, ...reload } = pending
    this.options.onEvent({ type: 'reload', revision: event.revision, ...reload, savedToServingMs: Date.now() - firstAt })
  }

  private async rollout(name: string, reload: PendingReload): Promise<void> {
    const { emulator, onEvent } = this.options
    if (this.options.runtimeOf(name) === 'process') {
      const service = emulator.currentConfig.services[name]!
      let buildMs: number | undefined
      if (service.dev.build) {
        onEvent({ type: 'rebuild', service: name, state: 'started' })
        try {
          buildMs = (await runDevBuild(name, service)).durationMs
          onEvent({ type: 'rebuild', service: name, state: 'done', durationMs: buildMs, cached: false })
        } catch (error) {
          return this.buildFailed(name, reload, error)
        }
      }
      if (!this.stopped) this.pending.set(emulator.rollout(name), { ...reload, ...(buildMs === undefined ? {} : { buildMs }) })
      return
    }
    onEvent({ type: 'rebuild', service: name, state: 'started' })
    try {
      const [result] = await buildServices(
        this.options.docker!,
        emulator.currentConfig,
        { services: [name], tags: [], noCache: false, pull: false, buildArgs: {}, builder: this.options.builder ?? 'classic', strict: false, noLabels: true },
        (_: BuildEvent) => undefined,
      )
      if (!result) throw new Error(`${name} has no build: section to rebuild`)
      onEvent({ type: 'rebuild', service: name, state: 'done', image: result.id, durationMs: result.durationMs, cached: result.cached })
      const notice = await standinNoticeEvent(this.options.docker!, name, result.id)
      if (notice) onEvent(notice)
      if (!this.stopped) this.pending.set(emulator.rollout(name, { image: result.id }), { ...reload, buildMs: result.durationMs })
    } catch (error) {
      this.buildFailed(name, reload, error)
    }
  }

  /** The last good revision keeps serving; the next save of the same bytes tries again. */
  private buildFailed(name: string, reload: PendingReload, error: unknown): void {
    reload.fingerprints.forget(reload.changed ?? [])
    this.options.onEvent({
      type: 'rebuild',
      service: name,
      state: 'failed',
      message: (error as Error).message,
      ...((error as { code?: string }).code ? { code: (error as { code: string }).code } : {}),
    })
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
    this.options.onConfig?.(next)
    for (const name of changed) this.changed(name, 'sls-run.yaml changed')
  }
}
