/** The settings of a `provider: cloud-run` environment: the only description of them (../settings.ts). */
import { bool, nonEmpty } from '../../../config/fields.js'
import { defineSettings } from '../settings.js'

export const cloudRunSettings = defineSettings('cloud-run', {
  project: nonEmpty('a Google Cloud project id').describe('Google Cloud project id'),
  region: nonEmpty('a region such as us-central1').describe('Cloud Run region'),
  public: bool().prefault(false).describe('Grant roles/run.invoker to allUsers'),
})
