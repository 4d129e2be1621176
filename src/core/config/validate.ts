/** Schema validation of the parsed YAML: zod issues → located diagnostics, every problem at once. */
import type { Document } from '../../vendor/yaml.js'
import * as z from '../../vendor/zod.js'
import type { Diagnostic } from './diagnostic.js'
import type { SourceText } from './diagnostic.js'
import { got } from './fields.js'
import { locate, type Segment } from './locate.js'
import { closest } from './suggest.js'

type Issue = z.core.$ZodIssue

/** Messages for the issues whose schema field did not set its own (all in the "must …" form). */
const fallbackMessage = (issue: z.core.$ZodRawIssue): string | undefined => {
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${issue.expected === 'object' ? 'a mapping' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`} (got ${got(issue.input)})`
    case 'invalid_value':
      return `must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')} (got ${got(issue.input)})`
    default:
      return undefined
  }
}

export interface Validated<T> {
  data?: T
  diagnostics: Diagnostic[]
}

/** Validates `input` against `schema`; `prefix` is where `input` sits in the document. */
export function validate<S extends z.ZodType>(schema: S, input: unknown, doc: Document, source: SourceText, prefix: Segment[] = []): Validated<z.output<S>> {
  const result = schema.safeParse(input, { reportInput: true, error: fallbackMessage })
  if (result.success) return { data: result.data, diagnostics: [] }
  return { diagnostics: result.error.issues.flatMap((issue) => toDiagnostics(issue, doc, source, prefix, schema, input)) }
}

export function toDiagnostics(issue: Issue, doc: Document, source: SourceText, prefix: Segment[], schema: z.ZodType, input: unknown): Diagnostic[] {
  const path = [...prefix, ...(issue.path as Segment[])]
  if (issue.code === 'unrecognized_keys') {
    const allowed = keysAt(schema, issue.path as Segment[], input)
    return issue.keys.map((key) => {
      const keyPath = [...path, key]
      const { span } = locate(doc, keyPath, 'key')
      const suggestion = closest(key, allowed)
      return source.at(span.start, span.end, {
        code: 'CONFIG_UNKNOWN_KEY',
        path: dotted(keyPath),
        message: `${dotted(keyPath)} is not a known key${suggestion ? `; did you mean "${suggestion}"?` : ''}`,
        hints: allowed.length ? [`Keys allowed here: ${allowed.join(', ')}.`] : [],
      })
    })
  }
  const nested = issue.code === 'invalid_key' || issue.code === 'invalid_element' ? issue.issues[0] : undefined
  const message = nested?.message ?? issue.message
  const missing = issue.code === 'invalid_type' && issue.input === undefined
  const { span } = locate(doc, path, issue.code === 'invalid_key' ? 'key' : 'value')
  const hint = (issue as { params?: { hint?: string } }).params?.hint ?? discriminatorHint(issue)
  const display = dotted(path)
  return [
    source.at(span.start, span.end, {
      code: 'CONFIG_INVALID',
      path: display,
      message: missing ? `${display} is required` : issue.code === 'invalid_key' ? `${display}: the name ${message}` : `${display} ${message}`,
      hints: hint ? [hint] : [],
    }),
  ]
}

export const dotted = (path: readonly Segment[]): string => path.map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : i === 0 ? segment : `.${segment}`)).join('') || '(top level)'

/** The keys a mapping at `path` accepts, for "did you mean". Walks wrappers, records and the provider union. */
export function keysAt(schema: z.ZodType, path: readonly Segment[], input: unknown): string[] {
  let node: z.ZodType | undefined = schema
  let value: unknown = input
  for (let i = 0; ; i++) {
    node = unwrap(node, value)
    if (!node) return []
    if (i === path.length) break
    const segment = path[i]!
    value = (value as Record<string, unknown> | undefined)?.[segment as string]
    if (node instanceof z.ZodObject) node = (node.shape as Record<string, z.ZodType>)[segment as string]
    else if (node instanceof z.ZodRecord) node = node.valueType as z.ZodType
    else if (node instanceof z.ZodArray) node = node.element as z.ZodType
    else return []
  }
  return node instanceof z.ZodObject ? Object.keys(node.shape) : []
}

function unwrap(schema: z.ZodType | undefined, value: unknown): z.ZodType | undefined {
  let node = schema
  for (;;) {
    if (node instanceof z.ZodOptional || node instanceof z.ZodDefault || node instanceof z.ZodPrefault) node = node.unwrap() as z.ZodType
    else if (node instanceof z.ZodPipe) node = node.in as z.ZodType
    else if (node instanceof z.ZodDiscriminatedUnion) {
      const provider = (value as { provider?: unknown } | undefined)?.provider
      node = (node.options as z.ZodObject[]).find((option) => (option.shape.provider as z.ZodLiteral).value === provider)
    } else return node
  }
}

/** "did you mean" for a mistyped provider id (zod reports the options it expected). */
function discriminatorHint(issue: Issue): string | undefined {
  if (issue.code !== 'invalid_union' || !('options' in issue) || !Array.isArray(issue.options)) return undefined
  const typed = (issue.input as { provider?: unknown } | undefined)?.provider
  const suggestion = typeof typed === 'string' ? closest(typed, issue.options as string[]) : undefined
  return suggestion ? `Did you mean "${suggestion}"?` : undefined
}
