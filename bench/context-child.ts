// One measurement of bench/build.ts, in a fresh process: produce the build context of a folder (as
// `sls-run build` streams it to the engine) into a byte-counting sink; print time, files, bytes and the
// process's peak RSS as JSON.
//   context-child.ts ROOT DOCKERFILE
import { performance } from 'node:perf_hooks'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createContext } from '../src/core/image/context.js'

export interface ContextRun {
  ms: number
  files: number
  tarBytes: number
  rssBeforeMB: number
  peakRssMB: number
}

const [root, dockerfile] = process.argv.slice(2) as [string, string]
const before = process.memoryUsage().rss
const started = performance.now()
const context = await createContext({ root, dockerfile })
let bytes = 0
await pipeline(
  context.stream,
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      bytes += chunk.length
      done()
    },
  }),
)
const stats = await context.done
const run: ContextRun = { ms: performance.now() - started, files: stats.files, tarBytes: bytes, rssBeforeMB: before / 1e6, peakRssMB: process.resourceUsage().maxRSS / 1e3 }
process.stdout.write(JSON.stringify(run) + '\n')
