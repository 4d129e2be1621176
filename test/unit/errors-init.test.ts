/** `sls-run init --template PATH`: a folder that does not exist, and a template.json that is not JSON. */
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { resolveTemplate } from '../../src/core/scaffold/templates.js'
import { useTempDir } from '../helpers/temp.js'

const tempDir = useTempDir('sls-run-errors-init-')

describe('custom template errors', () => {
  it('INIT_TEMPLATE_NOT_FOUND (exit 2): the template folder does not exist', () => {
    const cwd = tempDir()
    expect(() => resolveTemplate('./my-template', cwd)).toThrow(
      expect.objectContaining({ code: 'INIT_TEMPLATE_NOT_FOUND', exitCode: 2, message: expect.stringContaining(path.join(cwd, 'my-template')) }),
    )
  })

  it('INIT_TEMPLATE_INVALID (exit 2): its template.json is not JSON; a valid one is read', () => {
    const cwd = tempDir()
    mkdirSync(path.join(cwd, 'my-template'))
    writeFileSync(path.join(cwd, 'my-template', 'template.json'), '{ "install": "npm ci", }')
    expect(() => resolveTemplate('./my-template', cwd)).toThrow(
      expect.objectContaining({ code: 'INIT_TEMPLATE_INVALID', exitCode: 2, message: expect.stringContaining('template.json is not valid JSON') }),
    )
    writeFileSync(path.join(cwd, 'my-template', 'template.json'), '{ "install": "npm ci" }')
    expect(resolveTemplate('./my-template', cwd)).toMatchObject({ id: 'my-template', builtIn: false, manifest: { install: 'npm ci' } })
  })
})
