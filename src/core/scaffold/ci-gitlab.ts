/** The GitLab CI/CD pipeline (see ci.ts for the jobs). */
import type { CiSpec } from './ci.js'
import { CI_COMMANDS, CI_DEPLOY_ENV, header, packageVariable, PUSH_NDJSON, scalar, SLS_RUN_NODE } from './ci-parts.js'

const GITLAB_DOTENV = 'sls-run-images.env'

const GITLAB_TEST_IMAGE = {
  node: (v: string) => `node:${v}`,
  python: (v: string) => `python:${v}`,
  go: (v: string) => `golang:${v}`,
  none: () => 'debian:bookworm-slim',
} as const

const GITLAB_DEFAULT_BRANCH = '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH'

export function gitlab(spec: CiSpec): string[] {
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
    'variables:',
    ...packageVariable(spec, '  '),
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
    `    - ${scalar(CI_COMMANDS.install)}`,
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
    `    - ${scalar(CI_COMMANDS.install)}`,
    '  script:',
    '    # SLS_RUN_IMAGES comes from build-push (its dotenv report): deploy exactly what it pushed, and',
    '    # stop rather than build and push again when it is missing.',
    `    - ${scalar('test -n "$SLS_RUN_IMAGES" || { echo "build-push passed no SLS_RUN_IMAGES (its dotenv report)" >&2; exit 1; }')}`,
    `    - ${scalar(`${CI_COMMANDS.deploy} $SLS_RUN_IMAGES`)}`,
  )
  return out
}
