import path from 'node:path'
import { Args, Flags } from '../vendor/oclif.js'
import { BaseCommand } from '../cli/base-command.js'
import { checkName, scaffold, type ScaffoldResult } from '../core/scaffold/scaffold.js'
import { installDependencies } from '../core/scaffold/install.js'
import { listTemplates, resolveTemplate, type Template } from '../core/scaffold/templates.js'
import { ExitCode, SlsError } from '../errors.js'
import { terminalAsker } from '../ui/prompt.js'

export default class Init extends BaseCommand {
  static override summary = 'Create a new app from a template: code, tests, a lean multi-stage Alpine Dockerfile, sls-run.yaml and a CI workflow.'
  static override description = [
    'On an interactive terminal, missing choices are asked for. Under CI or without a TTY nothing is asked:',
    '--template is then required, and the rest default (name: the folder name, port 8080, ci github).',
    'Existing files are never overwritten without --force; the tree is built in a temp folder and moved into place.',
  ].join('\n')
  static override examples = ['<%= config.bin %> init my-api --template node', '<%= config.bin %> init site -t static --ci none --yes', '<%= config.bin %> init --list']
  static override args = { dir: Args.string({ description: 'Folder to create the app in (default: the current folder).', default: '.' }) }
  static override flags = {
    template: Flags.string({ char: 't', description: 'node, python, go, static, or a path to a template folder.' }),
    name: Flags.string({ description: 'Project and service name, a DNS label (default: the folder name).' }),
    port: Flags.integer({ description: 'Port the app listens on by default.', min: 1, max: 65535 }),
    ci: Flags.string({ description: 'CI workflow to write.', options: ['github', 'gitlab', 'none'] }),
    yes: Flags.boolean({ char: 'y', description: 'Ask nothing: take the defaults for what is not given.' }),
    force: Flags.boolean({ description: 'Write into a non-empty folder, overwriting files with the same names.' }),
    list: Flags.boolean({ description: 'List the templates and exit.' }),
    install: Flags.boolean({
      description: "Install the template's dependencies (e.g. npm ci) so that `sls-run dev` runs at once. Default: on an interactive terminal; --no-install never.",
      allowNo: true,
    }),
  }

  async run(): Promise<(ScaffoldResult & { installed: boolean }) | Array<Pick<Template, 'id'> & { description: string }>> {
    const { args, flags } = await this.parse(Init)
    if (flags.list) {
      const list = listTemplates().map((t) => ({ id: t.id, description: t.manifest.description }))
      this.print(list.map((t) => `${t.id.padEnd(8)} ${t.description}`).join('\n'))
      return list
    }
    const dir = path.resolve(args.dir)
    const choices = await this.choices(flags, path.basename(dir))
    const template = resolveTemplate(choices.template)
    const result = await scaffold({ dir, template, name: choices.name, port: choices.port, ci: choices.ci, force: flags.force })
    const where = path.relative(process.cwd(), dir) || '.'
    const install = template.manifest.install
    const installed = install && (flags.install ?? (this.terminal.interactive && !this.jsonEnabled())) ? await installDependencies(dir, install) : undefined
    this.print(
      [
        `created ${where} from the ${result.template} template (${result.files.length} files${result.overwritten.length ? `, ${result.overwritten.length} overwritten` : ''})`,
        ...(installed ? [`installed its dependencies (${installed.command}, ${(installed.durationMs / 1000).toFixed(1)} s)`] : []),
        'next:',
        ...(where === '.' ? [] : [`  cd ${where}`]),
        ...(install && !installed ? [`  ${install}${' '.repeat(Math.max(1, 34 - install.length))}# install its dependencies (or: sls-run init --install)`] : []),
        '  sls-run dev                       # run it on the local serverless platform',
        '  sls-run deploy --env production   # after adding an environment to sls-run.yaml',
      ].join('\n'),
    )
    return { ...result, installed: Boolean(installed) }
  }

  /** Flags first; then, only on an interactive terminal and without --yes, questions; else defaults or exit 2. */
  private async choices(flags: { template?: string; name?: string; port?: number; ci?: string; yes: boolean }, folder: string) {
    const defaults = { name: flags.name ?? folder, port: flags.port ?? 8080, ci: (flags.ci ?? 'github') as 'github' | 'gitlab' | 'none' }
    const ask = this.terminal.interactive && !flags.yes && !this.jsonEnabled() && process.stdin.isTTY
    if (!ask) {
      if (!flags.template) {
        throw new SlsError('USAGE', 'missing --template (nothing is asked under CI, without a terminal, or with --yes)', {
          exitCode: ExitCode.usage,
          hints: [
            `Templates: ${listTemplates()
              .map((t) => t.id)
              .join(', ')}, e.g. \`sls-run init ${folder} --template node\`.`,
          ],
        })
      }
      return { template: flags.template, ...defaults }
    }
    const asker = terminalAsker()
    try {
      const template =
        flags.template ??
        (await asker.choose(
          'Template?',
          listTemplates().map((t) => ({ value: t.id, label: t.manifest.description })),
          'node',
        ))
      const name =
        flags.name ??
        (await asker.text('Name', defaults.name, (n) => {
          try {
            checkName(n)
          } catch (e) {
            return (e as Error).message
          }
        }))
      const port = flags.port ?? Number(await asker.text('Port', String(defaults.port), (p) => (/^\d+$/.test(p) && Number(p) >= 1 && Number(p) <= 65535 ? undefined : 'a port between 1 and 65535')))
      const ci = (flags.ci ??
        (await asker.choose(
          'CI workflow?',
          [
            { value: 'github', label: 'GitHub Actions' },
            { value: 'gitlab', label: 'GitLab CI' },
            { value: 'none', label: 'none' },
          ],
          'github',
        ))) as typeof defaults.ci
      return { template, name, port, ci }
    } finally {
      asker.close()
    }
  }
}
