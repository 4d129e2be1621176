import os from 'node:os'
import { Flags } from '../vendor/oclif.js'
import { BaseCommand } from '../cli/base-command.js'
import { isSlsError } from '../errors.js'
import { connect, probeEngine } from '../runtime/docker/engine.js'
import { LABEL, projectHash } from '../runtime/docker/labels.js'
import { configFlag } from '../cli/flags.js'
import { findConfigFile } from '../core/config/source.js'
import { listManaged, removeContainers, type ManagedContainer } from '../runtime/docker/sweep.js'
import { sessionsDir } from '../runtime/process/records.js'
import { listRecorded, removeGroups, type ManagedGroup } from '../runtime/process/sweep.js'

type ContainerView = Pick<ManagedContainer, 'id' | 'name' | 'service' | 'session' | 'state'>
type GroupView = Pick<ManagedGroup, 'pgid' | 'service' | 'instance' | 'session' | 'command'>

interface CleanResult {
  removed: ContainerView[]
  kept: ContainerView[]
  images: string[]
  /** Process groups (process runtime) recorded by sessions: killed (ended sessions) and kept (running ones). */
  processes: { removed: GroupView[]; kept: GroupView[] }
}

export default class Clean extends BaseCommand {
  static override summary = 'Remove containers and processes that sls-run dev left behind (and, with --images, the offline stand-in images).'
  static override description = [
    'Only containers labelled dev.sls-run.managed=true are touched. By default, the ones whose sls-run session has',
    'ended (its process is gone on this host); --all also removes those of running sessions on any host.',
    'Process-runtime instances of ended sessions (recorded in $XDG_STATE_HOME/sls-run/sessions, default',
    '~/.local/state) are killed with their process groups, each only while it is still the process sls-run',
    'started (same pid and start time); those of running sessions are never touched, --all or not.',
    'Without a Docker engine only the processes are cleaned (with a warning).',
    '`sls-run dev` already does the default sweep each time it starts.',
  ].join('\n')
  static override examples = ['<%= config.bin %> clean', '<%= config.bin %> clean --all --json']
  static override flags = {
    all: Flags.boolean({ description: 'Also remove containers of sessions that are still running (they stop serving). Processes of running sessions are kept.' }),
    images: Flags.boolean({ description: 'Also remove images labelled dev.sls-run.standin=true (the offline test stand-ins).' }),
    project: Flags.boolean({
      description: "Only this project's containers and processes: those of sessions started from the sls-run.yaml found from here (or -c). With --all, stops only this project's running sessions.",
    }),
    config: configFlag,
  }

  async run(): Promise<CleanResult> {
    const { flags } = await this.parse(Clean)
    // No engine: the processes can still be cleaned; --images cannot do without one.
    const noEngine = await probeEngine(process.env, 5000).then(
      () => undefined,
      (error: unknown) => {
        if (flags.images || !isSlsError(error) || error.code !== 'DOCKER_UNAVAILABLE') throw error
        return error
      },
    )
    const project = flags.project ? projectHash(findConfigFile(flags.config, process.cwd())) : undefined
    const recorded = (await listRecorded(sessionsDir())).filter((s) => project === undefined || s.project === project)
    const removedGroups = await removeGroups(recorded.filter((s) => s.orphan))
    const keptGroups = recorded.filter((s) => !s.orphan).flatMap((s) => s.groups)
    const { removed, kept, images } = noEngine ? { removed: [], kept: [], images: [] } : await this.cleanDocker(flags, project)
    if (noEngine) this.logger.warn(`${noEngine.message}; containers were not checked`)
    const view = (c: ManagedContainer) => ({ id: c.id.slice(0, 12), name: c.name, service: c.service, session: c.session, state: c.state })
    const groupView = (g: ManagedGroup) => ({ pgid: g.pgid, service: g.service, instance: g.instance, session: g.session, command: g.command })
    const owner = (c: { host: string; pid: number }) => (c.host === os.hostname() ? `its session is running (pid ${c.pid})` : `it belongs to a session on ${c.host}`)
    for (const c of removed) this.print(`removed ${c.name} (${c.service}, session ${c.session.slice(0, 8)}, ${c.state})`)
    for (const c of kept) this.print(`kept ${c.name} (${c.service}): ${owner(c)}; --all removes it`)
    for (const image of images) this.print(`removed image ${image}`)
    for (const g of removedGroups) this.print(`removed process group ${g.pgid} of ${g.instance} (${g.command}, session ${g.session.slice(0, 8)})`)
    for (const g of keptGroups) this.print(`kept process group ${g.pgid} of ${g.instance}: ${owner(g)}`)
    if (!removed.length && !kept.length && !images.length && !removedGroups.length && !keptGroups.length) this.print('nothing to clean')
    return { removed: removed.map(view), kept: kept.map(view), images, processes: { removed: removedGroups.map(groupView), kept: keptGroups.map(groupView) } }
  }

  private async cleanDocker(flags: { all: boolean; images: boolean }, project?: string): Promise<{ removed: ManagedContainer[]; kept: ManagedContainer[]; images: string[] }> {
    const { docker } = await connect(process.env, 60_000)
    const managed = (await listManaged(docker)).filter((c) => project === undefined || c.project === project)
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
    return { removed, kept, images }
  }
}
