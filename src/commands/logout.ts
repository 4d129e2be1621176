import { Args } from '../vendor/oclif.js'
import { BaseCommand } from '../cli/base-command.js'
import { eraseCredentials, normalizeRegistry } from '../core/registry/credentials.js'

export default class Logout extends BaseCommand {
  static override summary = 'Remove stored credentials for a registry (from the credential helper or the Docker config).'
  static override args = { registry: Args.string({ description: 'Registry host.', required: true }) }

  async run(): Promise<{ registry: string; removed: boolean }> {
    const { args } = await this.parse(Logout)
    const registry = normalizeRegistry(args.registry)
    const removed = await eraseCredentials(registry, process.env)
    this.print(removed ? `Removed the credentials for ${registry}` : `No credentials were stored for ${registry}`)
    return { registry, removed }
  }
}
