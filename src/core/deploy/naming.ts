/**
 * The name a service gets on a platform. Each adapter owns its platform's naming rule (a `NameRule` in its
 * folder, with the platform's documentation as source); sls-run.yaml's service names (DNS-1123 labels of 1–49
 * characters) do not fit every rule (Azure Container Apps: 2–32 characters, no `--`).
 *
 * - `deployName:` (a service key, usually set per environment under `environments.<env>.services.<svc>`) is
 *   used as written; one that breaks the rule is an error (DEPLOY_NAME_INVALID), since someone chose it.
 * - Otherwise the service name when it fits, else a derived name: the rule's characters only, cut to leave
 *   room for `-` and six hex digits of the service name's SHA-256, so it is stable across deploys and
 *   distinct for names that share a prefix; the plan says so in a DEPLOY_NAME_DERIVED warning.
 */
import { createHash } from 'node:crypto'
import { ExitCode, SlsError } from '../../errors.js'
import type { PlanWarning } from './types.js'

export interface NameRule {
  /** The platform, in a message: "Azure Container Apps". */
  platform: string
  /** What is named: "container app", "Cloud Run service". */
  what: string
  min: number
  max: number
  /** The allowed characters of a name, one class (lowercase letters, digits, hyphens…). */
  allowed: RegExp
  /** The whole rule, checked last (first and last character, no `--`…). */
  valid: RegExp
  /** The rule in words, for messages: "2–32 lowercase letters, digits and hyphens; …". */
  describe: string
  /** Where the platform documents it. */
  source: string
}

const HASH_LENGTH = 6

/** The name to deploy `service` under, and the warning when it had to be derived. */
export function platformName(service: string, rule: NameRule, explicit?: string): { name: string; warning?: PlanWarning } {
  if (explicit !== undefined) {
    if (fits(explicit, rule)) return { name: explicit }
    throw new SlsError('DEPLOY_NAME_INVALID', `services.${service}.deployName: "${explicit}" is not a valid ${rule.platform} ${rule.what} name (${rule.describe})`, {
      exitCode: ExitCode.usage,
      hints: [`Choose a name that fits, or leave deployName out to get a derived one. The rule: ${rule.source}`],
    })
  }
  if (fits(service, rule)) return { name: service }
  const name = derive(service, rule)
  return {
    name,
    warning: {
      code: 'DEPLOY_NAME_DERIVED',
      setting: 'deployName',
      message: `${rule.platform} ${rule.what} names are ${rule.describe}: "${service}" is deployed as "${name}" (stable across deploys; set deployName to choose another)`,
    },
  }
}

export function fits(name: string, rule: NameRule): boolean {
  return name.length >= rule.min && name.length <= rule.max && rule.valid.test(name)
}

/** The rule's characters, no doubled or trailing hyphens, a letter first, cut to fit with a hash of the original. */
function derive(service: string, rule: NameRule): string {
  const hash = createHash('sha256').update(service).digest('hex').slice(0, HASH_LENGTH)
  const cleaned = [...service.toLowerCase()]
    .map((c) => (rule.allowed.test(c) ? c : '-'))
    .join('')
    .replace(/-{2,}/g, '-')
    .replace(/^[^a-z]+/, '')
  const stem = cleaned.slice(0, Math.max(0, rule.max - HASH_LENGTH - 1)).replace(/-+$/, '')
  const name = stem ? `${stem}-${hash}` : `s-${hash}`
  if (!fits(name, rule)) throw new Error(`no ${rule.platform} name could be derived from "${service}": ${name}`) // a rule this function cannot meet: a bug
  return name
}
