/**
 * The CI workflow `sls-run init --ci github|gitlab` writes into a new project: a pure function from a
 * small spec to one file. Three jobs, in order:
 *
 *   test        the app's own tests, with its toolchain (left out when there is no test command)
 *   build-push  `sls-run build`, then `sls-run push`, in one job (the image only exists in that job's
 *               engine); default branch only
 *   deploy      `sls-run deploy --env production`; default branch only, one at a time
 *
 * The YAML is written by hand so that it can carry comments where they help; every value that comes
 * from the spec goes through `scalar()`, so no input can change the document's structure. The output
 * depends on nothing but the arguments (no clock, no environment): the same spec gives the same bytes.
 * Credentials are never written: they come from GitHub secrets / GitLab CI/CD variables at run time.
 */
import { stringify } from 'yaml'
import { ExitCode, SlsError } from '../../errors.js'

export type CiKind = 'github' | 'gitlab'

export interface CiSpec {
  /** Project name (DNS label), also the service name in sls-run.yaml. */
  name: string
  /** Toolchain the app's own tests need. */
  setup: 'node' | 'python' | 'go' | 'none'
  /** Toolchain version, e.g. '22', '3.12', '1.23' (ignored for `none`). */
  version: string
  /** Shell command installing test dependencies ('' = none), e.g. 'npm ci'. */
  install: string
  /** Shell command running the app's tests ('' = no test job), e.g. 'npm test'. */
  test: string
}

export interface CiFile {
  /** Relative to the project root, `/`-separated. */
  path: string
  content: string
}

export const CI_KINDS: readonly CiKind[] = ['github', 'gitlab']

/** The environment the deploy job deploys to (`sls-run deploy --env …`, and the CI environment's name). */
export const CI_DEPLOY_ENV = 'production'

/** How CI runs sls-run: the latest release, without an install prompt. */
const SLS_RUN = 'npx --yes sls-run@latest'

/** The sls-run calls the pipeline makes, in order. All of them are `--json` and never prompt. */
export const CI_COMMANDS = {
  build: `${SLS_RUN} build --json`,
  push: `${SLS_RUN} push --json`,
  deploy: `${SLS_RUN} deploy --env ${CI_DEPLOY_ENV} --json --yes`,
} as const

/** Node.js that runs sls-run itself in CI (sls-run needs >= 20.19). */
const SLS_RUN_NODE = '22'

const REGISTRY_SECRETS = ['SLS_RUN_REGISTRY_USERNAME', 'SLS_RUN_REGISTRY_PASSWORD'] as const

const GITHUB_SETUP = {
  node: { uses: 'actions/setup-node@v4', input: 'node-version' },
  python: { uses: 'actions/setup-python@v5', input: 'python-version' },
  go: { uses: 'actions/setup-go@v5', input: 'go-version' },
} as const

const GITLAB_TEST_IMAGE = {
  node: (v: string) => `node:${v}`,
  python: (v: string) => `python:${v}`,
  go: (v: string) => `golang:${v}`,
  none: () => 'debian:bookworm-slim',
} as const

const GITHUB_DEFAULT_BRANCH = "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)"
const GITLAB_DEFAULT_BRANCH = '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH'

const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/
/** Tool versions as setup-* actions and image tags take them: `22`, `3.12`, `1.23.4`, `22-alpine`. */
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

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
  if (!(spec.setup in GITLAB_TEST_IMAGE)) {
    throw new SlsError('USAGE', `unknown CI toolchain ${JSON.stringify(spec.setup)}`, { exitCode: ExitCode.usage, hints: ['use node, python, go or none'] })
  }
  if (spec.setup !== 'none' && spec.test !== '' && !VERSION.test(spec.version)) {
    throw new SlsError('USAGE', `the ${spec.setup} version for CI must look like 22, 3.12 or 1.23 (got ${JSON.stringify(spec.version)})`, {
      exitCode: ExitCode.usage,
    })
  }
}

/**
 * One YAML scalar on one line: plain when YAML (1.1 rules too: `yes`, `on`, `0x1F` get quoted, as some CI
 * parsers still read them as booleans and numbers) would read it back as the same string, quoted
 * otherwise, and double-quoted with escapes when it spans lines.
 */
export function scalar(value: string): string {
  const text = stringify(value, { version: '1.1', lineWidth: 0 }).replace(/\n$/, '')
  return text.includes('\n') ? JSON.stringify(value) : text
}

interface Platform {
  title: string
  /** When the test job runs. */
  trigger: string
  /** Where the secrets go, one comment line. */
  where: string
  /** More about the registry credentials, comment lines. */
  registry: string[]
}

