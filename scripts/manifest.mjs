// Writes oclif.manifest.json (what `oclif manifest` does), so start-up reads one JSON file instead of
// importing every command. Uses @oclif/core only: the `oclif` dev CLI would add ~400 packages for this.
import { rmSync, writeFileSync } from 'node:fs'
import { Plugin } from '@oclif/core'

const root = new URL('..', import.meta.url).pathname
const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, isRoot: true })
await plugin.load()
writeFileSync(new URL('../oclif.manifest.json', import.meta.url), JSON.stringify(plugin.manifest, null, 2) + '\n')
console.error(`oclif.manifest.json: ${Object.keys(plugin.manifest.commands).length} commands`)
// The help pages are rendered from this manifest (scripts/help-cache.mjs, run after this by `npm run build`): a
// new manifest makes the old pages stale, so they go, and oclif answers --help until they are rendered again.
rmSync(new URL('../dist/help-cache.json', import.meta.url), { force: true })
