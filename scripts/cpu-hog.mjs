#!/usr/bin/env node
// Keeps one CPU core busy (a tight loop in this process) until it is killed or its time runs out:
// the "busy machine" the test suite must stay green on (`npm run test:stress`).
//   node scripts/cpu-hog.mjs [seconds]     (default 3600; stops by itself then)
const seconds = Number(process.argv[2] ?? 3600)
const until = Date.now() + seconds * 1000
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0))
const spin = () => {
  const slice = Date.now() + 200
  while (Date.now() < slice) Math.sqrt(Math.random())
  if (Date.now() < until) setImmediate(spin) // yield between slices so the signal handlers run
}
spin()
