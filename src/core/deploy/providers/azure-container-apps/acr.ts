/**
 * Azure Container Registry credentials from the ARM token: POST /oauth2/exchange (grant_type
 * access_token) gives an ACR refresh token, used as the password of the all-zero GUID user, as
 * `az acr login --expose-token` does. SLS_RUN_AZURE_ACR_ENDPOINT replaces `https://<registry>` (tests).
 */
import { ExitCode, SlsError } from '../../../../errors.js'
import { apiError, callApi } from '../../api.js'
import type { DeployContext, RegistryCredentials } from '../../types.js'
import { azureSession } from './auth.js'

export const ACR_USERNAME = '00000000-0000-0000-0000-000000000000'
const ACR_HOST = /^[a-z0-9-]+\.azurecr\.(io|cn|us)$/i

export function isAcr(registry: string): boolean {
  return ACR_HOST.test(registry)
}

export async function acrCredentials(registry: string, ctx: DeployContext): Promise<RegistryCredentials | null> {
  if (!isAcr(registry)) return null
  const session = azureSession(ctx)
  const token = await session.token()
  const tenant = await session.tenant()
  const base = (ctx.env.SLS_RUN_AZURE_ACR_ENDPOINT || `https://${registry}`).replace(/\/+$/, '')
  const form = new URLSearchParams({ grant_type: 'access_token', service: registry, ...(tenant ? { tenant } : {}), access_token: token })
  const res = await callApi('Azure Container Registry', {
    method: 'POST',
    url: `${base}/oauth2/exchange`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    signal: ctx.signal,
    dispatcher: session.dispatcher,
  })
  if (res.status < 200 || res.status >= 300) {
    throw apiError('Azure Container Registry', `exchange the Azure token for a ${registry} token`, res, ['The identity needs the AcrPush role (or AcrPull to pull) on the registry.'])
  }
  const refresh = (res.json as { refresh_token?: unknown } | null)?.refresh_token
  if (typeof refresh !== 'string' || !refresh) {
    throw new SlsError('DEPLOY_API', `Azure Container Registry ${registry} answered the token exchange without a refresh_token`, { exitCode: ExitCode.failure })
  }
  return { registry, username: ACR_USERNAME, password: refresh }
}
