/** The settings of a `provider: cloud-run` environment: the only description of them (../settings.ts). */
import { bool, nonEmpty, patterned } from '../../../config/fields.js'
import { defineSettings } from '../settings.js'

export const cloudRunSettings = defineSettings('cloud-run', {
  project: nonEmpty('a Google Cloud project id').describe('Google Cloud project id'),
  region: nonEmpty('a region such as us-central1').describe('Cloud Run region'),
  public: bool().prefault(false).describe('Grant roles/run.invoker to allUsers'),
  schedulerServiceAccount: patterned(/^[^@\s]+@[^@\s]+\.gserviceaccount\.com$/, 'a service account email such as scheduler@acme.iam.gserviceaccount.com')
    .optional()
    .describe("Service account whose OIDC token Cloud Scheduler jobs (a service's schedules) call the service with; deploy grants it roles/run.invoker on the service"),
})
