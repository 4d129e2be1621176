/**
 * Strict validation of a `serving.knative.dev/v1` Service against the published CRD schema, as the
 * @kubernetes-models/knative package compiles it. The compiled validator checks types and required
 * fields but lets unknown fields through, whereas server-side apply refuses them ("field not declared in
 * schema"). So the object is handed to the validator behind proxies that record every property the
 * schema reads: a field the schema never asked for, in an object whose keys it never enumerated (a map
 * like labels or resources.limits), is not declared in the schema.
 */
import { Service as KnativeService } from '@kubernetes-models/knative/serving.knative.dev/v1/Service'

function tracked(value: unknown, at: string, read: Set<string>, enumerated: Set<string>): unknown {
  if (!value || typeof value !== 'object') return value
  return new Proxy(value as object, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver)
      if (typeof key !== 'string') return v
      if (!Array.isArray(target)) read.add(`${at}.${key}`)
      return tracked(v, Array.isArray(target) ? `${at}[${key}]` : `${at}.${key}`, read, enumerated)
    },
    ownKeys(target) {
      enumerated.add(at)
      return Reflect.ownKeys(target)
    },
  })
}

function undeclared(value: unknown, at: string, read: Set<string>, enumerated: Set<string>, out: string[]): void {
  if (!value || typeof value !== 'object') return
  if (Array.isArray(value)) {
    value.forEach((item, i) => undeclared(item, `${at}[${i}]`, read, enumerated, out))
    return
  }
  for (const [key, v] of Object.entries(value)) {
    const path = `${at}.${key}`
    if (!enumerated.has(at) && !read.has(path)) out.push(`${path}: field not declared in schema`)
    else undeclared(v, path, read, enumerated, out)
  }
}

/** Every problem with `obj` as a Knative Service, in the API server's wording; [] when valid. */
export function knativeServiceErrors(obj: unknown): string[] {
  const read = new Set<string>()
  const enumerated = new Set<string>()
  const errors: string[] = []
  try {
    // validate() runs the compiled schema on `this`; calling it on the proxy lets us see what it reads.
    KnativeService.prototype.validate.call(tracked(obj, '', read, enumerated) as KnativeService)
  } catch (err) {
    errors.push(...(err as Error).message.split(', ').map((m) => m.replace(/^data\//, '.').replace(/\//g, '.')))
  }
  undeclared(obj, '', read, enumerated, errors)
  return errors
}
