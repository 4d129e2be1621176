/**
 * `sls-run init` as a service: render a template into a temp folder next to DIR, then move it into place,
 * so an error part-way leaves nothing behind. Existing files are never overwritten without `force`, and no
 * template path (a `..` in a rendered name, a symlink leading out) may write outside DIR.
 */
import { existsSync } from 'node:fs'
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, realpath, rename, rm, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import * as z from '../../vendor/zod.js'
import { ExitCode, SlsError } from '../../errors.js'
import { configSchema, service, serviceName } from '../config/schema.js'
import { renderCi, type CiKind } from './ci.js'
import { currentRelease, type Template } from './templates.js'

export interface ScaffoldOptions {
  dir: string
  template: Template
  name: string
  port: number
  ci: CiKind | 'none'
  force: boolean
}

export interface ScaffoldResult {
  dir: string
  template: string
  name: string
  port: number
  /** Paths relative to dir, sorted. */
  files: string[]
  /** Existing files replaced (only with force). */
  overwritten: string[]
}

/**
 * Where a template's sls-run.yaml puts the project name, each with the config schema's own rule for that
 * field: init refuses exactly the names `config validate` would refuse in the file it writes.
 */
const NAME_FIELDS: ReadonlyArray<{ key: string; label: (name: string) => string; rule: z.ZodType<unknown> }> = [
  { key: 'name', label: () => 'name', rule: configSchema.shape.name },
  { key: 'services.<name>', label: (name) => `services.${name} (the service name)`, rule: serviceName },
  { key: 'services.<name>.image', label: (name) => `services.${name}.image`, rule: service.shape.image.unwrap() },
]

/** A field's rule in short: `^[a-z]…$, at most 63 characters`. */
function ruleText(rule: z.ZodType<unknown>): string {
  const { pattern, maxLength } = z.toJSONSchema(rule) as { pattern?: string; maxLength?: number }
  return [pattern, maxLength === undefined ? undefined : `at most ${maxLength} characters`].filter(Boolean).join(', ')
}

/** @throws SlsError INIT_INVALID_NAME naming the first field of sls-run.yaml whose rule the name breaks, and each such rule. */
export function checkName(name: string): void {
  const broken = NAME_FIELDS.flatMap((f) => {
    const result = f.rule.safeParse(name)
    return result.success ? [] : [{ ...f, message: result.error.issues[0]!.message }]
  })
  const first = broken[0]
  if (!first) return
  throw new SlsError('INIT_INVALID_NAME', `${JSON.stringify(name)} cannot be a project name: ${first.label(name)} ${first.message}`, {
    exitCode: ExitCode.usage,
    hints: [
      `init writes the name into sls-run.yaml as name, services.<name> and services.<name>.image; it breaks the config's rule for ${broken.map((b) => `${b.key} (${ruleText(b.rule)})`).join(' and ')}.`,
      '--name sets it; it defaults to the folder name.',
    ],
    details: { name, rules: broken.map((b) => ({ field: b.key, message: b.message })) },
  })
}

