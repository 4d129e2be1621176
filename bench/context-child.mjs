// One measurement in a fresh process: produce the build context of ROOT (as `sls-run build` streams it
// to the engine) into a byte-counting sink; print time, files, bytes and the process's peak RSS.
import { performance } from 'node:perf_hooks'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createContext } from '../dist/core/image/context.js'

const [root, dockerfile] = process.argv.slice(2)
const before = process.memoryUsage().rss
const started = performance.now()
const context = await createContext({ root, dockerfile })
let bytes = 0
await pipeline(context.stream, new Writable({ write(chunk, _enc, done) { bytes += chunk.length; done() } }))
const stats = await context.done
const ms = performance.now() - started
process.stdout.write(JSON.stringify({ ms, files: stats.files, tarBytes: bytes, rssBeforeMB: before / 1e6, peakRssMB: process.resourceUsage().maxRSS / 1e3 }) + '\n')