function header(spec: CiSpec, p: Platform): string[] {
  const jobs = spec.test !== ''
    ? [
        `#   test        ${p.trigger}: installs the test dependencies, runs the tests.`,
        '#   build-push  after test, default branch only: `sls-run build`, then `sls-run push`.',
      ]
    : [
        '#   build-push  default branch only: `sls-run build`, then `sls-run push`. There is no test',
        '#               job: `sls-run init` was given no test command (add one ahead of build-push).',
      ]
  return [
    `# ${p.title} pipeline for ${spec.name}, generated by \`sls-run init\`. It is yours to edit:`,
    '# sls-run never rewrites it.',
    '#',
    ...jobs,
    `#   deploy      after build-push, default branch only: \`sls-run deploy --env ${CI_DEPLOY_ENV}\`.`,
    '#',
    '# Before the first push to the default branch, add these',
    `# ${p.where}:`,
    '#   SLS_RUN_REGISTRY_USERNAME, SLS_RUN_REGISTRY_PASSWORD',
    '#     for the registry `sls-run push` logs in to (the `image:` of each service in sls-run.yaml).',
    ...p.registry,
    '#   your deploy provider\'s credentials: see the comments in the deploy job.',
    '#',
    '# Every sls-run call passes --json: stdout carries one machine-readable result (build streams',
    '# NDJSON progress before it) and logs go to stderr. sls-run never prompts in CI (the platform',
    '# sets CI=true), and deploy passes --yes to confirm up front.',
  ]
}

// --- GitHub Actions -----------------------------------------------------------------------------------

function github(spec: CiSpec): string[] {
  const hasTest = spec.test !== ''
  const setupSlsRun = [
    '      - uses: actions/setup-node@v4',
    '        with:',
    `          node-version: ${scalar(SLS_RUN_NODE)}`,
  ]
  const out = [
    ...header(spec, {
      title: 'GitHub Actions',
      trigger: 'each push and pull request',
      where: 'as repository secrets (Settings > Secrets and variables > Actions)',
      registry: [
        '#     For ghcr.io you can skip both and use the workflow\'s own token: set the env of build-push',
        '#     to ${{ github.actor }} and ${{ secrets.GITHUB_TOKEN }} (it already has packages: write).',
      ],
    }),
    `name: ${scalar(`${spec.name} (sls-run)`)}`,
    '',
    'on:',
    '  push:',
    '  pull_request:',
    '  workflow_dispatch:',
    '',
    '# Least privilege: jobs that need more ask for it.',
    'permissions:',
    '  contents: read',
    '',
    'jobs:',
  ]
  if (hasTest) {
    const setup = spec.setup === 'none' ? undefined : GITHUB_SETUP[spec.setup]
    out.push(
      '  test:',
      '    runs-on: ubuntu-latest',
      '    timeout-minutes: 15',
      '    steps:',
      '      - uses: actions/checkout@v4',
      ...(setup
        ? [`      - uses: ${setup.uses}`, '        with:', `          ${setup.input}: ${scalar(spec.version)}`]
        : []),
      ...(spec.install !== '' ? ['      - name: Install test dependencies', `        run: ${scalar(spec.install)}`] : []),
      '      - name: Test',
      `        run: ${scalar(spec.test)}`,
      '',
    )
  }
  out.push(
    '  build-push:',
    ...(hasTest ? ['    needs: test'] : []),
    '    # Only pushes to the default branch publish an image.',
    `    if: ${GITHUB_DEFAULT_BRANCH}`,
    '    runs-on: ubuntu-latest # has a Docker engine',
    '    timeout-minutes: 30',
    '    permissions:',
    '      contents: read',
    '      packages: write # for ghcr.io',
    '    env:',
    ...REGISTRY_SECRETS.map((s) => `      ${s}: \${{ secrets.${s} }}`),
    '    steps:',
    '      - uses: actions/checkout@v4',
    ...setupSlsRun,
    '      - name: Build the image',
    `        run: ${scalar(CI_COMMANDS.build)}`,
    '      - name: Push the image',
    `        run: ${scalar(CI_COMMANDS.push)}`,
    '',
    '  deploy:',
    '    needs: build-push',
    `    if: ${GITHUB_DEFAULT_BRANCH}`,
    '    runs-on: ubuntu-latest',
    '    timeout-minutes: 30',
    `    environment: ${CI_DEPLOY_ENV}`,
    '    # One deploy at a time per branch; a newer one waits instead of cancelling one half done.',
    '    concurrency:',
    `      group: ${scalar(`${spec.name}-deploy-\${{ github.ref }}`)}`,
    '      cancel-in-progress: false',
    '    # Deploy credentials depend on the provider in sls-run.yaml: uncomment the lines for yours and',
    `    # add the secrets they name to the "${CI_DEPLOY_ENV}" environment (Settings > Environments), where`,
    '    # no other job can read them.',
    '    # env:',
    '    #   # Cloud Run: a service-account key (JSON)...',
    '    #   GOOGLE_APPLICATION_CREDENTIALS_JSON: ${{ secrets.GOOGLE_APPLICATION_CREDENTIALS_JSON }}',
    '    #   # ...or, better, no key: Workload Identity Federation through a google-github-actions/auth',
    '    #   # step before Deploy (give this job `permissions: { contents: read, id-token: write }`).',
    '    #   # AWS ECS:',
    '    #   AWS_ACCESS_KEY_ID: ${{ secrets.AWS_ACCESS_KEY_ID }}',
    '    #   AWS_SECRET_ACCESS_KEY: ${{ secrets.AWS_SECRET_ACCESS_KEY }}',
    '    #   # Azure Container Apps: a service principal\'s JSON credentials.',
    '    #   AZURE_CREDENTIALS: ${{ secrets.AZURE_CREDENTIALS }}',
    '    #   # Knative: a kubeconfig for the cluster.',
    '    #   KUBECONFIG_DATA: ${{ secrets.KUBECONFIG_DATA }}',
    '    steps:',
    '      - uses: actions/checkout@v4',
    ...setupSlsRun,
    '      - name: Deploy',
    `        run: ${scalar(CI_COMMANDS.deploy)}`,
  )
  return out
}

