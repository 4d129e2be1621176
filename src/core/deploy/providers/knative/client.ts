/**
 * A small Kubernetes API client: the resolved kubeconfig context as an undici Agent (CA, client
 * certificate, insecure-skip-tls-verify, tls-server-name) plus the Authorization header, over callApi.
 */
import { Agent } from 'undici'
import { callApi, type ApiResponse } from '../../api.js'
import { runExecPlugin } from './exec-credential.js'
import { resolveKubeTarget, type KubeTarget } from './kubeconfig.js'

export const KUBE_PLATFORM = 'Kubernetes'

export interface KubeRequest {
  method: 'GET' | 'PATCH' | 'DELETE' | 'POST' | 'PUT'
  /** Absolute API path, e.g. `/apis/serving.knative.dev/v1/namespaces/default/services/api`. */
  path: string
  query?: Record<string, string>
  /** A string body is sent as is. */
  body?: string
  contentType?: string
}

export interface KubeClient {
  context: string
  server: string
  request(req: KubeRequest): Promise<ApiResponse>
  close(): Promise<void>
}

export async function connectKube(env: NodeJS.ProcessEnv, context: string | null | undefined, signal?: AbortSignal): Promise<KubeClient> {
  const target: KubeTarget = await resolveKubeTarget(env, context)
  let { cert, key, token } = target
  if (target.exec) {
    const fromPlugin = await runExecPlugin(target.exec, target, env, signal)
    if (fromPlugin.token) token = fromPlugin.token
    if (fromPlugin.cert && fromPlugin.key) ({ cert, key } = fromPlugin)
  }
  const headers: Record<string, string> = {}
  if (token) headers.authorization = `Bearer ${token}`
  else if (target.basic) headers.authorization = `Basic ${Buffer.from(`${target.basic.username}:${target.basic.password}`).toString('base64')}`
  const agent = new Agent({
    connect: {
      ...(target.ca ? { ca: target.ca } : {}),
      ...(cert && key ? { cert, key } : {}),
      ...(target.tlsServerName ? { servername: target.tlsServerName } : {}),
      rejectUnauthorized: !target.insecure,
    },
  })
  return {
    context: target.context,
    server: target.server,
    request: (req) => {
      const qs = req.query ? `?${new URLSearchParams(req.query).toString()}` : ''
      return callApi(KUBE_PLATFORM, {
        method: req.method,
        url: `${target.server}${req.path}${qs}`,
        headers: { ...headers, ...(req.contentType ? { 'content-type': req.contentType } : {}) },
        ...(req.body !== undefined ? { body: req.body } : {}),
        ...(signal ? { signal } : {}),
        dispatcher: agent,
      })
    },
    close: () => agent.close(),
  }
}
