/**
 * Google access tokens from the environment, never a prompt. Sources, first found wins:
 *
 * 1. `CLOUDSDK_AUTH_ACCESS_TOKEN`: an access token as is (gcloud's own variable).
 * 2. `GOOGLE_APPLICATION_CREDENTIALS`: a credentials file (service account key, `external_account` from
 *    workload identity federation as google-github-actions/auth writes it, `authorized_user`,
 *    `impersonated_service_account`).
 * 3. gcloud's Application Default Credentials file (`gcloud auth application-default login`):
 *    `$CLOUDSDK_CONFIG/application_default_credentials.json`, else `~/.config/gcloud/…` (`%APPDATA%\gcloud\…`).
 * 4. The metadata server, only where the environment says it runs on Google Cloud (Cloud Run, Cloud
 *    Build, GCE, GKE: `GCE_METADATA_HOST`, `K_SERVICE`, `METADATA_SERVER_DETECTION`, or a Google BIOS), so a
 *    laptop or CI runner without credentials fails at once instead of probing 169.254.169.254.
 *
 * google-auth-library (loaded lazily) does the token exchange; the file is read from `ctx.env`, not
 * `process.env`, and handed to the library explicitly. `CLOUDSDK_AUTH_TOKEN_HOST` (gcloud's `auth/token_host`)
 * replaces the OAuth token URL for `authorized_user` files (external_account files carry their own `token_url`).
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { GoogleAuthOptions } from 'google-auth-library'
import { ExitCode, SlsError } from '../../../../errors.js'
import { redact } from '../../../redact.js'
import { missingCredentials } from '../../api.js'

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform'
const PLATFORM = 'Google Cloud'

export interface GoogleTokenSource {
  /** Where the credentials came from, for messages ("GOOGLE_APPLICATION_CREDENTIALS (external_account)"). */
  source: string
  /** `authorization` and, when the credentials name one, `x-goog-user-project`. */
  headers(): Promise<Record<string, string>>
  accessToken(): Promise<string>
}

const HINTS = [
  'Locally: `gcloud auth application-default login` (or `gcloud auth print-access-token` into CLOUDSDK_AUTH_ACCESS_TOKEN).',
  'Or point GOOGLE_APPLICATION_CREDENTIALS at a credentials file (service account key, or a workload identity federation config).',
  'In CI: workload identity federation (google-github-actions/auth writes the file and sets GOOGLE_APPLICATION_CREDENTIALS).',
]

function credentialsError(message: string, cause?: unknown): SlsError {
  return new SlsError('DEPLOY_CREDENTIALS', `${PLATFORM} credentials: ${message}`, { exitCode: ExitCode.environment, hints: HINTS, cause })
}

function wellKnownFile(env: NodeJS.ProcessEnv): string | null {
  const dir = env.CLOUDSDK_CONFIG || (process.platform === 'win32' ? (env.APPDATA ? path.join(env.APPDATA, 'gcloud') : null) : env.HOME ? path.join(env.HOME, '.config', 'gcloud') : null)
  if (!dir) return null
  const file = path.join(dir, 'application_default_credentials.json')
  return existsSync(file) ? file : null
}

function onGoogleCloud(env: NodeJS.ProcessEnv): boolean {
  if (env.GCE_METADATA_HOST || env.GCE_METADATA_IP || env.K_SERVICE || env.CLOUD_RUN_JOB || env.FUNCTION_TARGET) return true
  const detection = env.METADATA_SERVER_DETECTION
  if (detection) return detection !== 'none'
  try {
    return readFileSync('/sys/class/dmi/id/product_name', 'utf8').includes('Google')
  } catch {
    return false
  }
}

/** A credentials file as google-auth-library takes it; `type` says which kind (service_account, external_account…). */
type CredentialsFile = NonNullable<GoogleAuthOptions['credentials']> & { type: string }

