/**
 * Deploys are by digest: `repo@sha256:<64 hex>` (a `repo:tag@sha256:…` is accepted; the tag is
 * informational and dropped). A tag alone is refused rather than warned about: a tag can move between
 * the plan and the rollout, so the plan would not be the exact thing deployed, and platforms resolve
 * tags at different times (Knative at revision creation, Cloud Run at deploy), so two environments
 * deployed from one tag can run different images.
 */
import { ExitCode, SlsError } from '../../errors.js'

export interface DigestRef {
  /** `registry/path` without tag or digest. */
  repository: string
  /** `sha256:<64 hex>`. */
  digest: string
  /** The tag given alongside the digest, if any (not deployed). */
  tag?: string
  /** Image platform when known (e.g. `linux/amd64`); some providers warn about it. */
  platform?: string
  /** `repository@digest`: what manifests and requests carry. */
  ref: string
}

const DIGEST = /^sha256:[a-f0-9]{64}$/
/** Optionally an IPv6 registry in brackets (`[::1]:5000/`), then lower-case path parts. */
const REPOSITORY = /^(?:\[[0-9a-f:.]+\](?::[0-9]+)?\/)?[a-z0-9]+(?:[._\-/:][a-z0-9]+)*$/

export const PUSH_HINT = '`sls-run push --json | tail -n 1` prints the pushed digest; pass <image>@sha256:… to --image.'

export function parseDigestRef(input: string, platform?: string): DigestRef {
  const at = input.indexOf('@')
  if (at === -1) {
    throw new SlsError('DEPLOY_IMAGE_NOT_DIGEST', `--image ${input} has no digest; deploys are by digest (repo@sha256:…) so the plan is exactly what runs`, {
      exitCode: ExitCode.usage,
      hints: [PUSH_HINT],
    })
  }
  const name = input.slice(0, at)
  const digest = input.slice(at + 1)
  const lastSlash = name.lastIndexOf('/')
  const colon = name.indexOf(':', lastSlash + 1)
  const repository = colon === -1 ? name : name.slice(0, colon)
  const tag = colon === -1 ? undefined : name.slice(colon + 1)
  if (!DIGEST.test(digest) || !REPOSITORY.test(repository) || (tag !== undefined && !/^[\w][\w.-]{0,127}$/.test(tag))) {
    throw new SlsError('DEPLOY_IMAGE_INVALID', `--image ${input} is not an image reference like ghcr.io/acme/api@sha256:<64 hex digits>`, {
      exitCode: ExitCode.usage,
      hints: [PUSH_HINT],
    })
  }
  return { repository, digest, ...(tag === undefined ? {} : { tag }), ...(platform ? { platform } : {}), ref: `${repository}@${digest}` }
}
