/**
 * client-go exec credential plugins (`users[].user.exec`): run the command non-interactively with
 * KUBERNETES_EXEC_INFO set, read an `ExecCredential` from its stdout and use `status.token` or
 * `status.clientCertificateData`/`clientKeyData`. Versions client.authentication.k8s.io/v1 and v1beta1.
 */
import path from 'node:path'
import { redact } from '../../../redact.js'
import { missingCredentials } from '../../api.js'
import type { ExecConfig, KubeTarget } from './kubeconfig.js'

export const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1']
const EXEC_TIMEOUT_MS = 60_000

export interface ExecResult {
  token?: string
  cert?: string
  key?: string
}

const fail = (what: string, hints: string[] = []) => missingCredentials('Kubernetes', what, hints)

/** The ExecCredential the plugin reads from KUBERNETES_EXEC_INFO. */
function execInfo(exec: ExecConfig, target: KubeTarget): string {
  const spec: Record<string, unknown> = { interactive: false }
  if (exec.provideClusterInfo) {
    spec.cluster = {
      server: target.server,
      ...(target.tlsServerName ? { 'tls-server-name': target.tlsServerName } : {}),
      ...(target.ca ? { 'certificate-authority-data': Buffer.from(target.ca).toString('base64') } : {}),
      ...(target.insecure ? { 'insecure-skip-tls-verify': true } : {}),
      ...(target.execClusterConfig !== undefined ? { config: target.execClusterConfig } : {}),
    }
  }
  return JSON.stringify({ apiVersion: exec.apiVersion, kind: 'ExecCredential', spec })
}

export async function runExecPlugin(exec: ExecConfig, target: KubeTarget, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<ExecResult> {
  const version = exec.apiVersion ?? ''
  const command = exec.command ?? ''
  const install = exec.installHint ? [exec.installHint.trim()] : []
  if (!EXEC_API_VERSIONS.includes(version)) {
    throw fail(`the exec credential plugin of context "${target.context}" uses apiVersion "${version}"; sls-run supports ${EXEC_API_VERSIONS.join(' and ')}`, [
      'Update the plugin and regenerate the kubeconfig (v1alpha1 was removed in Kubernetes 1.24).',
    ])
  }
  if (!command) throw fail(`the exec credential plugin of context "${target.context}" has no command`)
  if (exec.interactiveMode === 'Always') {
    throw fail(`the exec credential plugin ${command} needs an interactive terminal (interactiveMode: Always); sls-run never prompts`, [
      'Log in with the plugin first, or use a kubeconfig with a token or client certificate in CI.',
    ])
  }
  // A command with a path separator is relative to the kubeconfig that names it; a bare name is looked up on PATH.
  const file = command.includes('/') || command.includes(path.sep) ? path.resolve(target.userDir, command) : command
  const pluginEnv: Record<string, string> = {}
  for (const e of exec.env ?? []) if (e && typeof e.name === 'string') pluginEnv[e.name] = String(e.value ?? '')
  const { execa } = await import('execa')
  const result = await execa(file, exec.args ?? [], {
    env: { ...env, ...pluginEnv, KUBERNETES_EXEC_INFO: execInfo(exec, target) },
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    timeout: EXEC_TIMEOUT_MS,
    ...(signal ? { cancelSignal: signal } : {}),
  })
  if ((result as { code?: string }).code === 'ENOENT') {
    throw fail(`the exec credential plugin "${command}" of context "${target.context}" is not installed (not found on PATH)`, install)
  }
  if (result.failed) {
    const why = result.timedOut ? `timed out after ${EXEC_TIMEOUT_MS / 1000} s` : `exit ${result.exitCode ?? '?'}`
    const stderr = redact(
      String(result.stderr ?? '')
        .trim()
        .split('\n')
        .slice(-5)
        .join('\n'),
    )
    throw fail(`the exec credential plugin "${command}" failed (${why})${stderr ? `: ${stderr}` : ''}`, [...install, 'Run the plugin by hand to see why (it may need a login first).'])
  }
  let cred: { apiVersion?: string; kind?: string; status?: Record<string, unknown> }
  try {
    cred = JSON.parse(String(result.stdout))
  } catch {
    throw fail(`the exec credential plugin "${command}" did not print an ExecCredential (stdout is not JSON)`)
  }
  if (cred?.kind !== 'ExecCredential' || cred.apiVersion !== version) {
    throw fail(`the exec credential plugin "${command}" printed kind "${cred?.kind}" apiVersion "${cred?.apiVersion}", expected ExecCredential ${version}`)
  }
  const status = cred.status ?? {}
  const token = typeof status.token === 'string' && status.token ? status.token : undefined
  const cert = typeof status.clientCertificateData === 'string' ? status.clientCertificateData : undefined
  const key = typeof status.clientKeyData === 'string' ? status.clientKeyData : undefined
  if (!token && !(cert && key)) throw fail(`the exec credential plugin "${command}" returned neither status.token nor status.clientCertificateData and clientKeyData`)
  return { ...(token ? { token } : {}), ...(cert && key ? { cert, key } : {}) }
}
