import os from 'node:os'
import { Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { connect, probeEngine } from '../runtime/docker/engine.js'
import { LABEL } from '../runtime/docker/labels.js'
import { listManaged, removeContainers, type ManagedContainer } from '../runtime/docker/sweep.js'

interface CleanResult {
  removed: Array<Pick<ManagedContainer, 'id' | 'name' | 'service' | 'session' | 'state'>>
  kept: Array<Pick<ManagedContainer, 'id' | 'name' | 'service' | 'session' | 'state'>>
  images: string[]
}

export default class Clean extends BaseCommand {
  static override summary = 'Remove containers that sls-run dev left behind (and, with --images, the offline stand-in images).'
  static override description = [
    'Only containers labelled dev.sls-run.managed=true are touched. By default, the ones whose sls-run session has',
    'ended (its process is gone on this host); --all also removes those of running sessions on any host.',
    '`sls-run dev` already does the default sweep each time it starts.',
  ].join('\n')
  static override examples = ['<%= config.bin %> clean', '<%= config.bin %> clean --all --json']
  static override flags = {
    all: Flags.boolean({ description: 'Also remove containers of sessions that are still running (they stop serving).' }),
    images: Flags.boolean({ description: 'Also remove images labelled dev.sls-run.standin=true (the offline test stand-ins).' }),
  }

  async run(): Promise<CleanResult> {
    const { flags } = await this.parse(Clean)
    await probeEngine(process.env, 5000)
    const { docker } = await connect(process.env, 60_000)
    const managed = await listManaged(docker)
    const chosen = managed.filter((c) => flags.all || c.orphan)
    const removed = await removeContainers(docker, chosen)
    const kept = managed.filter((c) => !removed.includes(c))
    const images: string[] = []
    if (flags.images) {
      for (const image of await docker.listImages({ filters: { label: [`${LABEL.standin}=true`] } })) {
        const ok = await docker
          .getImage(image.Id)
          .remove({ force: true })
          .then(
            () => true,
            () => false,
          )
        if (ok) images.push(...(image.RepoTags?.length ? image.RepoTags : [image.Id]))
      }
    }
    const view = (c: ManagedContainer) => ({ id: c.id.slice(0, 12), name: c.name, service: c.service, session: c.session, state: c.state })
    for (const c of removed) this.print(`removed ${c.name} (${c.service}, session ${c.session.slice(0, 8)}, ${c.state})`)
    for (const c of kept) this.print(`kept ${c.name} (${c.service}): ${c.host === os.hostname() ? `its session is running (pid ${c.pid})` : `it belongs to a session on ${c.host}`}; --all removes it`)
    for (const image of images) this.print(`removed image ${image}`)
    if (!removed.length && !kept.length && !images.length) this.print('nothing to clean')
    return { removed: removed.map(view), kept: kept.map(view), images }
  }
}
