// The sls-run dev dashboard: one EventSource (/api/events) feeds everything; the server keeps the history.
import { stepChart } from './charts.js'
import { fill, h, money, ms, num, pct, prepend, tile, time } from './dom.js'
import { decisionItem, scalingTiles } from './scaling.js'

const REQUESTS_SHOWN = 200
const COLD_STARTS_SHOWN = 20
const LIST_SHOWN = 100
const INSTANCE_SERIES = [
  { key: 'ready', label: 'ready', cls: 'ready' },
  { key: 'starting', label: 'starting', cls: 'starting' },
  { key: 'draining', label: 'draining', cls: 'draining' },
  { key: 'desired', label: 'desired', cls: 'desired', overlay: true },
]
const LOAD_SERIES = [
  { key: 'inFlight', label: 'in flight', cls: 'inflight' },
  { key: 'queued', label: 'queued', cls: 'queued' },
  { key: 'rps', label: 'req/s', cls: 'rps' },
]
const LATENCY_SERIES = [
  { key: 'p50', label: 'p50 ms', cls: 'p50' },
  { key: 'p95', label: 'p95 ms', cls: 'p95' },
  { key: 'p99', label: 'p99 ms', cls: 'p99' },
]

const $ = (id) => document.getElementById(id)
/** name → { samples, el: { … } } */
const services = new Map()
let startedAt = Date.now()
let drawPending = false
/** Request rows not yet in the DOM, per service: added once per frame, so a flood costs one update. */
const pendingRows = new Map()

connect()

