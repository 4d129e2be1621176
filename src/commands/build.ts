import { Args, Flags } from '../vendor/oclif.js'
import { NdjsonCommand } from '../cli/ndjson-command.js'
import { configFlag } from '../cli/flags.js'
import { loadConfig } from '../core/config/index.js'
import { buildTarget, planBuild, SKIPPED, type BuildEvent, type BuildRequest, type BuildResult } from '../core/image/build.js'
import { chooseBuilder, parseBuildArgs } from '../core/image/request.js'
import { connect, probeEngine } from '../runtime/docker/engine.js'
import { formatBuildResult, plainBuildRenderer, runWithTasks } from '../ui/build-output.js'

export default class Build extends NdjsonCommand {
  static override summary = 'Build the image of each service with a build: section through the Docker engine.'
  static override description = [
    'Tags <image>:<git short sha> (with -dirty when the tree has changes) and <image>:latest, plus --tag; the image',
    'is tagged only when the whole build succeeded. Prints a size report (the five largest layers and the line that',
    'made each). With --json, stdout is NDJSON progress events; the last line is the result envelope.',
  ].join('\n')
  static override examples = ['<%= config.bin %> build', '<%= config.bin %> build api --tag v1.4.0 --no-cache', '<%= config.bin %> build --json | tail -n 1']
  static override strict = false
  static override args = { service: Args.string({ description: 'Services to build (default: every service with a build: section).' }) }
  static override flags = {
    config: configFlag,
    tag: Flags.string({ char: 't', description: 'Extra tag: a tag for the service image (v1.2) or a full repo:tag.', multiple: true, default: [] }),
    'no-cache': Flags.boolean({ description: 'Build every step again.' }),
    pull: Flags.boolean({ description: 'Pull newer versions of the base images.' }),
    platform: Flags.string({ description: 'Target platform, e.g. linux/amd64 (Cloud Run runs linux/amd64 only).' }),
    'build-arg': Flags.string({ description: 'KEY=VALUE build argument (KEY alone: from the environment); repeatable; overrides build.args.', multiple: true, default: [] }),
    builder: Flags.string({ description: 'auto: BuildKit when the engine makes it the default (or DOCKER_BUILDKIT=1), else classic.', options: ['auto', 'buildkit', 'classic'], default: 'auto' }),
    strict: Flags.boolean({ description: 'An image over build.sizeBudget is an error (not tagged) instead of a warning.' }),
    'allow-standin': Flags.boolean({ description: 'Build and tag an image FROM an offline test stand-in base (labelled dev.sls-run.standin=true); refused otherwise.' }),
    'ca-bundle': Flags.string({
      description: 'PEM file of extra CA certificates for build steps (docs/build.md, "Builds behind a TLS-intercepting proxy").',
      env: 'SLS_RUN_CA_BUNDLE',
      helpValue: 'FILE',
    }),
  }

  async run(): Promise<BuildResult[]> {
    const { flags, argv } = await this.parse(Build)
    const loaded = await loadConfig({ file: flags.config })
    const request: BuildRequest = {
      services: argv as string[],
      tags: flags.tag,
      noCache: flags['no-cache'],
      pull: flags.pull,
      platform: flags.platform,
      buildArgs: parseBuildArgs(flags['build-arg']),
      builder: 'classic', // chosen once the engine answers, below
      strict: flags.strict,
      caBundle: flags['ca-bundle'],
      refuseStandin: !flags['allow-standin'],
    }
    const plan = await planBuild(loaded.config, request) // config, Dockerfile and target problems first: exit 2 with or without an engine
    const emit: (e: BuildEvent) => void = this.jsonEnabled() ? this.ndjson<BuildEvent>() : plainBuildRenderer(this.paint, (text) => process.stderr.write(text), this.debugMode)
    for (const service of plan.skipped) emit({ type: 'skipped', service, reason: SKIPPED })
    for (const message of plan.warnings) this.warn(message)
    const engine = await probeEngine(process.env, 5000)
    request.builder = chooseBuilder(flags.builder, engine.defaultBuilder, process.env.DOCKER_BUILDKIT)
    const { docker } = await connect(process.env, 0)
    const run = (target: (typeof plan.targets)[number], sink: (e: BuildEvent) => void) =>
      buildTarget(docker, target, request, (event) => (event.type === 'warning' ? this.warn(event.message) : sink(event)))
    let results: BuildResult[] = []
    if (this.terminal.interactive && !this.jsonEnabled()) results = await runWithTasks(plan.targets, run)
    else for (const target of plan.targets) results.push(await run(target, emit))
    for (const result of results) this.print(formatBuildResult(result, this.paint))
    return results
  }
}
