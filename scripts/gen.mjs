// Regenerates what derives from the config schema: schema/sls-run.schema.json and README's reference.
import { readFileSync, writeFileSync } from 'node:fs'
import { jsonSchema, withReference } from '../dist/core/config/reference.js'

const root = new URL('..', import.meta.url)
writeFileSync(new URL('schema/sls-run.schema.json', root), `${JSON.stringify(jsonSchema(), null, 2)}\n`)
const readme = new URL('README.md', root)
writeFileSync(readme, withReference(readFileSync(readme, 'utf8')))
console.error('wrote schema/sls-run.schema.json and the README config reference')
