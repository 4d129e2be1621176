import { Args, Flags } from '../vendor/oclif.js'
import { BaseCommand } from '../cli/base-command.js'
import { verifyCredentials } from '../core/registry/challenge.js'
import { normalizeRegistry, storeCredentials } from '../core/registry/credentials.js'
import { ExitCode, SlsError } from '../errors.js'

export default class Login extends BaseCommand {
  static override summary = 'Check registry credentials and store them as `docker login` does.'
  static override description = [
    'Verifies the credentials against the registry (the /v2/ Basic or Bearer token challenge), then stores them',
    'through the credential helper configured in the Docker config (credHelpers / credsStore), else in its auths.',
    'The password comes from stdin (--password-stdin) or SLS_RUN_REGISTRY_PASSWORD; it is never printed.',
  ].join('\n')
  static override examples = ['echo "$TOKEN" | <%= config.bin %> login ghcr.io -u octocat --password-stdin']
  static override args = { registry: Args.string({ description: 'Registry host (ghcr.io, 127.0.0.1:5000, docker.io…).', required: true }) }
  static override flags = {
    username: Flags.string({ char: 'u', description: 'User name (default: SLS_RUN_REGISTRY_USERNAME).' }),
    'password-stdin': Flags.boolean({ description: 'Read the password (or token) from stdin.' }),
  }

  async run(): Promise<{ registry: string; username: string; storedIn: string; scheme: string }> {
    const { args, flags } = await this.parse(Login)
    const registry = normalizeRegistry(args.registry)
    const username = flags.username ?? process.env.SLS_RUN_REGISTRY_USERNAME
    const password = flags['password-stdin'] ? (await readStdin()).replace(/\r?\n$/, '') : process.env.SLS_RUN_REGISTRY_PASSWORD
    if (!username) throw new SlsError('USAGE', 'missing the user name', { exitCode: ExitCode.usage, hints: ['Pass -u USER (or set SLS_RUN_REGISTRY_USERNAME).'] })
    if (!password)
      throw new SlsError('USAGE', 'missing the password', {
        exitCode: ExitCode.usage,
        hints: ['Pipe it in with --password-stdin (or set SLS_RUN_REGISTRY_PASSWORD); it is never read from the command line.'],
      })
    const verified = await verifyCredentials(registry, { username, password, source: flags['password-stdin'] ? 'stdin' : 'env SLS_RUN_REGISTRY_PASSWORD' })
    const storedIn = await storeCredentials(registry, { username, password }, process.env)
    this.print(`Login Succeeded: ${username} at ${registry} (stored in ${storedIn})`)
    return { registry, username, storedIn, scheme: verified.scheme }
  }
}

async function readStdin(): Promise<string> {
  let text = ''
  for await (const chunk of process.stdin) text += String(chunk)
  return text
}
