/** The plain build renderer (CI, no TTY): a RUN step's own escape sequences never reach the log. */
import { describe, expect, it } from 'vitest'
import type { BuildEvent } from '../../src/core/image/build.js'
import { plainBuildRenderer } from '../../src/ui/build-output.js'
import { painter } from '../../src/ui/terminal.js'

const ESC = '\u001b'

describe('plainBuildRenderer', () => {
  const render = (events: BuildEvent[]) => {
    let text = ''
    const emit = plainBuildRenderer(painter(false), (t) => (text += t), false)
    for (const event of events) emit(event)
    return text
  }

  it('strips the colours and cursor moves of step output (npm, jest, apk print them)', () => {
    const line = `${ESC}[1m${ESC}[32m✔${ESC}[39m added 12 packages${ESC}[22m ${ESC}]8;;https://x.test${ESC}\\link${ESC}]8;;${ESC}\\ ${ESC}[2K${ESC}[1Gdone`
    const text = render([{ type: 'output', service: 'web', stepId: 's1', line }])
    expect(text).toBe('web │ ✔ added 12 packages link done\n')
    expect(text).not.toContain(ESC)
  })

  it('leaves the event itself alone: --json consumers get the raw line', () => {
    const event: BuildEvent = { type: 'output', service: 'web', stepId: 's1', line: `${ESC}[31mred${ESC}[0m` }
    render([event])
    expect(event.line).toBe(`${ESC}[31mred${ESC}[0m`)
  })
})
