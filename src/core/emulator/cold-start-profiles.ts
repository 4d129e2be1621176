/**
 * Opt-in simulated cold-start delay, so a developer can feel production cold starts locally.
 * Profiles use the published figures listed in docs/emulator.md ("Cold-start figures"); they are user reports, not SLAs.
 */
import { parseDuration } from '../config/units.js'

export const COLD_START_PROFILES: Record<string, { minMs: number; maxMs: number; source: string }> = {
  'cloud-run-go': { minMs: 50, maxMs: 300, source: 'Cloud Run, Go/Rust ≈ 0.05–0.3 s (user reports, docs/emulator.md)' },
  'cloud-run-python': { minMs: 1000, maxMs: 3000, source: 'Cloud Run, Python 1–3 s (user reports, docs/emulator.md)' },
  'cloud-run-node': { minMs: 2000, maxMs: 7000, source: 'Cloud Run, Node 2–7 s (user reports, docs/emulator.md)' },
  knative: { minMs: 800, maxMs: 4000, source: 'Knative, ≈ 0.8 s steady to 2–4 s for hello-world (docs/emulator.md)' },
  'azure-container-apps': { minMs: 5000, maxMs: 22_000, source: 'Azure Container Apps, 5–22 s from zero (docs/emulator.md)' },
  'aws-fargate': { minMs: 60_000, maxMs: 90_000, source: 'AWS Fargate, 60–90 s per task start (docs/emulator.md)' },
}

/** A function giving the extra delay of the next cold start, or undefined when none is configured. */
export function simulatedDelay(coldStart: { delay?: string; profile?: string }, random: () => number = Math.random): (() => number) | undefined {
  let range: { minMs: number; maxMs: number } | undefined
  if (coldStart.profile) range = COLD_START_PROFILES[coldStart.profile]
  if (coldStart.delay) {
    const [from = '0ms', to = from] = coldStart.delay.split('-')
    range = { minMs: parseDuration(from)!, maxMs: parseDuration(to)! }
  }
  if (!range || range.maxMs <= 0) return undefined
  const { minMs, maxMs } = range
  return () => Math.round(minMs + (maxMs - minMs) * random())
}
