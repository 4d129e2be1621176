/**
 * The CI workflow `sls-run init --ci github|gitlab` writes into a new project: a pure function from a
 * small spec to one file. Three jobs, in order:
 *
 *   test        the app's own tests, with its toolchain (left out when there is no test command)
 *   build-push  `sls-run build`, then `sls-run push`, in one job (the image only exists in that job's
 *               engine); default branch only
 *   deploy      `sls-run deploy --env production --image <service>=<repository>@<digest> …` with the
 *               digests build-push pushed (read from push's result envelope), so a fresh runner deploys
 *               exactly those images and builds nothing; default branch only, one at a time
 *
 * Every job that runs sls-run first installs `$SLS_RUN_PACKAGE`, one variable at the top of the file
 * (GitHub `env:`, GitLab `variables:`) holding the release that generated it: a pipeline changes sls-run
 * version only when someone edits that line, never because a new release shipped.
 *
 * The YAML is written by hand so that it can carry comments where they help; every value that comes
 * from the spec goes through `scalar()`, so no input can change the document's structure. The output
 * depends on nothing but the arguments (no clock, no environment): the same spec gives the same bytes.
 * Credentials are never written: they come from GitHub secrets / GitLab CI/CD variables at run time.
 */
import { ExitCode, SlsError } from '../../errors.js'
import { github } from './ci-github.js'
import { gitlab } from './ci-gitlab.js'

export { CI_COMMANDS, CI_DEPLOY_ENV, CI_PACKAGE_VARIABLE, CI_SETUPS, scalar, type CiSpec } from './ci-parts.js'
import { CI_SETUPS, type CiSpec } from './ci-parts.js'

export type CiKind = 'github' | 'gitlab'

export interface CiFile {
  /** Relative to the project root, `/`-separated. */
  path: string
  content: string
}

export const CI_KINDS: readonly CiKind[] = ['github', 'gitlab']

/** Toolchains the test job can set up. */

const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/
/** Tool versions as setup-* actions and image tags take them: `22`, `3.12`, `1.23.4`, `22-alpine`. */
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
/** A package spec npm installs, on one line, with nothing a shell or GitHub would expand: sls-run@0.1.0, @scope/x@1.2.3-rc.1, a URL, github:o/r#v1. */
const PACKAGE_SPEC = /^[A-Za-z0-9@][A-Za-z0-9@/._:#+~=?&%-]{0,511}$/

export function ciPath(kind: CiKind): string {
  return kind === 'github' ? '.github/workflows/sls-run.yml' : '.gitlab-ci.yml'
}

export function renderCi(kind: CiKind, spec: CiSpec): CiFile {
  check(spec)
  const lines = kind === 'github' ? github(spec) : gitlab(spec)
  return { path: ciPath(kind), content: `${lines.join('\n')}\n` }
}

function check(spec: CiSpec): void {
  if (!DNS_LABEL.test(spec.name)) {
    throw new SlsError('USAGE', `the project name must be a DNS label (got ${JSON.stringify(spec.name)})`, {
      exitCode: ExitCode.usage,
      hints: ['use lowercase letters, digits and "-", start with a letter, at most 63 characters'],
    })
  }
  if (!(CI_SETUPS as readonly string[]).includes(spec.setup)) {
    throw new SlsError('USAGE', `unknown CI toolchain ${JSON.stringify(spec.setup)}`, { exitCode: ExitCode.usage, hints: ['use node, python, go or none'] })
  }
  if (!PACKAGE_SPEC.test(spec.slsRun)) {
    throw new SlsError('USAGE', `the sls-run package for CI must be a package spec such as sls-run@0.1.0 (got ${JSON.stringify(spec.slsRun)})`, { exitCode: ExitCode.usage })
  }
  if (spec.setup !== 'none' && spec.test !== '' && !VERSION.test(spec.version)) {
    throw new SlsError('USAGE', `the ${spec.setup} version for CI must look like 22, 3.12 or 1.23 (got ${JSON.stringify(spec.version)})`, {
      exitCode: ExitCode.usage,
    })
  }
}
