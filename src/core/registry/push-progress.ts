/**
 * Reads the engine's push stream to its end. Like a build, a push answers HTTP 200 and reports failure
 * inside the stream: `{"status":"Pushed","id":"<layer>"}`, `{"status":"Layer already exists",…}`,
 * `{"status":"Mounted from …",…}`, progress ticks, the final `{"aux":{"Tag","Digest","Size"}}`, or
 * `{"errorDetail":{"message":…},"error":…}`.
 */
import { LineReader } from '../image/line-reader.js'

export type LayerEvent = { type: 'layer'; id: string; status: 'preparing' | 'waiting' | 'pushing' | 'pushed' | 'exists'; current?: number; total?: number }

export interface PushOutcome {
  digest?: string
  size?: number
  error?: string
  pushed: string[]
  existing: string[]
}

export class PushReader extends LineReader {
  private readonly layers = new Map<string, LayerEvent['status']>()
  private digest?: string
  private size?: number
  private error?: string

  constructor(private readonly emit: (event: LayerEvent) => void) {
    super()
  }

  end(): PushOutcome {
    this.flushLines()
    const ids = (status: string) => [...this.layers].filter(([, s]) => s === status).map(([id]) => id)
    return { digest: this.digest, size: this.size, error: this.error, pushed: ids('pushed'), existing: ids('exists') }
  }

  protected line(line: string): void {
    if (!line.trim()) return
    let message: { status?: string; id?: string; error?: string; errorDetail?: { message?: string }; aux?: { Digest?: string; Size?: number }; progressDetail?: { current?: number; total?: number } }
    try {
      message = JSON.parse(line)
    } catch {
      return
    }
    if (message.error || message.errorDetail) {
      this.error = String(message.errorDetail?.message ?? message.error)
      return
    }
    if (message.aux?.Digest) {
      this.digest = message.aux.Digest
      this.size = message.aux.Size
      return
    }
    const status = layerStatus(message.status ?? '')
    if (!message.id || !status) return
    const previous = this.layers.get(message.id)
    if (previous === 'pushed' || previous === 'exists') return
    this.layers.set(message.id, status)
    if (status !== 'pushing' || previous !== 'pushing' || message.progressDetail?.current === message.progressDetail?.total) {
      this.emit({ type: 'layer', id: message.id, status, ...(message.progressDetail?.total ? { current: message.progressDetail.current, total: message.progressDetail.total } : {}) })
    }
  }
}

function layerStatus(status: string): LayerEvent['status'] | undefined {
  if (status === 'Preparing') return 'preparing'
  if (status === 'Waiting') return 'waiting'
  if (status === 'Pushing') return 'pushing'
  if (status === 'Pushed') return 'pushed'
  if (status === 'Layer already exists' || status.startsWith('Mounted from')) return 'exists'
  return undefined
}
