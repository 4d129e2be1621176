/**
 * A built-in provider's settings are one zod shape, in its folder (`providers/<id>/settings.ts`). It is
 * the only description of them: sls-run.yaml's environment schema spreads it (../../config/providers.ts),
 * so the JSON Schema and the config reference (docs/configuration.md) come from it too; the adapter's settings type is derived
 * from it here; so are the defaults an adapter falls back on when it is called with settings that leave
 * a key out (sls-run.yaml's own settings always have them: the config fills them in when it is loaded).
 */
import * as z from '../../../vendor/zod.js'

type Output<Shape extends z.ZodRawShape> = z.output<z.ZodObject<Shape>>
type Input<Shape extends z.ZodRawShape> = z.input<z.ZodObject<Shape>>
type OptionalKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? K : never }[keyof T]
/** Keys with a default: optional as written, always set once parsed. */
type Defaulted<Shape extends z.ZodRawShape> = Extract<Exclude<OptionalKeys<Input<Shape>>, OptionalKeys<Output<Shape>>>, keyof Output<Shape>>

/** The settings an adapter gets: `{ provider, ...its keys }`, where a key with a default may be left out. */
export type WrittenSettings<Id extends string, Shape extends z.ZodRawShape> = { provider: Id } & Omit<Output<Shape>, Defaulted<Shape>> & Partial<Pick<Output<Shape>, Defaulted<Shape>>>
/** The same with every default in place. */
export type CompleteSettings<Id extends string, Shape extends z.ZodRawShape> = { provider: Id } & Output<Shape>

/** The settings a schema made with defineSettings gives once complete. */
export type SettingsOf<Schema> = Schema extends SettingsSchema<infer Id, infer Shape> ? CompleteSettings<Id, Shape> : never

export interface SettingsSchema<Id extends string, Shape extends z.ZodRawShape> {
  id: Id
  /** The keys beside `provider:` in an environment of sls-run.yaml. */
  shape: Shape
  /** `settings` with the schema's default for each key it leaves out. Checks nothing: the config did. */
  complete(settings: WrittenSettings<Id, Shape>): CompleteSettings<Id, Shape>
}

export function defineSettings<const Id extends string, Shape extends z.ZodRawShape>(id: Id, shape: Shape): SettingsSchema<Id, Shape> {
  const defaults: Record<string, unknown> = {}
  for (const [key, field] of Object.entries(shape)) {
    const empty = z.safeParse(field, undefined)
    if (empty.success && empty.data !== undefined) defaults[key] = empty.data
  }
  return {
    id,
    shape,
    complete(settings) {
      const out: Record<string, unknown> = { ...defaults }
      for (const [key, value] of Object.entries(settings)) if (value !== undefined) out[key] = value
      return out as CompleteSettings<Id, Shape>
    },
  }
}
