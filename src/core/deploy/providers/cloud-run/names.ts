/** The name a Cloud Run service gets (../../naming.ts). */
import type { NameRule } from '../../naming.js'

/**
 * Cloud Run service names: the serviceId "must begin with letter, and cannot end with hyphen; must contain
 * fewer than 50 characters" (Admin API v2 projects.locations.services.create,
 * https://cloud.google.com/run/docs/reference/rest/v2/projects.locations.services/create), of lowercase
 * letters, digits and hyphens (https://cloud.google.com/run/docs/deploying#service): a DNS-1035 label of
 * at most 49 characters. sls-run's service names are DNS-1123 labels, so one starting with a digit is renamed.
 */
export const CLOUD_RUN_NAME: NameRule = {
  platform: 'Cloud Run',
  what: 'service',
  min: 1,
  max: 49,
  allowed: /^[a-z0-9-]$/,
  valid: /^[a-z]([-a-z0-9]*[a-z0-9])?$/,
  describe: '1–49 lowercase letters, digits and hyphens, a letter first, not ending with a hyphen',
  source: 'https://cloud.google.com/run/docs/reference/rest/v2/projects.locations.services/create (serviceId)',
}
