import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { parse, parseDocument } from 'yaml'
import { renderCi, scalar, type CiKind, type CiSpec } from '../../src/core/scaffold/ci.js'
import { scaffold } from '../../src/core/scaffold/scaffold.js'
import { currentRelease, resolveTemplate } from '../../src/core/scaffold/templates.js'
import { SlsError } from '../../src/errors.js'

// Written out here rather than imported, so that a change to the module's constants shows up as a failure.
/** What every job that runs sls-run does first: install the one pinned package. */
const INSTALL = 'npm install --global --no-audit --no-fund "$SLS_RUN_PACKAGE"'
const BUILD = 'sls-run build --json'
const PUSH = 'sls-run push --json'
const DEPLOY = 'sls-run deploy --env production --json --yes'
/** Not this repository's version: the pin must come from the spec, not from anywhere else. */
const SLS_RUN = 'sls-run@1.2.3'
const DEPLOY_GITHUB = `${DEPLOY} \${{ needs.build-push.outputs.images }}`
const DEPLOY_GITLAB = `${DEPLOY} $SLS_RUN_IMAGES`
const GITHUB_PUSH_FILE = '"$RUNNER_TEMP/sls-run-push.ndjson"'
const GITLAB_PUSH_FILE = 'sls-run-push.ndjson'
const GITLAB_DOTENV = 'sls-run-images.env'
const GITHUB_IF = "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)"
const GITLAB_RULES = [{ if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH' }]

const specs: Record<string, CiSpec> = {
  node: { name: 'shop', setup: 'node', version: '22', install: 'npm ci', test: 'npm test', slsRun: SLS_RUN },
  // 3.10 must stay the string "3.10", not the number 3.1
  python: { name: 'api', setup: 'python', version: '3.10', install: 'pip install -r requirements.txt', test: 'python -m pytest -q', slsRun: SLS_RUN },
  'go, no install': { name: 'svc-1', setup: 'go', version: '1.23', install: '', test: 'go test ./...', slsRun: SLS_RUN },
  none: { name: 'static', setup: 'none', version: '', install: '', test: 'make test', slsRun: SLS_RUN },
  'node, no test': { name: 'shop', setup: 'node', version: '22', install: 'npm ci', test: '', slsRun: SLS_RUN },
  'none, no test': { name: 'x', setup: 'none', version: '', install: '', test: '', slsRun: SLS_RUN },
  // YAML-significant text in the commands: must come back verbatim, not change the document
  awkward: {
    name: 'odd',
    setup: 'node',
    version: '20.19',
    install: 'yes',
    test: 'echo "a: b" # not a comment && npm test -- --grep "{x}"\nnpm run lint: all',
    // a git URL: `#` and `:` must not turn into a YAML comment or mapping
    slsRun: 'github:acme/sls-run#v1.2.3',
  },
}

const GITHUB_SETUP = {
  node: ['actions/setup-node@v4', 'node-version'],
  python: ['actions/setup-python@v5', 'python-version'],
  go: ['actions/setup-go@v5', 'go-version'],
} as const

const GITLAB_IMAGE = { node: 'node:', python: 'python:', go: 'golang:' } as const

type Json = unknown
type Obj = Record<string, Json>

/** The content as data, after checking that YAML has nothing to say about it. */
function load(content: string): Obj {
  const doc = parseDocument(content)
  expect(doc.errors).toEqual([])
  expect(doc.warnings).toEqual([])
  const data = parse(content) as Json
  expect(data).toEqual(doc.toJS())
  expect(typeof data === 'object' && data !== null && !Array.isArray(data)).toBe(true)
  return data as Obj
}

const obj = (value: Json): Obj => {
  expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true)
  return value as Obj
}
const arr = (value: Json): Json[] => {
  expect(Array.isArray(value)).toBe(true)
  return value as Json[]
}

/** Every string in a parsed document, with the path to it. */
function strings(value: Json, path = ''): Array<[string, string]> {
  if (typeof value === 'string') return [[path, value]]
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`))
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => strings(v, `${path}.${k}`))
  return []
}

/** Every `env` mapping in a GitHub workflow's jobs and steps (the top-level one holds only SLS_RUN_PACKAGE). */
function envBlocks(workflow: Obj): Obj[] {
  const blocks: Obj[] = []
  for (const job of Object.values(obj(workflow.jobs))) {
    const j = obj(job)
    if (j.env !== undefined) blocks.push(obj(j.env))
    for (const step of arr(j.steps)) if (obj(step).env !== undefined) blocks.push(obj(obj(step).env))
  }
  return blocks
}

const esc = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const runs = (job: Obj) =>
  arr(job.steps)
    .map(obj)
    .filter((s) => 'run' in s)
    .map((s) => s.run)
const uses = (job: Obj) =>
  arr(job.steps)
    .map(obj)
    .filter((s) => 'uses' in s)
    .map((s) => s.uses)

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/** Credential variables the deploy adapters read (checked against src/core/deploy below). */
const ADAPTER_READS = new Set([
  'GOOGLE_APPLICATION_CREDENTIALS',
  'CLOUDSDK_AUTH_ACCESS_TOKEN',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AZURE_TENANT_ID',
  'AZURE_CLIENT_ID',
  'AZURE_CLIENT_SECRET',
  'AZURE_FEDERATED_TOKEN_FILE',
  'KUBECONFIG',
])
/**
 * Names the deploy comments may use that sls-run does not read: the secret the kubeconfig file is written
 * from, the runner's own variables, azure/login's subscription input, the variable build-push passes.
 */
const CI_PLUMBING = new Set(['KUBECONFIG_DATA', 'RUNNER_TEMP', 'GITHUB_ENV', 'AZURE_SUBSCRIPTION_ID', 'SLS_RUN_IMAGES'])

/** From the deploy job's key to the end (deploy is the last job on both platforms). */
function deploySection(content: string): string {
  const at = content.search(/^ {0,2}deploy:/m)
  expect(at).toBeGreaterThan(0)
  return content.slice(at)
}

/**
 * The file with its commented-out YAML uncommented: a comment line whose text is `key:` or `- key:` starts
 * a block, and the comment lines after it whose text is indented deeper continue it (nested `# …` prose
 * stays a comment). Prose comments are left alone.
 */
function uncomment(content: string): string {
  let inBlock = false
  return content
    .split('\n')
    .map((line) => {
      const m = /^( *)# (.*)$/.exec(line)
      if (!m) {
        inBlock = false
        return line
      }
      const [, indent, text] = m as unknown as [string, string, string]
      if (/^(- )?[a-z][\w-]*:( |$)/.test(text)) {
        inBlock = true
        return indent + text
      }
      if (inBlock && text.startsWith(' ')) return indent + text
      inBlock = false
      return line
    })
    .join('\n')
}

const SH = existsSync('/usr/bin/busybox') || existsSync('/bin/busybox') ? ['busybox', 'sh'] : ['bash', '--posix']

const tmp = mkdtempSync(path.join(tmpdir(), 'scaffold-ci-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const DIGEST_WEB = `sha256:${'a1'.repeat(32)}`
const DIGEST_API = `sha256:${'0f'.repeat(32)}`
/** What `sls-run push --json` prints for two services: progress events, then the result envelope. */
const PUSH_OK =
  [
    { type: 'push', service: 'web', image: 'ghcr.io/acme/web', tag: 'abc1234', credentials: 'env' },
    { type: 'layer', service: 'web', id: 'x', status: 'pushed' },
    { type: 'push', service: 'api', image: 'registry.example.com:5000/acme/shop_api', tag: 'abc1234', credentials: 'env' },
    {
      type: 'result',
      status: 'ok',
      result: [
        { service: 'web', image: 'ghcr.io/acme/web', tag: 'abc1234', digest: DIGEST_WEB, pushedLayers: 3, existingLayers: 1, durationMs: 10, credentials: 'env', attempts: 1 },
        { service: 'api', image: 'registry.example.com:5000/acme/shop_api', tag: 'abc1234', digest: DIGEST_API, pushedLayers: 0, existingLayers: 4, durationMs: 5, credentials: 'env', attempts: 1 },
      ],
      warnings: [],
    },
  ]
    .map((e) => JSON.stringify(e))
    .join('\n') + '\n'
const IMAGES_OK = `--image web=ghcr.io/acme/web@${DIGEST_WEB} --image api=registry.example.com:5000/acme/shop_api@${DIGEST_API}`
const PUSH_FAILED =
  [
    JSON.stringify({ type: 'push', service: 'web', image: 'ghcr.io/acme/web', tag: 'abc1234', credentials: 'env' }),
    JSON.stringify({ type: 'result', status: 'error', error: { code: 'REGISTRY_AUTH', message: 'denied', hints: [] } }),
  ].join('\n') + '\n'

/** The `node -e '…'` program in a command line. */
function nodeProgram(text: string): string {
  const m = /node -e '([^']*)'/.exec(text)
  expect(m, 'node -e in the pipeline').not.toBeNull()
  return m![1]!
}

/** Runs the images program as the pipeline does, on `ndjson`. */
function images(program: string, ndjson: string): { status: number | null; stdout: string; stderr: string } {
  const file = path.join(tmp, `push-${Math.random().toString(36).slice(2)}.ndjson`)
  writeFileSync(file, ndjson)
  const r = spawnSync(process.execPath, ['-e', program, file], { encoding: 'utf8' })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** A folder whose `sls-run` stands in for the installed one: `push` prints `PUSH_FILE` (exit `PUSH_STATUS`), `deploy` prints its argv as JSON. */
const FAKE_BIN = path.join(tmp, 'bin')
mkdirSync(FAKE_BIN)
writeFileSync(
  path.join(FAKE_BIN, 'sls-run'),
  `#!/bin/sh\ncase "$1" in\n  push) cat "$PUSH_FILE"; exit "\${PUSH_STATUS:-0}";;\n  deploy) exec node -e 'console.log(JSON.stringify(process.argv.slice(1)))' -- "$@";;\n  *) exit 99;;\nesac\n`,
  { mode: 0o755 },
)
const DEPLOY_ARGV = ['deploy', '--env', 'production', '--json', '--yes', '--image', `web=ghcr.io/acme/web@${DIGEST_WEB}`, '--image', `api=registry.example.com:5000/acme/shop_api@${DIGEST_API}`]

describe('renderCi: shared', () => {
  it.each(['github', 'gitlab'] as const)('%s: writes the platform file', (kind) => {
    expect(renderCi(kind, specs.node!).path).toBe(kind === 'github' ? '.github/workflows/sls-run.yml' : '.gitlab-ci.yml')
  })

  it.each(Object.entries(specs).flatMap(([label, spec]) => (['github', 'gitlab'] as const).map((kind) => [kind, label, spec] as const)))(
    '%s / %s: same input, same bytes (and a different input, different bytes)',
    (kind, _label, spec) => {
      const a = renderCi(kind, spec).content
      const b = renderCi(kind, { ...spec }).content
      expect(b).toBe(a)
      expect(renderCi(kind, { ...spec, name: `${spec.name}-b` }).content).not.toBe(a)
    },
  )

  it.each(['github', 'gitlab'] as const)('%s: starts with a header comment: generated by, secrets, --json, no prompts', (kind) => {
    const { content } = renderCi(kind, specs.node!)
    const header = content.slice(0, content.search(/^[^#\n]/m))
    expect(
      header
        .split('\n')
        .filter(Boolean)
        .every((l) => l.startsWith('#')),
    ).toBe(true)
    expect(header).toContain('generated by `sls-run init`')
    expect(header).toContain('shop')
    expect(header).toContain('SLS_RUN_REGISTRY_USERNAME')
    expect(header).toContain('SLS_RUN_REGISTRY_PASSWORD')
    expect(header).toContain('--json')
    expect(header).toMatch(/never prompts/)
    expect(content.endsWith('\n')).toBe(true)
    expect(content.endsWith('\n\n')).toBe(false)
    expect(content).not.toMatch(/[ \t]$/m)
    expect(content).not.toContain('\t')
  })

  it.each(['github', 'gitlab'] as const)('%s: the deploy job names the credentials the adapters read, in comments only', (kind) => {
    const { content } = renderCi(kind, specs.node!)
    const comments = deploySection(content)
      .split('\n')
      .filter((l) => l.trimStart().startsWith('#'))
      .join('\n')
    const wanted = [
      'GOOGLE_APPLICATION_CREDENTIALS',
      'CLOUDSDK_AUTH_ACCESS_TOKEN',
      'Workload Identity',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'AZURE_TENANT_ID',
      'AZURE_CLIENT_ID',
      'AZURE_CLIENT_SECRET',
      'AZURE_FEDERATED_TOKEN_FILE',
      'KUBECONFIG',
      ...(kind === 'github'
        ? [
            'google-github-actions/auth@v2',
            'workload_identity_provider',
            'service_account',
            'aws-actions/configure-aws-credentials@v4',
            'role-to-assume',
            'azure/login@v2',
            'id-token: write',
            'KUBECONFIG_DATA',
            'base64 -d',
          ]
        : ['File variable']),
    ]
    for (const name of wanted) expect(comments, name).toContain(name)
    // and none of them reaches the data
    const text = JSON.stringify(load(content))
    expect(text).not.toMatch(/GOOGLE_APPLICATION|CLOUDSDK_|AWS_|AZURE_|KUBECONFIG/)
  })

  it.each(['github', 'gitlab'] as const)('%s: every variable the deploy comments name is one the adapters read (or CI plumbing)', (kind) => {
    const { content } = renderCi(kind, specs.node!)
    const comments = deploySection(content)
      .split('\n')
      .filter((l) => l.trimStart().startsWith('#'))
      .join('\n')
    // The names of the old, wrong comments: no adapter reads them.
    for (const old of ['GOOGLE_APPLICATION_CREDENTIALS_JSON', 'AZURE_CREDENTIALS', 'creds:']) expect(content, old).not.toContain(old)
    if (kind === 'gitlab') expect(content).not.toContain('KUBECONFIG_DATA')
    const named = new Set(comments.match(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b|\bKUBECONFIG\b/g) ?? [])
    expect(named.size).toBeGreaterThan(5)
    for (const name of named) expect(ADAPTER_READS.has(name) || CI_PLUMBING.has(name), name).toBe(true)
  })

  it('the credential variables the comments may name are all read under src/core/deploy', () => {
    const read = new Set<string>()
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name)
        if (entry.isDirectory()) walk(file)
        else if (entry.name.endsWith('.ts')) for (const m of readFileSync(file, 'utf8').matchAll(/\benv(?:\.|\[')([A-Z][A-Z0-9_]+)/g)) read.add(m[1]!)
      }
    }
    walk(path.join(ROOT, 'src/core/deploy'))
    for (const name of ADAPTER_READS) expect(read.has(name), name).toBe(true)
    for (const name of CI_PLUMBING) expect(read.has(name), name).toBe(false)
  })

  it.each(['github', 'gitlab'] as const)('%s: refuses a name that is not a DNS label, and a malformed version', (kind) => {
    for (const name of ['', 'Shop', '1shop', 'shop-', 'a_b', 'shop\nx: 1', 'a'.repeat(64)]) {
      expect(() => renderCi(kind, { ...specs.node!, name }), JSON.stringify(name)).toThrow(SlsError)
    }
    expect(() => renderCi(kind, { ...specs.node!, name: 'a'.repeat(63) })).not.toThrow()
    for (const version of ['', '22\n', '3.12; rm -rf /', '"22"']) {
      expect(() => renderCi(kind, { ...specs.node!, version }), JSON.stringify(version)).toThrow(SlsError)
    }
    // the version is not used without a toolchain or without a test job
    expect(() => renderCi(kind, { ...specs.none!, version: 'anything goes' })).not.toThrow()
    expect(() => renderCi(kind, { ...specs['node, no test']!, version: '' })).not.toThrow()
  })
})

describe('renderCi: GitHub Actions', () => {
  describe.each(Object.entries(specs))('%s', (_label, spec) => {
    const { content } = renderCi('github', spec)
    const wf = load(content)
    const jobs = obj(wf.jobs)
    const hasTest = spec.test !== ''

    it('runs on pushes and pull requests, with read-only contents by default', () => {
      expect(Object.keys(obj(wf.on ?? null))).toEqual(expect.arrayContaining(['push', 'pull_request']))
      expect(wf.permissions).toEqual({ contents: 'read' })
      expect(wf.name).toBe(`${spec.name} (sls-run)`)
    })

    it('has test → build-push → deploy, in order, chained by needs', () => {
      expect(Object.keys(jobs)).toEqual(hasTest ? ['test', 'build-push', 'deploy'] : ['build-push', 'deploy'])
      expect(obj(jobs['build-push']).needs).toEqual(hasTest ? 'test' : undefined)
      expect(obj(jobs.deploy).needs).toBe('build-push')
    })

    it('checks out first, on ubuntu, with a timeout, in every job', () => {
      for (const [name, job] of Object.entries(jobs)) {
        const j = obj(job)
        expect(j['runs-on'], name).toBe('ubuntu-latest')
        expect(j['timeout-minutes'], name).toEqual(expect.any(Number))
        expect(j['timeout-minutes'] as number, name).toBeGreaterThan(0)
        expect(j['timeout-minutes'] as number, name).toBeLessThanOrEqual(60)
        expect(obj(arr(j.steps)[0]).uses, name).toBe('actions/checkout@v4')
      }
    })

    it(hasTest ? 'the test job sets up the toolchain and runs exactly install and test' : 'no test job without a test command', () => {
      if (!hasTest) {
        expect(jobs.test).toBeUndefined()
        expect(content).not.toContain(spec.install || 'npm ci')
        return
      }
      const test = obj(jobs.test)
      expect(test.if).toBeUndefined()
      expect(runs(test)).toEqual(spec.install ? [spec.install, spec.test] : [spec.test])
      const setups = arr(test.steps)
        .map(obj)
        .filter((s) => String(s.uses).startsWith('actions/setup-'))
      if (spec.setup === 'none') {
        expect(setups).toEqual([])
      } else {
        const [action, input] = GITHUB_SETUP[spec.setup]
        expect(setups).toHaveLength(1)
        expect(setups[0]!.uses).toBe(action)
        expect(setups[0]!.with).toStrictEqual({ [input]: spec.version })
        // the setup comes before the commands
        const steps = arr(test.steps).map(obj)
        expect(steps.indexOf(setups[0]!)).toBeLessThan(steps.findIndex((s) => 'run' in s))
      }
    })

    it('build-push builds then pushes on the default branch, with node and packages: write', () => {
      const job = obj(jobs['build-push'])
      expect(job.if).toBe(GITHUB_IF)
      expect(runs(job)).toEqual([INSTALL, BUILD, expect.stringMatching(new RegExp(`^${esc(PUSH)} \\| tee `))])
      expect(uses(job)).toEqual(['actions/checkout@v4', 'actions/setup-node@v4'])
      expect(job.permissions).toEqual({ contents: 'read', packages: 'write' })
      expect(job.env).toEqual({
        SLS_RUN_REGISTRY_USERNAME: '${{ secrets.SLS_RUN_REGISTRY_USERNAME }}',
        SLS_RUN_REGISTRY_PASSWORD: '${{ secrets.SLS_RUN_REGISTRY_PASSWORD }}',
      })
    })

    it('build-push publishes the pushed digests as the job output images, failing with the push', () => {
      const job = obj(jobs['build-push'])
      const push = arr(job.steps)
        .map(obj)
        .find((s) => String(s.run).includes(PUSH))!
      expect(push.id).toBe('push')
      // only an explicit `shell: bash` runs with -eo pipefail, which a failed push needs to fail the step through tee
      expect(push.shell).toBe('bash')
      const lines = String(push.run)
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
      expect(lines).toEqual([
        `${PUSH} | tee ${GITHUB_PUSH_FILE}`,
        expect.stringMatching(new RegExp(`^images=\\$\\(node -e '[^']+' ${esc(GITHUB_PUSH_FILE)}\\)$`)),
        'echo "images=$images" >> "$GITHUB_OUTPUT"',
      ])
      expect(job.outputs).toEqual({ images: '${{ steps.push.outputs.images }}' })
    })

    it('deploy deploys exactly the digests build-push pushed (its output), and stops without them', () => {
      const job = obj(jobs.deploy)
      expect(runs(job)).toEqual([INSTALL, expect.stringContaining('exit 1'), DEPLOY_GITHUB])
      const steps = arr(job.steps).map(obj)
      const check = steps.find((s) => s.name === 'Check the pushed images')!
      expect(check.if).toBe("needs.build-push.outputs.images == ''")
      expect(steps.indexOf(check)).toBe(steps.length - 2)
      expect(obj(steps.at(-1)).run).toBe(DEPLOY_GITHUB)
    })

    it('deploy runs deploy --json --yes on the default branch, in production, one at a time per ref', () => {
      const job = obj(jobs.deploy)
      expect(job.if).toBe(GITHUB_IF)
      expect(uses(job)).toEqual(['actions/checkout@v4', 'actions/setup-node@v4'])
      expect(job.environment).toBe('production')
      const concurrency = obj(job.concurrency)
      expect(concurrency.group).toEqual(expect.stringContaining('${{ github.ref }}'))
      expect(concurrency['cancel-in-progress']).toBe(false)
      expect(job.permissions).toBeUndefined()
    })

    it('every sls-run call is --json, and every credential comes from a secret', () => {
      const calls = strings(wf).filter(([, s]) => /(^|\s)sls-run /.test(s))
      expect(calls.map(([, s]) => s)).toEqual([BUILD, expect.stringContaining(`${PUSH} | tee `), DEPLOY_GITHUB])
      const blocks = envBlocks(wf)
      expect(blocks.length).toBeGreaterThan(0)
      for (const block of blocks) {
        for (const [name, value] of Object.entries(block)) {
          expect(value, name).toBe(`\${{ secrets.${name} }}`)
        }
      }
      // no other place takes a literal credential (with:, step env...)
      for (const [path, value] of strings(wf)) {
        if (/password|token|secret|credential|key/i.test(path)) expect(value, path).toMatch(/^\$\{\{ secrets\.[A-Z0-9_]+ \}\}$/)
      }
      expect(content).not.toMatch(/^\s*CI:/m)
    })
  })
})

describe('renderCi: GitLab CI/CD', () => {
  describe.each(Object.entries(specs))('%s', (_label, spec) => {
    const { content } = renderCi('gitlab', spec)
    const ci = load(content)
    const hasTest = spec.test !== ''
    const job = (name: string) => obj(ci[name])

    it('has the stages and jobs test → build-push → deploy, in order, chained by needs', () => {
      const order = hasTest ? ['test', 'build-push', 'deploy'] : ['build-push', 'deploy']
      expect(ci.stages).toEqual(order)
      expect(Object.keys(ci).filter((k) => k !== 'stages' && k !== 'variables')).toEqual(order)
      for (const name of order) expect(job(name).stage, name).toBe(name)
      expect(job('build-push').needs).toEqual(hasTest ? ['test'] : undefined)
      expect(job('deploy').needs).toEqual(['build-push'])
    })

    it('every job has an image and a timeout', () => {
      for (const name of Object.keys(ci).filter((k) => k !== 'stages' && k !== 'variables')) {
        expect(job(name).image, name).toEqual(expect.any(String))
        expect(job(name).timeout, name).toMatch(/^\d+ minutes$/)
      }
    })

    it(hasTest ? 'the test job uses the toolchain image and runs exactly install and test' : 'no test job without a test command', () => {
      if (!hasTest) {
        expect(ci.test).toBeUndefined()
        expect(content).not.toMatch(/^test:/m)
        expect(content).not.toContain(spec.install || 'npm ci')
        return
      }
      const test = job('test')
      expect(test.rules).toBeUndefined()
      expect(test.script).toEqual(spec.install ? [spec.install, spec.test] : [spec.test])
      expect(test.before_script).toBeUndefined()
      if (spec.setup === 'none') {
        expect(test.image).not.toMatch(/^(node|python|golang):/)
      } else {
        expect(test.image).toBe(`${GITLAB_IMAGE[spec.setup]}${spec.version}`)
      }
    })

    it('build-push builds then pushes on the default branch, against a TLS dind engine', () => {
      const bp = job('build-push')
      expect(bp.rules).toEqual(GITLAB_RULES)
      expect(bp.script).toEqual([
        BUILD,
        'set -o pipefail',
        `${PUSH} | tee ${GITLAB_PUSH_FILE}`,
        expect.stringMatching(new RegExp(`^images=\\$\\(node -e '[^']+' ${esc(GITLAB_PUSH_FILE)}\\)$`)),
        `echo "SLS_RUN_IMAGES=$images" > ${GITLAB_DOTENV}`,
      ])
      // the deploy job (needs: build-push) gets SLS_RUN_IMAGES from this dotenv report
      expect(bp.artifacts).toEqual({ reports: { dotenv: GITLAB_DOTENV } })
      expect(bp.image).toBe('docker:27')
      expect(arr(bp.services).map((s) => (typeof s === 'string' ? s : obj(s).name))).toEqual(['docker:27-dind'])
      const vars = obj(bp.variables)
      expect(vars.DOCKER_HOST).toBe('tcp://docker:2376')
      expect(vars.DOCKER_TLS_CERTDIR).toBe('/certs')
      expect(vars.DOCKER_TLS_VERIFY).toBe('1')
      expect(vars.DOCKER_CERT_PATH).toBe('/certs/client')
      expect(arr(bp.before_script)).toEqual([expect.stringMatching(/^apk add --no-cache .*\bnodejs\b.*\bnpm\b.*\bgit\b/), INSTALL])
    })

    it('deploy runs deploy --json --yes on the default branch, in production, one at a time', () => {
      const d = job('deploy')
      expect(d.rules).toEqual(GITLAB_RULES)
      expect(d.script).toEqual([expect.stringContaining('exit 1'), DEPLOY_GITLAB])
      expect(d.before_script).toEqual(['apk add --no-cache git', INSTALL])
      expect(d.image).toMatch(/^node:2\d/)
      expect(d.environment).toBe('production')
      expect(d.resource_group).toEqual(expect.any(String))
      expect(d.services).toBeUndefined()
    })

    it('every sls-run call is --json, and no credential is written down', () => {
      const calls = strings(ci).filter(([, s]) => /(^|\s)sls-run /.test(s))
      expect(calls.map(([, s]) => s)).toEqual([BUILD, `${PUSH} | tee ${GITLAB_PUSH_FILE}`, DEPLOY_GITLAB])
      for (const name of Object.keys(ci).filter((k) => k !== 'stages' && k !== 'variables')) {
        const vars = job(name).variables
        if (vars === undefined) continue
        for (const key of Object.keys(obj(vars))) expect(key, `${name}.variables`).not.toMatch(/USER|PASS|SECRET|TOKEN|KEY|CREDENTIAL/)
      }
      expect(
        strings(ci)
          .map(([, s]) => s)
          .join('\n'),
      ).not.toMatch(/SLS_RUN_REGISTRY|CI_REGISTRY_PASSWORD/)
      expect(content).not.toMatch(/^\s*CI:/m)
    })
  })
})

describe('renderCi: the sls-run the pipeline runs is pinned, in one variable', () => {
  /** The jobs of either platform, by name, each with the shell lines it runs in order. */
  const jobLines = (kind: CiKind, doc: Obj): Record<string, string[]> =>
    kind === 'github'
      ? Object.fromEntries(Object.entries(obj(doc.jobs)).map(([name, job]) => [name, runs(obj(job)).map(String)]))
      : Object.fromEntries(
          Object.keys(doc)
            .filter((k) => k !== 'stages' && k !== 'variables')
            .map((name) => [name, [...arr(obj(doc[name]).before_script ?? []), ...arr(obj(doc[name]).script)].map(String)]),
        )

  describe.each(Object.entries(specs).flatMap(([label, spec]) => (['github', 'gitlab'] as const).map((kind) => [`${kind} / ${label}`, kind, spec] as const)))('%s', (_title, kind, spec) => {
    const { content } = renderCi(kind, spec)
    const doc = load(content)

    it('SLS_RUN_PACKAGE at the top (GitHub env:, GitLab variables:) holds exactly the spec, the only place it is written', () => {
      expect(kind === 'github' ? doc.env : doc.variables).toStrictEqual({ SLS_RUN_PACKAGE: spec.slsRun })
      expect(content.split(spec.slsRun)).toHaveLength(2)
      expect(content).not.toMatch(/npx|@latest/)
    })

    it('every job that runs sls-run first installs $SLS_RUN_PACKAGE (and nothing else installs sls-run)', () => {
      const jobs = Object.entries(jobLines(kind, doc))
      const using = jobs.filter(([, lines]) => lines.some((l) => /(^|\s)sls-run /.test(l)))
      expect(using.map(([name]) => name)).toEqual(['build-push', 'deploy'])
      for (const [name, lines] of using) {
        const first = lines.findIndex((l) => /(^|\s)sls-run /.test(l))
        expect(lines.indexOf(INSTALL), name).toBeGreaterThanOrEqual(0)
        expect(lines.indexOf(INSTALL), name).toBeLessThan(first)
      }
      for (const [name, lines] of jobs)
        expect(
          lines.filter((l) => /npm (i|install)\b.*sls-run|sls-run@/.test(l)),
          name,
        ).toEqual([])
    })
  })

  it('the install line hands npm the variable as one word, whatever it holds (version, tarball URL, git URL)', () => {
    const fake = mkdtempSync(path.join(tmp, 'npm-'))
    writeFileSync(path.join(fake, 'npm'), `#!/bin/sh\nexec node -e 'console.log(JSON.stringify(process.argv.slice(1)))' -- "$@"\n`, { mode: 0o755 })
    const env = { ...process.env, PATH: [fake, path.dirname(process.execPath), process.env.PATH ?? ''].join(path.delimiter) }
    for (const pkg of ['sls-run@0.1.0', 'https://example.com/dl/sls-run-0.1.0.tgz?x=1&y=2', 'github:acme/sls-run#v0.1.0']) {
      const argv = execFileSync(SH[0]!, [...SH.slice(1), '-ec', INSTALL], { encoding: 'utf8', env: { ...env, SLS_RUN_PACKAGE: pkg } })
      expect(JSON.parse(argv)).toEqual(['install', '--global', '--no-audit', '--no-fund', pkg])
    }
  })

  it.each(['github', 'gitlab'] as const)('%s: takes any npm package spec on one line, refuses anything a shell or YAML could read otherwise', (kind) => {
    for (const slsRun of ['sls-run@0.1.0', '@acme/sls-run@1.2.3-rc.1', 'https://example.com/sls-run-0.1.0.tgz', 'github:acme/sls-run#v0.1.0', 'git+https://example.com/acme/sls-run.git#v1']) {
      const { content } = renderCi(kind, { ...specs.node!, slsRun })
      expect(kind === 'github' ? load(content).env : load(content).variables, slsRun).toStrictEqual({ SLS_RUN_PACKAGE: slsRun })
    }
    for (const slsRun of ['', 'sls-run@latest\nx: 1', 'sls-run@0.1.0 --force', '$(id)', '"sls-run"', "sls-run'", '${{ secrets.X }}', '-g']) {
      expect(() => renderCi(kind, { ...specs.node!, slsRun }), JSON.stringify(slsRun)).toThrow(SlsError)
    }
  })

  it.each(['github', 'gitlab'] as const)('%s: `init` pins the release running it: CI installs that version, sls-run.yaml names its schema', async (kind) => {
    const { name, version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string }
    expect(currentRelease()).toEqual({ packageSpec: `${name}@${version}`, schemaUrl: `https://unpkg.com/${name}@${version}/schema/sls-run.schema.json` })
    const dir = path.join(mkdtempSync(path.join(tmp, 'init-')), 'app')
    const result = await scaffold({ dir, template: resolveTemplate('static'), name: 'app', port: 8080, ci: kind, force: false })
    const ci = load(
      readFileSync(
        path.join(
          dir,
          result.files.find((f) => f.endsWith('.yml'))!,
        ),
        'utf8',
      ),
    )
    expect(kind === 'github' ? ci.env : ci.variables).toStrictEqual({ SLS_RUN_PACKAGE: `${name}@${version}` })
    const first = readFileSync(path.join(dir, 'sls-run.yaml'), 'utf8').split('\n')[0]
    expect(first).toBe(`# yaml-language-server: $schema=https://unpkg.com/${name}@${version}/schema/sls-run.schema.json`)
    // the URL's path is a file the package ships (package.json "files")
    const files = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { files: string[] }).files
    expect(files).toContain('schema')
    expect(existsSync(path.join(ROOT, 'schema/sls-run.schema.json'))).toBe(true)
  })
})

describe('scalar', () => {
  const table = [
    'npm ci',
    '22',
    '3.10',
    '1.23',
    'yes',
    'on',
    'No',
    '~',
    'null',
    '0x1F',
    '1_000',
    '- x',
    '#x',
    'a: b',
    'a #b',
    '{x}',
    '[x]',
    '*x',
    '&x',
    '!x',
    '|',
    '>',
    '%x',
    '@x',
    '`x`',
    "it's",
    'say "hi"',
    ' lead',
    'trail ',
    '',
    'a\nb',
    'a\\nb',
    'tab\there',
    '${{ secrets.X }}',
    '$CI_DEFAULT_BRANCH',
    'ünï ☃',
  ]

  it.each(table)('%j reads back as the same string on one line, in YAML 1.2 and 1.1', (value) => {
    const text = scalar(value)
    expect(text).not.toContain('\n')
    for (const version of ['1.2', '1.1'] as const) {
      const doc = parseDocument(`key: ${text}\n`, { version })
      expect(doc.errors).toEqual([])
      expect(doc.toJS()).toStrictEqual({ key: value })
      const item = parseDocument(`- ${text}\n`, { version })
      expect(item.toJS()).toStrictEqual([value])
    }
  })

  it('leaves ordinary commands unquoted', () => {
    expect(scalar('npm ci')).toBe('npm ci')
    expect(scalar('go test ./...')).toBe('go test ./...')
    expect(scalar('22')).not.toBe('22')
  })
})

describe('renderCi: the pushed digests reach deploy', () => {
  const github = renderCi('github', specs.node!).content
  const gitlab = renderCi('gitlab', specs.node!).content
  const program = nodeProgram(github)
  const env = { ...process.env, PATH: [FAKE_BIN, path.dirname(process.execPath), process.env.PATH ?? ''].join(path.delimiter) }

  it('both platforms run the same program', () => {
    expect(nodeProgram(gitlab)).toBe(program)
    expect(program).not.toContain('${{')
  })

  it('turns the result envelope of two pushed services into exactly their --image arguments', () => {
    const r = images(program, PUSH_OK)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toBe(`${IMAGES_OK}\n`)
  })

  it('fails on a failed push, an empty or cut-off output, no results, or a value unsafe in a shell word', () => {
    const envelope = (result: unknown) => JSON.stringify({ type: 'result', status: 'ok', result, warnings: [] })
    const good = { service: 'web', image: 'ghcr.io/acme/web', tag: 't', digest: DIGEST_WEB }
    const cases: Record<string, string> = {
      'error envelope': PUSH_FAILED,
      empty: '',
      'progress only': `${PUSH_OK.split('\n')[0]}\n`,
      'cut off': PUSH_OK.slice(0, -40),
      'no results': envelope([]),
      'result not a list': envelope(null),
      'no digest': envelope([{ ...good, digest: undefined }]),
      'a tag, not a digest': envelope([{ ...good, digest: 'latest' }]),
      'short digest': envelope([{ ...good, digest: 'sha256:abc' }]),
      'command substitution': envelope([{ ...good, image: 'ghcr.io/acme/$(id)' }]),
      space: envelope([{ ...good, image: 'ghcr.io/acme/web --dry-run' }]),
      quote: envelope([{ ...good, service: "we'b" }]),
      'upper case': envelope([{ ...good, image: 'ghcr.io/Acme/web' }]),
      'GitHub expression': envelope([{ ...good, service: '${{ secrets.X }}' }]),
    }
    for (const [label, ndjson] of Object.entries(cases)) {
      const r = images(program, ndjson)
      expect(r.status, label).not.toBe(0)
      expect(r.stdout, label).toBe('')
      expect(r.stderr, label).not.toBe('')
    }
  })

  it('GitHub: the push step writes the images output, the deploy step passes it on, a failed push fails the step', () => {
    const wf = load(github)
    const jobs = obj(wf.jobs)
    const step = arr(obj(jobs['build-push']).steps)
      .map(obj)
      .find((s) => s.id === 'push')!
    const run = (pushFile: string, pushStatus: number) => {
      const runnerTemp = mkdtempSync(path.join(tmp, 'runner-'))
      const output = path.join(runnerTemp, 'github_output')
      writeFileSync(output, '')
      // as GitHub runs `shell: bash`
      const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', String(step.run)], {
        encoding: 'utf8',
        env: { ...env, RUNNER_TEMP: runnerTemp, GITHUB_OUTPUT: output, PUSH_FILE: pushFile, PUSH_STATUS: String(pushStatus) },
      })
      return { ...r, output: readFileSync(output, 'utf8') }
    }
    const okFile = path.join(tmp, 'push-ok.ndjson')
    writeFileSync(okFile, PUSH_OK)
    const ok = run(okFile, 0)
    expect(ok.status, ok.stderr).toBe(0)
    expect(ok.stdout).toBe(PUSH_OK) // tee: the NDJSON still reaches the log
    expect(ok.output).toBe(`images=${IMAGES_OK}\n`)

    const failedFile = path.join(tmp, 'push-failed.ndjson')
    writeFileSync(failedFile, PUSH_FAILED)
    const failed = run(failedFile, 1)
    expect(failed.status).not.toBe(0)
    expect(failed.output).toBe('')

    // GitHub pastes the output into the deploy script: the words sls-run gets
    const outputs = obj(obj(jobs['build-push']).outputs)
    expect(outputs.images).toBe(`\${{ steps.${String(step.id)}.outputs.images }}`)
    const deploy = String(obj(arr(obj(jobs.deploy).steps).at(-1)).run)
    const script = deploy.replace('${{ needs.build-push.outputs.images }}', ok.output.replace(/^images=/, '').trim())
    const argv = execFileSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { encoding: 'utf8', env })
    expect(JSON.parse(argv)).toEqual(DEPLOY_ARGV)
  })

  it('GitLab: build-push writes SLS_RUN_IMAGES to its dotenv report, deploy passes it on, a failed push fails the job', () => {
    const ci = load(gitlab)
    const script = arr(obj(ci['build-push']).script).map(String).join('\n')
    const run = (pushFile: string, pushStatus: number) => {
      const dir = mkdtempSync(path.join(tmp, 'gitlab-'))
      // the job stops at the first failing line
      const r = spawnSync(SH[0]!, [...SH.slice(1), '-ec', script.replace(BUILD, 'true')], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...env, PUSH_FILE: pushFile, PUSH_STATUS: String(pushStatus) },
      })
      const dotenv = path.join(dir, GITLAB_DOTENV)
      return { ...r, dotenv: existsSync(dotenv) ? readFileSync(dotenv, 'utf8') : undefined }
    }
    const okFile = path.join(tmp, 'gitlab-push-ok.ndjson')
    writeFileSync(okFile, PUSH_OK)
    const ok = run(okFile, 0)
    expect(ok.status, ok.stderr).toBe(0)
    expect(ok.stdout).toBe(PUSH_OK)
    expect(ok.dotenv).toBe(`SLS_RUN_IMAGES=${IMAGES_OK}\n`)

    const failedFile = path.join(tmp, 'gitlab-push-failed.ndjson')
    writeFileSync(failedFile, PUSH_FAILED)
    const failed = run(failedFile, 1)
    expect(failed.status).not.toBe(0)
    expect(failed.dotenv).toBeUndefined()

    // GitLab reads KEY=VALUE lines (split at the first "=") into the variables of the jobs that need build-push
    const line = ok.dotenv!.trim()
    const value = line.slice(line.indexOf('=') + 1)
    const deploy = arr(obj(ci.deploy).script).map(String)
    const argv = execFileSync(SH[0]!, [...SH.slice(1), '-ec', deploy.join('\n')], { encoding: 'utf8', env: { ...env, SLS_RUN_IMAGES: value } })
    expect(JSON.parse(argv)).toEqual(DEPLOY_ARGV)
    expect(arr(obj(ci.deploy).needs)).toEqual(['build-push'])
    // without the variable, deploy stops instead of building and pushing again
    const missing = spawnSync(SH[0]!, [...SH.slice(1), '-ec', deploy.join('\n')], { encoding: 'utf8', env: { ...env, SLS_RUN_IMAGES: '' } })
    expect(missing.status).toBe(1)
    expect(missing.stdout).toBe('')
    expect(missing.stderr).toContain('SLS_RUN_IMAGES')
  })
})