function connect() {
  const source = new EventSource('/api/events')
  const on = (type, fn) => source.addEventListener(type, (e) => fn(JSON.parse(e.data)))
  source.addEventListener('open', () => setConnection('live', 'live'))
  source.addEventListener('error', () =>
    setConnection(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting', source.readyState === EventSource.CLOSED ? 'disconnected' : 'reconnecting…'),
  )
  on('snapshot', snapshot)
  on('request', (m) => addRequest(m.service, m.row))
  on('event', (m) => addEvent(m.item))
  on('sample', (m) => {
    service(m.service).samples.push(m.sample)
    scheduleDraw()
  })
  on('tick', (m) => {
    for (const view of m.services) updateService(view)
    renderCost(m.cost)
    $('session').textContent = `session ${duration(m.at - startedAt)}`
    scheduleDraw()
  })
  on('end', () => {
    source.close()
    setConnection('ended', 'session ended')
  })
}

function setConnection(state, text) {
  const el = $('conn')
  el.dataset.state = state
  el.textContent = text
}

/** The whole state (first message, and again after a reconnect). */
function snapshot(snap) {
  startedAt = snap.startedAt
  services.clear()
  pendingRows.clear()
  fill($('services'))
  fill($('errors'), h('li', { class: 'muted empty' }, 'none'))
  fill($('devloop'), h('li', { class: 'muted empty' }, 'no changes yet'))
  for (const view of snap.services) {
    const svc = service(view.service)
    svc.samples = snap.history[view.service] ?? []
    for (const row of snap.requests[view.service] ?? []) addRequest(view.service, row)
    updateService(view)
  }
  for (const item of snap.events) addEvent(item)
  renderCost(snap.cost)
  $('session').textContent = `session ${duration(snap.at - startedAt)}`
  scheduleDraw()
}

function service(name) {
  let svc = services.get(name)
  if (svc) return svc
  const el = {
    url: h('a', { class: 'url' }),
    revision: h('span', { class: 'badge' }),
    tiles: h('div', { class: 'tiles' }),
    scaling: h('div', { class: 'tiles scaling', 'data-testid': 'scaling' }),
    decisions: h('ul', { class: 'log', 'data-testid': 'decisions' }, h('li', { class: 'muted empty' }, 'none yet')),
    instancesChart: document.createElementNS('http://www.w3.org/2000/svg', 'svg'),
    loadChart: document.createElementNS('http://www.w3.org/2000/svg', 'svg'),
    latencyChart: document.createElementNS('http://www.w3.org/2000/svg', 'svg'),
    instances: h('tbody'),
    revisions: h('tbody'),
    coldStarts: h('tbody', {}, h('tr', { class: 'empty' }, h('td', { colspan: 6, class: 'muted' }, 'none yet'))),
    requests: h('tbody', { 'data-testid': 'requests' }),
  }
  el.instancesChart.dataset.testid = 'instances-chart'
  el.loadChart.dataset.testid = 'load-chart'
  el.latencyChart.dataset.testid = 'latency-chart'
  const table = (head, body, cls = 'grid') => h('table', { class: cls }, h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))), body)
  const card = h(
    'section',
    { class: 'panel service', 'data-service': name },
    h('h2', {}, name, ' ', el.url, ' ', el.revision),
    el.tiles,
    el.scaling,
    h(
      'div',
      { class: 'charts' },
      h('figure', {}, h('figcaption', {}, 'Instances by state, and the desired count'), el.instancesChart),
      h('figure', {}, h('figcaption', {}, 'Requests in flight, queued, and per second (last 10 s)'), el.loadChart),
      h('figure', {}, h('figcaption', {}, 'Latency percentiles (last 60 s)'), el.latencyChart),
    ),
    h(
      'div',
      { class: 'cols' },
      h('div', {}, h('h3', {}, 'Instances'), table(['instance', 'revision', 'state', 'in flight', 'served', 'cold start'], el.instances, 'grid names2')),
      h('div', {}, h('h3', {}, 'Revisions'), table(['revision', 'state', 'since', 'reason'], el.revisions)),
      h('div', {}, h('h3', {}, 'Cold starts'), table(['instance', 'total', 'spawn', 'boot', 'ready', 'delay'], el.coldStarts)),
    ),
    h('h3', {}, 'Scaling decisions ', h('span', { class: 'muted' }, '(each change of the desired count, and why)')),
    el.decisions,
    h('h3', {}, 'Requests ', h('span', { class: 'muted' }, `(last ${REQUESTS_SHOWN})`)),
    h('div', { class: 'scroll' }, table(['time', 'method', 'path', 'status', 'latency', 'queued', 'instance', 'cold start'], el.requests, 'grid requests')),
  )
  $('services').append(card)
  svc = { samples: [], el }
  services.set(name, svc)
  return svc
}

function updateService(view) {
  const { el } = service(view.service)
  el.url.textContent = view.url
  el.url.setAttribute('href', view.url)
  el.revision.textContent = view.pendingRevision ? `${view.revision} → ${view.pendingRevision}` : view.revision
  const live = view.instances.filter((i) => i.state !== 'stopped' && i.state !== 'failed')
  const count = (state) => live.filter((i) => i.state === state).length
  const t = view.traffic
  const st = view.settings
  fill(
    el.tiles,
    tile('instances', `${count('ready')} ready`, count('starting') ? `${count('starting')} starting` : st ? `min ${st.minInstances} · max ${st.maxInstances}` : ''),
    tile('in flight', view.inFlight, [st ? `concurrency ${st.concurrency}` : '', view.webSockets ? `${view.webSockets} WebSocket${view.webSockets === 1 ? '' : 's'}` : ''].filter(Boolean).join(' · ')),
    tile('queued', view.queued),
    tile('requests/s', num(t.rps), 'last 10 s'),
    tile('p50', ms(t.p50), 'last 60 s'),
    tile('p95', ms(t.p95)),
    tile('p99', ms(t.p99)),
    st ? tile('size', `${st.cpu} vCPU`, `${Math.round(st.memoryBytes / 1024 ** 2)} MiB${st.cpuThrottling ? ' · cpuThrottling' : ''}`) : null,
  )
  el.tiles.dataset.ready = String(count('ready'))
  fill(el.scaling, ...scalingTiles(view))
  const rows = [...live, ...view.instances.filter((i) => !live.includes(i)).slice(-5)]
  fill(
    el.instances,
    ...rows.map((i) =>
      h(
        'tr',
        { class: `state-${i.state}` },
        h('td', {}, i.id),
        h('td', {}, i.revision),
        h('td', {}, i.debugging && i.state === 'ready' ? 'debugging' : i.frozen ? `${i.state} (frozen)` : i.exit?.reason === 'oom-killed' ? `${i.state} (OOMKilled)` : i.state),
        h('td', { class: 'num' }, i.inFlight),
        h('td', { class: 'num' }, i.served),
        h('td', { class: 'num' }, ms(i.coldStartMs)),
      ),
    ),
  )
  fill(
    el.revisions,
    ...[...view.revisions]
      .reverse()
      .map((r) => h('tr', { class: `rev-${r.state}` }, h('td', {}, r.revision), h('td', {}, r.state), h('td', {}, time(r.at)), h('td', { class: 'wrap' }, r.reason ?? ''))),
  )
}

