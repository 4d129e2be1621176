import { Config } from '@oclif/core'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { BaseCommand } from '../../src/cli/base-command.js'
import type { Diagnostic } from '../../src/core/config/diagnostic.js'
import { ExitCode, SlsError } from '../../src/errors.js'
import { formatDiagnostic } from '../../src/ui/diagnostics.js'
import { docsLocation } from '../../src/ui/docs-location.js'
import { errorEnvelope, formatError, normalizeError } from '../../src/ui/errors.js'
import { detectTerminal, painter } from '../../src/ui/terminal.js'

const plain = painter(false)

describe('terminal detection', () => {
  it('never colours or prompts under CI or without a TTY', () => {
    expect(detectTerminal({ CI: 'true' }, { isTTY: true })).toEqual({ interactive: false, color: false })
    expect(detectTerminal({}, { isTTY: false })).toEqual({ interactive: false, color: false })
    expect(detectTerminal({}, { isTTY: true })).toEqual({ interactive: true, color: true })
    expect(detectTerminal({ NO_COLOR: '' }, { isTTY: true }).color).toBe(false)
    expect(detectTerminal({ CI: 'true', FORCE_COLOR: '1' }, { isTTY: false }).color).toBe(true)
  })
})

describe('diagnostic rendering', () => {
  const d: Diagnostic = {
    code: 'CONFIG_INVALID',
    severity: 'error',
    file: 'sls-run.yaml',
    line: 12,
    column: 20,
    length: 1,
    message: 'services.api.scaling.concurrency must be a whole number between 1 and 1000 (got 0)',
    sourceLine: '      concurrency: 0',
    hints: ['Cloud Run allows 1 to 1000.'],
  }
  it('prints location, severity, code, the source line and a caret under the column', () => {
    expect(formatDiagnostic(d, plain).split('\n')).toEqual([
      'sls-run.yaml:12:20 error CONFIG_INVALID services.api.scaling.concurrency must be a whole number between 1 and 1000 (got 0)',
      '12 |       concurrency: 0',
      '   |                    ^',
      '  hint: Cloud Run allows 1 to 1000.',
    ])
  })
})

describe('errors', () => {
  it('shows a user error with its code and hints, no stack', () => {
    const text = formatError(new SlsError('DOCKER_UNAVAILABLE', 'no engine', { hints: ['start it'], exitCode: ExitCode.environment }), plain, false)
    expect(text).toBe(`error DOCKER_UNAVAILABLE no engine\n  hint: start it\n  docs: ${docsLocation('troubleshooting.md#no-docker-engine')}`)
    expect(formatError(new SlsError('ABORTED', 'no'), plain, false)).toBe('error ABORTED no') // a code no page explains
  })
  it('shows an unexpected exception as a bug, with the stack only in debug mode', () => {
    const bug = new TypeError('cannot read x of undefined')
    expect(formatError(bug, plain, false)).toMatch(/^bug sls-run hit an unexpected error: cannot read x of undefined\n.*report it/s)
    expect(formatError(bug, plain, false)).not.toMatch(/at .*\.ts:\d+/)
    expect(formatError(bug, plain, true)).toContain(bug.stack!.split('\n')[1]!.trim())
  })
  it('turns oclif usage errors into USAGE with exit 2', () => {
    const parseError = Object.assign(new Error('Nonexistent flag: --nope\nSee more help with --help'), { oclif: { exit: 2 } })
    expect(normalizeError(parseError)).toMatchObject({ code: 'USAGE', exitCode: 2, message: 'Nonexistent flag: --nope' })
  })
  it('builds the JSON error envelope', () => {
    expect(errorEnvelope(new SlsError('PUSH_FAILED', 'm', { hints: ['h'], details: { a: 1 } }), false)).toEqual({
      status: 'error',
      error: { code: 'PUSH_FAILED', message: 'm', hints: ['h'], docs: docsLocation('push.md#failures'), details: { a: 1 } },
    })
    expect(errorEnvelope(new Error('boom'), false).error).toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('boom') })
  })
})

describe('BaseCommand output contract', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url))
  const out: string[] = []
  const err: string[] = []
  afterEach(() => {
    vi.restoreAllMocks()
    out.length = 0
    err.length = 0
    process.exitCode = undefined
  })
  const capture = () => {
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true))
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true))
  }
  class Boom extends BaseCommand {
    async run(): Promise<unknown> {
      await this.parse(Boom)
      throw new TypeError('unexpected')
    }
  }
  class Fine extends BaseCommand {
    async run() {
      await this.parse(Fine)
      this.logger.warn('careful')
      this.print('human result')
      return { answer: 42 }
    }
  }

  it('prints a bug as a bug and exits 1', async () => {
    const config = await Config.load(root)
    capture()
    await Boom.run([], config)
    expect(process.exitCode).toBe(1)
    expect(err.join('')).toMatch(/^bug sls-run hit an unexpected error: unexpected/)
    expect(out.join('')).toBe('')
  })

  it('prints a bug in --json as one INTERNAL envelope on stdout', async () => {
    const config = await Config.load(root)
    capture()
    await Boom.run(['--json'], config)
    expect(JSON.parse(out.join(''))).toMatchObject({ status: 'error', error: { code: 'INTERNAL' } })
  })

  it('--json prints only the envelope, with the warnings, and no human text', async () => {
    const config = await Config.load(root)
    capture()
    await Fine.run(['--json'], config)
    expect(JSON.parse(out.join(''))).toEqual({ status: 'ok', result: { answer: 42 }, warnings: ['careful'] })
  })

  it('without --json prints the result on stdout and warnings on stderr', async () => {
    const config = await Config.load(root)
    capture()
    await Fine.run([], config)
    expect(out.join('')).toBe('human result\n')
    expect(err.join('')).toBe('warning careful\n')
  })

  it('an unknown flag is a usage error (exit 2)', async () => {
    const config = await Config.load(root)
    capture()
    await Fine.run(['--nope'], config)
    expect(process.exitCode).toBe(2)
    expect(err.join('')).toMatch(/^error USAGE Nonexistent flag: --nope/)
  })
})
