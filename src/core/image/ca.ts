/**
 * Extra CA certificates for build steps behind a TLS-intercepting proxy (`build --ca-bundle FILE`).
 *
 * They travel as the build argument SLS_RUN_CA_PEM, which only the stages that declare it see: unlike a
 * file in the build context, a `COPY . .` in the final stage cannot pick it up. A build argument becomes
 * an environment variable of RUN steps, and Linux caps one variable at 128 KiB, so the bundle is reduced
 * to the certificates that are not public roots already (Node's bundled Mozilla store, which is also
 * what Alpine's and Debian's ca-certificates ship): a whole system bundle (~220 kB) usually shrinks to
 * the proxy's CA and a few distribution extras.
 */
import { readFile } from 'node:fs/promises'
import tls from 'node:tls'
import { ExitCode, SlsError } from '../../errors.js'

export const CA_ARG = 'SLS_RUN_CA_PEM'
export const CA_ARG_MAX = 100 * 1024

export interface CaBundle {
  file: string
  /** The certificates that are not public roots, PEM, newline-separated. */
  pem: string
  total: number
  extra: number
}

const PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g
const body = (pem: string) => pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '')

export function extraCertificates(text: string, publicRoots: readonly string[] = tls.rootCertificates): { pems: string[]; total: number } {
  const roots = new Set(publicRoots.map(body))
  const all = text.match(PEM) ?? []
  const seen = new Set<string>()
  const pems = all.filter((pem) => {
    const key = body(pem)
    if (roots.has(key) || seen.has(key)) return false
    seen.add(key)
    return true
  })
  return { pems, total: all.length }
}

export async function readCaBundle(file: string): Promise<CaBundle> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new SlsError('CA_BUNDLE_UNREADABLE', `cannot read the CA bundle ${file} (${error.code})`, { exitCode: ExitCode.usage, hints: ['--ca-bundle (or SLS_RUN_CA_BUNDLE) takes a PEM file.'] })
  })
  const { pems, total } = extraCertificates(text)
  if (!total)
    throw new SlsError('CA_BUNDLE_INVALID', `${file} holds no PEM certificate`, {
      exitCode: ExitCode.usage,
      hints: ["Pass a PEM file (-----BEGIN CERTIFICATE-----), e.g. your proxy's CA or /etc/ssl/certs/ca-certificates.crt."],
    })
  const pem = pems.join('\n')
  if (pem.length > CA_ARG_MAX) {
    throw new SlsError('CA_BUNDLE_TOO_LARGE', `${file} has ${pems.length} certificates that are not public roots (${pem.length} bytes); a build argument must stay under ${CA_ARG_MAX} bytes`, {
      exitCode: ExitCode.usage,
      hints: ["Pass only your proxy's CA certificate(s)."],
    })
  }
  return { file, pem, total, extra: pems.length }
}
