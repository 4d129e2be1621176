// The demo behind `npm run demo`: runs examples/hello under `sls-run dev` with the process runtime
// (no Docker needed), sends a burst of 60 requests to show a scale-up from zero, then waits for the
// idle instances to scale back to zero (idleTimeout 5s) and stops. Bounded: about 15 s in all.
import { spawn } from 'node:child_process'

const root = new URL('..', import.meta.url).pathname
const [port, adminPort] = [process.env.DEMO_PORT ?? '8080', process.env.DEMO_ADMIN_PORT ?? '4280']
const dev = spawn(process.execPath, ['bin/run.js', 'dev', '-c', 'examples/hello/sls-run.yaml', '--runtime', 'process', '--port', port, '--admin-port', adminPort], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'pipe'],
})
const quiet = /^GET \//
dev.stderr.on('data', (chunk) => {
  for (const line of String(chunk).split('\n')) if (line && !quiet.test(line)) process.stderr.write(`  ${line}\n`)
})
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const status = () =>
  fetch(`http://127.0.0.1:${adminPort}/api/status`)
    .then((r) => r.json())
    .then((s) => s.services[0])
const count = (s, state) => s.instances.filter((i) => i.state === state).length
const say = (text) => console.log(`\n== ${text}`)

try {
  for (let i = 0; i < 100 && !(await status().catch(() => undefined)); i++) await sleep(50)
  say(`web is at zero instances (${count(await status(), 'ready')} ready); sending a burst of 60 requests (concurrency 10 per instance, max 5)`)
  const started = Date.now()
  const responses = await Promise.all(Array.from({ length: 60 }, () => fetch(`http://127.0.0.1:${port}/`)))
  const instances = new Set(responses.map((r) => r.headers.get('x-sls-run-instance')))
  const cold = responses.filter((r) => r.headers.get('x-sls-run-cold-start')).length
  say(
    `60 answers (${[...new Set(responses.map((r) => r.status))].join(', ')}) in ${Date.now() - started} ms from ${instances.size} instances (${[...instances].sort().join(', ')}); ${cold} waited for a cold start`,
  )
  say('waiting for the idle instances to scale to zero (idleTimeout 5s)')
  for (let i = 0; i < 100; i++) {
    const now = await status()
    if (count(now, 'ready') + count(now, 'draining') === 0) break
    await sleep(100)
  }
  say(`web is back at ${count(await status(), 'ready')} ready instances`)
} finally {
  dev.kill('SIGINT')
  await new Promise((resolve) => dev.once('exit', resolve))
}
