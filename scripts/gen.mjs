// Regenerates what derives from the schemas and catalogues: schema/sls-run.schema.json, schema/sls-run-trace.schema.json,
// README's reference and docs/errors.md (from the error catalogue, src/error-codes.ts).
import { readFileSync, writeFileSync } from 'node:fs'
import { jsonSchema, withReference } from '../dist/core/config/reference.js'
import { traceJsonSchema } from '../dist/core/trace/format.js'
import { errorsMarkdown } from '../dist/error-codes.js'

const root = new URL('..', import.meta.url)
writeFileSync(new URL('schema/sls-run.schema.json', root), `${JSON.stringify(jsonSchema(), null, 2)}\n`)
writeFileSync(new URL('schema/sls-run-trace.schema.json', root), `${JSON.stringify(traceJsonSchema(), null, 2)}\n`)
const readme = new URL('README.md', root)
writeFileSync(readme, withReference(readFileSync(readme, 'utf8')))
writeFileSync(new URL('docs/errors.md', root), errorsMarkdown())
console.error('wrote schema/sls-run.schema.json, schema/sls-run-trace.schema.json, the README config reference and docs/errors.md')
