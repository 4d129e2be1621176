/** Where a key path lives in the YAML tree, as source offsets. */
import { isMap, isPair, isScalar, isSeq, type Document, type Node, type Pair } from '../../vendor/yaml.js'

export type Segment = string | number
export interface Span {
  start: number
  end: number
}

function child(node: unknown, segment: Segment): { pair?: Pair; value: unknown } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment))
    return pair ? { pair, value: pair.value } : undefined
  }
  if (isSeq(node) && typeof segment === 'number') return { value: node.items[segment] }
  return undefined
}

const span = (node: unknown): Span | undefined => {
  const range = (node as Node | null)?.range
  return range ? { start: range[0], end: range[1] } : undefined
}

/**
 * The span to underline for a problem at `path`:
 * - `at: 'value'` (a wrong value) → the value; a missing value → its key;
 * - `at: 'key'` (an unknown key) → the key itself;
 * - a path that does not exist (a missing key) → the key of the deepest existing parent.
 * Returns the span and how many segments of the path exist in the tree.
 */
export function locate(doc: Document, path: readonly Segment[], at: 'value' | 'key' = 'value'): { span: Span; depth: number } {
  let node: unknown = doc.contents
  let keySpan: Span | undefined
  let depth = 0
  for (const segment of path) {
    const next = child(node, segment)
    if (!next) break
    node = next.value
    keySpan = next.pair ? span(next.pair.key) : span(next.value)
    depth++
  }
  const complete = depth === path.length
  const target = complete && at === 'value' ? (span(node) ?? keySpan) : keySpan
  return { span: target ?? span(doc.contents) ?? { start: 0, end: 1 }, depth }
}

/** True when the path exists in the tree (used to attribute an override's problem to the override). */
export function has(doc: Document, path: readonly Segment[]): boolean {
  return locate(doc, path).depth === path.length
}
