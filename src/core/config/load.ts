/**
 * Loading sls-run.yaml: read → parse → interpolate → validate → apply environment overrides →
 * check what the paths point at (files.ts) → resolve paths. Every problem is collected and reported
 * at once; the first failing stage stops the pipeline (a syntax error makes schema messages meaningless).
 */
import path from 'node:path'
import { LineCounter, parseDocument, type Document } from '../../vendor/yaml.js'
import { ExitCode, SlsError } from '../../errors.js'
import type { Diagnostic } from './diagnostic.js'
import { type SourceText } from './diagnostic.js'
import { asRecord, checkPaths } from './files.js'
import { interpolate } from './interpolate.js'
import { locate, type Segment } from './locate.js'
import { configSchema, service as serviceSchema, type Config, type ServiceConfig } from './schema.js'
import { findConfigFile, readConfigSource } from './source.js'
import { closest } from './suggest.js'
import { validate } from './validate.js'

/** YAML aliases expanded at most this many times (a "billion laughs" file stops here). */
export const MAX_ALIAS_COUNT = 100

export interface LoadOptions {
  /** -c/--config; otherwise the nearest sls-run.yaml from cwd upwards. */
  file?: string
  cwd?: string
  env?: NodeJS.ProcessEnv
}

export interface ResolvedEnvironment {
  name: string
  /** The provider id and its settings (`services` overrides are applied to `config`). */
  settings: Record<string, unknown>
  config: Config
}

export interface LoadedConfig {
  file: string
  dir: string
  /** The config without environment overrides; durations in ms, sizes in bytes, paths absolute. */
  config: Config
  /**
   * The file as written (`${VAR}`s interpolated, no defaults filled in, environment overrides not
   * merged): what the user set. `config` cannot tell a default from a value written out.
   */
  document: Record<string, unknown>
  warnings: Diagnostic[]
  /** The config with an environment's overrides applied (throws CONFIG_UNKNOWN_ENV). */
  environment(name: string): ResolvedEnvironment
}

export async function loadConfig(options: LoadOptions = {}): Promise<LoadedConfig> {
  const cwd = options.cwd ?? process.cwd()
  const file = findConfigFile(options.file, cwd)
  const display = path.relative(cwd, file) || path.basename(file)
  const read = await readConfigSource(file, display.startsWith('..') ? file : display)
  if ('diagnostic' in read) throw invalid(display, [read.diagnostic])
  const { source } = read

  const lineCounter = new LineCounter()
  const doc = parseDocument(source.text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true })
  const syntax = [...doc.errors, ...doc.warnings].map((e) => {
    const token = /^("[^"\n]*"|'[^'\n]*'|[^\s:,{}[\]]+)/.exec(source.text.slice(e.pos[0]))?.[0] ?? ''
    return source.at(e.pos[0], Math.max(e.pos[1], e.pos[0] + token.length), {
      code: e.code === 'DUPLICATE_KEY' ? 'CONFIG_DUPLICATE_KEY' : 'CONFIG_SYNTAX',
      severity: doc.errors.some((error) => error === e) ? 'error' : 'warning',
      message: syntaxMessage(e.code, e.message, token),
      hints: e.code === 'DUPLICATE_KEY' ? ['Each key may appear once in a mapping; merge the two entries.'] : e.code === 'TAB_AS_INDENT' ? ['Indent with spaces; YAML does not allow tabs.'] : [],
    })
  })
  // A duplicate key still leaves a readable document: report it with every other problem, in one run.
  if (doc.errors.some((e) => e.code !== 'DUPLICATE_KEY')) throw invalid(display, syntax)

  const diagnostics = [...syntax, ...interpolate(doc, source, options.env ?? process.env)]

  const raw = toPlain(doc, source)
  if ('diagnostic' in raw) throw invalid(display, [...diagnostics, raw.diagnostic])

  const base = validate(configSchema, raw.value, doc, source)
  diagnostics.push(...base.diagnostics)
  const overrides = applyOverrides(raw.value, base.diagnostics, doc, source)
  diagnostics.push(...overrides.diagnostics)
  const dir = path.dirname(file)
  diagnostics.push(...checkPaths(raw.value, dir, doc, source))
  if (!base.data || diagnostics.some(isError)) throw invalid(display, diagnostics)

  const config = resolvePaths(base.data, dir)
  return {
    file,
    dir,
    config,
    document: raw.value,
    warnings: diagnostics,
    environment(name) {
      const env = config.environments[name]
      if (!env) {
        const names = Object.keys(config.environments)
        const suggestion = closest(name, names)
        throw new SlsError('CONFIG_UNKNOWN_ENV', `no environment "${name}" in ${display}${suggestion ? `; did you mean "${suggestion}"?` : ''}`, {
          exitCode: ExitCode.usage,
          hints: [names.length ? `Environments defined: ${names.join(', ')}.` : 'Add one under `environments:` in sls-run.yaml.'],
        })
      }
      const { services: _overrides, ...settings } = env
      const services = { ...config.services, ...overrides.byEnvironment.get(name) }
      return { name, settings, config: { ...config, services: resolveServicePaths(services, dir) } }
    },
  }
}

