/** `sls-run simulate`'s input errors that no other unit test reaches: no trace, no service named, a bad --grid. */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { traceSource } from '../../src/core/simulate/forecast.js'
import { simulate } from '../../src/core/simulate/simulate.js'
import type { TraceSource } from '../../src/core/simulate/types.js'
import { useTempDir } from '../helpers/temp.js'

const tempDir = useTempDir('sls-run-errors-simulate-')

const trace: TraceSource = {
  describe: 'two requests',
  async *batches() {
    yield [
      { t: 0, serviceMs: 10 },
      { t: 1000, serviceMs: 10 },
    ]
  },
}

describe('simulate input errors', () => {
  it('SIM_INPUT_REQUIRED (exit 2): neither --trace nor --generate', async () => {
    await expect(traceSource({})).rejects.toMatchObject({ code: 'SIM_INPUT_REQUIRED', exitCode: 2 })
    await expect(traceSource({ generate: 'poisson:rate=1/s,duration=1s' })).resolves.toBeDefined()
  })

  it('SIM_SERVICE_REQUIRED (exit 2): sls-run.yaml has several services and none is named', async () => {
    const file = path.join(tempDir(), 'sls-run.yaml')
    writeFileSync(file, 'name: shop\nservices:\n  api: {}\n  worker: {}\n')
    await expect(simulate({ source: trace, configFile: file, coldStart: '0ms' })).rejects.toMatchObject({ code: 'SIM_SERVICE_REQUIRED', exitCode: 2, message: expect.stringContaining('2 services') })
    await expect(simulate({ source: trace, configFile: file, service: 'worker', coldStart: '0ms' })).resolves.toMatchObject({ service: 'worker' })
  })

  it.each([
    ['scaling.minInstances', 'expected key=value1,value2'],
    ['=1,2', 'expected key=value1,value2'],
    ['scaling.minInstances=', 'expected key=value1,value2'],
  ])('SIM_GRID_INVALID (exit 2): --grid %j', async (grid, said) => {
    await expect(simulate({ source: trace, configFile: false, grid: [grid], coldStart: '0ms' })).rejects.toMatchObject({
      code: 'SIM_GRID_INVALID',
      exitCode: 2,
      message: expect.stringContaining(said),
    })
  })

  it('SIM_GRID_INVALID (exit 2): more than 256 combinations', async () => {
    const values = Array.from({ length: 17 }, (_, i) => i + 1).join(',')
    const grid = [`scaling.maxInstances=${values}`, `scaling.concurrency=${values}`] // 289 combinations
    await expect(simulate({ source: trace, configFile: false, grid, coldStart: '0ms' })).rejects.toMatchObject({
      code: 'SIM_GRID_INVALID',
      exitCode: 2,
      message: expect.stringContaining('289 combinations'),
    })
  })
})
