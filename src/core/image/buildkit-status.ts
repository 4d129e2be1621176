/**
 * Decodes BuildKit's progress messages. Through the engine API, BuildKit reports progress as
 * `{"id":"moby.buildkit.trace","aux":"<base64>"}` lines whose payload is a protobuf
 * `moby.buildkit.v1.StatusResponse` (buildkit api/services/control/control.proto). We need a handful
 * of its fields, so this reads the protobuf wire format directly instead of loading a schema at run
 * time: vertexes (steps: digest, name, cached, started, completed, error) and logs (a step's output).
 */

export interface Vertex {
  digest: string
  name: string
  cached: boolean
  /** Epoch milliseconds. */
  started?: number
  completed?: number
  error?: string
}

export interface VertexLog {
  vertex: string
  /** 1 stdout, 2 stderr. */
  stream: number
  text: string
}

export interface StatusResponse {
  vertexes: Vertex[]
  logs: VertexLog[]
}

export function decodeStatus(base64: string): StatusResponse {
  const out: StatusResponse = { vertexes: [], logs: [] }
  for (const field of fields(Buffer.from(base64, 'base64'))) {
    if (field.no === 1 && field.bytes) out.vertexes.push(vertex(field.bytes))
    else if (field.no === 3 && field.bytes) out.logs.push(log(field.bytes))
  }
  return out
}

function vertex(buf: Buffer): Vertex {
  const v: Vertex = { digest: '', name: '', cached: false }
  for (const f of fields(buf)) {
    if (f.no === 1 && f.bytes) v.digest = f.bytes.toString('utf8')
    else if (f.no === 3 && f.bytes) v.name = f.bytes.toString('utf8')
    else if (f.no === 4) v.cached = f.value === 1
    else if (f.no === 5 && f.bytes) v.started = timestamp(f.bytes)
    else if (f.no === 6 && f.bytes) v.completed = timestamp(f.bytes)
    else if (f.no === 7 && f.bytes && f.bytes.length) v.error = f.bytes.toString('utf8')
  }
  return v
}

function log(buf: Buffer): VertexLog {
  const l: VertexLog = { vertex: '', stream: 1, text: '' }
  for (const f of fields(buf)) {
    if (f.no === 1 && f.bytes) l.vertex = f.bytes.toString('utf8')
    else if (f.no === 3) l.stream = f.value ?? 1
    else if (f.no === 4 && f.bytes) l.text = f.bytes.toString('utf8')
  }
  return l
}

function timestamp(buf: Buffer): number {
  let seconds = 0
  let nanos = 0
  for (const f of fields(buf)) {
    if (f.no === 1) seconds = f.value ?? 0
    else if (f.no === 2) nanos = f.value ?? 0
  }
  return seconds * 1000 + Math.floor(nanos / 1e6)
}

interface Field {
  no: number
  value?: number
  bytes?: Buffer
}

/** The fields of one message, in order. Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. */
function* fields(buf: Buffer): Generator<Field> {
  let pos = 0
  const varint = (): number => {
    let result = 0
    let scale = 1
    for (;;) {
      if (pos >= buf.length) throw new Error('truncated BuildKit status message')
      const byte = buf[pos++]!
      result += (byte & 0x7f) * scale
      if (byte < 0x80) return result
      scale *= 128
    }
  }
  while (pos < buf.length) {
    const key = varint()
    const no = Math.floor(key / 8)
    const wire = key & 7
    if (wire === 0) yield { no, value: varint() }
    else if (wire === 2) {
      const len = varint()
      yield { no, bytes: buf.subarray(pos, pos + len) }
      pos += len
    } else if (wire === 1) pos += 8
    else if (wire === 5) pos += 4
    else throw new Error(`unexpected protobuf wire type ${wire} in a BuildKit status message`)
  }
}
