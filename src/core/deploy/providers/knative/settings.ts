/** The settings of a `provider: knative` environment: the only description of them (../settings.ts). */
import { nonEmpty } from '../../../config/fields.js'
import { defineSettings, type SettingsOf } from '../settings.js'

export const knativeSettings = defineSettings('knative', {
  context: nonEmpty('a kubeconfig context name').optional().describe('kubeconfig context (default: current)'),
  namespace: nonEmpty('a namespace').prefault('default').describe('Kubernetes namespace'),
})

/** What the adapter works with: every default in place. */
export type KnativeSettings = SettingsOf<typeof knativeSettings>
