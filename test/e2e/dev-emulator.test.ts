/** The emulator's behavioural suite (test/helpers/emulator-suite.ts) with the process runtime. */
import { fileURLToPath } from 'node:url'
import { describe } from 'vitest'
import { ProcessRuntime } from '../../src/runtime/process/process-runtime.js'
import { emulatorSuite } from '../helpers/emulator-suite.js'

const APP = fileURLToPath(new URL('../fixtures/apps/platform-probe.mjs', import.meta.url))

describe('sls-run dev emulator (process runtime)', () => {
  const target = { runtime: new ProcessRuntime(), service: { dev: { command: [process.execPath, APP], cwd: '/' } }, instanceUrl: (url: string) => url }
  emulatorSuite(() => target)
})
