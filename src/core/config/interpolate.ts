/**
 * `${VAR}` and `${VAR:-default}` in scalar values (never in keys), resolved on the YAML tree so that
 * positions stay exact and a variable's value cannot inject YAML. `$${X}` is a literal `${X}`.
 * A plain (unquoted) scalar is re-typed after substitution, so `port: ${PORT}` gives a number;
 * a quoted one stays a string.
 */
import { parse as parseYaml, visit, type Document, Scalar } from '../../vendor/yaml.js'
import type { Diagnostic } from './diagnostic.js'
import type { SourceText } from './diagnostic.js'

const PATTERN = /\$(\$)?\{([^}]*)\}/g
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

export function interpolate(doc: Document, source: SourceText, env: NodeJS.ProcessEnv): Diagnostic[] {
  const problems: Diagnostic[] = []
  visit(doc, {
    Scalar(key, node) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('${')) return
      const quoted = node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE
      const base = (node.range?.[0] ?? 0) + (quoted ? 1 : 0)
      const replaced = node.value.replace(PATTERN, (match, escaped: string | undefined, body: string, index: number) => {
        if (escaped) return match.slice(1)
        const at = base + index
        const [name, fallback] = splitDefault(body)
        if (!NAME.test(name)) {
          problems.push(
            source.at(at, at + match.length, {
              code: 'CONFIG_ENV_VAR',
              message: `"${match}" is not a valid variable reference`,
              hints: ['Write ${NAME} or ${NAME:-default}; write $${...} for a literal.'],
            }),
          )
          return match
        }
        const value = env[name]
        if (value !== undefined && value !== '') return value
        if (fallback !== undefined) return fallback
        problems.push(source.at(at, at + match.length, { code: 'CONFIG_ENV_VAR', message: `environment variable ${name} is not set`, hints: [`Set ${name}, or give a default: \${${name}:-value}.`] }))
        return match
      })
      node.value = quoted || node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED ? replaced : retype(replaced)
    },
  })
  return problems
}

function splitDefault(body: string): [string, string | undefined] {
  const at = body.indexOf(':-')
  return at === -1 ? [body, undefined] : [body.slice(0, at), body.slice(at + 2)]
}

function retype(text: string): unknown {
  try {
    const value: unknown = parseYaml(text)
    return value === null || typeof value === 'object' ? text : value
  } catch {
    return text
  }
}
