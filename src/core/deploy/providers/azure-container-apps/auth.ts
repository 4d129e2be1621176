/**
 * Azure credentials for ARM, from the environment only (never a prompt), in the order of
 * @azure/identity's DefaultAzureCredential minus its interactive and machine-bound sources:
 *
 * 1. a service principal: AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET, or
 *    AZURE_CLIENT_CERTIFICATE_PATH (PEM or PFX; AZURE_CLIENT_CERTIFICATE_PASSWORD,
 *    AZURE_CLIENT_SEND_CERTIFICATE_CHAIN), as EnvironmentCredential reads them;
 * 2. workload identity: AZURE_FEDERATED_TOKEN_FILE + AZURE_CLIENT_ID + AZURE_TENANT_ID (AKS, or a CI
 *    job that writes its OIDC token to a file);
 * 3. the Azure CLI's login (`az account get-access-token`), when `az` is on PATH.
 *
 * Endpoints: AZURE_AUTHORITY_HOST (the library's own variable; instance discovery is then off, as for
 * sovereign clouds and tests) and SLS_RUN_AZURE_RESOURCE_MANAGER (default https://management.azure.com;
 * the token scope is `<it>/.default`). A NODE_EXTRA_CA_CERTS in the deploy environment that Node did not
 * load at start-up (tests) is trusted for these calls too. @azure/identity loads lazily.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { rootCertificates } from 'node:tls'
import { Agent, type Dispatcher } from 'undici'
import { ExitCode, SlsError } from '../../../../errors.js'
import { redact } from '../../../redact.js'
import { missingCredentials } from '../../api.js'
import type { DeployContext } from '../../types.js'
import { ARM_API } from './ids.js'

export const PLATFORM = 'Azure Container Apps'

interface TokenSource {
  /** Which source, for messages: "service principal (client secret)". */
  kind: string
  getToken(scope: string): Promise<{ token: string; expiresOnTimestamp: number } | null>
}

export interface AzureSession {
  /** ARM base URL without a trailing slash. */
  arm: string
  /** A bearer token for ARM (cached until 5 minutes before it expires). */
  token(): Promise<string>
  /** The tenant of the credentials (from the environment, or the token's `tid`). */
  tenant(): Promise<string | undefined>
  /** Trusts NODE_EXTRA_CA_CERTS of the deploy environment; undefined means undici's default. */
  dispatcher: Dispatcher | undefined
}

const trim = (url: string) => url.replace(/\/+$/, '')

export function armBase(env: NodeJS.ProcessEnv): string {
  return trim(env.SLS_RUN_AZURE_RESOURCE_MANAGER || ARM_API)
}

/** Plan URLs name https://management.azure.com; the override replaces that origin. */
export function armUrl(env: NodeJS.ProcessEnv, planned: string): string {
  return planned.startsWith(ARM_API) ? `${armBase(env)}${planned.slice(ARM_API.length)}` : planned
}

const caCache = new Map<string, string[]>()
/** Node loaded the process's own NODE_EXTRA_CA_CERTS at start-up; only a different one (a test's) needs adding. */
function extraCa(env: NodeJS.ProcessEnv): string[] | undefined {
  const file = env.NODE_EXTRA_CA_CERTS
  if (!file || file === process.env.NODE_EXTRA_CA_CERTS) return undefined
  let ca = caCache.get(file)
  if (!ca) {
    try {
      ca = [...rootCertificates, readFileSync(file, 'utf8')]
    } catch (err) {
      throw new SlsError('DEPLOY_CREDENTIALS', `cannot read NODE_EXTRA_CA_CERTS ${file}: ${(err as Error).message}`, { exitCode: ExitCode.environment })
    }
    caCache.set(file, ca)
  }
  return ca
}

function onPath(env: NodeJS.ProcessEnv, command: string): boolean {
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean)
  const names = process.platform === 'win32' ? [`${command}.cmd`, `${command}.exe`] : [command]
  return dirs.some((dir) => names.some((name) => existsSync(path.join(dir, name))))
}