export async function scaffold(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const dir = path.resolve(options.dir)
  checkName(options.name)
  const existing = existsSync(dir) ? await listFiles(dir) : []
  if (existing.length && !options.force) {
    throw new SlsError('INIT_DIR_NOT_EMPTY', `${dir} is not empty (${existing.length} entr${existing.length === 1 ? 'y' : 'ies'}, e.g. ${existing[0]})`, {
      exitCode: ExitCode.usage,
      hints: ['Choose a new folder, or pass --force to add the template (files with the same name are overwritten; nothing else is touched).'],
    })
  }
  const parent = path.dirname(dir)
  await mkdir(parent, { recursive: true })
  const staging = await mkdtemp(path.join(parent, '.sls-run-init-'))
  try {
    const release = currentRelease()
    const vars = { name: options.name, port: String(options.port), schemaUrl: release.schemaUrl }
    const files = await renderTree(options.template.dir, staging, vars)
    if (options.ci !== 'none') {
      const m = options.template.manifest.ci
      const ci = renderCi(options.ci, { name: options.name, setup: m.setup, version: m.version, install: m.install, test: m.test, slsRun: release.packageSpec })
      await writeInside(staging, ci.path, ci.content)
      files.push(ci.path)
    }
    files.sort()
    const overwritten = files.filter((f) => existing.includes(f))
    await moveIntoPlace(staging, dir, files, existing.length > 0 || existsSync(dir))
    return { dir, template: options.template.id, name: options.name, port: options.port, files, overwritten }
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
}

/** Renders every file of the template (but template.json) into `to`; returns the relative paths written. */
async function renderTree(from: string, to: string, vars: Record<string, string>): Promise<string[]> {
  const written: string[] = []
  const root = await realpath(from)
  const walk = async (relDir: string): Promise<void> => {
    for (const entry of (await readdir(path.join(from, relDir), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const srcRel = path.join(relDir, entry.name)
      if (!relDir && entry.name === 'template.json') continue
      const src = path.join(from, srcRel)
      const destRel = path
        .join(path.dirname(srcRel), entry.name === '_gitignore' ? '.gitignore' : render(entry.name, vars))
        .split(path.sep)
        .join('/')
      if (entry.isDirectory()) {
        await walk(srcRel)
        continue
      }
      const info = await lstat(src)
      if (info.isSymbolicLink()) {
        const target = await readlink(src)
        const resolved = path.resolve(path.dirname(src), target)
        if (!(await realpath(resolved).catch(() => resolved)).startsWith(root + path.sep)) throw unsafe(srcRel, `is a symlink to ${target}, outside the template`)
        await symlinkInside(to, destRel, target)
      } else if (info.isFile()) {
        const bytes = await readFile(src)
        const text = bytes.includes(0) ? bytes : Buffer.from(render(bytes.toString('utf8'), vars))
        await writeInside(to, destRel, text, info.mode & 0o777)
      } else continue
      written.push(destRel)
    }
  }
  await walk('')
  return written
}

const render = (text: string, vars: Record<string, string>) => text.replace(/\{\{\s*(name|port|schemaUrl)\s*\}\}/g, (_, key: string) => vars[key]!)

function inside(root: string, rel: string): string {
  const target = path.resolve(root, rel)
  if (path.isAbsolute(rel) || !target.startsWith(root + path.sep)) throw unsafe(rel, 'would be written outside the project folder')
  return target
}

async function writeInside(root: string, rel: string, content: string | Buffer, mode = 0o644): Promise<void> {
  const target = inside(root, rel)
  await mkdir(path.dirname(target), { recursive: true })
  await writeFile(target, content, { mode })
  await chmod(target, mode)
}

async function symlinkInside(root: string, rel: string, target: string): Promise<void> {
  const at = inside(root, rel)
  await mkdir(path.dirname(at), { recursive: true })
  await symlink(target, at)
}

function unsafe(rel: string, why: string): SlsError {
  return new SlsError('INIT_TEMPLATE_UNSAFE', `template path ${rel} ${why}`, {
    exitCode: ExitCode.usage,
    hints: ['Nothing was written. Fix the template: every path must stay inside the new project folder.'],
  })
}

/** A new DIR is one rename; into an existing DIR, file by file (each rename atomic, parents created). */
async function moveIntoPlace(staging: string, dir: string, files: string[], dirExists: boolean): Promise<void> {
  if (!dirExists) {
    await rename(staging, dir)
    await mkdir(staging) // so the caller's cleanup of staging stays a no-op
    return
  }
  for (const rel of files) {
    const target = inside(dir, rel)
    await mkdir(path.dirname(target), { recursive: true })
    await rename(path.join(staging, rel), target)
  }
}

async function listFiles(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${entry.name}` : entry.name
    if (entry.isDirectory()) {
      const inner = await listFiles(dir, child)
      out.push(...(inner.length ? inner : [`${child}/`]))
    } else out.push(child)
  }
  return out.sort()
}
