/** sls-run.yaml's `scaling` → the autoscaler's model and resolved parameters. */
import type { ScalingModel, ScalingSpec } from '../autoscaler/autoscaler.js'
import type { ServiceConfig } from '../config/schema.js'
import type { ProviderId } from '../config/schema.js'

/** The model a service runs: its own `scaling.model`, else the session's default (`dev --scaling-model`), else instant. */
export const modelOf = (scaling: ServiceConfig['scaling'], sessionDefault: ScalingModel = 'instant'): ScalingModel => scaling.model ?? sessionDefault

export function scalingSpec(scaling: ServiceConfig['scaling'], sessionDefault?: ScalingModel): ScalingSpec {
  const model = modelOf(scaling, sessionDefault)
  switch (model) {
    case 'instant':
      return { model, idleTimeoutMs: scaling.idleTimeout }
    case 'cloud-run': {
      const p = scaling.cloudRun
      return { model, windowMs: p.window, targetUtilization: p.targetUtilization, evaluateEveryMs: p.evaluateEvery, idleRetentionMs: p.idleRetention ?? scaling.idleTimeout }
    }
    case 'knative': {
      const p = scaling.knative
      return {
        model,
        target: p.target,
        targetUtilization: p.targetUtilization,
        stableWindowMs: p.stableWindow,
        panicWindowPercentage: p.panicWindowPercentage,
        panicThresholdPercentage: p.panicThresholdPercentage,
        tickMs: p.tick,
        scaleToZeroGracePeriodMs: p.scaleToZeroGracePeriod,
        maxScaleUpRate: p.maxScaleUpRate,
        maxScaleDownRate: p.maxScaleDownRate,
        initialScale: p.initialScale,
      }
    }
    case 'container-apps': {
      const p = scaling.containerApps
      return { model, concurrentRequests: p.concurrentRequests, pollingIntervalMs: p.pollingInterval, cooldownPeriodMs: p.cooldownPeriod, scaleDownStabilizationMs: p.scaleDownStabilization }
    }
  }
}

/** The model that reproduces a deploy provider's scaling (aws-ecs scales on CPU/ALB metrics, not per request: none). */
export const PRODUCTION_MODEL: Record<ProviderId, ScalingModel | undefined> = {
  'cloud-run': 'cloud-run',
  knative: 'knative',
  'azure-container-apps': 'container-apps',
  'aws-ecs': undefined,
}
