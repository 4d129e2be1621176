// Regenerates what derives from the schemas, the catalogues and the commands: schema/sls-run.schema.json,
// schema/sls-run-trace.schema.json, the config reference in docs/configuration.md (between its markers),
// docs/errors.md (from the error catalogue, src/error-codes.ts) and docs/commands.md (from
// oclif.manifest.json, which `npm run build` writes just before). Reads dist/: run through `npm run gen`.
import { readFileSync, writeFileSync } from 'node:fs'
import { commandsDocOptions, commandsMarkdown } from '../dist/cli/commands-doc.js'
import { jsonSchema, REFERENCE_PAGE, withReference } from '../dist/core/config/reference.js'
import { traceJsonSchema } from '../dist/core/trace/format.js'
import { errorsMarkdown } from '../dist/error-codes.js'

const root = new URL('..', import.meta.url)
const json = (file) => JSON.parse(readFileSync(new URL(file, root), 'utf8'))
writeFileSync(new URL('schema/sls-run.schema.json', root), `${JSON.stringify(jsonSchema(), null, 2)}\n`)
writeFileSync(new URL('schema/sls-run-trace.schema.json', root), `${JSON.stringify(traceJsonSchema(), null, 2)}\n`)
const reference = new URL(REFERENCE_PAGE, root)
writeFileSync(reference, withReference(readFileSync(reference, 'utf8')))
writeFileSync(new URL('docs/errors.md', root), errorsMarkdown())
writeFileSync(new URL('docs/commands.md', root), commandsMarkdown(json('oclif.manifest.json'), commandsDocOptions(json('package.json'))))
console.error(`wrote schema/sls-run.schema.json, schema/sls-run-trace.schema.json, the config reference in ${REFERENCE_PAGE}, docs/errors.md and docs/commands.md`)
