export { planDeploy, type DeployPlanRequest } from './plan.js'
export { parseDigestRef, type DigestRef } from './image-ref.js'
export { loadProvider, availableProviders } from './registry.js'
export type { Deployment, DeployContext, Plan, PlanContext, PlanDefault, PlanStep, PlanWarning, Provider, ProviderSettings } from './types.js'
