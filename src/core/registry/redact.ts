/**
 * The one rule that keeps registry secrets out of messages, hints, details and events. Whatever a
 * registry, the engine or a credential helper echoes back, every spelling of a secret in use becomes
 * `***`: the raw password or token (identity token, Bearer token, a helper's Secret), its JSON-escaped
 * and URL-encoded spellings (percent-encoding in either case, and the form encoding of a token POST),
 * and the Basic value base64(username:password) with and without padding, in base64 and base64url.
 */

/** A secret a message must not show: credentials in use, or a raw token (Bearer, identity, helper Secret). */
export type Secret = { username?: string; password?: string; identityToken?: string } | string | undefined

/** Shorter secrets are not redacted: replacing every "ab" would mangle the message and hide nothing. */
const MIN_SECRET_LENGTH = 3

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

/** `text` with every spelling of every secret replaced by `***`; undefined stays undefined. */
export function redact<T extends string | undefined>(text: T, ...secrets: Secret[]): T {
  if (!text) return text
  let out: string = text
  for (const form of secretForms(secrets)) out = out.split(form).join('***')
  return out as T
}
