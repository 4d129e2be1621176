/**
 * Plans as text: YAML (a manifest as a YAML document, a request as a comment line plus its body; the
 * platform defaults used for what sls-run.yaml leaves unset as comment lines under the heading) or JSON
 * (the plans as they are, `defaults` included).
 */
import { stringify } from '../../vendor/yaml.js'
import type { Plan } from './types.js'

const defaultLines = (plan: Plan) =>
  plan.defaults?.length ? `# not set in sls-run.yaml, so the platform's defaults apply:\n${plan.defaults.map((d) => `#   ${d.setting}: ${d.value} — ${d.source}\n`).join('')}` : ''

export function renderPlans(plans: Plan[], format: 'yaml' | 'json'): string {
  if (format === 'json') return JSON.stringify(plans, null, 2)
  return plans
    .map((plan) => {
      const target = Object.entries(plan.target)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')
      const head = `# ${plan.service} → ${plan.provider} (${target}), environment ${plan.environment}`
      const steps = plan.steps.map((step) =>
        step.kind === 'manifest'
          ? `# ${step.purpose}\n${stringify(step.manifest, { lineWidth: 0 })}`
          : `# ${step.purpose}\n# ${step.method} ${step.url}\n${step.body === undefined ? '' : stringify(step.body, { lineWidth: 0 })}`,
      )
      return `${head}\n${defaultLines(plan)}${steps.join('---\n')}`
    })
    .join('---\n')
}