function addRequest(name, r) {
  service(name)
  const rows = pendingRows.get(name) ?? []
  rows.push(r)
  if (rows.length > 2 * REQUESTS_SHOWN) rows.splice(0, rows.length - REQUESTS_SHOWN)
  pendingRows.set(name, rows)
  scheduleDraw()
}

function flushRequests() {
  for (const [name, rows] of pendingRows) {
    const { el } = service(name)
    el.requests.querySelector(':scope > .empty')?.remove()
    el.requests.prepend(...rows.slice(-REQUESTS_SHOWN).reverse().map(requestRow))
    while (el.requests.children.length > REQUESTS_SHOWN) el.requests.lastElementChild.remove()
  }
  pendingRows.clear()
}

function requestRow(r) {
  return h(
    'tr',
    { class: r.status >= 500 ? 'bad' : r.status >= 400 ? 'warn' : '', 'data-request': '' },
    h('td', {}, time(r.at)),
    h('td', {}, r.method),
    h('td', { class: 'path', title: r.path }, r.path),
    h('td', { class: 'num' }, r.status),
    h('td', { class: 'num' }, ms(r.durationMs)),
    h('td', { class: 'num' }, ms(r.queuedMs)),
    h('td', {}, r.instanceId ?? '–'),
    h('td', {}, r.coldStart ? 'cold' : ''),
  )
}

/** Emulator events (instances, cold starts, crashes, revisions, scaling decisions) and dev-loop events. */
function addEvent({ at, event: e }) {
  if (e.type === 'scale' || e.type === 'scaling-model') return prepend(service(e.service).el.decisions, decisionItem(at, e), LIST_SHOWN)
  if (e.type === 'cold-start') {
    const c = e.coldStart
    prepend(service(e.service).el.coldStarts, h('tr', {}, h('td', {}, e.id), ...[c.totalMs, c.spawnMs, c.bootMs, c.readyMs, c.delayMs].map((v) => h('td', { class: 'num' }, ms(v)))), COLD_STARTS_SHOWN)
  }
  const delivery = describeDelivery(e)
  if (delivery) {
    prepend(
      $('deliveries').tBodies[0],
      h(
        'tr',
        { class: e.outcome === 'ok' ? '' : 'error' },
        ...[time(at), e.service, delivery.what, String(e.attempt), String(e.status || e.error || '-'), ms(e.durationMs), delivery.outcome].map((v) => h('td', {}, v)),
      ),
      LIST_SHOWN,
    )
  }
  const error = describeError(e)
  if (error) prepend($('errors'), h('li', { class: 'error' }, h('span', { class: 'when' }, time(at)), ' ', error.text, error.lines?.length ? h('pre', {}, error.lines.join('\n')) : null), LIST_SHOWN)
  const note = describeChange(e)
  if (note) prepend($('devloop'), h('li', {}, h('span', { class: 'when' }, time(at)), ' ', note), LIST_SHOWN)
}

