/**
 * Import layers of src/, checked in CI (`npm run check:layers`): dependencies only point down.
 *
 *   commands, cli, hooks            (top: flags, output, oclif)
 *   ui                              rendering
 *   core/dev                        the dev session: the composition root of `sls-run dev`
 *   core/devloop, core/dashboard    above the emulator, beside each other
 *   core/simulate                   the autoscaler and the emulator's rules on a simulated clock
 *   core/emulator, core/events      the platform; the events reach it only through a `Send` port
 *   core/deploy, registry, image…   the other services
 *   runtime                         how an instance runs
 *   core/config, core/trace         the config schema and the trace format
 *   core/autoscaler                 pure decisions
 *   leaves: errors, core/clock, core/cron, core/http, vendor (the one way into oclif, zod and yaml)
 */
const rule = (name, comment, from, to) => ({ name, comment, severity: 'error', from: { path: from }, to: { path: to } })

module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'A cycle ties modules together: break it by moving the shared part down.', severity: 'error', from: {}, to: { circular: true } },
    rule('core-not-up', 'Services and runtimes never import the CLI or its rendering.', '^src/(core|runtime)/', '^src/(ui|cli|commands|hooks)/'),
    rule('ui-not-commands', 'Rendering never imports commands or oclif glue.', '^src/ui/', '^src/(cli|commands|hooks)/'),
    rule(
      'leaves-are-leaves',
      'The leaf modules import nothing of the project but the errors.',
      '^src/(exit-codes|error-codes)\\.ts$|^src/core/(clock|cron)\\.ts$|^src/core/http/|^src/vendor/',
      '^src/(?!errors\\.ts$|error-codes\\.ts$|exit-codes\\.ts$)',
    ),
    rule('autoscaler-is-pure', 'The autoscaler imports nothing of the project: the live pool and the simulator call it alike.', '^src/core/autoscaler/', '^src/(?!core/autoscaler/)'),
    rule(
      'config-low',
      'The config layer knows only the leaves, the autoscaler models and the provider schemas.',
      '^src/core/config/',
      '^src/(core/(emulator|events|devloop|dashboard|dev|simulate|image|registry|scaffold|doctor|invoke|trace)|runtime)/',
    ),
    rule(
      'runtime-below-services',
      "Runtimes know how an instance runs, not what runs it; choosing one is the session's job.",
      '^src/runtime/',
      '^src/core/(emulator|events|devloop|dashboard|dev|simulate|deploy|autoscaler|trace|scaffold|image|registry)/',
    ),
    rule(
      'emulator-below-session',
      'The emulator never imports what composes it (events, dev loop, dashboard, session).',
      '^src/core/emulator/',
      '^src/core/(events|devloop|dashboard|dev|simulate|deploy)/',
    ),
    rule('events-below-emulator', 'Events send through a Send port; they never import the emulator.', '^src/core/events/', '^src/core/(emulator|devloop|dashboard|dev|simulate|deploy)/'),
    rule('simulate-offline', 'The simulator runs no process, socket or session.', '^src/core/simulate/', '^src/(runtime|core/(events|devloop|dashboard|dev|deploy|registry|image))/'),
    rule('devloop-dashboard-below-session', 'The dev loop and the dashboard are parts of a session, never its owner.', '^src/core/(devloop|dashboard)/', '^src/core/dev/'),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
}
