import { Flags } from '@oclif/core'

export const configFlag = Flags.string({
  char: 'c',
  description: 'Path to sls-run.yaml (default: the nearest one from the current folder upwards).',
  helpValue: 'FILE',
})
