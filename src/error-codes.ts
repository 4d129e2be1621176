/**
 * The catalogue of every code sls-run reports: each declared once with where it shows, the exit code it
 * usually comes with, what it means and what to do. `ErrorCode` (its keys) is the type of
 * `SlsError.code`, so a misspelt code does not compile; docs/errors.md is generated from it
 * (`npm run gen`), and test/unit/error-catalogue.test.ts checks it against the sources and the tests.
 *
 * A code's kinds:
 *   error       thrown: printed as `error CODE message` (or `--json`'s `error.code`); the command exits.
 *   diagnostic  one problem of a file, with its line and column: sls-run.yaml's inside CONFIG_INVALID
 *               (and in `config validate`), a Dockerfile's inside DOCKERFILE_INVALID.
 *   event       reported by a running `sls-run dev` session (its log, `--json` events, the dashboard); the
 *               session goes on.
 *   warning     a warning in a command's result; the command goes on.
 *
 * `docs` names the docs/ page (and anchor) that explains a code, where one does: errors print it after their
 * hints, and the catalogue test checks that it names a page of docs/.
 *
 * `exit` is the exit code a command ends with when the code stops it (an array when it depends on where
 * it is raised: the first is the usual one), or null when it never ends a command by itself. The call site
 * decides (`SlsError`'s `exitCode`, 1 when absent); the catalogue test checks the two agree.
 *
 * Not here: the warnings of a deploy plan (`KNATIVE_*`, `ACA_*`, `ECS_*`, `CLOUD_RUN_*`…), which say how
 * a setting was translated for one platform (docs/deploy/README.md, "What each setting becomes"); provider plugins add
 * their own.
 */
import { ExitCode } from './exit-codes.js'

export type ErrorKind = 'error' | 'diagnostic' | 'event' | 'warning'

export type ErrorArea = 'general' | 'config' | 'engine' | 'dev' | 'invoke' | 'simulate' | 'build' | 'registry' | 'deploy' | 'init'

export interface ErrorEntry {
  area: ErrorArea
  kind: ErrorKind | readonly ErrorKind[]
  exit: ExitCode | readonly ExitCode[] | null
  /** One line: what happened. */
  meaning: string
  /** One line: what to do about it. */
  hint: string
  /**
   * The docs/ page that explains the problem, where one does: a path under docs/ with an optional anchor
   * (`troubleshooting.md#no-docker-engine`). An error prints it as its last hint line (the page inside the
   * installed package) and `--json` as `error.docs`; docs/errors.md links it.
   */
  docs?: string
}

/** The areas in the order docs/errors.md shows them. */
export const ERROR_AREAS: ReadonlyArray<[ErrorArea, string]> = [
  ['general', 'Any command'],
  ['config', 'sls-run.yaml'],
  ['engine', 'The Docker engine'],
  ['dev', 'The emulator (`sls-run dev`)'],
  ['invoke', 'Invoking a dev session (`sls-run invoke`)'],
  ['simulate', 'Forecasting (`sls-run simulate`)'],
  ['build', 'Building images (`sls-run build`)'],
  ['registry', 'Registries (`sls-run push`, `login`, `logout`)'],
  ['deploy', 'Deploying (`sls-run deploy`)'],
  ['init', 'Templates (`sls-run init`)'],
]

const { failure, usage, environment } = ExitCode

