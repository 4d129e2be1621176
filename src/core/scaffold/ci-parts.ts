/** What both CI renderers share: the commands, the header comment, the pinned sls-run, YAML scalars. */
import { stringify } from '../../vendor/yaml.js'

export const CI_SETUPS = ['node', 'python', 'go', 'none'] as const

/** What the workflow is generated from. */
export interface CiSpec {
  /** Project name (DNS label), also the service name in sls-run.yaml. */
  name: string
  /** Toolchain the app's own tests need. */
  setup: (typeof CI_SETUPS)[number]
  /** Toolchain version, e.g. '22', '3.12', '1.23' (ignored for `none`). */
  version: string
  /** Shell command installing test dependencies ('' = none), e.g. 'npm ci'. */
  install: string
  /** Shell command running the app's tests ('' = no test job), e.g. 'npm test'. */
  test: string
  /** The sls-run the pipeline installs (the value of SLS_RUN_PACKAGE): a package spec such as sls-run@0.1.0. */
  slsRun: string
}

/** The environment the deploy job deploys to (`sls-run deploy --env …`, and the CI environment's name). */
export const CI_DEPLOY_ENV = 'production'

/** The variable holding the sls-run package every job installs (the one place to change the version). */
export const CI_PACKAGE_VARIABLE = 'SLS_RUN_PACKAGE'

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
  /** Puts the sls-run of $SLS_RUN_PACKAGE on PATH; every job that runs sls-run starts with it. */
  install: `npm install --global --no-audit --no-fund "$${CI_PACKAGE_VARIABLE}"`,
  build: 'sls-run build --json',
  /** Its NDJSON goes to the log and to a file (through `tee`, under pipefail). */
  push: 'sls-run push --json',
  /** Given the file `push` wrote, prints the `--image <service>=<repository>@<digest> …` arguments for deploy. */
  images: `node -e '${IMAGES_JS}'`,
  /** Followed by what `images` printed (passed from build-push as a job output / dotenv variable). */
  deploy: `sls-run deploy --env ${CI_DEPLOY_ENV} --json --yes`,
  /** The optional forecast gate (commented out in the workflows): exit 1 when a simulated SLO is missed. */
  forecast: `sls-run simulate --trace ${'${FORECAST_TRACE}'} --slo "p95<=300ms" --slo "coldStarts<=1%" --slo "cost.cloud-run<=20usd/month" --json`,
} as const

/**
 * The optional forecast job, as comment lines: replay recorded traffic (`sls-run dev --record`)
 * through the production autoscaling model and fail when an SLO would be missed.
 */
export function forecastComment(indent: string): string[] {
  return [
    `${indent}# Optional forecast gate: record traffic with \`sls-run dev --record trace.ndjson\` (or replace`,
    `${indent}# --trace with --generate poisson:rate=5/s,duration=1h), commit the trace, set scaling.model to your`,
    `${indent}# platform's and uncomment the job below. It fails the pipeline when the simulated p95, cold-start`,
    `${indent}# share or monthly cost misses its SLO (\`sls-run simulate --help\`).`,
  ]
}

/** Where build-push keeps push's NDJSON, and where GitLab's dotenv report goes. */
export const PUSH_NDJSON = { github: '"$RUNNER_TEMP/sls-run-push.ndjson"', gitlab: 'sls-run-push.ndjson' } as const
/** Node.js that runs sls-run itself in CI (sls-run needs >= 20.19). */
export const SLS_RUN_NODE = '22'

/**
 * One YAML scalar on one line: plain when YAML (1.1 rules too: `yes`, `on`, `0x1F` get quoted, as some CI
 * parsers still read them as booleans and numbers) would read it back as the same string, quoted
 * otherwise, and double-quoted with escapes when it spans lines.
 */
export function scalar(value: string): string {
  const text = stringify(value, { version: '1.1', lineWidth: 0 }).replace(/\n$/, '')
  return text.includes('\n') ? JSON.stringify(value) : text
}

export interface Platform {
  title: string
  /** When the test job runs. */
  trigger: string
  /** Where the secrets go, one comment line. */
  where: string
  /** More about the registry credentials, comment lines. */
  registry: string[]
}

export function header(spec: CiSpec, p: Platform): string[] {
  const jobs =
    spec.test !== ''
      ? [`#   test        ${p.trigger}: installs the test dependencies, runs the tests.`, '#   build-push  after test, default branch only: `sls-run build`, then `sls-run push`.']
      : ['#   build-push  default branch only: `sls-run build`, then `sls-run push`. There is no test', '#               job: `sls-run init` was given no test command (add one ahead of build-push).']
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
    "#   your deploy provider's credentials: see the comments in the deploy job.",
    '#',
    '# Every sls-run call passes --json: stdout carries one machine-readable result (build and push',
    '# stream NDJSON progress before it) and logs go to stderr. sls-run never prompts in CI (the platform',
    '# sets CI=true), and deploy passes --yes to confirm up front.',
  ]
}

/** SLS_RUN_PACKAGE and what it is for, as a mapping entry indented by `indent` (GitHub `env:`, GitLab `variables:`). */
export function packageVariable(spec: CiSpec, indent: string): string[] {
  return [
    `${indent}# The sls-run every job installs: the release that generated this file, so the pipeline changes`,
    `${indent}# only when this line does. It takes anything \`npm install -g\` does: another release (sls-run@<version>),`,
    `${indent}# a tarball URL, or a git URL such as github:<owner>/<repo>#v<version>.`,
    `${indent}${CI_PACKAGE_VARIABLE}: ${scalar(spec.slsRun)}`,
  ]
}
