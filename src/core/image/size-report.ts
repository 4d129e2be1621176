/**
 * The size report: total size, what the build added over its base image, and the largest layers with
 * the Dockerfile line that made each. The engine's image history lists one entry per instruction
 * (newest first); the entries after the base image's own are ours, in Dockerfile order, so each is
 * matched to the next instruction of the built stage chain whose keyword (and, for RUN, command) it
 * shows. Both builders are covered: classic writes `/bin/sh -c #(nop) COPY …` and `/bin/sh -c cmd`,
 * BuildKit writes `COPY . . # buildkit` and `RUN /bin/sh -c cmd # buildkit`.
 */
import type Dockerode from 'dockerode'
import { stageChain, type Dockerfile, type Instruction, type Stage } from './dockerfile.js'

export interface LayerReport {
  size: number
  /** `Dockerfile:12`, when the layer was matched to a line. */
  line?: number
  instruction?: string
  createdBy: string
}

export interface SizeReport {
  size: number
  baseImage: string
  baseSize: number
  /** size − baseSize: what this Dockerfile added. */
  added: number
  layers: number
  largest: LayerReport[]
}

interface HistoryEntry {
  CreatedBy: string
  Size: number
}

export async function sizeReport(docker: Dockerode, imageId: string, file: Dockerfile, stage: Stage): Promise<SizeReport> {
  const image = docker.getImage(imageId)
  const [inspect, history] = await Promise.all([image.inspect(), image.history() as Promise<HistoryEntry[]>])
  const { base, stages } = stageChain(file, stage)
  let baseSize = 0
  let baseEntries = 0
  if (base !== 'scratch') {
    const baseImage = docker.getImage(base)
    const [baseInspect, baseHistory] = await Promise.all([baseImage.inspect().catch(() => undefined), (baseImage.history() as Promise<HistoryEntry[]>).catch(() => [])])
    baseSize = baseInspect?.Size ?? 0
    baseEntries = baseHistory.length
  }
  const ours = history.slice().reverse().slice(baseEntries)
  const layers = matchLayers(
    ours,
    stages.flatMap((s) => s.instructions),
  )
  return {
    size: inspect.Size,
    baseImage: base,
    baseSize,
    added: Math.max(0, inspect.Size - baseSize),
    layers: inspect.RootFS?.Layers?.length ?? 0,
    largest: layers
      .filter((l) => l.size > 0)
      .sort((a, b) => b.size - a.size)
      .slice(0, 5),
  }
}

export function matchLayers(entries: HistoryEntry[], instructions: Instruction[]): LayerReport[] {
  let cursor = 0
  return entries.map((entry) => {
    const createdBy = entry.CreatedBy.replace(/\s+/g, ' ').trim()
    for (let i = cursor; i < instructions.length; i++) {
      if (!made(createdBy, instructions[i]!)) continue
      cursor = i + 1
      const instruction = instructions[i]!
      return { size: entry.Size, line: instruction.line, instruction: `${instruction.keyword} ${instruction.args}`, createdBy }
    }
    return { size: entry.Size, createdBy }
  })
}

function made(createdBy: string, instruction: Instruction): boolean {
  const text = createdBy.replace(/ # buildkit$/, '')
  const keyword = instruction.keyword
  if (keyword === 'RUN') {
    if (text.includes('#(nop)')) return false
    const command = instruction.args
      .replace(/^(--\S+\s+)+/, '')
      .replace(/\s+/g, ' ')
      .trim()
    const exec = /^\[.*\]$/.test(command) ? safeJson(command) : undefined
    return exec ? text.includes(exec.join(' ')) : text.includes(command)
  }
  return new RegExp(`(^|#\\(nop\\)\\s+)${keyword}\\b`, 'i').test(text)
}

function safeJson(text: string): string[] | undefined {
  try {
    const value = JSON.parse(text) as unknown
    return Array.isArray(value) ? value.map(String) : undefined
  } catch {
    return undefined
  }
}