export const CATALOGUE = {
  // ── any command ──────────────────────────────────────────────────────────────────────────────────
  USAGE: {
    area: 'general',
    kind: 'error',
    exit: usage,
    meaning: 'A flag, argument or command is wrong: unknown, missing, or a value that does not parse.',
    hint: 'Run the command with --help for its flags and arguments; the message names the one at fault.',
    docs: 'commands.md',
  },
  UNKNOWN_SERVICE: {
    area: 'general',
    kind: 'error',
    exit: usage,
    meaning: 'A service named on the command line (or in --image SERVICE=…) is not in sls-run.yaml.',
    hint: 'Use one of the services the hint lists (they are the keys under services:).',
    docs: 'configuration.md',
  },
  ABORTED: {
    area: 'general',
    kind: 'error',
    exit: usage,
    meaning: 'A question was left with Ctrl-C or Ctrl-D, or a confirmation was answered no: nothing was done.',
    hint: 'Run the command again, or answer the questions with flags (--yes, --template…) to skip them.',
  },
  CONFIRMATION_REQUIRED: {
    area: 'general',
    kind: 'error',
    exit: usage,
    meaning: 'A destructive command (deploy remove) needs a confirmation and there is no terminal to ask on.',
    hint: 'Add --yes to confirm.',
    docs: 'deploy/README.md',
  },
  ENV_MISSING: {
    area: 'general',
    kind: 'error',
    exit: environment,
    meaning: '`sls-run doctor`: a required check failed (Node.js, the Docker engine, disk…).',
    hint: 'Apply the fix printed for each failed check, then run `sls-run doctor` again.',
    docs: 'troubleshooting.md',
  },
  INTERNAL: {
    area: 'general',
    kind: 'error',
    exit: failure,
    meaning: 'A bug in sls-run: an unexpected exception (the `--json` envelope names it INTERNAL).',
    hint: 'Report it with the command and the output of --verbose (it shows the stack).',
  },

  // ── sls-run.yaml ─────────────────────────────────────────────────────────────────────────────────
  CONFIG_NOT_FOUND: {
    area: 'config',
    kind: 'error',
    exit: usage,
    meaning: 'No sls-run.yaml (or sls-run.yml) in this folder or above, or the -c file does not exist.',
    hint: 'Create one with `sls-run init`, or pass -c FILE.',
    docs: 'configuration.md',
  },
  CONFIG_INVALID: {
    area: 'config',
    kind: ['error', 'diagnostic'],
    exit: usage,
    meaning: 'sls-run.yaml has problems: the error lists each as a diagnostic (file, line, column, code); as a diagnostic, a value the schema refuses.',
    hint: 'Fix each diagnostic at the line shown; `sls-run config validate` checks the file without running anything.',
    docs: 'troubleshooting.md#invalid-sls-runyaml',
  },
  CONFIG_SYNTAX: {
    area: 'config',
    kind: 'diagnostic',
    exit: usage,
    meaning: 'The file is not valid YAML (bad indentation, a tab, an unclosed quote, several documents…).',
    hint: 'Fix the YAML at the caret; indent with spaces.',
    docs: 'troubleshooting.md#invalid-sls-runyaml',
  },
  CONFIG_DUPLICATE_KEY: {
    area: 'config',
    kind: 'diagnostic',
    exit: usage,
    meaning: 'A key appears twice in the same mapping.',
    hint: 'Merge the two entries into one.',
    docs: 'troubleshooting.md#invalid-sls-runyaml',
  },
  CONFIG_UNKNOWN_KEY: {
    area: 'config',
    kind: 'diagnostic',
    exit: usage,
    meaning: 'A key the schema does not know (often a typo).',
    hint: 'Use the suggested key, or one of the keys allowed at that place.',
    docs: 'troubleshooting.md#invalid-sls-runyaml',
  },
  CONFIG_UNKNOWN_SERVICE: {
    area: 'config',
    kind: 'diagnostic',
    exit: usage,
    meaning: "An environment's services: overrides a service that is not defined under services:.",
    hint: 'Fix the name, or define the service.',
    docs: 'configuration.md',
  },
  CONFIG_ENV_VAR: {
    area: 'config',
    kind: 'diagnostic',
    exit: usage,
    meaning: 'A ${NAME} reference is malformed, or names a variable that is not set and has no default.',
    hint: 'Set the variable, give a default with ${NAME:-value}, or write $${…} for a literal.',
    docs: 'configuration.md',
  },
  CONFIG_ENCODING: {
    area: 'config',
    kind: 'diagnostic',
    exit: usage,
    meaning: 'The file is not UTF-8 text (UTF-16, an invalid byte, or a NUL character).',
    hint: 'Save the file as UTF-8.',
    docs: 'troubleshooting.md#invalid-sls-runyaml',
  },
  CONFIG_EMPTY: {
    area: 'config',
    kind: 'diagnostic',
    exit: usage,
    meaning: 'The file is empty.',
    hint: 'Start from `sls-run init`, or add at least name: and services:.',
    docs: 'troubleshooting.md#invalid-sls-runyaml',
  },
  CONFIG_TOO_LARGE: {
    area: 'config',
    kind: 'diagnostic',
    exit: usage,
    meaning: 'The file is larger than 1 MiB.',
    hint: 'Check that -c points at the right file; a config is a few KiB.',
    docs: 'troubleshooting.md#invalid-sls-runyaml',
  },
  CONFIG_ALIAS_LIMIT: {
    area: 'config',
    kind: 'diagnostic',
    exit: usage,
    meaning: 'YAML aliases expand beyond the limit (aliases of aliases).',
    hint: 'Repeat the values instead of nesting aliases.',
    docs: 'troubleshooting.md#invalid-sls-runyaml',
  },
  CONFIG_NOT_A_FILE: {
    area: 'config',
    kind: 'diagnostic',
    exit: usage,
    meaning: 'The config path is a folder, not a file.',
    hint: 'Point -c at the sls-run.yaml inside it.',
    docs: 'troubleshooting.md#invalid-sls-runyaml',
  },
  CONFIG_DEV_CWD_MISSING: {
    area: 'config',
    kind: 'diagnostic',
    exit: usage,
    meaning: "A service's dev.cwd does not exist or cannot be reached.",
    hint: 'Create the folder, or fix dev.cwd (relative to sls-run.yaml).',
    docs: 'configuration.md',
  },
  CONFIG_DEV_CWD_NOT_A_FOLDER: {
    area: 'config',
    kind: 'diagnostic',
    exit: usage,
    meaning: "A service's dev.cwd is a file, not a folder.",
    hint: 'Point dev.cwd at the folder the process runtime should run dev.command in.',
    docs: 'configuration.md',
  },
  CONFIG_ENV_FILE_MISSING: {
    area: 'config',
    kind: 'diagnostic',
    exit: null,
    meaning: "A warning: a service's envFile does not exist (sls-run dev will fail to start the service without it).",
    hint: 'Create the file, or remove envFile.',
    docs: 'configuration.md',
  },
  CONFIG_UNKNOWN_ENV: {
    area: 'config',
    kind: 'error',
    exit: usage,
    meaning: '--env names an environment that sls-run.yaml does not define.',
    hint: 'Use one of the environments under environments: (the hint lists them), or add it.',
    docs: 'configuration.md',
  },
  ENV_FILE_NOT_FOUND: {
    area: 'config',
    kind: ['error', 'diagnostic', 'event'],
    exit: usage,
    meaning: "A service's envFile cannot be read.",
    hint: 'Create it, fix its permissions, or remove envFile from sls-run.yaml.',
    docs: 'configuration.md',
  },
  ENV_FILE_INVALID: {
    area: 'config',
    kind: ['error', 'diagnostic', 'event'],
    exit: usage,
    meaning: "A service's envFile is not a dotenv file: a folder, not a regular file, a line that is not KEY=value, or a NUL in a value.",
    hint: 'Make it KEY=value lines (# starts a comment), relative to sls-run.yaml.',
    docs: 'configuration.md',
  },

  // ── the Docker engine ────────────────────────────────────────────────────────────────────────────
  DOCKER_UNAVAILABLE: {
    area: 'engine',
    kind: 'error',
    exit: environment,
    meaning: 'No Docker engine answers (DOCKER_HOST, or the usual sockets).',
    hint: 'Start the engine or point DOCKER_HOST at one; `sls-run doctor` shows what is missing.',
    docs: 'troubleshooting.md#no-docker-engine',
  },
  DOCKER_HOST_INVALID: {
    area: 'engine',
    kind: 'error',
    exit: usage,
    meaning: 'DOCKER_HOST is not an address sls-run can use.',
    hint: 'Use unix:///path/to/docker.sock or tcp://host:2376 (ssh:// contexts are not supported yet).',
    docs: 'troubleshooting.md#no-docker-engine',
  },

  // ── the emulator ─────────────────────────────────────────────────────────────────────────────────
  DEV_COMMAND_MISSING: {
    area: 'dev',
    kind: 'error',
    exit: usage,
    meaning: 'A service runs on the process runtime but has no dev.command to start.',
    hint: 'Add services.<name>.dev.command (e.g. `node server.js`), or run the service in a container (`dev --runtime docker`).',
    docs: 'runtimes.md',
  },
  DEV_DEPENDENCIES_MISSING: {
    area: 'dev',
    kind: 'error',
    exit: environment,
    meaning: 'A Node service declares dependencies but has no node_modules: its instances could not start.',
    hint: 'Run the install the hint names (npm ci or npm install) in that folder.',
    docs: 'runtimes.md#process-runtime-build-once-then-start-the-built-app',
  },
  DEV_BUILD_FAILED: {
    area: 'dev',
    kind: ['error', 'event'],
    exit: failure,
    meaning: "A service's dev.build exited non-zero or could not run (at start the session stops; later the revision is not rolled out).",
    hint: 'Run dev.build yourself in the service folder to see its whole output; fix and save again.',
    docs: 'runtimes.md#process-runtime-build-once-then-start-the-built-app',
  },
  DEV_RELOAD_LOOP: {
    area: 'dev',
    kind: 'event',
    exit: null,
    meaning: 'A service reloaded again and again with no request in between (its watched files keep changing), so its reloads were paused.',
    hint: 'If something writes those files while the service runs, list them in services.<name>.dev.ignore; a save of any other file, or `r`, resumes.',
    docs: 'dev-loop.md#loop-breaker',
  },
  PORT_IN_USE: {
    area: 'dev',
    kind: 'error',
    exit: usage,
    meaning: 'A port the session needs (a gateway, the admin port, the debugger port) is already taken.',
    hint: 'Stop what listens there, or choose another port with the flag the hint names.',
    docs: 'troubleshooting.md#ports-in-use',
  },
  RECORD_FILE_UNWRITABLE: {
    area: 'dev',
    kind: 'error',
    exit: usage,
    meaning: '`dev --record FILE` cannot create its file.',
    hint: 'Pass a path in a folder that exists and you can write to.',
    docs: 'trace-format.md',
  },
  INSPECT_UNAVAILABLE: {
    area: 'dev',
    kind: 'error',
    exit: environment,
    meaning: '`dev --inspect` needs a debugger that is not installed (debugpy for Python, Delve for Go).',
    hint: 'Install it as the hint says, where the app finds it.',
    docs: 'dev-loop.md#debugging-an-instance',
  },
  INSPECT_SERVICE_REQUIRED: {
    area: 'dev',
    kind: 'error',
    exit: usage,
    meaning: '--inspect without a service while several services run.',
    hint: 'Name one: --inspect=SERVICE.',
    docs: 'dev-loop.md#debugging-an-instance',
  },
  INSTANCE_SPAWN_FAILED: {
    area: 'dev',
    kind: 'event',
    exit: null,
    meaning: 'An instance could not be started (the command or the container could not be created); requests get 503.',
    hint: "Check dev.command or the image; the event's message says what the runtime refused.",
    docs: 'runtimes.md',
  },
  INSTANCE_EXITED_BEFORE_READY: {
    area: 'dev',
    kind: 'event',
    exit: null,
    meaning: 'An instance exited before it was ready; requests get 503 and the start is retried with a back-off.',
    hint: 'Read its last output lines in the event; the app must keep running and listen on $PORT.',
    docs: 'emulator.md#readiness',
  },
  STARTUP_PROBE_TIMEOUT: {
    area: 'dev',
    kind: 'event',
    exit: null,
    meaning: 'An instance did not pass its startup probe before startupProbe.timeout; requests get 503.',
    hint: 'Make the app listen on $PORT (and answer startupProbe.path for an http probe), or raise startupProbe.timeout.',
    docs: 'emulator.md#readiness',
  },
  IMAGE_NOT_FOUND: {
    area: 'build',
    kind: ['error', 'event'],
    exit: [failure, environment],
    meaning:
      'The image is not on the Docker engine: push and deploy need it built (exit 1); `dev` on the docker runtime checks it before it starts (exit 3), and a later start that misses it is a start-failed event.',
    hint: 'Run `sls-run build` first, or pass --tag with a tag that exists.',
    docs: 'build.md',
  },

  // ── invoke ───────────────────────────────────────────────────────────────────────────────────────
  DEV_SESSION_NOT_FOUND: {
    area: 'invoke',
    kind: 'error',
    exit: environment,
    meaning: 'No `sls-run dev` session answers on the admin port.',
    hint: 'Start one with `sls-run dev`, or point at its admin port with --admin-port.',
    docs: 'events.md#invoking-a-service-sls-run-invoke',
  },
  UNKNOWN_SCHEDULE: {
    area: 'invoke',
    kind: 'error',
    exit: usage,
    meaning: '`invoke --schedule` names a schedule the service does not have in this session.',
    hint: 'Use one of its schedules, or add one under services.<name>.schedules.',
    docs: 'events.md#invoking-a-service-sls-run-invoke',
  },
  INVOKE_FAILED: {
    area: 'invoke',
    kind: 'error',
    exit: failure,
    meaning: 'The request got no answer, or the session could not fire the schedule.',
    hint: 'Check that the session still runs (its log says why); a long cold start may need a larger --timeout.',
    docs: 'events.md#invoking-a-service-sls-run-invoke',
  },
  INVOKE_HTTP_STATUS: {
    area: 'invoke',
    kind: 'error',
    exit: failure,
    meaning: '`invoke --fail`: the service answered with a status of 400 or more.',
    hint: 'Drop --fail to exit 0 for any answer.',
    docs: 'events.md#invoking-a-service-sls-run-invoke',
  },

  // ── simulate ─────────────────────────────────────────────────────────────────────────────────────
  SIM_INPUT_REQUIRED: {
    area: 'simulate',
    kind: 'error',
    exit: usage,
    meaning: 'Nothing to simulate: neither --trace nor --generate.',
    hint: 'Pass --trace FILE (from `sls-run dev --record`) or --generate poisson:rate=5/s,duration=1h.',
    docs: 'simulate.md#the-traffic',
  },
  SIM_TRACE_NOT_FOUND: {
    area: 'simulate',
    kind: 'error',
    exit: usage,
    meaning: 'The trace file cannot be read.',
    hint: 'Pass a recording, a CSV (at_ms,service_ms[,service]) or an Azure Functions CSV that exists.',
    docs: 'simulate.md#the-traffic',
  },
  SIM_TRACE_INVALID: {
    area: 'simulate',
    kind: 'error',
    exit: usage,
    meaning: 'A line of the trace is malformed (the message names the file and line).',
    hint: 'Fix that line, or check --format.',
    docs: 'simulate.md#the-traffic',
  },
  SIM_TRACE_FORMAT_UNKNOWN: {
    area: 'simulate',
    kind: 'error',
    exit: usage,
    meaning: "The trace's format cannot be recognised.",
    hint: 'Pass --format record, csv or azure.',
    docs: 'simulate.md#the-traffic',
  },
  SIM_FUNCTION_REQUIRED: {
    area: 'simulate',
    kind: 'error',
    exit: usage,
    meaning: 'An Azure Functions trace holds several functions and none was chosen.',
    hint: 'Choose one with --function HASH (its HashFunction); the hint lists the busiest.',
    docs: 'simulate.md#the-traffic',
  },
  SIM_FUNCTION_UNKNOWN: {
    area: 'simulate',
    kind: 'error',
    exit: usage,
    meaning: '--function names a function the Azure trace does not have.',
    hint: 'Use a HashFunction from the trace (the hint lists some).',
    docs: 'simulate.md#the-traffic',
  },
  SIM_GENERATE_INVALID: {
    area: 'simulate',
    kind: 'error',
    exit: usage,
    meaning: '--generate names an unknown generator or gives it a bad parameter.',
    hint: 'Use one of the generators and keys the hint lists, e.g. poisson:rate=5/s,duration=1h.',
    docs: 'simulate.md#the-traffic',
  },
  SIM_SERVICE_REQUIRED: {
    area: 'simulate',
    kind: 'error',
    exit: usage,
    meaning: 'sls-run.yaml has several services and none was named.',
    hint: 'Name the service: sls-run simulate SERVICE --trace ….',
    docs: 'simulate.md#the-settings',
  },
  SIM_SET_INVALID: {
    area: 'simulate',
    kind: 'error',
    exit: usage,
    meaning: '--set (or --model) is not key=value, or gives a value the schema refuses.',
    hint: "Use the service's keys as in sls-run.yaml: scaling.minInstances=1, timeout=30s….",
    docs: 'simulate.md#the-settings',
  },
  SIM_GRID_INVALID: {
    area: 'simulate',
    kind: 'error',
    exit: usage,
    meaning: '--grid is not key=value1,value2,…, or makes more than 256 combinations.',
    hint: 'e.g. --grid scaling.minInstances=0,1,2; use fewer values or keys.',
    docs: 'simulate.md#the-settings',
  },
  SIM_COLD_START_INVALID: {
    area: 'simulate',
    kind: 'error',
    exit: usage,
    meaning: '--cold-start is not a duration, a range or a profile.',
    hint: 'Pass 2s, 800ms-2s, or a profile name (the hint lists them).',
    docs: 'simulate.md#the-settings',
  },
  SIM_SLO_INVALID: {
    area: 'simulate',
    kind: 'error',
    exit: usage,
    meaning: '--slo cannot be parsed.',
    hint: 'e.g. p95<=300ms, coldStarts<=1%, errors<=0.1%, cost.cloud-run<=20usd/month.',
    docs: 'simulate.md#slo-gates-for-ci',
  },
  SIM_SLO_VIOLATED: {
    area: 'simulate',
    kind: 'error',
    exit: failure,
    meaning: 'The forecast does not meet an --slo (with --grid: no row meets them all).',
    hint: 'Change the settings (--set, --grid) until every SLO holds, or relax the SLO.',
    docs: 'simulate.md#slo-gates-for-ci',
  },
  SIM_HTML_UNWRITABLE: {
    area: 'simulate',
    kind: 'error',
    exit: usage,
    meaning: 'The --html report cannot be written.',
    hint: 'Pass a path in a folder that exists and you can write to.',
    docs: 'simulate.md#the-results',
  },

  // ── build ────────────────────────────────────────────────────────────────────────────────────────
  NOTHING_TO_BUILD: {
    area: 'build',
    kind: 'error',
    exit: usage,
    meaning: 'None of the chosen services has a build: section.',
    hint: 'Add `build: { context: . }` to a service.',
    docs: 'build.md',
  },
  DOCKERFILE_MISSING: {
    area: 'build',
    kind: 'error',
    exit: usage,
    meaning: 'The Dockerfile cannot be read.',
    hint: 'build.dockerfile is relative to build.context; `sls-run init` writes one.',
    docs: 'build.md',
  },
  DOCKERFILE_INVALID: {
    area: 'build',
    kind: ['error', 'diagnostic'],
    exit: failure,
    meaning: 'The engine refused a line of the Dockerfile (shown with its file, line and caret).',
    hint: 'Fix that line (see https://docs.docker.com/reference/dockerfile/).',
    docs: 'build.md#failures',
  },
  BUILD_TARGET_UNKNOWN: {
    area: 'build',
    kind: 'error',
    exit: usage,
    meaning: 'build.target is not a stage of the Dockerfile.',
    hint: 'Use one of the stages the hint lists (FROM image AS name).',
    docs: 'build.md',
  },
  BUILD_FAILED: {
    area: 'build',
    kind: ['error', 'event'],
    exit: failure,
    meaning: 'A build step failed (the error names the step and shows its last 30 output lines); no tag was written.',
    hint: 'Fix the step; --verbose shows the full engine output.',
    docs: 'build.md#failures',
  },
  BASE_IMAGE_UNAVAILABLE: {
    area: 'build',
    kind: 'error',
    exit: failure,
    meaning: 'A FROM image could not be pulled: absent and not pullable, or present but the pull failed.',
    hint: 'Pull it while online, check the name in FROM, or build without --pull to use the local copy.',
    docs: 'troubleshooting.md#offline-base-images',
  },
  STANDIN_IMAGE: {
    area: 'build',
    kind: 'error',
    exit: failure,
    meaning: 'The image is built FROM an offline test stand-in, not the real base: it is not tagged, pushed or deployed.',
    hint: 'Pull the real base and build again, or pass --allow-standin to go ahead anyway.',
    docs: 'build.md#stand-ins-are-refused',
  },
  SIZE_BUDGET_EXCEEDED: {
    area: 'build',
    kind: 'error',
    exit: failure,
    meaning: '`build --strict`: the image is larger than build.sizeBudget, so it was not tagged.',
    hint: 'See the largest layers (--verbose or the JSON result); a smaller base or a multi-stage build usually fixes it.',
    docs: 'build.md#size-report',
  },
  TAG_FAILED: {
    area: 'build',
    kind: 'error',
    exit: failure,
    meaning: 'The engine refused to tag the built image (tags already written are removed).',
    hint: 'Tags must be lowercase repository names with an optional :tag.',
    docs: 'build.md#tags-and-labels',
  },
  CONTEXT_UNREADABLE: {
    area: 'build',
    kind: 'error',
    exit: failure,
    meaning: 'A file or folder of the build context cannot be read.',
    hint: 'Check build.context, fix the permissions, or list the path in .dockerignore.',
    docs: 'build.md#context',
  },
  DOCKERIGNORE_INVALID: {
    area: 'build',
    kind: 'error',
    exit: failure,
    meaning: 'A .dockerignore line is a pattern Docker rejects (the message names the line).',
    hint: 'Escape a literal [ ] * ? or \\ with a backslash.',
    docs: 'build.md#context',
  },
  CA_BUNDLE_UNREADABLE: {
    area: 'build',
    kind: 'error',
    exit: usage,
    meaning: 'The --ca-bundle (or SLS_RUN_CA_BUNDLE) file cannot be read.',
    hint: 'Pass a PEM file that exists.',
    docs: 'troubleshooting.md#corporate-cas-and-tls-intercepting-proxies',
  },
  CA_BUNDLE_INVALID: {
    area: 'build',
    kind: 'error',
    exit: usage,
    meaning: 'The CA bundle holds no PEM certificate.',
    hint: "Pass a PEM file (-----BEGIN CERTIFICATE-----), e.g. your proxy's CA.",
    docs: 'troubleshooting.md#corporate-cas-and-tls-intercepting-proxies',
  },
  CA_BUNDLE_TOO_LARGE: {
    area: 'build',
    kind: 'error',
    exit: usage,
    meaning: 'The certificates of the CA bundle that are not public roots do not fit in a build argument.',
    hint: "Pass only your proxy's CA certificate(s).",
    docs: 'troubleshooting.md#corporate-cas-and-tls-intercepting-proxies',
  },

  // ── registries ───────────────────────────────────────────────────────────────────────────────────
  PUSH_NO_REGISTRY: {
    area: 'registry',
    kind: 'error',
    exit: usage,
    meaning: "The service's image names no registry or namespace, so it cannot be pushed.",
    hint: 'Set services.<name>.image to a repository you can push to, e.g. ghcr.io/acme/api.',
    docs: 'push.md',
  },
  REGISTRY_AUTH: {
    area: 'registry',
    kind: 'error',
    exit: failure,
    meaning: 'The registry refused the credentials (not retried); the hint names the source tried.',
    hint: 'Log in with `sls-run login REGISTRY`, or set SLS_RUN_REGISTRY_USERNAME and SLS_RUN_REGISTRY_PASSWORD.',
    docs: 'push.md#credentials-per-registry',
  },
  REGISTRY_DENIED: {
    area: 'registry',
    kind: 'error',
    exit: failure,
    meaning: 'The account can log in but may not push to this repository.',
    hint: 'Check its permissions (token scopes such as write:packages on ghcr.io).',
    docs: 'push.md#failures',
  },
  REGISTRY_REPO_UNKNOWN: {
    area: 'registry',
    kind: 'error',
    exit: failure,
    meaning: 'The registry has no such repository and does not create it on push.',
    hint: 'Create the repository first (ECR, Artifact Registry, ACR), or fix services.<name>.image.',
    docs: 'push.md#failures',
  },
  REGISTRY_UNAVAILABLE: {
    area: 'registry',
    kind: 'error',
    exit: failure,
    meaning: 'The registry could not be reached, after the retries.',
    hint: 'Check that the registry is reachable from the Docker engine, then push again (pushed layers are not sent twice).',
    docs: 'push.md#failures',
  },
  PUSH_FAILED: {
    area: 'registry',
    kind: 'error',
    exit: failure,
    meaning: 'The push failed for another reason (the message has what the engine said).',
    hint: 'Read the message; --verbose shows the engine output.',
    docs: 'push.md#failures',
  },
  REGISTRY_CREDENTIAL_HELPER: {
    area: 'registry',
    kind: 'error',
    exit: environment,
    meaning: 'A docker-credential-* helper named in the Docker config is missing or failed.',
    hint: 'Install the helper, or remove it from the Docker config (credsStore / credHelpers).',
    docs: 'push.md#credentials-per-registry',
  },
  DOCKER_CONFIG_INVALID: {
    area: 'registry',
    kind: 'error',
    exit: environment,
    meaning: 'The Docker config (config.json) cannot be read or is not valid JSON (the message has its path).',
    hint: 'Fix or remove the file, or point DOCKER_CONFIG at another folder.',
    docs: 'push.md#credentials-per-registry',
  },

  // ── deploy ───────────────────────────────────────────────────────────────────────────────────────
  DEPLOY_PROVIDER_UNSUPPORTED: {
    area: 'deploy',
    kind: 'error',
    exit: usage,
    meaning: "The environment's provider is neither built in nor registered by a plugin.",
    hint: 'Use one of the providers the hint lists, or install the plugin that provides it.',
    docs: 'deploy/README.md#provider-plugins',
  },
  PROVIDER_PLUGIN_INVALID: {
    area: 'deploy',
    kind: 'error',
    exit: environment,
    meaning: "A plugin's sls-run:providers hook failed, or returned something that is not a provider.",
    hint: 'Update or uninstall the plugin (sls-run plugins).',
    docs: 'deploy/README.md#provider-plugins',
  },
  DEPLOY_IMAGE_REQUIRED: {
    area: 'deploy',
    kind: 'error',
    exit: usage,
    meaning: 'No image digest for a service: it has no build: section, or --dry-run cannot build and push.',
    hint: 'Pass --image SERVICE=REPO@sha256:…, or add a build: section so deploy builds and pushes it.',
    docs: 'deploy/README.md',
  },
  DEPLOY_IMAGE_NOT_DIGEST: {
    area: 'deploy',
    kind: 'error',
    exit: usage,
    meaning: '--image has a tag but no digest; deploys are by digest.',
    hint: 'Pass REPO@sha256:… (the digest `sls-run push` prints).',
    docs: 'deploy/README.md',
  },
  DEPLOY_IMAGE_INVALID: {
    area: 'deploy',
    kind: 'error',
    exit: usage,
    meaning: '--image is not an image reference.',
    hint: 'Pass REPO@sha256:<64 hex digits>.',
    docs: 'deploy/README.md',
  },
  DEPLOY_IMAGE_LOCAL: {
    area: 'deploy',
    kind: ['error', 'warning'],
    exit: usage,
    meaning: 'The image is in a registry only this machine can reach (e.g. 127.0.0.1:5000); refused before any build or push (a warning with --dry-run or --allow-local-image).',
    hint: 'Push to a registry the platform can reach, or pass --allow-local-image.',
    docs: 'deploy/README.md',
  },
  DEPLOY_CREDENTIALS: {
    area: 'deploy',
    kind: 'error',
    exit: environment,
    meaning: 'No credentials for the platform were found, or they cannot be read.',
    hint: "Set them up as the platform's own tool reads them (the docs page says where, per provider).",
    docs: 'deploy/README.md#credentials',
  },
  DEPLOY_AUTH: {
    area: 'deploy',
    kind: 'error',
    exit: failure,
    meaning: 'The platform rejected the credentials.',
    hint: 'Refresh them with the platform tool (gcloud, kubectl, az, aws) or the CI secret.',
    docs: 'deploy/README.md#credentials',
  },
  DEPLOY_PERMISSION_DENIED: {
    area: 'deploy',
    kind: 'error',
    exit: failure,
    meaning: 'The identity lacks a permission on the platform.',
    hint: 'Grant the permission the message names (when the platform names it).',
    docs: 'deploy/README.md',
  },
  DEPLOY_NOT_FOUND: {
    area: 'deploy',
    kind: 'error',
    exit: failure,
    meaning: 'The platform has no such project, region, cluster, namespace or resource group.',
    hint: 'Check the environment settings in sls-run.yaml.',
    docs: 'deploy/README.md',
  },
  DEPLOY_CONFLICT: {
    area: 'deploy',
    kind: 'error',
    exit: failure,
    meaning: 'Someone else changed the service meanwhile, or an operation is still running (or it is being deleted).',
    hint: 'Run the deploy again.',
    docs: 'deploy/README.md',
  },
  DEPLOY_QUOTA: {
    area: 'deploy',
    kind: 'error',
    exit: failure,
    meaning: 'A quota or rate limit of the platform was hit.',
    hint: 'Raise the quota in the console, remove unused resources, or retry later.',
    docs: 'deploy/README.md',
  },
  DEPLOY_UNREACHABLE: {
    area: 'deploy',
    kind: 'error',
    exit: failure,
    meaning: "The platform's API (or its token endpoint) did not answer.",
    hint: 'Check the network and any endpoint override in the environment.',
    docs: 'deploy/README.md',
  },
  DEPLOY_API: {
    area: 'deploy',
    kind: 'error',
    exit: failure,
    meaning: 'The platform refused a request or answered something unexpected (the message has what it said).',
    hint: "Read the platform's message; the details hold its HTTP status and body.",
    docs: 'deploy/README.md',
  },
  DEPLOY_ROLLOUT_FAILED: {
    area: 'deploy',
    kind: 'error',
    exit: failure,
    meaning: 'The new revision did not get ready; the previous one (if any) keeps serving.',
    hint: "Look at the platform's logs and revision conditions for why it did not start.",
    docs: 'deploy/README.md',
  },
  DEPLOY_TIMEOUT: {
    area: 'deploy',
    kind: 'error',
    exit: failure,
    meaning: 'The new revision was not ready within --timeout.',
    hint: 'Raise --timeout, or look at the platform for why it is slow.',
    docs: 'deploy/README.md',
  },
  DEPLOY_UNSUPPORTED: {
    area: 'deploy',
    kind: 'error',
    exit: failure,
    meaning: 'The provider has no such operation (`deploy status` or `deploy remove`).',
    hint: "Use the platform's own tool for this.",
    docs: 'deploy/README.md',
  },
  DEPLOY_ENVIRONMENT_UNSUITED: {
    area: 'deploy',
    kind: 'error',
    exit: failure,
    meaning: 'The target environment cannot run the service as configured (an Azure Container Apps environment without workload profiles for more than 2 vCPUs / 4Gi); nothing was changed.',
    hint: 'Lower the resources for that environment, or deploy to an environment that can run them (the message says which).',
    docs: 'deploy/README.md',
  },
  DEPLOY_SCHEDULE_UNSUPPORTED: {
    area: 'deploy',
    kind: 'error',
    exit: usage,
    meaning: "A service's `schedules:` entry cannot be deployed to this platform as written (the platform's scheduler cannot send it).",
    hint: 'The message says which schedule and why; change it, or deploy that service to a platform whose scheduler can send it.',
    docs: 'deploy/README.md',
  },
  DEPLOY_NAME_INVALID: {
    area: 'deploy',
    kind: 'error',
    exit: usage,
    meaning: "A service's `deployName` breaks the platform's naming rule (Azure Container Apps: 2–32 characters…).",
    hint: 'Choose a name that fits the rule in the message, or leave deployName out to get a derived one.',
    docs: 'deploy/README.md',
  },

  // ── init ─────────────────────────────────────────────────────────────────────────────────────────
  INIT_DIR_NOT_EMPTY: {
    area: 'init',
    kind: 'error',
    exit: usage,
    meaning: 'The target folder is not empty.',
    hint: 'Choose a new folder, or pass --force (files with the same name are overwritten).',
    docs: 'templates.md',
  },
  INIT_INVALID_NAME: {
    area: 'init',
    kind: 'error',
    exit: usage,
    meaning: 'The project name cannot be used as a name, a service and an image in sls-run.yaml.',
    hint: 'Pass --name with lowercase letters, digits and "-", starting with a letter.',
    docs: 'templates.md',
  },
  INIT_UNKNOWN_TEMPLATE: {
    area: 'init',
    kind: 'error',
    exit: usage,
    meaning: '--template names no built-in template (and is not a path).',
    hint: 'Use one of the templates the hint lists, or a path to a template folder.',
    docs: 'templates.md',
  },
  INIT_TEMPLATE_NOT_FOUND: {
    area: 'init',
    kind: 'error',
    exit: usage,
    meaning: 'The template folder does not exist.',
    hint: 'A custom template is a folder with the layout of the built-in ones (templates/ in the package).',
    docs: 'templates.md',
  },
  INIT_TEMPLATE_INVALID: {
    area: 'init',
    kind: 'error',
    exit: usage,
    meaning: "The template's template.json is not valid JSON.",
    hint: 'Fix template.json in the template folder.',
    docs: 'templates.md',
  },
  INIT_TEMPLATE_UNSAFE: {
    area: 'init',
    kind: 'error',
    exit: usage,
    meaning: 'A template path would be written outside the new project folder, or is a symlink out of the template; nothing was written.',
    hint: 'Fix the template: every path must stay inside the project folder.',
    docs: 'templates.md',
  },
  INIT_INSTALL_FAILED: {
    area: 'init',
    kind: 'error',
    exit: failure,
    meaning: '`init --install`: the project was created but its install command failed.',
    hint: 'Run the install it names in the project once the cause is fixed.',
    docs: 'templates.md',
  },
} as const satisfies Record<string, ErrorEntry>