// --- GitLab CI/CD -------------------------------------------------------------------------------------

function gitlab(spec: CiSpec): string[] {
  const hasTest = spec.test !== ''
  const out = [
    ...header(spec, {
      title: 'GitLab CI/CD',
      trigger: 'each branch push',
      where: 'as masked, protected CI/CD variables (Settings > CI/CD > Variables)',
      registry: [
        '#     Jobs get them as environment variables; no value is written in this file. For the GitLab',
        '#     container registry, see the comment in build-push instead.',
      ],
    }),
    'stages:',
    ...(hasTest ? ['  - test'] : []),
    '  - build-push',
    '  - deploy',
    '',
  ]
  if (hasTest) {
    out.push(
      'test:',
      '  stage: test',
      ...(spec.setup === 'none' ? ['  # No toolchain was chosen: use an image that has what the tests need.'] : []),
      `  image: ${scalar(GITLAB_TEST_IMAGE[spec.setup](spec.version))}`,
      '  timeout: 15 minutes',
      '  script:',
      ...(spec.install !== '' ? [`    - ${scalar(spec.install)}`] : []),
      `    - ${scalar(spec.test)}`,
      '',
    )
  }
  out.push(
    'build-push:',
    '  stage: build-push',
    ...(hasTest ? ['  needs: [test]'] : []),
    '  # sls-run talks to a Docker engine: a docker:dind service over TLS, as GitLab documents it (the',
    '  # runner must allow privileged services). docker:27 is Alpine 3.21, whose nodejs is Node 22.',
    '  image: docker:27',
    '  services:',
    '    - name: docker:27-dind',
    '      alias: docker',
    '  variables:',
    '    DOCKER_HOST: tcp://docker:2376',
    '    DOCKER_TLS_CERTDIR: /certs',
    '    DOCKER_TLS_VERIFY: "1"',
    '    DOCKER_CERT_PATH: /certs/client',
    '    # For the GitLab container registry, use the job\'s own credentials instead of the two variables:',
    '    # SLS_RUN_REGISTRY_USERNAME: $CI_REGISTRY_USER',
    '    # SLS_RUN_REGISTRY_PASSWORD: $CI_REGISTRY_PASSWORD',
    '  timeout: 30 minutes',
    '  rules:',
    '    # Only pushes to the default branch publish an image.',
    `    - if: ${GITLAB_DEFAULT_BRANCH}`,
    '  before_script:',
    '    - apk add --no-cache nodejs npm git',
    '  script:',
    `    - ${scalar(CI_COMMANDS.build)}`,
    `    - ${scalar(CI_COMMANDS.push)}`,
    '',
    'deploy:',
    '  stage: deploy',
    '  needs: [build-push]',
    `  image: node:${SLS_RUN_NODE}-alpine`,
    '  timeout: 30 minutes',
    '  rules:',
    `    - if: ${GITLAB_DEFAULT_BRANCH}`,
    `  environment: ${CI_DEPLOY_ENV}`,
    '  # One deploy at a time.',
    `  resource_group: ${scalar(`${spec.name}-${CI_DEPLOY_ENV}`)}`,
    '  # Deploy credentials depend on the provider in sls-run.yaml. Add them as masked, protected',
    `  # CI/CD variables scoped to the "${CI_DEPLOY_ENV}" environment; they arrive as environment variables:`,
    '  #   Cloud Run: GOOGLE_APPLICATION_CREDENTIALS_JSON (a service-account key), or no key at all with',
    '  #     Workload Identity Federation (id_tokens:, see GitLab\'s "Configure OpenID Connect in GCP").',
    '  #   AWS ECS: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY.',
    '  #   Azure Container Apps: AZURE_CREDENTIALS (a service principal).',
    '  #   Knative: KUBECONFIG_DATA (a kubeconfig for the cluster).',
    '  before_script:',
    '    - apk add --no-cache git',
    '  script:',
    `    - ${scalar(CI_COMMANDS.deploy)}`,
  )
  return out
}
