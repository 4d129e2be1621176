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

/**
 * Reads the NDJSON `sls-run push --json` printed (the file named by its argument) and prints, on one line,
 * the arguments that make deploy use exactly the pushed digests: `--image <service>=<repository>@<digest>`
 * per service. Its last line is the result envelope; anything but `"status":"ok"` with results fails, and
 * so does any value outside [a-z0-9._/:@=-] (the line is pasted into a shell command unquoted, and on
 * GitHub into the script text itself). Written without `'` (it sits in a single-quoted shell word),
 * without `${{` (GitHub would expand it) and without `: ` or ` #` (it stays a plain YAML scalar).
 */
const IMAGES_JS = [
  'const l=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\\n").pop();',
  'let e;try{e=JSON.parse(l)}catch{}',
  'if(e?.type!=="result"||e.status!=="ok"||!Array.isArray(e.result)||e.result.length===0){',
  'console.error("sls-run push did not report success; its last line was "+l);process.exit(1)}',
  'const a=e.result.map(r=>[r.service,r.image,r.digest].every(v=>typeof v==="string")?r.service+"="+r.image+"@"+r.digest:JSON.stringify(r));',
  'const bad=a.filter(s=>!/^[a-z0-9-]+=[a-z0-9][a-z0-9._/:-]*@sha256:[a-f0-9]{64}$/.test(s));',
  'if(bad.length>0){console.error("not a service=repository@digest that is safe in a shell word; "+bad.join(" "));process.exit(1)}',
  'console.log(a.map(s=>"--image "+s).join(" "))',
].join('')

/** The sls-run calls the pipeline makes, in order. All of them are `--json` and never prompt. */
export const CI_COMMANDS = {
  build: `${SLS_RUN} build --json`,
  /** Its NDJSON goes to the log and to a file (through `tee`, under pipefail). */
  push: `${SLS_RUN} push --json`,
  /** Given the file `push` wrote, prints the `--image <service>=<repository>@<digest> …` arguments for deploy. */
  images: `node -e '${IMAGES_JS}'`,
  /** Followed by what `images` printed (passed from build-push as a job output / dotenv variable). */
  deploy: `${SLS_RUN} deploy --env ${CI_DEPLOY_ENV} --json --yes`,
} as const