export type ErrorCode = keyof typeof CATALOGUE

export const ERROR_CODES = Object.keys(CATALOGUE) as ErrorCode[]

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(CATALOGUE, value)
}

export const kindsOf = (code: ErrorCode): readonly ErrorKind[] => {
  const kind: ErrorEntry['kind'] = CATALOGUE[code].kind
  return typeof kind === 'string' ? [kind] : kind
}

export const exitsOf = (code: ErrorCode): readonly ExitCode[] => {
  const exit: ErrorEntry['exit'] = CATALOGUE[code].exit
  return exit === null ? [] : typeof exit === 'number' ? [exit] : exit
}

/** The docs/ target of a code (`troubleshooting.md#no-docker-engine`), if a page explains it. */
export const docsOf = (code: ErrorCode): string | undefined => {
  const entry: ErrorEntry = CATALOGUE[code]
  return entry.docs
}

const cell = (text: string) => text.replace(/\|/g, '\\|')

/** docs/errors.md: every code by area, with its kinds, exit code, meaning, hint and docs page (a link relative to docs/). */
export function errorsMarkdown(): string {
  const out = [
    '# Error codes',
    '',
    '<!-- Generated from src/error-codes.ts by `npm run gen`; edit the catalogue, not this file. -->',
    '',
    'Every code sls-run reports. An **error** ends the command: it is printed as `error CODE message` with hints',
    '(with `--json`: `{"status":"error","error":{"code",…}}`) and the command exits with the code below (see',
    '[Exit codes](commands.md#exit-codes)). A **diagnostic** is one problem of a file with its line and column,',
    'reported inside `CONFIG_INVALID` (sls-run.yaml) or `DOCKERFILE_INVALID`. An **event** is reported by a running',
    '`sls-run dev` session, which goes on; a **warning** is part of a result. Exit "—": the code never ends a',
    'command by itself.',
    '',
    'The last column links the page that explains the problem, where one does; an error prints the same page (the',
    'copy in the installed package) as its last hint line, `docs: …`, and `--json` as `error.docs`.',
    '',
    "A deploy plan's warnings (`KNATIVE_*`, `CLOUD_RUN_*`, `ACA_*`, `ECS_*`, …) say how a setting was translated",
    'for one platform: they are listed in [What each setting becomes](deploy/README.md#what-each-setting-becomes).',
    '',
  ]
  for (const [area, title] of ERROR_AREAS) {
    const codes = ERROR_CODES.filter((code) => CATALOGUE[code].area === area)
    if (!codes.length) continue
    out.push(`## ${title}`, '', '| code | kind | exit | meaning | what to do | docs |', '| --- | --- | --- | --- | --- | --- |')
    for (const code of codes) {
      const entry = CATALOGUE[code]
      const exits = exitsOf(code)
      const docs = docsOf(code)
      out.push(`| \`${code}\` | ${kindsOf(code).join(', ')} | ${exits.length ? exits.join(' or ') : '—'} | ${cell(entry.meaning)} | ${cell(entry.hint)} | ${docs ? `[${docs}](${docs})` : '—'} |`)
    }
    out.push('')
  }
  return out.join('\n')
}
