/**
 * What the live pool (core/emulator/pool.ts) and the simulator (core/simulate/simulator.ts) share about
 * their instances: how the autoscaler sees one, and which go first when the count comes down. One place,
 * so the simulator cannot drift from the emulator it predicts.
 */
import type { InstanceView } from './types.js'

/** An instance as either side holds it (state, requests in flight, idle since). */
export interface ScalingSlot {
  state: string
  inFlight: number
  idleSince?: number | undefined
}

export const instanceView = (s: ScalingSlot): InstanceView => ({ ready: s.state === 'ready', inFlight: s.inFlight, ...(s.idleSince === undefined ? {} : { idleSince: s.idleSince }) })

/** Scale-in order: ready and idle first (longest idle first), then the least busy. Starting ones finish starting. */
export function scaleInOrder<T extends ScalingSlot>(live: readonly T[]): T[] {
  return live.filter((s) => s.state === 'ready').sort((a, b) => (a.idleSince ?? Infinity) - (b.idleSince ?? Infinity) || a.inFlight - b.inFlight)
}
