/** The name a Knative Service gets (../../naming.ts). */
import type { NameRule } from '../../naming.js'

/**
 * Knative Service names. The webhook requires a DNS-1035 label (knative.dev/pkg apis/metadata_validation.go,
 * ValidateObjectMetadata: NameIsDNS1035Label, at most 63 characters). Each revision is named
 * `<configuration>-<generation as %05d>` (knative.dev/serving's configuration reconciler, with
 * kmeta.ChildName(config.Name, "-00001")), and ChildName (knative.dev/pkg kmeta/names.go) replaces the end
 * of a name longer than 63 - len("-00001") = 57 with an MD5 hash: so a Service name of at most 57
 * characters keeps its revisions named `<name>-00001`, `<name>-00002`… (what sls-run reports and the
 * kubectl hints use). The Configuration and Route take the Service's name.
 */
export const KNATIVE_NAME: NameRule = {
  platform: 'Knative',
  what: 'Service',
  min: 1,
  max: 57,
  allowed: /^[a-z0-9-]$/,
  valid: /^[a-z]([-a-z0-9]*[a-z0-9])?$/,
  describe: 'DNS-1035 labels of 1–57 characters (lowercase letters, digits and hyphens, a letter first, not ending with a hyphen), so that revision names <name>-00001 stay within 63',
  source: 'https://github.com/knative/pkg/blob/main/apis/metadata_validation.go (DNS-1035 label) and https://github.com/knative/pkg/blob/main/kmeta/names.go (revision names: ChildName)',
}
