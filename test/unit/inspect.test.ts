/** `--inspect`: which debugger a command gets and how its launch changes (src/core/emulator/inspect.ts). */
import { describe, expect, it } from 'vitest'
import { announcedPort, debuggerKind, inspectLaunch } from '../../src/core/emulator/inspect.js'

describe('debuggerKind', () => {
  it('reads the program a command starts', () => {
    expect(debuggerKind('npm run dev', 'process')).toBe('node')
    expect(debuggerKind(['/usr/bin/node', 'server.js'], 'process')).toBe('node')
    expect(debuggerKind(['python3', '-m', 'app'], 'process')).toBe('python')
    expect(debuggerKind('python3.12 app.py', 'process')).toBe('python')
    expect(debuggerKind('go run .', 'process')).toBe('go')
    expect(debuggerKind('go build && ./app', 'process')).toBe('node') // not `go run`: the Node fallback
    expect(debuggerKind(['python3', 'app.py'], 'docker')).toBe('node') // containers: NODE_OPTIONS only
  })
})

describe('inspectLaunch', () => {
  it('node: NODE_OPTIONS gains --inspect on port 0, after what the service set; the command stays', () => {
    const launch = inspectLaunch('node', 'npm run dev', { NODE_OPTIONS: '--max-old-space-size=256', A: '1' }, 'process')
    expect(launch).toEqual({ kind: 'node', command: 'npm run dev', env: { NODE_OPTIONS: '--max-old-space-size=256 --inspect=127.0.0.1:0', A: '1' } })
    expect(inspectLaunch('node', undefined, {}, 'docker').env.NODE_OPTIONS).toBe('--inspect=0.0.0.0:0')
  })

  it('python: debugpy right after the interpreter, on the given port', () => {
    expect(inspectLaunch('python', ['python3', '-m', 'app'], {}, 'process', 5678).command).toEqual(['python3', '-m', 'debugpy', '--listen', '127.0.0.1:5678', '-m', 'app'])
    expect(inspectLaunch('python', 'python3 app.py --x', {}, 'process', 5678).command).toBe('python3 -m debugpy --listen 127.0.0.1:5678 app.py --x')
  })

  it('go: go run becomes a headless dlv debug of the same package with its program arguments', () => {
    expect(inspectLaunch('go', 'go run ./cmd/api -v', {}, 'process').command).toEqual([
      'dlv',
      'debug',
      './cmd/api',
      '--headless',
      '--listen=127.0.0.1:0',
      '--api-version=2',
      '--accept-multiclient',
      '--continue',
      '--',
      '-v',
    ])
    expect(inspectLaunch('go', ['go', 'run', '.'], {}, 'process').command).toEqual(['dlv', 'debug', '.', '--headless', '--listen=127.0.0.1:0', '--api-version=2', '--accept-multiclient', '--continue'])
  })
})

describe('announcedPort', () => {
  it("finds Node's and Delve's announcements, nothing else", () => {
    expect(announcedPort('Debugger listening on ws://127.0.0.1:40123/6c1f-aa')).toEqual({ port: 40123, path: '/6c1f-aa' })
    expect(announcedPort('API server listening at: 127.0.0.1:38111')).toEqual({ port: 38111, path: '' })
    expect(announcedPort('listening on 8080')).toBeUndefined()
  })
})
