/** oclif's help plus an EXIT CODES section, on the root help and on every command's help. */
import { Help } from '@oclif/core'
import { EXIT_CODE_HELP } from '../errors.js'

const exitCodes = () => ['EXIT CODES', ...EXIT_CODE_HELP.map(([code, meaning]) => `  ${code}  ${meaning}`)].join('\n')

export default class SlsHelp extends Help {
  protected override async showRootHelp(): Promise<void> {
    await super.showRootHelp()
    this.log(exitCodes())
  }

  override formatCommand(command: Parameters<Help['formatCommand']>[0]): string {
    return `${super.formatCommand(command)}\n\n${exitCodes()}`
  }
}
