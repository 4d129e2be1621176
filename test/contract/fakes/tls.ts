/**
 * A throwaway certificate authority and a server certificate for 127.0.0.1 / ::1 / localhost, made with
 * the openssl CLI in a temp dir, for fakes that must speak HTTPS (the Kubernetes API from a kubeconfig,
 * MSAL's authority host). Call `dispose()` when done.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export interface TestPki {
  /** PEM of the CA: what a client trusts (kubeconfig certificate-authority-data, NODE_EXTRA_CA_CERTS). */
  caPem: string
  caFile: string
  /** Server key and certificate (signed by the CA) for node:https createServer. */
  key: string
  cert: string
  /** A client certificate and key signed by the same CA (kubeconfig client-certificate-data). */
  clientKey: string
  clientCert: string
  dir: string
  dispose(): void
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sls-run-pki-'))
  const f = (name: string) => path.join(dir, name)
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=sls-run test CA')
  writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth\n')
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1')
  ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '2', '-extfile', f('server.ext'))
  writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n')
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('client.key'), '-out', f('client.csr'), '-subj', '/CN=sls-run-test/O=system:masters')
  ssl('x509', '-req', '-in', f('client.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('client.pem'), '-days', '2', '-extfile', f('client.ext'))
  const read = (name: string) => readFileSync(f(name), 'utf8')
  return {
    caPem: read('ca.pem'),
    caFile: f('ca.pem'),
    key: read('server.key'),
    cert: read('server.pem'),
    clientKey: read('client.key'),
    clientCert: read('client.pem'),
    dir,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  }
}
