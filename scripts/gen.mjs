// Regenerates what derives from the schemas: schema/sls-run.schema.json, schema/sls-run-trace.schema.json and README's reference.
import { readFileSync, writeFileSync } from 'node:fs'
import { jsonSchema, withReference } from '../dist/core/config/reference.js'
import { traceJsonSchema } from '../dist/core/trace/format.js'

const root = new URL('..', import.meta.url)
writeFileSync(new URL('schema/sls-run.schema.json', root), `${JSON.stringify(jsonSchema(), null, 2)}\n`)
writeFileSync(new URL('schema/sls-run-trace.schema.json', root), `${JSON.stringify(traceJsonSchema(), null, 2)}\n`)
const readme = new URL('README.md', root)
writeFileSync(readme, withReference(readFileSync(readme, 'utf8')))
console.error('wrote schema/sls-run.schema.json, schema/sls-run-trace.schema.json and the README config reference')
