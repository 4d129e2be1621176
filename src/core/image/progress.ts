/**
 * Reads the engine's build stream to its end and turns it into steps. Both builders answer HTTP 200
 * and report failure inside the stream, so "the stream ended" never means "the build worked": only an
 * image id and no error does.
 *
 * classic builder: `{"stream":"Step 2/5 : RUN npm ci\n"}`, `{"stream":" ---> Using cache\n"}`,
 *   output lines, `{"aux":{"ID":"sha256:…"}}`, `{"errorDetail":{…},"error":"…"}`.
 * BuildKit: `{"id":"moby.buildkit.trace","aux":"<protobuf>"}` (see buildkit-status.ts),
 *   `{"id":"moby.image.id","aux":{"ID":"sha256:…"}}`, and the same error lines.
 */
import { LineReader } from './line-reader.js'
import { decodeStatus } from './buildkit-status.js'

export interface Step {
  id: string
  /** `RUN npm ci` (classic) or `[deps 2/4] RUN npm ci` (BuildKit). */
  name: string
  /** BuildKit's own bookkeeping (`[internal] load build context`) rather than a Dockerfile line. */
  internal: boolean
  /** A step the cache can serve (not FROM, not an ARG before the first FROM, not bookkeeping). */
  cacheable: boolean
  status: 'running' | 'done' | 'cached' | 'failed'
  durationMs?: number
}

export type ProgressEvent = { type: 'step'; step: Step } | { type: 'output'; stepId: string; line: string }

export interface BuildOutcome {
  imageId?: string
  error?: string
  steps: Step[]
  /** The step that failed and its last output lines (at most TAIL). */
  failedStep?: Step
  tail: string[]
}

export const TAIL = 30

export class ProgressReader extends LineReader {
  private readonly steps = new Map<string, Step & { started: number; output: string[] }>()
  private current?: string
  private seenFrom = false
  private imageId?: string
  private error?: string

  constructor(
    private readonly emit: (event: ProgressEvent) => void,
    /** Steps the builder adds by itself (the classic builder's LABEL steps for the labels parameter). */
    private readonly builderStep: (name: string) => boolean = () => false,
  ) {
    super()
  }

  end(): BuildOutcome {
    this.flushLines()
    if (this.current && !this.error) this.finish(this.current, 'done')
    const steps = [...this.steps.values()]
    const failed = steps.find((s) => s.status === 'failed') ?? (this.error && this.current ? this.steps.get(this.current) : undefined)
    const tail = (failed?.output ?? []).slice(-TAIL)
    return { imageId: this.imageId, error: this.error, steps: steps.map(strip), failedStep: failed && strip(failed), tail }
  }

  protected line(line: string): void {
    if (!line.trim()) return
    let message: Record<string, unknown>
    try {
      message = JSON.parse(line) as Record<string, unknown>
    } catch {
      return this.output(line)
    }
    if (message.error || message.errorDetail) {
      const detail = message.errorDetail as { message?: string } | undefined
      this.error = String(detail?.message ?? message.error)
      if (this.current) this.finish(this.current, 'failed')
      return
    }
    if (message.id === 'moby.buildkit.trace' && typeof message.aux === 'string') return this.buildkit(message.aux)
    const aux = message.aux as { ID?: string } | undefined
    if (aux?.ID) {
      this.imageId = aux.ID
      return
    }
    if (typeof message.stream === 'string') return this.classic(message.stream)
    if (typeof message.status === 'string') this.output(`${message.id ? `${String(message.id)}: ` : ''}${message.status}`)
  }

  private classic(text: string): void {
    for (const raw of text.split('\n')) {
      const line = raw.trimEnd()
      if (!line) continue
      const step = /^Step (\d+\/\d+) : (.*)$/.exec(line)
      if (step) {
        if (this.current) this.finish(this.current, 'done')
        this.start(step[1]!, step[2]!, this.builderStep(step[2]!))
      } else if (line === ' ---> Using cache') {
        if (this.current) this.finish(this.current, 'cached')
      } else if (/^ ---> (Running in [0-9a-f]+|[0-9a-f]+|)$/.test(line) || /^(Removing intermediate container|Successfully (built|tagged)) /.test(line)) {
        // bookkeeping of the classic builder
      } else this.output(line)
    }
  }

  private buildkit(aux: string): void {
    const status = decodeStatus(aux)
    for (const v of status.vertexes) {
      // Dockerfile steps are named `[stage n/m] …` or `[n/m] …`; anything else is BuildKit's own work.
      if (!this.steps.has(v.digest) && (v.started || v.cached)) this.start(v.digest, v.name, !/^\[(\S+ )?\d+\/\d+\]/.test(v.name), v.started)
      const step = this.steps.get(v.digest)
      if (!step || step.status !== 'running') continue
      if (v.error) {
        this.error ??= v.error
        this.finish(v.digest, 'failed', v.completed)
      } else if (v.completed) this.finish(v.digest, v.cached ? 'cached' : 'done', v.completed)
    }
    for (const l of status.logs) {
      for (const line of l.text.split('\n')) if (line.trim()) this.output(line.trimEnd(), l.vertex)
    }
  }

  private start(id: string, name: string, internal: boolean, at = Date.now()): void {
    const instruction = name.replace(/^\[[^\]]*\]\s*/, '')
    if (/^FROM\s/i.test(instruction)) this.seenFrom = true
    const cacheable = !internal && this.seenFrom && !/^FROM\s/i.test(instruction)
    const step = { id, name, internal, cacheable, status: 'running' as const, started: at, output: [] }
    this.steps.set(id, step)
    this.current = id
    this.emit({ type: 'step', step: strip(step) })
  }

  private finish(id: string, status: Step['status'], at = Date.now()): void {
    const step = this.steps.get(id)
    if (!step || step.status !== 'running') return
    step.status = status
    step.durationMs = Math.max(0, at - step.started)
    this.emit({ type: 'step', step: strip(step) })
  }

  private output(line: string, stepId = this.current): void {
    const step = stepId ? this.steps.get(stepId) : undefined
    if (step) {
      step.output.push(line)
      if (step.output.length > TAIL * 2) step.output.splice(0, step.output.length - TAIL)
    }
    this.emit({ type: 'output', stepId: stepId ?? '', line })
  }
}

function strip(step: Step & { started?: number; output?: string[] }): Step {
  return { id: step.id, name: step.name, internal: step.internal, cacheable: step.cacheable, status: step.status, ...(step.durationMs !== undefined ? { durationMs: step.durationMs } : {}) }
}
