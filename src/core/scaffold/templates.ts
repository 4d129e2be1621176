/**
 * App templates: the folders under `templates/` (shipped in the package) or a local folder with the same
 * layout. A template is its files plus `template.json` (not copied): a description, the host commands its
 * own tests need, the test command, and the CI toolchain. Files may use `{{name}}`, `{{port}}` and
 * `{{schemaUrl}}` (the JSON Schema of this sls-run release); a file named `_gitignore` becomes `.gitignore`
 * (npm drops `.gitignore` files from published packages).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ExitCode, SlsError } from '../../errors.js'
import type { CiSpec } from './ci.js'

export const TEMPLATES_DIR = fileURLToPath(new URL('../../../templates', import.meta.url))
const PACKAGE_JSON = fileURLToPath(new URL('../../../package.json', import.meta.url))

/**
 * The sls-run release running `init`, read from its package.json when called: what a new project pins
 * (the package its CI installs, the schema its sls-run.yaml names), so that project changes sls-run
 * version only when someone edits the pin, never because a new release shipped.
 */
export interface Release {
  /** What `npm install -g` takes: `sls-run@0.1.0`. */
  packageSpec: string
  /** The JSON Schema for sls-run.yaml shipped in that release, on unpkg. */
  schemaUrl: string
}

export function currentRelease(): Release {
  const { name, version } = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { name: string; version: string }
  return { packageSpec: `${name}@${version}`, schemaUrl: `https://unpkg.com/${name}@${version}/schema/sls-run.schema.json` }
}

export interface TemplateManifest {
  description: string
  /** Host commands the app's own tests and dev command need (e.g. node, npm, python3, go). */
  requires: string[]
  /** The app's own tests, run from the project folder. */
  test: string
  /** Installs what `sls-run dev` needs on the host (`init --install`; e.g. `npm ci`); absent: nothing to install. */
  install?: string
  ci: Pick<CiSpec, 'setup' | 'version' | 'install' | 'test'>
}

export interface Template {
  id: string
  dir: string
  builtIn: boolean
  manifest: TemplateManifest
}

const DEFAULT_MANIFEST: TemplateManifest = { description: 'custom template', requires: [], test: '', ci: { setup: 'none', version: '', install: '', test: '' } }

export function listTemplates(): Template[] {
  return readdirSync(TEMPLATES_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(TEMPLATES_DIR, e.name, 'template.json')))
    .map((e) => load(e.name, path.join(TEMPLATES_DIR, e.name), true))
    .sort((a, b) => a.id.localeCompare(b.id))
}

/** A built-in template by id, or a local folder (a path containing a slash or starting with a dot). */
export function resolveTemplate(idOrPath: string, cwd = process.cwd()): Template {
  const builtIn = listTemplates()
  const found = builtIn.find((t) => t.id === idOrPath)
  if (found) return found
  if (/[/\\]|^\./.test(idOrPath)) {
    const dir = path.resolve(cwd, idOrPath)
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new SlsError('INIT_TEMPLATE_NOT_FOUND', `template folder ${dir} does not exist`, {
        exitCode: ExitCode.usage,
        hints: ['A custom template is a folder with the same layout as the built-in ones (see templates/ in the package).'],
      })
    }
    return load(path.basename(dir), dir, false)
  }
  throw new SlsError('INIT_UNKNOWN_TEMPLATE', `no template "${idOrPath}"`, {
    exitCode: ExitCode.usage,
    hints: [`Templates: ${builtIn.map((t) => t.id).join(', ')} (or a path to a template folder).`],
  })
}

function load(id: string, dir: string, builtIn: boolean): Template {
  const file = path.join(dir, 'template.json')
  if (!existsSync(file)) return { id, dir, builtIn, manifest: DEFAULT_MANIFEST }
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<TemplateManifest>
    return { id, dir, builtIn, manifest: { ...DEFAULT_MANIFEST, ...raw, ci: { ...DEFAULT_MANIFEST.ci, ...raw.ci } } }
  } catch (error) {
    throw new SlsError('INIT_TEMPLATE_INVALID', `${file} is not valid JSON: ${(error as Error).message}`, { exitCode: ExitCode.usage })
  }
}