/** Where build-push keeps push's NDJSON, and where GitLab's dotenv report goes. */
const PUSH_NDJSON = { github: '"$RUNNER_TEMP/sls-run-push.ndjson"', gitlab: 'sls-run-push.ndjson' } as const
const GITLAB_DOTENV = 'sls-run-images.env'

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
    `#   deploy      after build-push, default branch only: \`sls-run deploy --env ${CI_DEPLOY_ENV}\` of the`,
    '#               digests build-push pushed (--image <service>=<repository>@<digest>; nothing is rebuilt).',
    '#',
    '# Before the first push to the default branch, add these',
    `# ${p.where}:`,
    '#   SLS_RUN_REGISTRY_USERNAME, SLS_RUN_REGISTRY_PASSWORD',
    '#     for the registry `sls-run push` logs in to (the `image:` of each service in sls-run.yaml).',
    ...p.registry,
    '#   your deploy provider\'s credentials: see the comments in the deploy job.',
    '#',
    '# Every sls-run call passes --json: stdout carries one machine-readable result (build and push',
    '# stream NDJSON progress before it) and logs go to stderr. sls-run never prompts in CI (the platform',
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
    '    outputs:',
    '      # `--image <service>=<repository>@<digest>` per pushed service, for deploy.',
    '      images: ${{ steps.push.outputs.images }}',
    '    env:',
    ...REGISTRY_SECRETS.map((s) => `      ${s}: \${{ secrets.${s} }}`),
    '    steps:',
    '      - uses: actions/checkout@v4',
    ...setupSlsRun,
    '      - name: Build the image',
    `        run: ${scalar(CI_COMMANDS.build)}`,
    '      - name: Push the image',
    '        id: push',
    '        # Explicit bash runs with -eo pipefail: a failed push fails the step despite tee.',
    '        shell: bash',
    '        run: |',
    `          ${CI_COMMANDS.push} | tee ${PUSH_NDJSON.github}`,
    '          # The pushed digests, from the result envelope (the last line), as deploy arguments:',
    '          # --image <service>=<repository>@<digest> per service. Fails unless the push succeeded.',
    `          images=$(${CI_COMMANDS.images} ${PUSH_NDJSON.github})`,
    '          echo "images=$images" >> "$GITHUB_OUTPUT"',
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
    '    # Deploy credentials depend on the provider in sls-run.yaml: uncomment the lines for yours (here',
    `    # and in the steps below) and add the secrets they name to the "${CI_DEPLOY_ENV}" environment`,
    '    # (Settings > Environments), where no other job can read them. The keyless logins (OIDC: the',
    '    # google-github-actions/auth, aws-actions/configure-aws-credentials and azure/login steps) need:',
    '    # permissions:',
    '    #   contents: read',
    '    #   id-token: write',
    '    # env:',
    '    #   # Cloud Run with an access token (short-lived, e.g. `gcloud auth print-access-token`):',
    '    #   CLOUDSDK_AUTH_ACCESS_TOKEN: ${{ secrets.CLOUDSDK_AUTH_ACCESS_TOKEN }}',
    '    #   # AWS ECS with an access key (AWS_SESSION_TOKEN only with temporary credentials):',
    '    #   AWS_ACCESS_KEY_ID: ${{ secrets.AWS_ACCESS_KEY_ID }}',
    '    #   AWS_SECRET_ACCESS_KEY: ${{ secrets.AWS_SECRET_ACCESS_KEY }}',
    '    #   AWS_SESSION_TOKEN: ${{ secrets.AWS_SESSION_TOKEN }}',
    '    #   # Azure Container Apps with a service principal (for workload identity, AZURE_FEDERATED_TOKEN_FILE,',
    '    #   # the path of a federated token file, instead of AZURE_CLIENT_SECRET):',
    '    #   AZURE_TENANT_ID: ${{ secrets.AZURE_TENANT_ID }}',
    '    #   AZURE_CLIENT_ID: ${{ secrets.AZURE_CLIENT_ID }}',
    '    #   AZURE_CLIENT_SECRET: ${{ secrets.AZURE_CLIENT_SECRET }}',
    '    steps:',
    '      - uses: actions/checkout@v4',
    ...setupSlsRun,
    '      # Cloud Run, keyless (recommended): Workload Identity Federation. The action writes a credentials',
    '      # file and sets GOOGLE_APPLICATION_CREDENTIALS to its path (a path: never a key\'s JSON).',
    '      # - uses: google-github-actions/auth@v2',
    '      #   with:',
    '      #     workload_identity_provider: projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>',
    '      #     service_account: <name>@<project>.iam.gserviceaccount.com',
    '      # AWS ECS, keyless (recommended): the action assumes the role through OIDC and sets',
    '      # AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN for the steps after it.',
    '      # - uses: aws-actions/configure-aws-credentials@v4',
    '      #   with:',
    '      #     role-to-assume: arn:aws:iam::<account-id>:role/<role>',
    '      #     aws-region: <region>',
    '      # Azure Container Apps, keyless (recommended): azure/login with OIDC; sls-run then uses the login',
    '      # of the Azure CLI (az). The subscription deployed to is the one in sls-run.yaml.',
    '      # - uses: azure/login@v2',
    '      #   with:',
    '      #     client-id: ${{ secrets.AZURE_CLIENT_ID }}',
    '      #     tenant-id: ${{ secrets.AZURE_TENANT_ID }}',
    '      #     subscription-id: ${{ secrets.AZURE_SUBSCRIPTION_ID }}',
    '      # Knative: KUBECONFIG is the path of a kubeconfig file. Keep the kubeconfig base64-encoded in the',
    '      # KUBECONFIG_DATA secret (`base64 -w0 < kubeconfig`) and write it to a file:',
    '      # - name: Write the kubeconfig',
    '      #   shell: bash',
    '      #   env:',
    '      #     KUBECONFIG_DATA: ${{ secrets.KUBECONFIG_DATA }}',
    '      #   run: |',
    '      #     umask 077',
    '      #     echo "$KUBECONFIG_DATA" | base64 -d > "$RUNNER_TEMP/kubeconfig"',
    '      #     echo "KUBECONFIG=$RUNNER_TEMP/kubeconfig" >> "$GITHUB_ENV"',
    '      # GitHub drops a job output that contains a secret\'s value (such as a registry username that is',
    '      # part of the image path): deploying without the digests would build and push again, so stop.',
    '      - name: Check the pushed images',
    "        if: needs.build-push.outputs.images == ''",
    `        run: ${scalar(`echo "::error::build-push passed no images (an image path containing a secret's value? store SLS_RUN_REGISTRY_USERNAME as a variable, vars.SLS_RUN_REGISTRY_USERNAME)" && exit 1`)}`,
    '      - name: Deploy',
    `        run: ${scalar(`${CI_COMMANDS.deploy} \${{ needs.build-push.outputs.images }}`)}`,
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
    '    # A failed push fails the job despite tee.',
    '    - set -o pipefail',
    `    - ${scalar(`${CI_COMMANDS.push} | tee ${PUSH_NDJSON.gitlab}`)}`,
    '    # The pushed digests, from the result envelope (the last line), as deploy arguments:',
    '    # --image <service>=<repository>@<digest> per service. Fails unless the push succeeded.',
    `    - ${scalar(`images=$(${CI_COMMANDS.images} ${PUSH_NDJSON.gitlab})`)}`,
    `    - ${scalar(`echo "SLS_RUN_IMAGES=$images" > ${GITLAB_DOTENV}`)}`,
    '  artifacts:',
    '    reports:',
    '      # Jobs that need build-push get SLS_RUN_IMAGES as a variable.',
    `      dotenv: ${GITLAB_DOTENV}`,
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
    `  # CI/CD variables scoped to the "${CI_DEPLOY_ENV}" environment; they arrive as environment variables.`,
    '  # For a variable of type File, GitLab writes the value to a file and sets the variable to its path.',
    '  #   Cloud Run: GOOGLE_APPLICATION_CREDENTIALS, a File variable holding a service-account key or a',
    '  #     Workload Identity Federation config (see GitLab\'s "Configure OpenID Connect in GCP", id_tokens:),',
    '  #     or CLOUDSDK_AUTH_ACCESS_TOKEN, an access token.',
    '  #   AWS ECS: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN with temporary credentials).',
    '  #   Azure Container Apps: AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (a service principal),',
    '  #     or AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE, the path of a federated token',
    '  #     (workload identity).',
    '  #   Knative: KUBECONFIG, a File variable holding the kubeconfig.',
    '  before_script:',
    '    - apk add --no-cache git',
    '  script:',
    '    # SLS_RUN_IMAGES comes from build-push (its dotenv report): deploy exactly what it pushed, and',
    '    # stop rather than build and push again when it is missing.',
    `    - ${scalar('test -n "$SLS_RUN_IMAGES" || { echo "build-push passed no SLS_RUN_IMAGES (its dotenv report)" >&2; exit 1; }')}`,
    `    - ${scalar(`${CI_COMMANDS.deploy} $SLS_RUN_IMAGES`)}`,
  )
  return out
}
