/**
 * Which docs/ page explains each command: the one map `--help` reads for its `Docs:` line (and the
 * start-here text for its link). Targets are paths under docs/ with an optional #anchor; they are
 * printed as the page inside the installed package (src/ui/docs-location.ts), and
 * test/unit/docs-links.test.ts checks each names a page of docs/ (and a heading of it).
 */
import { docsLocation } from '../ui/docs-location.js'

/** The root help's page: the index of docs/. */
export const ROOT_DOCS = 'README.md'

/** The quickstart, linked from `sls-run` with no arguments. */
export const START_DOCS = 'getting-started.md'

/** A command missing from the map (a plugin's): the reference of every command. */
export const FALLBACK_DOCS = 'commands.md'

/** Command id (words separated by spaces) → its page. A subcommand not listed takes its topic's page. */
export const COMMAND_DOCS: Readonly<Record<string, string>> = {
  init: 'templates.md',
  dev: 'emulator.md',
  invoke: 'events.md#invoking-a-service-sls-run-invoke',
  clean: 'emulator.md#cleaning-up-sls-run-clean',
  simulate: 'simulate.md',
  build: 'build.md',
  push: 'push.md',
  login: 'push.md#sls-run-login-and-logout',
  logout: 'push.md#sls-run-login-and-logout',
  deploy: 'deploy/README.md',
  'deploy status': 'deploy/README.md',
  'deploy remove': 'deploy/README.md',
  config: 'configuration.md',
  'config validate': 'configuration.md',
  'config print': 'configuration.md',
  doctor: 'troubleshooting.md',
  // @oclif/plugin-plugins: sls-run's plugins are deploy providers.
  plugins: 'deploy/README.md#provider-plugins',
}

/** The docs/ target of a command or topic id (`config:validate` or `config validate`). */
export function commandDocs(id: string): string {
  const words = id.split(/[: ]/).filter(Boolean)
  for (let n = words.length; n > 0; n--) {
    const target = COMMAND_DOCS[words.slice(0, n).join(' ')]
    if (target) return target
  }
  return FALLBACK_DOCS
}

/** The last line of a help text: `Docs: /…/sls-run/docs/emulator.md`. */
export const docsLine = (target: string): string => `Docs: ${docsLocation(target)}`