async function tokenSource(ctx: DeployContext, ca: string[] | undefined): Promise<TokenSource> {
  const env = ctx.env
  const identity = await import('@azure/identity')
  const authorityHost = env.AZURE_AUTHORITY_HOST || undefined
  const options = {
    ...(authorityHost ? { authorityHost, disableInstanceDiscovery: true } : {}),
    ...(ca ? { tlsOptions: { ca } } : {}),
  }
  const tenantId = env.AZURE_TENANT_ID || undefined
  const clientId = env.AZURE_CLIENT_ID || undefined
  const wrap = (kind: string, credential: { getToken(scope: string): Promise<{ token: string; expiresOnTimestamp: number } | null> }): TokenSource => ({
    kind,
    getToken: (scope) => credential.getToken(scope),
  })
  if (tenantId && clientId && env.AZURE_CLIENT_SECRET) {
    return wrap('service principal (AZURE_CLIENT_SECRET)', new identity.ClientSecretCredential(tenantId, clientId, env.AZURE_CLIENT_SECRET, options))
  }
  if (tenantId && clientId && env.AZURE_CLIENT_CERTIFICATE_PATH) {
    const certificate = { certificatePath: env.AZURE_CLIENT_CERTIFICATE_PATH, ...(env.AZURE_CLIENT_CERTIFICATE_PASSWORD ? { certificatePassword: env.AZURE_CLIENT_CERTIFICATE_PASSWORD } : {}) }
    const sendCertificateChain = /^(1|true)$/i.test(env.AZURE_CLIENT_SEND_CERTIFICATE_CHAIN ?? '')
    return wrap('service principal (AZURE_CLIENT_CERTIFICATE_PATH)', new identity.ClientCertificateCredential(tenantId, clientId, certificate, { ...options, sendCertificateChain }))
  }
  if (tenantId && clientId && env.AZURE_FEDERATED_TOKEN_FILE) {
    return wrap('workload identity (AZURE_FEDERATED_TOKEN_FILE)', new identity.WorkloadIdentityCredential({ ...options, tenantId, clientId, tokenFilePath: env.AZURE_FEDERATED_TOKEN_FILE }))
  }
  if (onPath(env, 'az')) {
    return wrap('Azure CLI login', new identity.AzureCliCredential(tenantId ? { tenantId } : {}))
  }
  const partial = ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_CLIENT_CERTIFICATE_PATH', 'AZURE_FEDERATED_TOKEN_FILE'].filter((name) => env[name])
  throw missingCredentials(PLATFORM, partial.length ? `${partial.join(', ')} set, but not a complete set` : 'no service principal, workload identity or Azure CLI in the environment', [
    'Set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH) for a service principal,',
    'or AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE for workload identity,',
    'or install the Azure CLI and run `az login`.',
  ])
}

/** The identity library's failures as SlsErrors: unavailable → DEPLOY_CREDENTIALS, refused → DEPLOY_AUTH. */
function authError(source: TokenSource, err: unknown, authority: string): SlsError {
  const e = err as { name?: string; message?: string; errorResponse?: { errorDescription?: string } }
  const said = redact((e.errorResponse?.errorDescription ?? e.message ?? String(err)).split('\n')[0]!.slice(0, 500))
  // MSAL reports an authority it cannot reach (refused, DNS, untrusted TLS) as unresolvable endpoints.
  if (/endpoints_resolution_error/.test(e.message ?? '')) {
    return new SlsError('DEPLOY_UNREACHABLE', `the Microsoft Entra authority ${authority} did not answer (${said})`, {
      exitCode: ExitCode.failure,
      cause: err,
      hints: ['Check the network, AZURE_AUTHORITY_HOST, and that its TLS certificate is trusted (NODE_EXTRA_CA_CERTS).'],
    })
  }
  if (e.name === 'CredentialUnavailableError') {
    return missingCredentials(PLATFORM, `${source.kind} is not usable: ${said}`, ['Run `az login`, or set the AZURE_* variables of a service principal or workload identity.'])
  }
  if (
    /\b(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EAI_AGAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_HAS_EXPIRED|ERR_TLS_CERT_ALTNAME_INVALID)\b|self[- ]signed certificate|unable to verify the first certificate/i.test(
      e.message ?? '',
    )
  ) {
    return new SlsError('DEPLOY_UNREACHABLE', `the Microsoft Entra token endpoint did not answer (${said})`, {
      exitCode: ExitCode.failure,
      cause: err,
      hints: ['Check the network and AZURE_AUTHORITY_HOST.'],
    })
  }
  return new SlsError('DEPLOY_AUTH', `Microsoft Entra ID refused the ${source.kind}: ${said}`, {
    exitCode: ExitCode.failure,
    cause: err,
    hints: ['Check the tenant, client id and secret / certificate / federated credential of the identity, or run `az login` again.'],
  })
}

const authorityOf = (env: NodeJS.ProcessEnv) => trim(env.AZURE_AUTHORITY_HOST || 'https://login.microsoftonline.com')

function tenantOf(token: string): string | undefined {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { tid?: unknown }
    return typeof claims.tid === 'string' ? claims.tid : undefined
  } catch {
    return undefined
  }
}

const sessions = new WeakMap<NodeJS.ProcessEnv, AzureSession>()

/** One session per deploy environment (a multi-service deploy asks for its token once). */
export function azureSession(ctx: DeployContext): AzureSession {
  const known = sessions.get(ctx.env)
  if (known) return known
  const ca = extraCa(ctx.env)
  const arm = armBase(ctx.env)
  let source: Promise<TokenSource> | undefined
  let cached: { token: string; expiresOnTimestamp: number } | undefined
  const token = async () => {
    if (cached && cached.expiresOnTimestamp - Date.now() > 5 * 60_000) return cached.token
    source ??= tokenSource(ctx, ca)
    const s = await source.catch((err: unknown) => {
      source = undefined
      throw err
    })
    let got: { token: string; expiresOnTimestamp: number } | null
    try {
      got = await s.getToken(`${arm}/.default`)
    } catch (err) {
      throw authError(s, err, authorityOf(ctx.env))
    }
    if (!got) throw authError(s, new Error('no token was returned'), authorityOf(ctx.env))
    cached = got
    return got.token
  }
  const session: AzureSession = {
    arm,
    token,
    tenant: async () => ctx.env.AZURE_TENANT_ID || tenantOf(await token()),
    dispatcher: ca ? new Agent({ connect: { ca } }) : undefined,
  }
  sessions.set(ctx.env, session)
  return session
}
