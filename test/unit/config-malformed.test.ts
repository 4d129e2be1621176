/**
 * Every malformed sls-run.yaml gets a located diagnostic with a stable code, never a stack trace.
 * Each case names the code and the line:column where the caret must point.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/core/config/load.js'
import type { Diagnostic } from '../../src/core/config/diagnostic.js'
import { SlsError } from '../../src/errors.js'
import { useTempDir } from '../helpers/temp.js'

const tempDir = useTempDir()

const ok = (extra = '') => `name: shop\nservices:\n  api:\n    image: ghcr.io/acme/api\n${extra}`

interface Case {
  name: string
  content: string | Buffer
  env?: Record<string, string>
  /** Files beside sls-run.yaml; a name ending in / is a folder. */
  files?: Record<string, string>
  code: string
  at: string // line:column
  path?: string
  message?: RegExp
  hint?: RegExp
}

const cases: Case[] = [
  { name: 'unclosed flow mapping', content: 'name: x\nservices:\n  api: { port: 1\n', code: 'CONFIG_SYNTAX', at: '4:1' },
  { name: 'tab indentation', content: 'name: x\nservices:\n\tapi: {}\n', code: 'CONFIG_SYNTAX', at: '3:1', hint: /spaces/ },
  { name: 'duplicate key', content: ok('    port: 1\n    port: 2\n'), code: 'CONFIG_DUPLICATE_KEY', at: '6:5', message: /duplicate key "port"/ },
  { name: 'two YAML documents', content: 'name: x\n---\nname: y\n', code: 'CONFIG_SYNTAX', at: '2:1', message: /more than one YAML document/ },
  {
    name: 'alias expansion bomb',
    content: 'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n',
    code: 'CONFIG_ALIAS_LIMIT',
    at: '2:8',
  },
  { name: 'Latin-1 byte', content: Buffer.concat([Buffer.from(ok('    env: { CITY: "K')), Buffer.from([0xf6]), Buffer.from('ln" }\n')]), code: 'CONFIG_ENCODING', at: '5:20', message: /0xf6/ },
  { name: 'UTF-16 file', content: Buffer.from('\ufeffname: x\n', 'utf16le'), code: 'CONFIG_ENCODING', at: '1:1', message: /UTF-16/ },
  { name: 'empty file', content: '', code: 'CONFIG_EMPTY', at: '1:1' },
  { name: 'only comments', content: '# nothing here\n\n   # still nothing\n', code: 'CONFIG_EMPTY', at: '1:1' },
  { name: 'over 1 MiB', content: `# ${'x'.repeat(1024 * 1024)}\n`, code: 'CONFIG_TOO_LARGE', at: '1:1' },
  { name: 'top level is a list', content: '- name: x\n', code: 'CONFIG_INVALID', at: '1:1', message: /must be a mapping/ },
  { name: 'top level is a scalar', content: 'just text\n', code: 'CONFIG_INVALID', at: '1:1' },
  { name: 'missing name', content: 'services:\n  api: {}\n', code: 'CONFIG_INVALID', at: '1:1', message: /^name is required/ },
  { name: 'project name not a DNS label', content: 'name: My_Shop\nservices:\n  api: {}\n', code: 'CONFIG_INVALID', at: '1:7', message: /DNS label/ },
  { name: 'no services', content: 'name: x\nservices: {}\n', code: 'CONFIG_INVALID', at: '2:11', message: /at least one service/ },
  { name: 'service name too long', content: `name: x\nservices:\n  ${'a'.repeat(50)}: {}\n`, code: 'CONFIG_INVALID', at: '3:3', message: /at most 49 characters/ },
  { name: 'service name with underscore', content: 'name: x\nservices:\n  my_api: {}\n', code: 'CONFIG_INVALID', at: '3:3', message: /services\.my_api: the name must be a DNS label/ },
  { name: 'unknown top-level key', content: 'name: x\nservics:\n  api: {}\n', code: 'CONFIG_UNKNOWN_KEY', at: '2:1', message: /did you mean "services"/ },
  { name: 'unknown nested key', content: ok('    scaling: { concurency: 5 }\n'), code: 'CONFIG_UNKNOWN_KEY', at: '5:16', message: /scaling\.concurency .*did you mean "concurrency"/ },
  { name: 'unknown key without a close match', content: ok('    flavour: vanilla\n'), code: 'CONFIG_UNKNOWN_KEY', at: '5:5', hint: /Keys allowed here: build, image/ },
  { name: 'port out of range', content: ok('    port: 70000\n'), code: 'CONFIG_INVALID', at: '5:11', message: /between 1 and 65535 \(got 70000\)/ },
  { name: 'port is text', content: ok('    port: http\n'), code: 'CONFIG_INVALID', at: '5:11', message: /got "http"/ },
  {
    name: 'concurrency 0',
    content: ok('    scaling:\n      concurrency: 0\n'),
    code: 'CONFIG_INVALID',
    at: '6:20',
    message: /scaling\.concurrency must be a whole number between 1 and 1000 \(got 0\)/,
  },
  { name: 'concurrency fraction', content: ok('    scaling: { concurrency: 1.5 }\n'), code: 'CONFIG_INVALID', at: '5:29', message: /whole number/ },
  {
    name: 'unknown scaling model',
    content: ok('    scaling: { model: knativ }\n'),
    code: 'CONFIG_INVALID',
    at: '5:23',
    message: /scaling\.model must be one of instant, cloud-run, knative, container-apps/,
  },
  {
    name: 'panic threshold below 110 %',
    content: ok('    scaling:\n      knative: { panicThresholdPercentage: 50 }\n'),
    code: 'CONFIG_INVALID',
    at: '6:44',
    message: /scaling\.knative\.panicThresholdPercentage must be a number between 110 and 1000 \(got 50\)/,
  },
  {
    name: 'stable window without a unit',
    content: ok('    scaling:\n      knative: { stableWindow: 60 }\n'),
    code: 'CONFIG_INVALID',
    at: '6:32',
    message: /scaling\.knative\.stableWindow must be a duration/,
  },
  { name: 'unknown key in a model block', content: ok('    scaling:\n      cloudRun: { windw: 30s }\n'), code: 'CONFIG_UNKNOWN_KEY', at: '6:19', message: /did you mean "window"/ },
  {
    name: 'minInstances above maxInstances',
    content: ok('    scaling: { minInstances: 5, maxInstances: 2 }\n'),
    code: 'CONFIG_INVALID',
    at: '5:30',
    message: /must not exceed scaling\.maxInstances \(5 > 2\)/,
  },
  { name: 'duration without unit', content: ok('    scaling: { idleTimeout: 60 }\n'), code: 'CONFIG_INVALID', at: '5:29', hint: /"60s"/ },
  { name: 'fractional duration', content: ok('    timeout: 1.5s\n'), code: 'CONFIG_INVALID', at: '5:14', hint: /1500ms/ },
  { name: 'duration over the maximum', content: ok('    timeout: 2h\n'), code: 'CONFIG_INVALID', at: '5:14', message: /between 1s and 3600s \(got 2h\)/ },
  { name: 'lower-case size unit', content: ok('    resources: { memory: 512mb }\n'), code: 'CONFIG_INVALID', at: '5:26', hint: /"512Mi" \(binary\) or "512MB"/ },
  { name: 'size below the minimum', content: ok('    resources: { memory: 1Mi }\n'), code: 'CONFIG_INVALID', at: '5:26', message: /between 6Mi and 64Gi/ },
  { name: 'cpu as a word', content: ok('    resources: { cpu: two }\n'), code: 'CONFIG_INVALID', at: '5:23', message: /number between 0.08 and 64/ },
  { name: 'reserved env var', content: ok('    env:\n      PORT: "9000"\n'), code: 'CONFIG_INVALID', at: '6:7', message: /PORT is reserved/ },
  { name: 'env var name with a dash', content: ok('    env: { LOG-LEVEL: info }\n'), code: 'CONFIG_INVALID', at: '5:12', message: /variable name/ },
  { name: 'env value is a mapping', content: ok('    env: { A: { b: 1 } }\n'), code: 'CONFIG_INVALID', at: '5:15', message: /string, number or boolean/ },
  { name: 'probe type not allowed', content: ok('    startupProbe: { type: udp }\n'), code: 'CONFIG_INVALID', at: '5:27', message: /one of tcp, http \(got "udp"\)/ },
  { name: 'probe path without slash', content: ok('    startupProbe: { type: http, path: healthz }\n'), code: 'CONFIG_INVALID', at: '5:39', message: /starting with \// },
  // Deploy plans hand the probe path to platforms' health checks (ECS runs it in the task): only URL characters.
  { name: 'probe path with a space', content: ok("    startupProbe: { type: http, path: '/x; rm -rf /' }\n"), code: 'CONFIG_INVALID', at: '5:39', message: /URL path/ },
  { name: 'probe path with a backtick', content: ok("    startupProbe: { type: http, path: '/`id`' }\n"), code: 'CONFIG_INVALID', at: '5:39', message: /RFC 3986/ },
  { name: 'probe path with a bad escape', content: ok("    startupProbe: { type: http, path: '/a%zz' }\n"), code: 'CONFIG_INVALID', at: '5:39', message: /%XX/ },
  { name: 'schedule path with a quote', content: ok('    schedules: [{ name: a, cron: "@daily", path: \'/x"y\' }]\n'), code: 'CONFIG_INVALID', at: '5:50', message: /URL path/ },
  { name: 'deployName with a dot', content: ok('    deployName: api.v2\n'), code: 'CONFIG_INVALID', at: '5:17', message: /letters, digits, hyphens and underscores/ },
  { name: 'unknown runtime', content: ok('    dev: { runtime: podman }\n'), code: 'CONFIG_INVALID', at: '5:21', message: /auto, docker, process/ },
  { name: 'empty command list', content: ok('    command: []\n'), code: 'CONFIG_INVALID', at: '5:14', message: /command/ },
  { name: 'missing environment variable', content: ok('    env: { TOKEN: "x-${API_TOKEN}" }\n'), code: 'CONFIG_ENV_VAR', at: '5:22', message: /API_TOKEN is not set/ },
  { name: 'malformed variable reference', content: ok('    env: { A: "${1X}" }\n'), code: 'CONFIG_ENV_VAR', at: '5:16', message: /not a valid variable reference/ },
  { name: 'interpolated port out of range', content: ok('    port: ${APP_PORT}\n'), env: { APP_PORT: '99999' }, code: 'CONFIG_INVALID', at: '5:11', message: /got 99999/ },
  { name: 'mistyped provider', content: `${ok()}environments:\n  prod:\n    provider: cloud-rn\n`, code: 'CONFIG_INVALID', at: '7:15', hint: /did you mean "cloud-run"/i },
  {
    name: 'provider setting missing',
    content: `${ok()}environments:\n  prod:\n    provider: cloud-run\n    project: p\n`,
    code: 'CONFIG_INVALID',
    at: '6:3',
    message: /environments\.prod\.region is required/,
  },
  { name: 'unknown provider setting', content: `${ok()}environments:\n  prod:\n    provider: knative\n    namespce: x\n`, code: 'CONFIG_UNKNOWN_KEY', at: '8:5', message: /did you mean "namespace"/ },
  {
    name: 'override of an unknown service',
    content: `${ok()}environments:\n  prod:\n    provider: knative\n    services: { apj: {} }\n`,
    code: 'CONFIG_UNKNOWN_SERVICE',
    at: '8:17',
    message: /did you mean "api"/,
  },
  {
    name: 'override with an unknown key',
    content: `${ok()}environments:\n  prod:\n    provider: knative\n    services:\n      api: { imagee: x }\n`,
    code: 'CONFIG_UNKNOWN_KEY',
    at: '9:14',
    message: /environments\.prod\.services\.api\.imagee/,
  },
  {
    name: 'override breaking min/max',
    content: `${ok()}environments:\n  prod:\n    provider: knative\n    services:\n      api: { scaling: { minInstances: 11 } }\n`,
    code: 'CONFIG_INVALID',
    at: '9:39',
    message: /11 > 10/,
  },
  { name: 'build as a string', content: ok('    build: ./app\n'), code: 'CONFIG_INVALID', at: '5:12', message: /must be a mapping/ },
  { name: 'image with upper case', content: ok('    image: ghcr.io/Acme/API\n').replace('    image: ghcr.io/acme/api\n', ''), code: 'CONFIG_INVALID', at: '4:12', message: /image repository/ },
  { name: 'boolean written as yes', content: ok('    cpuThrottling: yes\n'), code: 'CONFIG_INVALID', at: '5:20', message: /true or false \(got "yes"\)/ },
  { name: 'cold-start delay not a duration', content: ok('    dev: { coldStart: { delay: fast } }\n'), code: 'CONFIG_INVALID', at: '5:32', message: /range like 800ms-2s/ },
  { name: 'watch is not a list', content: ok('    dev: { watch: src }\n'), code: 'CONFIG_INVALID', at: '5:19', message: /list of globs/ },
  // Configs that used to validate and then fail every request in `sls-run dev` (or delay it wrongly).
  {
    name: 'NUL character in an env value',
    content: ok('    env: { A: "a\\0b" }\n'),
    code: 'CONFIG_INVALID',
    at: '5:15',
    path: 'services.api.env.A',
    message: /must not contain a NUL character/,
    hint: /Remove the \\0/,
  },
  { name: 'NUL character in a build arg', content: ok('    build: { args: { V: "1\\x002" } }\n'), code: 'CONFIG_INVALID', at: '5:25', path: 'services.api.build.args.V', message: /NUL/ },
  {
    name: 'envFile is a folder',
    content: ok('    envFile: config\n'),
    files: { 'config/': '' },
    code: 'ENV_FILE_INVALID',
    at: '5:14',
    path: 'services.api.envFile',
    message: /config is a folder, not a file/,
  },
  {
    name: 'envFile with a malformed line',
    content: ok('    envFile: .env\n'),
    files: { '.env': '# settings\nA=1\nnot a pair\n' },
    code: 'ENV_FILE_INVALID',
    at: '5:14',
    path: 'services.api.envFile',
    message: /\.env:3: not a KEY=value line/,
    hint: /KEY=value/,
  },
  {
    name: 'envFile with a NUL byte in a value',
    content: ok('    envFile: .env\n'),
    files: { '.env': 'A=x\u0000y\n' },
    code: 'ENV_FILE_INVALID',
    at: '5:14',
    path: 'services.api.envFile',
    message: /value of A contains a NUL character/,
  },
  {
    name: 'dev.cwd does not exist',
    content: ok('    build: { context: . }\n    dev: { cwd: app }\n'),
    code: 'CONFIG_DEV_CWD_MISSING',
    at: '6:17',
    path: 'services.api.dev.cwd',
    message: /app does not exist/,
  },
  {
    name: 'dev.cwd is a file',
    content: ok('    dev:\n      cwd: server.js\n'),
    files: { 'server.js': '' },
    code: 'CONFIG_DEV_CWD_NOT_A_FOLDER',
    at: '6:12',
    path: 'services.api.dev.cwd',
    message: /is a file, not a folder/,
  },
  {
    name: 'override with a missing dev.cwd',
    content: `${ok()}environments:\n  prod:\n    provider: knative\n    services:\n      api: { dev: { cwd: gone } }\n`,
    code: 'CONFIG_DEV_CWD_MISSING',
    at: '9:26',
    path: 'environments.prod.services.api.dev.cwd',
  },
  {
    name: 'reversed cold-start delay range',
    content: ok('    dev: { coldStart: { delay: 2s-1s } }\n'),
    code: 'CONFIG_INVALID',
    at: '5:32',
    path: 'services.api.dev.coldStart.delay',
    message: /from the shorter delay to the longer \(got 2s-1s: 2s is more than 1s\)/,
    hint: /"1s-2s"/,
  },
  {
    name: 'reversed range across units',
    content: ok('    dev: { coldStart: { delay: 1m-900ms } }\n'),
    code: 'CONFIG_INVALID',
    at: '5:32',
    path: 'services.api.dev.coldStart.delay',
    message: /1m is more than 900ms/,
  },
]

async function diagnosticsFor(content: string | Buffer, env: Record<string, string> = {}, files: Record<string, string> = {}): Promise<Diagnostic[]> {
  const dir = tempDir()
  writeFileSync(path.join(dir, 'sls-run.yaml'), content)
  for (const [name, text] of Object.entries(files)) {
    if (name.endsWith('/')) mkdirSync(path.join(dir, name), { recursive: true })
    else writeFileSync(path.join(dir, name), text)
  }
  try {
    await loadConfig({ cwd: dir, env })
  } catch (error) {
    expect(error).toBeInstanceOf(SlsError)
    const sls = error as SlsError
    expect(sls.code).toBe('CONFIG_INVALID')
    expect(sls.exitCode).toBe(2)
    return (sls.details as { diagnostics: Diagnostic[] }).diagnostics
  }
  throw new Error('the config loaded without an error')
}

describe('malformed sls-run.yaml', () => {
  it('covers at least 30 cases', () => expect(cases.length).toBeGreaterThanOrEqual(30))

  it.each(cases)('$name → $code at $at', async ({ content, env, files, code, at, path: keyPath, message, hint }) => {
    const diagnostics = await diagnosticsFor(content, env, files)
    const found = diagnostics.find((d) => d.code === code && `${d.line}:${d.column}` === at)
    expect(found, `got ${diagnostics.map((d) => `${d.line}:${d.column} ${d.code} ${d.message}`).join(' | ')}`).toBeDefined()
    expect(found!.file).toBe('sls-run.yaml')
    expect(found!.severity).toBe('error')
    if (keyPath) expect(found!.path).toBe(keyPath)
    if (message) expect(found!.message).toMatch(message)
    if (hint) expect(found!.hints.join(' ')).toMatch(hint)
  })

  it('reports every problem at once, in file order', async () => {
    const diagnostics = await diagnosticsFor(ok('    port: 0\n    scaling: { concurrency: 0, idleTimeout: 5 }\n    colour: red\n'))
    expect(diagnostics.map((d) => `${d.line}:${d.code}`)).toEqual(['5:CONFIG_INVALID', '6:CONFIG_INVALID', '6:CONFIG_INVALID', '7:CONFIG_UNKNOWN_KEY'])
  })

  // A name zod refuses used to hide everything inside its entry: fix the name, rerun, meet the next error.
  const located = (diagnostics: Diagnostic[]) => diagnostics.map((d) => `${d.line}:${d.column} ${d.code} ${d.path}`)

  it('reports an invalid service name as one problem and still checks the service', async () => {
    const diagnostics = await diagnosticsFor('name: shop\nservices:\n  Bad_Name:\n    scaling: { idleTimeout: 5 }\n    image: ghcr.io/acme/api\n    colour: red\n')
    expect(located(diagnostics)).toEqual(['3:3 CONFIG_INVALID services.Bad_Name', '4:29 CONFIG_INVALID services.Bad_Name.scaling.idleTimeout', '6:5 CONFIG_UNKNOWN_KEY services.Bad_Name.colour'])
    expect(diagnostics[0]!.message).toMatch(/^services\.Bad_Name: the name must be a DNS label/)
    expect(diagnostics[1]!.hints.join(' ')).toMatch(/"5s"/)
  })

  it('reports an invalid environment name as one problem and still checks its settings', async () => {
    const diagnostics = await diagnosticsFor(`${ok()}environments:\n  Prod_EU:\n    provider: knative\n    context: 5\n    namespce: x\n`)
    expect(located(diagnostics)).toEqual(['6:3 CONFIG_INVALID environments.Prod_EU', '8:14 CONFIG_INVALID environments.Prod_EU.context', '9:5 CONFIG_UNKNOWN_KEY environments.Prod_EU.namespce'])
    expect(diagnostics[0]!.message).toMatch(/the name must be a DNS label.*at most 63 characters/)
    expect(diagnostics[2]!.message).toMatch(/did you mean "namespace"/)
  })

  it("checks the overrides of a service whose name is invalid, without repeating the service's own problems", async () => {
    const content = 'name: shop\nservices:\n  Bad_Name:\n    scaling: { idleTimeout: 5 }\nenvironments:\n  prod:\n    provider: knative\n    services:\n      Bad_Name: { port: 0 }\n'
    expect(located(await diagnosticsFor(content))).toEqual([
      '3:3 CONFIG_INVALID services.Bad_Name',
      '4:29 CONFIG_INVALID services.Bad_Name.scaling.idleTimeout',
      '9:7 CONFIG_INVALID environments.prod.services.Bad_Name',
      '9:25 CONFIG_INVALID environments.prod.services.Bad_Name.port',
    ])
  })

  it('does not merge overrides into a service that is not a mapping', async () => {
    const content = 'name: shop\nservices:\n  api: 3\nenvironments:\n  prod:\n    provider: knative\n    services:\n      api: { port: 0 }\n'
    expect(located(await diagnosticsFor(content))).toEqual(['3:8 CONFIG_INVALID services.api'])
  })

  it('gives the source line and a caret span for each diagnostic', async () => {
    const [d] = await diagnosticsFor(ok('    scaling: { concurrency: 1001 }\n'))
    expect(d!.sourceLine).toBe('    scaling: { concurrency: 1001 }')
    expect(d!.length).toBe(4)
  })

  it('refuses a missing file given with -c (CONFIG_NOT_FOUND, exit 2)', async () => {
    const dir = tempDir()
    await expect(loadConfig({ cwd: dir, file: 'nope.yaml' })).rejects.toMatchObject({ code: 'CONFIG_NOT_FOUND', exitCode: 2 })
  })

  it('refuses when no sls-run.yaml is found upwards', async () => {
    const dir = tempDir()
    await expect(loadConfig({ cwd: dir })).rejects.toMatchObject({ code: 'CONFIG_NOT_FOUND', hints: [expect.stringMatching(/sls-run init/)] })
  })

  it('refuses a folder given as the config file', async () => {
    const dir = tempDir()
    mkdirSync(path.join(dir, 'conf.yaml'))
    await expect(loadConfig({ cwd: dir, file: 'conf.yaml' })).rejects.toMatchObject({
      details: { diagnostics: [expect.objectContaining({ code: 'CONFIG_NOT_A_FILE', line: 1, column: 1 })] },
    })
  })
})
