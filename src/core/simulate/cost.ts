/**
 * What a simulated run would cost, per provider, from the instance time it measured (simulator.ts) and
 * the price tables in core/emulator/pricing.ts. Each figure names its basis and its prices' source and
 * date; `usdPerMonth` is the run's rate over 30 days. Free tiers are not subtracted (they are per
 * account or subscription, shared with everything else), except Container Apps' with `freeGrant`.
 */
import { cloudRunPricing, containerAppsPricing, fargatePricing } from '../emulator/pricing.js'
import type { SimOutcome } from './simulator.js'
import type { CostFigure } from './types.js'

const MONTH_MS = 30 * 24 * 3600 * 1000

export interface CostResources {
  cpu: number
  memoryGiB: number
}

export function costs(o: SimOutcome, r: CostResources, options: { freeGrant?: boolean } = {}): Record<string, CostFigure> {
  const perMonth = (usd: number) => (o.endMs > 0 ? (usd * MONTH_MS) / o.endMs : 0)
  const figure = (usd: number, basis: string, source: string): CostFigure => ({ usd: round(usd), usdPerMonth: round(perMonth(usd)), basis, source })
  const s = (ms: number) => ms / 1000
  const { requestBased: rb, instanceBased: ib } = cloudRunPricing
  const cloudRunSource = `${cloudRunPricing.source}, retrieved ${cloudRunPricing.retrieved}`
  const cloudRun = s(o.usage.billableMs) * (rb.vcpuSecond * r.cpu + rb.gibSecond * r.memoryGiB) + (o.requests / 1e6) * rb.perMillionRequests
  const cloudRunInstance = s(o.usage.aliveMs) * (ib.vcpuSecond * r.cpu + ib.gibSecond * r.memoryGiB)
  const fargate = (s(o.usage.fargateMs) / 3600) * (fargatePricing.vcpuHour * r.cpu + fargatePricing.gbHour * r.memoryGiB)
  const aca = containerAppsPricing
  const activeS = s(o.usage.activeMs)
  const idleS = Math.max(0, s(o.usage.aliveMs) - activeS)
  let acaUsd =
    activeS * (aca.active.vcpuSecond * r.cpu + aca.active.gibSecond * r.memoryGiB) +
    idleS * (aca.idle.vcpuSecond * r.cpu + aca.idle.gibSecond * r.memoryGiB) +
    (o.requests / 1e6) * aca.perMillionRequests
  if (options.freeGrant && o.endMs > 0) {
    // The grant is monthly: scale it to the run's length, and take it off at the active rates.
    const share = o.endMs / MONTH_MS
    const grant =
      share * (aca.freePerMonth.vcpuSeconds * aca.active.vcpuSecond + aca.freePerMonth.gibSeconds * aca.active.gibSecond) + ((share * aca.freePerMonth.requests) / 1e6) * aca.perMillionRequests
    acaUsd = Math.max(0, acaUsd - grant)
  }
  return {
    'cloud-run': figure(cloudRun, 'request-based: busy instance time, each busy period rounded up to 100 ms, + $0.40 per million requests', cloudRunSource),
    'cloud-run-instance': figure(cloudRunInstance, 'instance-based: every instance from start to stop, no request fee', cloudRunSource),
    'aws-fargate': figure(fargate, 'per task from start to stop, per second with a 1-minute minimum (Linux/x86, us-east-1)', `${fargatePricing.source}, retrieved ${fargatePricing.retrieved}`),
    'azure-container-apps': figure(
      acaUsd,
      `consumption: active rate while serving, idle rate otherwise, + $0.40 per million requests; free grant ${options.freeGrant ? 'subtracted' : 'not subtracted'}`,
      `${aca.source}, retrieved ${aca.retrieved}`,
    ),
  }
}

const round = (usd: number) => Math.round(usd * 1e6) / 1e6