/** A scheduled run or an event delivery (one row per try). */
function describeDelivery(e) {
  const how = (outcome) =>
    (outcome === 'retry' ? `retry in ${ms(e.nextInMs ?? 0)}` : outcome === 'dead-lettered' ? `dead-lettered (${e.deadLetterFile})` : outcome) + (e.coldStart ? ', cold start' : '')
  if (e.type === 'schedule') return { what: `schedule ${e.name}${e.manual ? ' (by hand)' : ''}`, outcome: how(e.outcome) }
  if (e.type === 'event-delivery') return { what: `event ${e.eventType} (${e.eventId})`, outcome: how(e.outcome) }
  return null
}

function describeError(e) {
  switch (e.type) {
    case 'start-failed':
      return { text: `${e.id} failed to start: ${e.message}`, lines: e.lastLines }
    case 'crash': {
      const why = e.exit.reason === 'oom-killed' ? 'OOMKilled' : e.exit.signal ? `ended by ${e.exit.signal}` : `exited with code ${e.exit.code}`
      return { text: `${e.id} crashed: ${why}${e.exit.message ? ` (${e.exit.message})` : ''}` }
    }
    case 'revision':
      return e.state === 'failed' ? { text: `revision ${e.revision} failed: ${e.reason}`, lines: e.lastLines } : null
    case 'rebuild':
      return e.state === 'failed' ? { text: `${e.service}: build failed: ${e.message}` } : null
    case 'reload-paused':
      return { text: `${e.code}: ${e.message}`, lines: [e.hint] }
    case 'config':
      return e.state === 'invalid' ? { text: `sls-run.yaml is invalid: ${e.message}`, lines: (e.diagnostics ?? []).map((d) => `${d.file}:${d.line}:${d.column} ${d.message}`) } : null
    default:
      return null
  }
}

function describeChange(e) {
  switch (e.type) {
    case 'reload': {
      const files = e.fileCount ? `: ${e.files.join(', ')}${e.fileCount > e.files.length ? ', …' : ''}` : ''
      return `${e.service}: reloaded → ${e.revision} in ${ms(e.savedToServingMs)}${e.buildMs === undefined ? '' : ` (build ${ms(e.buildMs)})`} — ${e.reason}${files}`
    }
    case 'reload-resumed':
      return `${e.service}: reloads resumed`
    case 'rebuild':
      return e.state === 'started' ? `${e.service}: rebuilding` : e.state === 'done' ? `${e.service}: rebuilt in ${ms(e.durationMs)}${e.cached ? ' (cached)' : ''}` : null
    case 'config':
      return e.state === 'reloaded' ? `sls-run.yaml reloaded${e.changed.length ? `: ${e.changed.join(', ')} changed` : ''}` : null
    case 'revision':
      return `${e.service}: revision ${e.revision} ${e.state}${e.reason ? ` (${e.reason})` : ''}`
    default:
      return null
  }
}

const MODELS = [
  { key: 'requestBased', label: 'request-based', hint: 'CPU only during requests (cpuThrottling: true)' },
  { key: 'instanceBased', label: 'instance-based', hint: 'CPU always allocated: every instance from start to stop' },
  { key: 'alwaysOn', label: 'always-on', hint: 'one instance for the whole session, instance-based price' },
]

