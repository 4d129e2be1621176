/** Plans as text: YAML (a manifest as a YAML document, a request as a comment line plus its body) or JSON. */
import { stringify } from 'yaml'
import type { Plan } from './types.js'

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
      return `${head}\n${steps.join('---\n')}`
    })
    .join('---\n')
}