describe('renderCi: GitHub deploy credentials, uncommented', () => {
  const content = renderCi('github', specs.node!).content
  const wf = load(uncomment(content))
  const deploy = obj(obj(wf.jobs).deploy)
  const steps = arr(deploy.steps).map(obj)

  it('is a valid workflow in which every commented line becomes part of the deploy job', () => {
    expect(uncomment(content)).not.toBe(content)
    // nothing else changed
    expect(obj(wf.jobs)['build-push']).toEqual(obj(load(content).jobs)['build-push'])
    expect(deploy.permissions).toEqual({ contents: 'read', 'id-token': 'write' })
  })

  it('puts each variable the adapters read in env, from the secret of the same name', () => {
    const vars = obj(deploy.env)
    for (const [name, value] of Object.entries(vars)) {
      expect(ADAPTER_READS.has(name), name).toBe(true)
      expect(value, name).toBe(`\${{ secrets.${name} }}`)
    }
    expect(Object.keys(vars).sort()).toEqual(
      ['CLOUDSDK_AUTH_ACCESS_TOKEN', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET'].sort(),
    )
  })

  it('has the OIDC login steps and the kubeconfig step before Deploy', () => {
    const byUses = (action: string) => steps.find((s) => s.uses === action)
    expect(Object.keys(obj(byUses('google-github-actions/auth@v2')!.with)).sort()).toEqual(['service_account', 'workload_identity_provider'])
    expect(obj(byUses('aws-actions/configure-aws-credentials@v4')!.with)['role-to-assume']).toMatch(/^arn:aws:iam::/)
    expect(obj(byUses('azure/login@v2')!.with)).toEqual({
      'client-id': '${{ secrets.AZURE_CLIENT_ID }}',
      'tenant-id': '${{ secrets.AZURE_TENANT_ID }}',
      'subscription-id': '${{ secrets.AZURE_SUBSCRIPTION_ID }}',
    })
    const kube = steps.find((s) => s.name === 'Write the kubeconfig')!
    expect(kube.env).toEqual({ KUBECONFIG_DATA: '${{ secrets.KUBECONFIG_DATA }}' })
    expect(steps.at(-1)!.run).toBe(DEPLOY_GITHUB)
    for (const s of [byUses('google-github-actions/auth@v2'), byUses('aws-actions/configure-aws-credentials@v4'), byUses('azure/login@v2'), kube]) {
      expect(steps.indexOf(s!)).toBeGreaterThan(1)
      expect(steps.indexOf(s!)).toBeLessThan(steps.length - 2)
    }
  })

  it('the kubeconfig step writes the secret to a private file and points KUBECONFIG at it', () => {
    const kube = steps.find((s) => s.name === 'Write the kubeconfig')!
    expect(kube.shell).toBe('bash')
    const runnerTemp = mkdtempSync(path.join(tmp, 'kube-'))
    const githubEnv = path.join(runnerTemp, 'github_env')
    writeFileSync(githubEnv, '')
    const kubeconfig = 'apiVersion: v1\nkind: Config\nclusters: []\n'
    execFileSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', String(kube.run)], {
      env: { ...process.env, RUNNER_TEMP: runnerTemp, GITHUB_ENV: githubEnv, KUBECONFIG_DATA: Buffer.from(kubeconfig).toString('base64') },
    })
    expect(readFileSync(path.join(runnerTemp, 'kubeconfig'), 'utf8')).toBe(kubeconfig)
    expect(readFileSync(githubEnv, 'utf8')).toBe(`KUBECONFIG=${runnerTemp}/kubeconfig\n`)
  })
})

describe('renderCi: the optional forecast job, uncommented', () => {
  it.each(['github', 'gitlab'] as const)('%s: a job that runs sls-run simulate against SLOs, --json, after installing sls-run', (provider) => {
    const content = renderCi(provider, specs.node!).content
    expect(content).toContain('Optional forecast gate')
    const parsed = load(uncomment(content))
    const job = obj(provider === 'github' ? obj(parsed.jobs).forecast : parsed.forecast)
    const commands =
      provider === 'github'
        ? arr(job.steps)
            .map(obj)
            .map((s) => String(s.run ?? ''))
        : [...arr(job.before_script), ...arr(job.script)].map(String)
    const simulate = commands.find((c) => c.startsWith('sls-run simulate'))!
    expect(simulate).toMatch(/--trace \$\{FORECAST_TRACE\} .*--slo "p95<=300ms" .*--json$/)
    expect(commands.findIndex((c) => c.includes('npm install --global'))).toBeLessThan(commands.indexOf(simulate))
    expect(obj(job.env ?? job.variables).FORECAST_TRACE).toBe('trace.ndjson')
  })
})
