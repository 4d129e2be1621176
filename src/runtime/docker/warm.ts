/**
 * Warm containers (docs/runtimes.md, "Warm containers"): for each service, a container created and attached
 * ahead of need, not started, so that a cold start pays the engine's `start` and the app's boot only, not
 * the create and attach that are the emulator's own share. Platforms hide their scheduling the same way
 * (pre-pulled images, warm sandboxes); the app's boot is never hidden: the container runs nothing until it
 * is started.
 *
 * A warm container is made for one template (everything the container is created with but its name and
 * instance label: image, env, command, resources), and used only by a start with that same template and an
 * image reference that still names the image it was created from; a start with another template (a new
 * revision, a changed sls-run.yaml) removes the service's warm containers made for the old one. Bounded:
 * `size` per service. Removed by `close()` (an emulator's end); a killed session's are removed with its other
 * containers (they carry the same session labels, named `sls-run-<service>-warm<n>-…`).
 */
import type { PassThrough } from 'node:stream'
import type Dockerode from 'dockerode'

export interface Prepared {
  container: Dockerode.Container
  /** The image's id at creation (a rebuilt tag makes the container stale). */
  imageId?: string
  /** Its attached output, demultiplexed; `done` once the stream ends. */
  out: PassThrough
  err: PassThrough
  done: Promise<void>
  /** Closes the attach connection (the engine keeps it open for a container removed before it started). */
  detach(): void
}

interface ServiceWarm {
  template: string
  ready: Prepared[]
  filling: number
}

export interface WarmDeps {
  /** Creates and attaches a container for the template, as a warm one (its own name and instance label). */
  create(): Promise<Prepared>
  remove(prepared: Prepared): Promise<void>
}

export class WarmContainers {
  private readonly services = new Map<string, ServiceWarm>()
  /** Creations under way: `close()` waits for them (each removes its container when its service moved on). */
  private readonly pending = new Set<Promise<void>>()

  constructor(private readonly size: number) {}

  /** A warm container for `service` made for `template`, or undefined. Warm ones made for another template are removed. */
  take(service: string, template: string, deps: WarmDeps): Prepared | undefined {
    return this.forTemplate(service, template, deps).ready.shift()
  }

  /** Tops `service`'s warm containers up to `size` in the background; a failure only means no warm container. */
  fill(service: string, template: string, deps: WarmDeps): void {
    const warm = this.forTemplate(service, template, deps)
    while (warm.ready.length + warm.filling < this.size) {
      warm.filling++
      const creation: Promise<void> = deps.create().then(
        (prepared) => {
          warm.filling--
          if (this.services.get(service) === warm) warm.ready.push(prepared)
          else return deps.remove(prepared) // a newer template, or closed meanwhile
        },
        () => void warm.filling--,
      )
      this.pending.add(creation)
      void creation.finally(() => this.pending.delete(creation))
    }
  }

  /** How many are ready now, by service (for tests). */
  get counts(): Record<string, number> {
    return Object.fromEntries([...this.services].map(([service, warm]) => [service, warm.ready.length]))
  }

  /** Removes every warm container, also those still being created. Later fills start afresh. */
  async close(deps: Pick<WarmDeps, 'remove'>): Promise<void> {
    const all = [...this.services.values()].flatMap((warm) => warm.ready.splice(0))
    this.services.clear()
    await Promise.all([...all.map((prepared) => deps.remove(prepared)), ...this.pending])
  }

  private forTemplate(service: string, template: string, deps: Pick<WarmDeps, 'remove'>): ServiceWarm {
    let warm = this.services.get(service)
    if (warm?.template !== template) {
      for (const stale of warm?.ready.splice(0) ?? []) void deps.remove(stale)
      warm = { template, ready: [], filling: 0 }
      this.services.set(service, warm)
    }
    return warm
  }
}
