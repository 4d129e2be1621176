/**
 * The one redaction rule: nothing secret reaches a message, hint, detail, event or log line, whatever a
 * registry, a platform API, the engine, an SDK or a credential helper echoes back. Every text that may
 * carry someone else's words goes through `redact`, and every match below becomes `***`:
 *
 * 1. The secrets in use, in every spelling: the raw password or token (identity token, Bearer token, a
 *    helper's Secret), JSON-escaped, percent-encoded (hex in either case), form-encoded, and for a user
 *    name and password the Basic value base64(username:password), padded or not, in base64 and base64url.
 * 2. Secrets known by their shape, given or not:
 *    - a URL's user info, query and fragment (signed URLs and tokens ride there): `https://u:p@h/p?sig=x` → `https://h/p`;
 *    - a Bearer token: `Authorization: Bearer eyJ…` → `Authorization: Bearer ***`;
 *    - AWS access key ids (`AKIA…`, `ASIA…`) and secret access keys (40 characters of base64);
 *    - the value of a variable, parameter or JSON field whose name says SECRET, TOKEN or PASSWORD
 *      (`AWS_SECRET_ACCESS_KEY=…`, `refresh_token=…`, `x-amz-security-token:…`, `"password": "…"`).
 */

/** A secret a message must not show: credentials in use, or a raw token (Bearer, identity, helper Secret). */
export type Secret = { username?: string; password?: string; identityToken?: string } | string | undefined

/** Shorter secrets are not searched for: replacing every "ab" would mangle the message and hide nothing. */
const MIN_SECRET_LENGTH = 3
const MASK = '***'

/** The value of `Authorization: Basic …` (and of a Docker config `auth`): base64 of `username:password`. */
export function basicCredentials(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`, 'utf8').toString('base64')
}

function rawForms(secret: string): string[] {
  const percent = encodeURIComponent(secret)
  const form = new URLSearchParams({ s: secret }).toString().slice(2)
  return [secret, JSON.stringify(secret).slice(1, -1), percent, percent.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()), form]
}

function basicForms(username: string, password: string): string[] {
  const padded = basicCredentials(username, password)
  const url = padded.replace(/\+/g, '-').replace(/\//g, '_')
  return [padded, padded.replace(/=+$/, ''), url, url.replace(/=+$/, '')]
}

/** Every spelling of the secrets to look for, longest first (so a longer form is never cut by a shorter one). */
function secretForms(secrets: readonly Secret[]): string[] {
  const forms = new Set<string>()
  for (const secret of secrets) {
    if (!secret) continue
    const raws = typeof secret === 'string' ? [secret] : [secret.password, secret.identityToken]
    for (const raw of raws) if (raw && raw.length >= MIN_SECRET_LENGTH) for (const form of rawForms(raw)) forms.add(form)
    if (typeof secret !== 'string' && secret.password && secret.password.length >= MIN_SECRET_LENGTH) for (const form of basicForms(secret.username ?? '', secret.password)) forms.add(form)
  }
  return [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length)
}

/** Characters that end a URL, a value or a token in running text. */
const END = `\\s"'<>`

/**
 * scheme://, then user info (up to `@`), host and path, then query and fragment. Punctuation that closes a
 * sentence or a bracket after a query stays in the text.
 */
const URL_PARTS = new RegExp(`\\b([a-z][a-z0-9+.-]*://)([^${END}/?#@]*@)?([^${END}?#]*)([?#][^${END}]*?)?(?=[).,;:!\\]]*(?:[${END}]|$))`, 'gi')
/** RFC 6750's b64token, at least 8 characters with a digit or punctuation (so `Bearer realm=` and `Bearer authentication` are words). */
const BEARER = /\b(Bearer\s+)(?=[\w.~+/-]*[\d.~+/_-])[\w.~+/-]{8,}=*/gi
const AWS_ACCESS_KEY_ID = /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g
/** Exactly 40 base64 characters, with upper and lower case and a digit (a git SHA-1 is lower-case hex). */
const AWS_SECRET_KEY = /(?<![\w/+=])(?=[\w/+]{0,39}[A-Z])(?=[\w/+]{0,39}[a-z])(?=[\w/+]{0,39}\d)[A-Za-z0-9/+]{40}(?![\w/+=])/g
const SECRET_NAME = '[\\w.-]*(?:secret|token|password|passwd)[\\w.-]*'
/** `NAME=value`, `NAME = "value"`, `header-name:value`: the value, quoted or up to a separator. */
const NAMED_VALUE = new RegExp(`\\b(${SECRET_NAME})(\\s*=\\s*|:(?=[^\\s]))(?:"[^"]*"|'[^']*'|[^${END}&;,]+)`, 'gi')
/** `"name": "value"` in JSON. */
const JSON_VALUE = new RegExp(`("${SECRET_NAME}"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi')

function quoted(value: string): string {
  const quote = value[0] === '"' || value[0] === "'" ? value[0] : ''
  return `${quote}${MASK}${quote}`
}

function byShape(text: string): string {
  return text
    .replace(URL_PARTS, (url, scheme: string, userInfo: string | undefined, rest: string, query: string | undefined) => (userInfo || query ? `${scheme}${rest}` : url))
    .replace(BEARER, `$1${MASK}`)
    .replace(JSON_VALUE, `$1"${MASK}"`)
    .replace(NAMED_VALUE, (match, name: string, separator: string) => `${name}${separator}${quoted(match.slice(name.length + separator.length))}`)
    .replace(AWS_ACCESS_KEY_ID, MASK)
    .replace(AWS_SECRET_KEY, MASK)
}

/** `text` with every secret in use and every secret-shaped value replaced by `***`; undefined stays undefined. */
export function redact<T extends string | undefined>(text: T, ...secrets: Secret[]): T {
  if (!text) return text
  let out: string = text
  for (const form of secretForms(secrets)) out = out.split(form).join(MASK)
  return byShape(out) as T
}
