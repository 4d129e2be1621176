/**
 * What Azure calls a service's app and its schedules' jobs (../../naming.ts does the deriving).
 *
 * Container apps (Microsoft.App/containerApps): 2–32 characters, lowercase letters, numbers and hyphens,
 * starting with a letter and ending alphanumeric ("Naming rules and restrictions for Azure resources",
 * https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/resource-name-rules#microsoftapp);
 * ARM also refuses `--` (ContainerAppInvalidName: "A name must consist of lower case alphanumeric characters or
 * '-', start with an alphabetic character, and end with an alphanumeric character and cannot have '--'"), since
 * `--` separates an app's name from its revision suffix (`api--r1`).
 *
 * Container Apps jobs (Microsoft.App/jobs) have no row of their own on that page; the same rule is applied to
 * them (a job's executions are named `<job>-<suffix>` the same way), so a job name that passes fits both.
 */
import { platformName, type NameRule } from '../../naming.js'
import type { PlanWarning } from '../../types.js'

const RULE = {
  platform: 'Azure Container Apps',
  min: 2,
  max: 32,
  allowed: /^[a-z0-9-]$/,
  valid: /^[a-z](?!.*--)[a-z0-9-]*[a-z0-9]$/,
  describe: '2–32 lowercase letters, digits and hyphens, starting with a letter, ending with a letter or digit, without "--"',
  source: 'https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/resource-name-rules#microsoftapp',
} as const

export const APP_RULE: NameRule = { ...RULE, what: 'container app' }
export const JOB_RULE: NameRule = { ...RULE, what: 'job' }

/** The container app's name for `service` (its `deployName` when set), and the warning when it was derived. */
export function appName(service: string, deployName?: string): { name: string; warning?: PlanWarning } {
  return platformName(service, APP_RULE, deployName)
}

/** The job that sends schedule `schedule` to app `app`: `<app>-<schedule>`, derived when that does not fit. */
export function jobName(app: string, schedule: string): { name: string; warning?: PlanWarning } {
  const { name, warning } = platformName(`${app}-${schedule}`, JOB_RULE)
  return { name, ...(warning ? { warning: { ...warning, setting: `schedules.${schedule}` } } : {}) }
}
