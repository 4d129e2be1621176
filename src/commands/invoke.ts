import { readFile } from 'node:fs/promises'
import { Args, Flags } from '../vendor/oclif.js'
import { BaseCommand } from '../cli/base-command.js'
import { parseDuration } from '../core/config/units.js'
import type { ScheduleRunEvent } from '../core/events/types.js'
import type { InvokeResult } from '../core/invoke/invoke.js'
import { ExitCode, SlsError } from '../errors.js'
import { formatInvoke, formatScheduleRun } from '../ui/invoke-output.js'

export default class Invoke extends BaseCommand {
  static override summary = 'Send one request, CloudEvent or scheduled run to a service of the running `sls-run dev` session.'
  static override description = [
    'Finds the session through its admin port. A request (or, with --event-type, a binary-mode CloudEvent) goes straight to the',
    "service's gateway as a client's would, so it can wake the service from zero. Prints the status, headers and timing (cold start",
    'or not) on stderr and the body on stdout; --json returns all of it. --schedule fires that job of the session now (its headers',
    'and retries), which shows in the session log. Exit 0 for any answer, like curl; --fail makes a status of 400 or more exit 1.',
  ].join('\n')
  static override examples = [
    '<%= config.bin %> invoke api --path /health',
    '<%= config.bin %> invoke api -X POST --data \'{"name":"Ada"}\' -H content-type:application/json --json',
    '<%= config.bin %> invoke worker --event-type com.example.order.created --event-source /orders --data \'{"id":42}\'',
    '<%= config.bin %> invoke worker --schedule nightly-report',
  ]
  static override args = { service: Args.string({ description: 'Service to call.', required: true }) }
  static override flags = {
    path: Flags.string({ description: 'Path and query (default: /, or the path of the subscription for --event-type).', helpValue: 'PATH' }),
    method: Flags.string({ char: 'X', description: 'HTTP method (default: GET, or POST with data or an event).', helpValue: 'METHOD' }),
    data: Flags.string({ char: 'd', description: 'Request body.', exclusive: ['data-file'] }),
    'data-file': Flags.string({ description: 'Request body from a file (- for stdin).', helpValue: 'FILE' }),
    header: Flags.string({ char: 'H', description: 'Header as Name:value; repeatable.', multiple: true, helpValue: 'K:V' }),
    'event-type': Flags.string({ description: 'Send a CloudEvent of this type (binary mode).', dependsOn: ['event-source'], helpValue: 'TYPE' }),
    'event-source': Flags.string({ description: 'CloudEvent source (with --event-type).', dependsOn: ['event-type'], helpValue: 'SOURCE' }),
    'event-id': Flags.string({ description: 'CloudEvent id (default: a random UUID).', dependsOn: ['event-type'] }),
    schedule: Flags.string({ description: 'Fire this schedule of the service now.', exclusive: ['data', 'data-file', 'event-type', 'path', 'method'], helpValue: 'NAME' }),
    'admin-port': Flags.integer({ description: 'Admin port of the dev session.', default: 4280, min: 1, max: 65535, env: 'SLS_RUN_ADMIN_PORT' }),
    timeout: Flags.string({ description: 'How long to wait for the answer.', default: '5m', helpValue: 'DURATION' }),
    fail: Flags.boolean({ char: 'f', description: 'Exit 1 (INVOKE_HTTP_STATUS) when the status is 400 or more.' }),
  }

  async run(): Promise<InvokeResult | ScheduleRunEvent> {
    const { args, flags } = await this.parse(Invoke)
    const timeoutMs = parseDuration(flags.timeout)
    if (timeoutMs === undefined) throw new SlsError('USAGE', `--timeout ${flags.timeout} is not a duration`, { exitCode: ExitCode.usage, hints: ['Use ms, s, m or h, e.g. --timeout 30s.'] })
    const { invoke } = await import('../core/invoke/invoke.js')
    const result = await invoke({
      service: args.service,
      admin: `http://127.0.0.1:${flags['admin-port']}`,
      method: flags.method,
      path: flags.path,
      headers: parseHeaders(flags.header ?? []),
      data: await body(flags.data, flags['data-file']),
      ...(flags['event-type'] ? { event: { type: flags['event-type'], source: flags['event-source']!, ...(flags['event-id'] ? { id: flags['event-id'] } : {}) } } : {}),
      ...(flags.schedule ? { schedule: flags.schedule } : {}),
      timeoutMs,
    })
    if ('type' in result) {
      this.note(formatScheduleRun(result, this.paint))
      if (flags.fail && result.outcome !== 'ok') throw failed(`schedule ${result.name} ended ${result.outcome} (status ${result.status})`)
      return result
    }
    this.note(formatInvoke(result, this.paint))
    if (!this.jsonEnabled()) process.stdout.write(result.bodyEncoding === 'utf8' ? result.body : Buffer.from(result.body, 'base64'))
    if (flags.fail && result.status >= 400) throw failed(`${result.method} ${result.url} answered ${result.status}`)
    return result
  }
}

const failed = (message: string) => new SlsError('INVOKE_HTTP_STATUS', message, { exitCode: ExitCode.failure, hints: ['Drop --fail to get exit 0 for any answer.'] })

function parseHeaders(values: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const value of values) {
    const colon = value.indexOf(':')
    if (colon <= 0) throw new SlsError('USAGE', `-H ${value} is not Name:value`, { exitCode: ExitCode.usage, hints: ['Write headers as -H content-type:application/json.'] })
    out[value.slice(0, colon).trim().toLowerCase()] = value.slice(colon + 1).trim()
  }
  return out
}

async function body(data: string | undefined, file: string | undefined): Promise<Buffer | undefined> {
  if (data !== undefined) return Buffer.from(data)
  if (file === undefined) return undefined
  try {
    return file === '-' ? await readStdin() : await readFile(file)
  } catch (error) {
    throw new SlsError('USAGE', `--data-file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { exitCode: ExitCode.usage })
  }
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}