function renderCost(cost) {
  const rows = []
  for (const m of MODELS) {
    const sum = (f) => cost.services.reduce((a, s) => a + f(s[m.key]), 0)
    const selected = cost.services.length > 0 && cost.services.every((s) => s.selected === m.key)
    rows.push(
      h(
        'tr',
        { class: selected ? 'selected' : '', title: m.hint, 'data-model': m.key },
        h('td', {}, m.label, selected ? h('span', { class: 'badge' }, 'your setting') : null),
        h('td', { class: 'num', 'data-testid': `billable-${m.key}` }, num(cost.total[m.key].seconds, 1)),
        h(
          'td',
          { class: 'num' },
          num(
            sum((b) => b.vcpuSeconds),
            1,
          ),
        ),
        h(
          'td',
          { class: 'num' },
          num(
            sum((b) => b.gibSeconds),
            2,
          ),
        ),
        h('td', { class: 'num' }, m.key === 'requestBased' ? sum((b) => b.requests) : '–'),
        h('td', { class: 'num money' }, money(cost.total[m.key].total)),
        h('td', { class: 'num money' }, money(cost.total[m.key].monthly)),
      ),
    )
    if (cost.services.length > 1) {
      for (const s of cost.services) {
        const b = s[m.key]
        rows.push(
          h(
            'tr',
            { class: 'sub' },
            h('td', {}, `↳ ${s.service}`),
            h('td', { class: 'num' }, num(b.seconds, 1)),
            h('td', { class: 'num' }, num(b.vcpuSeconds, 1)),
            h('td', { class: 'num' }, num(b.gibSeconds, 2)),
            h('td', { class: 'num' }, m.key === 'requestBased' ? b.requests : '–'),
            h('td', { class: 'num money' }, money(b.cost.total)),
            h('td', { class: 'num money' }, money(b.monthly)),
          ),
        )
      }
    }
  }
  fill(document.querySelector('#cost tbody'), ...rows)
  const rb = cost.freeTier.requestBased
  const ib = cost.freeTier.instanceBased
  $('free-tier').textContent =
    `Free tier per billing account and month, not subtracted above. Request-based: ${num(rb.allowance.vcpuSeconds)} vCPU-s, ${num(rb.allowance.gibSeconds)} GiB-s, ${num(rb.allowance.requests)} requests; ` +
    `a month at this rate uses ${pct(rb.used.vcpuSeconds)}, ${pct(rb.used.gibSeconds)}, ${pct(rb.used.requests)} of it (${money(rb.monthlyAfterFreeTier)}/month after it). ` +
    `Instance-based: ${num(ib.allowance.vcpuSeconds)} vCPU-s, ${num(ib.allowance.gibSeconds)} GiB-s; uses ${pct(ib.used.vcpuSeconds)}, ${pct(ib.used.gibSeconds)} (${money(ib.monthlyAfterFreeTier)}/month after it).`
  $('pricing').textContent =
    `${cost.pricing.currency} list prices: ${cost.pricing.source}, retrieved ${cost.pricing.retrieved}. Busy time counts once a request finishes, rounded up to 100 ms per busy period; projections assume this session's rate for 30 days (${duration(cost.elapsedSeconds * 1000)} observed).`
}

function scheduleDraw() {
  if (drawPending) return
  drawPending = true
  requestAnimationFrame(() => {
    drawPending = false
    flushRequests()
    const now = Date.now()
    // The whole session while it is short (at least 30 s), then the last 5 minutes.
    const spanMs = Math.min(5 * 60_000, Math.max(30_000, now - startedAt))
    for (const svc of services.values()) {
      if (svc.samples.length > 2000) svc.samples.splice(0, svc.samples.length - 2000)
      stepChart(svc.el.instancesChart, svc.samples, INSTANCE_SERIES, { stacked: true, now, spanMs })
      stepChart(svc.el.loadChart, svc.samples, LOAD_SERIES, { now, spanMs })
      stepChart(svc.el.latencyChart, svc.samples, LATENCY_SERIES, { now, spanMs })
    }
  })
}

function duration(msTotal) {
  const sec = Math.floor(msTotal / 1000)
  return sec < 60 ? `${sec} s` : sec < 3600 ? `${Math.floor(sec / 60)} min ${sec % 60} s` : `${Math.floor(sec / 3600)} h ${Math.floor((sec % 3600) / 60)} min`
}
