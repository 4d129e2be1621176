// The JSON Schema and the config reference in docs/configuration.md are generated from
// src/core/config/schema.ts, docs/errors.md from the error catalogue (src/error-codes.ts) and
// docs/commands.md from oclif.manifest.json (`npm run gen`); these tests fail when one has drifted from
// its source. oclif.manifest.json is build output (`npm run build` writes it from dist/commands): the unit
// tests run after the build in `npm test`.
import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { commandsDocOptions, commandsMarkdown } from '../../src/cli/commands-doc.js'
import { jsonSchema, REFERENCE_PAGE, REFERENCE_START, withReference } from '../../src/core/config/reference.js'
import { traceJsonSchema } from '../../src/core/trace/format.js'
import { errorsMarkdown } from '../../src/error-codes.js'

const at = (file: string) => new URL(`../../${file}`, import.meta.url)
const read = (file: string) => readFileSync(at(file), 'utf8')

describe('generated from the schema', () => {
  it('schema/sls-run.schema.json is up to date (run `npm run gen`)', () => {
    expect(JSON.parse(read('schema/sls-run.schema.json'))).toEqual(jsonSchema())
  })
  it('schema/sls-run-trace.schema.json is up to date (run `npm run gen`)', () => {
    expect(JSON.parse(read('schema/sls-run-trace.schema.json'))).toEqual(traceJsonSchema())
  })
  it(`${REFERENCE_PAGE}'s config reference is up to date (run \`npm run gen\`)`, () => {
    const page = read(REFERENCE_PAGE)
    expect(page).toBe(withReference(page))
  })
  it('the config reference lives in one page only: README.md has none', () => {
    expect(read('README.md')).not.toContain(REFERENCE_START)
  })
  it('docs/errors.md is up to date with the error catalogue (run `npm run gen`)', () => {
    expect(read('docs/errors.md')).toBe(errorsMarkdown())
  })
  it('docs/commands.md is up to date with the commands (run `npm run gen`)', () => {
    expect(existsSync(at('oclif.manifest.json')), 'oclif.manifest.json is missing: run `npm run build`').toBe(true)
    const manifest = JSON.parse(read('oclif.manifest.json')) as Parameters<typeof commandsMarkdown>[0]
    expect(read('docs/commands.md')).toBe(commandsMarkdown(manifest, commandsDocOptions(JSON.parse(read('package.json')) as Parameters<typeof commandsDocOptions>[0])))
  })
  it('the JSON Schema refuses unknown keys and knows the units, for editors', () => {
    const schema = jsonSchema() as any
    const service = schema.properties.services.additionalProperties
    expect(service.additionalProperties).toBe(false)
    expect(service.properties.scaling.properties.idleTimeout).toMatchObject({ type: 'string', pattern: '^[0-9]+(ms|s|m|h)$', default: '60s' })
    expect(service.properties.scaling.properties.concurrency).toMatchObject({ minimum: 1, maximum: 1000, default: 80 })
  })
})

describe('the command reference (commandsMarkdown)', () => {
  const flag = (name: string, extra: Record<string, unknown> = {}) => ({ name, description: `The ${name} flag.`, type: 'boolean', allowNo: false, ...extra })
  const command = (id: string, extra: Record<string, unknown> = {}) => ({
    id,
    aliases: [],
    hidden: false,
    hiddenAliases: [],
    args: {},
    flags: { json: flag('json', { helpGroup: 'GLOBAL' }) },
    ...extra,
  })
  const manifest = {
    commands: {
      'config:print': command('config:print', { summary: 'Print it.' }),
      build: command('build', {
        summary: 'Build <image>.',
        description: 'Tags <image>:latest; `<kept>` in code.',
        strict: false,
        args: { service: { name: 'service', description: 'Services.' } },
        flags: {
          json: flag('json', { helpGroup: 'GLOBAL' }),
          config: flag('config', { char: 'c', type: 'option', helpValue: 'FILE', multiple: false }),
          builder: flag('builder', { type: 'option', options: ['auto', 'classic'], default: 'auto', description: 'a | b' }),
          watch: flag('watch', { allowNo: true }),
          secret: flag('secret', { hidden: true }),
        },
        examples: ['<%= config.bin %> build api', { command: '<%= config.bin %> <%= command.id %> --json', description: 'As JSON.' }],
      }),
      hidden: command('hidden', { hidden: true }),
    },
  } as unknown as Parameters<typeof commandsMarkdown>[0]
  const md = commandsMarkdown(manifest, { bin: 'sls-run', topics: { config: { description: 'Validate and print sls-run.yaml' } } })

  it('sorts the commands and groups them by topic, with the topic description', () => {
    const headings = md
      .replace(/^```[^]*?^```$/gm, '')
      .split('\n')
      .filter((line) => line.startsWith('#'))
    expect(headings).toEqual(['# Commands', '## Exit codes', '## Global flags', '## `sls-run build`', '## `sls-run config`', '### `sls-run config print`'])
    expect(md).toContain('## `sls-run config`\n\nValidate and print sls-run.yaml\n')
    expect(md).not.toContain('hidden')
  })
  it('gives the usage line, the arguments, the flags without the hidden ones, and the global flags once', () => {
    expect(md).toContain('```\nsls-run build [SERVICE...] [-c FILE] [--builder auto|classic] [--[no-]watch]\n```')
    expect(md).toContain('| `SERVICE` (one or more) | no |  | Services. |')
    expect(md).toContain('| `-c`, `--config` | `FILE` |  | The config flag. |')
    expect(md).toContain('| `--builder` | `auto` \\| `classic` | `auto` | a \\| b |')
    expect(md).toContain('| `--[no-]watch` | boolean |  | The watch flag. |')
    expect(md).not.toContain('secret')
    expect(md.match(/\| `--json` \|/g)).toHaveLength(1)
    expect(md).toContain('Also the [global flags](#global-flags): `--json`.')
  })
  it('expands the examples, escapes HTML-like text outside code spans, and lists the exit codes', () => {
    expect(md).toContain('```sh\nsls-run build api\n# As JSON.\nsls-run build --json\n```')
    expect(md).toContain('Build \\<image>.')
    expect(md).toContain('Tags \\<image>:latest; `<kept>` in code.')
    expect(md).toContain('| 2 | usage or configuration error')
  })
})
