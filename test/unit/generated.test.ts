// The JSON Schema and README's config reference are generated from src/core/config/schema.ts, and
// docs/errors.md from the error catalogue, src/error-codes.ts (`npm run gen`); these tests fail when
// one has drifted from its source.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { jsonSchema, withReference } from '../../src/core/config/reference.js'
import { traceJsonSchema } from '../../src/core/trace/format.js'
import { errorsMarkdown } from '../../src/error-codes.js'

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')

describe('generated from the schema', () => {
  it('schema/sls-run.schema.json is up to date (run `npm run gen`)', () => {
    expect(JSON.parse(read('schema/sls-run.schema.json'))).toEqual(jsonSchema())
  })
  it('schema/sls-run-trace.schema.json is up to date (run `npm run gen`)', () => {
    expect(JSON.parse(read('schema/sls-run-trace.schema.json'))).toEqual(traceJsonSchema())
  })
  it("README.md's config reference is up to date (run `npm run gen`)", () => {
    const readme = read('README.md')
    expect(readme).toBe(withReference(readme))
  })
  it('docs/errors.md is up to date with the error catalogue (run `npm run gen`)', () => {
    expect(read('docs/errors.md')).toBe(errorsMarkdown())
  })
  it('the JSON Schema refuses unknown keys and knows the units, for editors', () => {
    const schema = jsonSchema() as any
    const service = schema.properties.services.additionalProperties
    expect(service.additionalProperties).toBe(false)
    expect(service.properties.scaling.properties.idleTimeout).toMatchObject({ type: 'string', pattern: '^[0-9]+(ms|s|m|h)$', default: '60s' })
    expect(service.properties.scaling.properties.concurrency).toMatchObject({ minimum: 1, maximum: 1000, default: 80 })
  })
})