function readCredentialsFile(file: string, from: string): CredentialsFile {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw credentialsError(`${from} points at ${file}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, err)
  }
  try {
    const json = JSON.parse(text) as unknown
    if (json && typeof json === 'object' && !Array.isArray(json) && typeof (json as { type?: unknown }).type === 'string') return json as CredentialsFile
  } catch {
    // reported below
  }
  throw credentialsError(`${file} (${from}) is not a Google credentials file (JSON with a "type")`)
}

/** A token error from the library: rejected (DEPLOY_AUTH), unreachable, or a broken configuration. */
function tokenError(source: string, err: unknown): SlsError {
  const e = err as { response?: { status?: number; data?: unknown }; code?: string; message?: string }
  const said = redact(e.message ?? String(err))
  const status = e.response?.status ?? 0
  if (status === 429 || status >= 500) {
    const code = status === 429 ? 'DEPLOY_QUOTA' : 'DEPLOY_API'
    return new SlsError(code, `${PLATFORM} token endpoint answered HTTP ${status} for ${source}: ${said}`, {
      exitCode: ExitCode.failure,
      cause: err,
      hints: ['A rate limit or an outage of the token service: retry later.'],
    })
  }
  if (e.response) {
    return new SlsError('DEPLOY_AUTH', `${PLATFORM} refused to issue an access token for ${source}: ${said}`, {
      exitCode: ExitCode.failure,
      cause: err,
      hints: ['Refresh the credentials (`gcloud auth application-default login`), or check the workload identity pool, provider and audience.'],
    })
  }
  if (e.code && /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|UND_ERR)/.test(e.code)) {
    return new SlsError('DEPLOY_UNREACHABLE', `${PLATFORM} token endpoint did not answer for ${source} (${e.code})`, { exitCode: ExitCode.failure, cause: err, hints: ['Check the network.'] })
  }
  return credentialsError(`${source} gave no access token: ${said}`, err)
}

function staticToken(token: string, source: string): GoogleTokenSource {
  return { source, accessToken: async () => token, headers: async () => ({ authorization: `Bearer ${token}` }) }
}

/** The token source for `env`; DEPLOY_CREDENTIALS (exit 3) when there is none. */
export async function googleTokenSource(env: NodeJS.ProcessEnv): Promise<GoogleTokenSource> {
  const explicit = env.CLOUDSDK_AUTH_ACCESS_TOKEN?.trim()
  if (explicit) return staticToken(explicit, 'CLOUDSDK_AUTH_ACCESS_TOKEN')

  let json: CredentialsFile | null = null
  let source = ''
  if (env.GOOGLE_APPLICATION_CREDENTIALS) {
    json = readCredentialsFile(env.GOOGLE_APPLICATION_CREDENTIALS, 'GOOGLE_APPLICATION_CREDENTIALS')
    source = `GOOGLE_APPLICATION_CREDENTIALS (${json.type})`
  } else {
    const file = wellKnownFile(env)
    if (file) {
      json = readCredentialsFile(file, 'gcloud application default credentials')
      source = `gcloud application default credentials (${json.type})`
    }
  }
  if (!json && !onGoogleCloud(env)) {
    throw missingCredentials(PLATFORM, 'no CLOUDSDK_AUTH_ACCESS_TOKEN, no GOOGLE_APPLICATION_CREDENTIALS, no gcloud application default credentials file, and not running on Google Cloud', HINTS)
  }

  const { GoogleAuth } = await import('google-auth-library')
  const tokenHost = env.CLOUDSDK_AUTH_TOKEN_HOST
  const clientOptions = json?.type === 'authorized_user' && tokenHost ? { endpoints: { oauth2TokenUrl: tokenHost } } : undefined
  const quotaProject = env.GOOGLE_CLOUD_QUOTA_PROJECT
  let auth: InstanceType<typeof GoogleAuth>
  try {
    auth = json ? new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE], credentials: json, ...(clientOptions ? { clientOptions } : {}) }) : new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE] })
  } catch (err) {
    throw credentialsError(`${source || 'the metadata server'}: ${(err as Error).message}`, err)
  }
  source ||= 'the metadata server'
  const client = async () => {
    try {
      return await auth.getClient()
    } catch (err) {
      throw credentialsError(`${source}: ${(err as Error).message}`, err)
    }
  }
  const accessToken = async () => {
    const c = await client()
    let token: string | null | undefined
    try {
      token = (await c.getAccessToken()).token
    } catch (err) {
      throw tokenError(source, err)
    }
    if (!token) throw credentialsError(`${source} gave no access token`)
    return token
  }
  return {
    source,
    accessToken,
    headers: async () => {
      const c = await client()
      const token = await accessToken()
      const headers: Record<string, string> = { authorization: `Bearer ${token}` }
      const project = quotaProject || c.quotaProjectId
      if (project) headers['x-goog-user-project'] = project
      return headers
    },
  }
}