const isError = (d: Diagnostic) => d.severity === 'error'
function syntaxMessage(code: string, message: string, text: string): string {
  if (code === 'DUPLICATE_KEY') return `duplicate key "${text}"`
  if (code === 'MULTIPLE_DOCS') return 'the file holds more than one YAML document (---); sls-run.yaml must be a single document'
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')
}

function invalid(display: string, diagnostics: Diagnostic[]): SlsError {
  diagnostics.sort((a, b) => a.line - b.line || a.column - b.column)
  const errors = diagnostics.filter(isError).length
  return new SlsError('CONFIG_INVALID', `${display}: ${errors} problem${errors === 1 ? '' : 's'} found`, {
    exitCode: ExitCode.usage,
    details: { diagnostics },
  })
}

function toPlain(doc: Document, source: SourceText): { value: Record<string, unknown> } | { diagnostic: Diagnostic } {
  let value: unknown
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT })
  } catch (error) {
    const { span } = locate(doc, [])
    const aliasAt = source.text.search(/(^|[\s[{,:-])\*[^\s]/m)
    const offset = aliasAt === -1 ? span.start : aliasAt + (source.text[aliasAt] === '*' ? 0 : 1)
    return {
      diagnostic: source.at(offset, offset + 1, {
        code: 'CONFIG_ALIAS_LIMIT',
        message: `YAML aliases expand too much (limit ${MAX_ALIAS_COUNT}): ${(error as Error).message.split('\n')[0]}`,
        hints: ['Repeat the values instead of nesting aliases of aliases.'],
      }),
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const { span } = locate(doc, [])
    return {
      diagnostic: source.at(span.start, span.end, {
        code: 'CONFIG_INVALID',
        message: `the file must be a mapping with name: and services: (got ${Array.isArray(value) ? 'a list' : JSON.stringify(value)})`,
      }),
    }
  }
  return { value: value as Record<string, unknown> }
}

interface OverrideResult {
  diagnostics: Diagnostic[]
  byEnvironment: Map<string, Record<string, ServiceConfig>>
}

/** Each environment's service overrides are merged into the service and the result validated again. */
function applyOverrides(raw: Record<string, unknown>, baseDiagnostics: Diagnostic[], doc: Document, source: SourceText): OverrideResult {
  const result: OverrideResult = { diagnostics: [], byEnvironment: new Map() }
  const services = asRecord(raw.services)
  const reported = new Set(baseDiagnostics.map((d) => d.path))
  for (const [envName, env] of Object.entries(asRecord(raw.environments))) {
    const merged: Record<string, ServiceConfig> = {}
    for (const [name, override] of Object.entries(asRecord(asRecord(env).services))) {
      const at: Segment[] = ['environments', envName, 'services', name]
      if (!(name in services)) {
        const { span } = locate(doc, at, 'key')
        const suggestion = closest(name, Object.keys(services))
        result.diagnostics.push(
          source.at(span.start, span.end, {
            code: 'CONFIG_UNKNOWN_SERVICE',
            path: at.join('.'),
            message: `environment ${envName} overrides service "${name}", which is not defined${suggestion ? `; did you mean "${suggestion}"?` : ''}`,
            hints: [`Services defined: ${Object.keys(services).join(', ')}.`],
          }),
        )
        continue
      }
      // A service that is not a mapping has nothing to merge into (reported where it is defined); one with
      // an invalid name is a mapping like any other, and its overrides are checked.
      if (asRecord(services[name]) !== services[name]) continue
      const checked = validate(serviceSchema, deepMerge(services[name], override), doc, source, at)
      const ownPathPrefix = `services.${name}.`
      result.diagnostics.push(...checked.diagnostics.filter((d) => !reported.has(ownPathPrefix + d.path!.slice(at.join('.').length + 1))))
      if (checked.data) merged[name] = checked.data
    }
    result.byEnvironment.set(envName, merged)
  }
  return result
}

/** Mappings merge key by key; lists and scalars replace; `null` resets a key to its default. */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (override === undefined) return base
  if (asRecord(override) !== override || asRecord(base) !== base) return override
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) }
  for (const [key, value] of Object.entries(override as Record<string, unknown>)) {
    if (value === null) delete out[key]
    else out[key] = deepMerge(out[key], value)
  }
  return out
}

function resolvePaths(config: Config, dir: string): Config {
  return { ...config, services: resolveServicePaths(config.services, dir) }
}

function resolveServicePaths(services: Record<string, ServiceConfig>, dir: string): Record<string, ServiceConfig> {
  return Object.fromEntries(
    Object.entries(services).map(([name, svc]) => {
      const context = path.resolve(dir, svc.build?.context ?? '.')
      return [
        name,
        {
          ...svc,
          build: svc.build && { ...svc.build, context, dockerfile: path.resolve(context, svc.build.dockerfile) },
          envFile: svc.envFile && path.resolve(dir, svc.envFile),
          dev: { ...svc.dev, cwd: path.resolve(dir, svc.dev.cwd ?? svc.build?.context ?? '.') },
        },
      ]
    }),
  )
}
