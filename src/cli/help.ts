/**
 * oclif's help plus an EXIT CODES section and a `Docs:` line (the command's docs/ page in the installed
 * package), on the root help and on every command's help; `sls-run` alone prints a short start-here
 * instead of the command list. Loaded for every help: it imports nothing heavier than oclif and node:path.
 */
import { Help } from '../vendor/oclif.js'
import { EXIT_CODE_HELP } from '../errors.js'
import { docsLocation } from '../ui/docs-location.js'
import { ROOT_DOCS, START_DOCS, commandDocs, docsLine } from './docs-links.js'

const exitCodes = () => ['EXIT CODES', ...EXIT_CODE_HELP.map(([code, meaning]) => `  ${code}  ${meaning}`)].join('\n')

/** What `sls-run` with no arguments prints: what it is, the quickstart's three commands, where to go next. */
export function startHere(bin: string): string {
  const steps: Array<[string, string]> = [
    [`${bin} init my-app --template node`, 'create an app from a template (node, python, go, static)'],
    [`cd my-app && ${bin} dev`, 'run it on the local platform; dashboard at http://127.0.0.1:4280/'],
    [`${bin} build`, 'build its container image (needs a Docker engine)'],
  ]
  const width = Math.max(...steps.map(([command]) => command.length))
  return [
    `${bin} builds serverless containers, runs them locally like Cloud Run / Knative, and deploys them.`,
    '',
    'Start here:',
    ...steps.map(([command, what]) => `  ${command.padEnd(width)}   ${what}`),
    '',
    `${bin} --help for every command; docs: ${docsLocation(START_DOCS)}`,
  ].join('\n')
}

export default class SlsHelp extends Help {
  override async showHelp(argv: string[]): Promise<void> {
    if (argv.length === 0) return this.log(startHere(this.config.bin))
    await super.showHelp(argv)
  }

  protected override async showRootHelp(): Promise<void> {
    await super.showRootHelp()
    this.log(exitCodes())
    this.log('')
    this.log(docsLine(ROOT_DOCS))
  }

  override async showCommandHelp(command: Parameters<Help['showCommandHelp']>[0]): Promise<void> {
    const id = command.id // formatCommand rewrites it with the topic separator
    await super.showCommandHelp(command)
    this.log(docsLine(commandDocs(id)))
  }

  protected override async showTopicHelp(topic: Parameters<Help['showTopicHelp']>[0]): Promise<void> {
    const name = topic.name
    await super.showTopicHelp(topic)
    this.log(docsLine(commandDocs(name)))
  }

  override formatCommand(command: Parameters<Help['formatCommand']>[0]): string {
    return `${super.formatCommand(command)}\n\n${exitCodes()}`
  }
}
