/**
 * One service revision's autoscaler: the model's pure decision (models/*.ts) with the state it carries
 * from one call to the next, the result bounded by min/max instances. Live `dev` (pool.ts) and
 * `simulate` both drive it; neither adds rules of its own.
 */
import { cloudRun } from './models/cloud-run.js'
import { containerApps } from './models/container-apps.js'
import { instant } from './models/instant.js'
import { knative } from './models/knative.js'
import type { Model, ScaleDecision, ScaleInput, ScalingModel, ScalingSpec } from './types.js'

export type { InstanceView, Mode, ScaleDecision, ScaleInput, ScalingModel, ScalingSpec } from './types.js'
export { LoadMeter } from './load.js'
export { instanceView, scaleInOrder, type ScalingSlot } from './slots.js'

// Each model takes its own parameters; the spec carries them under its `model` tag.
const MODELS = { instant, 'cloud-run': cloudRun, knative, 'container-apps': containerApps } as unknown as Record<ScalingModel, Model<ScalingSpec, unknown>>

export class Autoscaler {
  private readonly impl: Model<ScalingSpec, unknown>
  private state: unknown
  private lastDecision: ScaleDecision | undefined

  constructor(readonly spec: ScalingSpec) {
    this.impl = MODELS[spec.model]
    this.state = this.impl.initial()
  }

  get model(): ScalingModel {
    return this.spec.model
  }
  /** Evaluation period, or undefined: on events only. */
  get tickMs(): number | undefined {
    return this.impl.tickMs(this.spec)
  }
  get horizonMs(): number {
    return this.impl.horizonMs(this.spec)
  }
  /** Idle time after which the model may remove an instance (undefined: it decides on its tick). */
  get idleRetentionMs(): number | undefined {
    return this.impl.idleRetentionMs?.(this.spec)
  }
  get initialScale(): number {
    return this.impl.initialScale(this.spec)
  }
  get last(): ScaleDecision | undefined {
    return this.lastDecision
  }

  /** The model's decision for this input, bounded by min/max; undefined when the model ignores the trigger. */
  decide(input: ScaleInput): ScaleDecision | undefined {
    const out = this.impl.decide(this.spec, this.state, input)
    if (!out) return undefined
    this.state = out.state
    const desired = Math.min(Math.max(out.decision.desired, input.minInstances), input.maxInstances)
    const reason = desired !== out.decision.desired ? (desired === input.minInstances ? 'minInstances' : 'maxInstances') : out.decision.reason
    this.lastDecision = { ...out.decision, desired, reason }
    return this.lastDecision
  }
}
