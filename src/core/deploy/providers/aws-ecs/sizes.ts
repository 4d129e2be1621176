/**
 * Fargate task sizes and CPU architectures, shared by the Fargate and the Express plans (Express runs
 * on Fargate: the same cpu / memory combinations). Pure: no SDK here.
 */
import type { ServiceConfig } from '../../../config/schema.js'
import { quantity } from '../../common.js'
import type { DigestRef } from '../../image-ref.js'
import type { PlanWarning } from '../../types.js'

const MI = 1024 * 1024
const range = (from: number, to: number, step: number) => Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step)
/** Fargate task sizes: CPU units (1024 = 1 vCPU) and the memory values (MiB) each allows. */
const FARGATE = [
  { cpu: 256, memory: [512, 1024, 2048] },
  { cpu: 512, memory: range(1024, 4096, 1024) },
  { cpu: 1024, memory: range(2048, 8192, 1024) },
  { cpu: 2048, memory: range(4096, 16384, 1024) },
  { cpu: 4096, memory: range(8192, 30720, 1024) },
  { cpu: 8192, memory: range(16384, 61440, 4096) },
  { cpu: 16384, memory: range(32768, 122880, 8192) },
] as const
const vcpu = (units: number) => units / 1024

/** `memorySet: false`: the smallest memory the task size allows, at least the service's, without a warning. */
export function fitResources(service: ServiceConfig, warnings: PlanWarning[], memorySet = true): { cpu: number; memory: number } {
  const requestedUnits = service.resources.cpu * 1024
  const memoryMi = Math.ceil(service.resources.memory / MI)
  let size = FARGATE.find((s) => s.cpu >= requestedUnits) ?? FARGATE[FARGATE.length - 1]!
  if (size.cpu !== requestedUnits) {
    warnings.push({ code: 'ECS_CPU_STEP', setting: 'resources.cpu', message: `Fargate tasks have 0.25, 0.5, 1, 2, 4, 8 or 16 vCPUs; cpu ${service.resources.cpu} becomes ${vcpu(size.cpu)}` })
  }
  if (memoryMi > size.memory[size.memory.length - 1]!) {
    const bigger = FARGATE.find((s) => s.memory[s.memory.length - 1]! >= memoryMi) ?? FARGATE[FARGATE.length - 1]!
    warnings.push({
      code: 'ECS_CPU_FOR_MEMORY',
      setting: 'resources.cpu',
      message: `Fargate needs ${vcpu(bigger.cpu)} vCPUs for ${quantity(service.resources.memory)} of memory; cpu ${vcpu(size.cpu)} becomes ${vcpu(bigger.cpu)}`,
    })
    size = bigger
  }
  const memory = size.memory.find((m) => m >= memoryMi) ?? size.memory[size.memory.length - 1]!
  if (memorySet && memory !== memoryMi) {
    warnings.push({
      code: 'ECS_MEMORY_STEP',
      setting: 'resources.memory',
      message: `Fargate with ${vcpu(size.cpu)} vCPUs allows ${size.memory[0]}–${size.memory[size.memory.length - 1]} MiB in fixed steps; ${quantity(service.resources.memory)} becomes ${memory} MiB`,
    })
  }
  return { cpu: size.cpu, memory }
}

export function cpuArchitecture(image: DigestRef, warnings: PlanWarning[]): string {
  if (!image.platform || image.platform === 'linux/amd64') return 'X86_64'
  if (image.platform === 'linux/arm64') return 'ARM64'
  warnings.push({ code: 'ECS_PLATFORM', setting: 'image', message: `Fargate runs linux/amd64 or linux/arm64 images; this ${image.platform} image will not start` })
  return 'X86_64'
}
