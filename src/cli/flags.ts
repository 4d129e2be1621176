import { Flags } from '../vendor/oclif.js'

export const configFlag = Flags.string({
  char: 'c',
  description: 'Path to sls-run.yaml (default: the nearest one from the current folder upwards).',
  helpValue: 'FILE',
})
