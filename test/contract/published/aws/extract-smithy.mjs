// Regenerates the AWS extracts in this folder from AWS's full Smithy JSON AST models
// (aws/api-models-aws, see ../SOURCES.md): only the operations sls-run sends, and every shape reachable
// from their inputs, copied as they are, except the `smithy.api#documentation` and `smithy.api#examples`
// traits (prose, the bulk of the files). An operation keeps its `input` and its non-prose traits only.
//
//   node test/contract/published/aws/extract-smithy.mjs <extract name> <full model file>
//   e.g. node test/contract/published/aws/extract-smithy.mjs ecs /tmp/ecs-2014-11-13.json
import { readFileSync, writeFileSync } from 'node:fs'

/** The extracts: file name -> service shape and the operations to keep. */
const EXTRACTS = {
  ecs: {
    service: 'com.amazonaws.ecs#AmazonEC2ContainerServiceV20141113',
    operations: ['RegisterTaskDefinition', 'DescribeServices', 'CreateService', 'UpdateService', 'DescribeExpressGatewayService', 'CreateExpressGatewayService', 'UpdateExpressGatewayService'],
  },
  'application-auto-scaling': {
    service: 'com.amazonaws.applicationautoscaling#AnyScaleFrontendService',
    operations: ['RegisterScalableTarget', 'PutScalingPolicy'],
  },
  scheduler: {
    service: 'com.amazonaws.scheduler#AWSChronosService',
    operations: ['CreateSchedule', 'UpdateSchedule'],
  },
  'cloudwatch-logs': {
    service: 'com.amazonaws.cloudwatchlogs#Logs_20140328',
    operations: ['CreateLogGroup', 'PutRetentionPolicy'],
  },
}

const PROSE = new Set(['smithy.api#documentation', 'smithy.api#examples'])

function withoutProse(traits) {
  if (!traits) return undefined
  const kept = Object.fromEntries(Object.entries(traits).filter(([name]) => !PROSE.has(name)))
  return Object.keys(kept).length > 0 ? kept : undefined
}

/** A shape as in the model, without prose traits (also on its members). */
function copyShape(shape) {
  const copy = { ...shape, traits: withoutProse(shape.traits) }
  if (shape.members) {
    copy.members = Object.fromEntries(Object.entries(shape.members).map(([name, member]) => [name, { ...member, traits: withoutProse(member.traits) }]))
  }
  return JSON.parse(JSON.stringify(copy)) // drops the undefined traits
}

/** The shape ids a shape refers to (members, list member, map key and value). */
function targets(shape) {
  const refs = []
  for (const member of Object.values(shape.members ?? {})) refs.push(member.target)
  for (const key of ['member', 'key', 'value']) if (shape[key]) refs.push(shape[key].target)
  return refs
}

function extract(model, { service, operations }) {
  const namespace = service.split('#')[0]
  const shapes = {}
  const svc = model.shapes[service]
  shapes[service] = {
    type: 'service',
    version: svc.version,
    operations: operations.map((op) => ({ target: `${namespace}#${op}` })),
    traits: Object.fromEntries(Object.entries(svc.traits).filter(([name]) => name.startsWith('aws.api#service') || name.startsWith('aws.protocols#'))),
  }
  const queue = []
  for (const op of operations) {
    const id = `${namespace}#${op}`
    const shape = model.shapes[id]
    if (!shape || shape.type !== 'operation') throw new Error(`${id}: no such operation in this model`)
    shapes[id] = { type: 'operation', input: shape.input, traits: withoutProse(shape.traits) }
    queue.push(shape.input.target)
  }
  while (queue.length > 0) {
    const id = queue.shift()
    if (shapes[id] || id.startsWith('smithy.api#')) continue // the prelude is not in the model file
    const shape = model.shapes[id]
    if (!shape) throw new Error(`${id}: referenced but not in the model`)
    shapes[id] = copyShape(shape)
    queue.push(...targets(shape))
  }
  const sorted = Object.fromEntries(
    Object.keys(shapes)
      .sort()
      .map((id) => [id, shapes[id]]),
  )
  return { smithy: model.smithy, metadata: { extractOf: service, operations }, shapes: sorted }
}

const [name, file] = process.argv.slice(2)
const spec = EXTRACTS[name]
if (!spec || !file) {
  console.error(`usage: extract-smithy.mjs <${Object.keys(EXTRACTS).join('|')}> <full model .json>`)
  process.exit(2)
}
const out = new URL(`./${name}.extract.json`, import.meta.url)
writeFileSync(out, `${JSON.stringify(extract(JSON.parse(readFileSync(file, 'utf8')), spec), null, 2)}\n`)
console.log(`wrote ${out.pathname}`)
