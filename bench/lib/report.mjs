/**
 * Turns a run's raw results into the tables: the console's, and BENCHMARKS.md. Each cell
 * is the mean over the rounds; each ratio compares a row with the raw row of the same
 * runtime in the same run.
 */

export const IMPL_LABEL = {
  raw: 'raw',
  portsocket: 'portsocket',
  hono: 'Hono helper',
  crossws: 'crossws',
}

export const HOW = {
  node: {
    raw: '`ws` on node:http; send loop over a Set',
    portsocket: '`serve()` from portsocket/node; rooms (frame encoded once)',
    hono: '@hono/node-server v2 `upgradeWebSocket` + `ws` server; send loop over a Set',
    crossws: 'crossws/adapters/node on node:http; `peer.send` + `peer.publish`',
  },
  bun: {
    raw: '`Bun.serve`; native `server.publish`',
    portsocket: '`serve()` from portsocket/bun; rooms (native publish)',
    hono: 'hono/bun `upgradeWebSocket` + `websocket`; send loop over a Set',
    crossws: 'crossws/adapters/bun; `peer.send` + `peer.publish` (native publish)',
  },
  deno: {
    raw: '`Deno.serve` + `Deno.upgradeWebSocket`; send loop over a Set',
    portsocket: '`serve()` from portsocket/deno; rooms (send loop)',
    hono: 'hono/deno `upgradeWebSocket`; send loop over a Set',
    crossws: 'crossws/adapters/deno; `peer.send` + `peer.publish` (send loop)',
  },
  workerd: {
    raw: 'Durable Object, hibernation API; send loop over a Set',
    portsocket: '`createSocketObject` + `toWorker({ durableObject })`; rooms (send loop, hibernation API)',
    hono: 'hono/cloudflare-workers `upgradeWebSocket` in a Durable Object (`accept()`, no hibernation); send loop; members join with a first message (no onOpen)',
    crossws: 'crossws/adapters/cloudflare with its Durable Object (hibernation API); `peer.send` + `peer.publish`',
  },
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length

/** { [runtime]: { [impl]: { [scenario]: cell } } }, cell = { value, ratio, rounds, ... } or { error } */
export function aggregate(run) {
  const table = {}
  for (const runtime of run.runtimes) {
    table[runtime] = {}
    for (const impl of run.impls) {
      table[runtime][impl] = {}
      for (const scenario of run.scenarios) {
        const rounds = run.results[runtime][impl][scenario]
        const ok = rounds.filter((r) => !r.error && Number.isFinite(r.value))
        if (!ok.length) {
          table[runtime][impl][scenario] = { error: rounds.find((r) => r.error)?.error ?? 'no result' }
          continue
        }
        const cell = { value: mean(ok.map((r) => r.value)), rounds: ok.map((r) => r.value), failed: rounds.length - ok.length }
        if (scenario === 'echo') {
          cell.p50 = mean(ok.map((r) => r.p50))
          cell.p99 = mean(ok.map((r) => r.p99))
        }
        if (scenario === 'idle') {
          cell.openMs = mean(ok.map((r) => r.openMs))
          cell.rssBefore = mean(ok.map((r) => r.rssBefore))
        }
        if (scenario !== 'idle') cell.clientCpuUs = mean(ok.map((r) => r.clientCpuUsPerDelivery))
        table[runtime][impl][scenario] = cell
      }
    }
    for (const scenario of run.scenarios) {
      const raw = table[runtime].raw?.[scenario]
      for (const impl of run.impls) {
        const cell = table[runtime][impl][scenario]
        if (cell.error || !raw || raw.error || !raw.value) continue
        cell.ratio = cell.value / raw.value
      }
    }
  }
  return table
}

const num = (n) => {
  if (!Number.isFinite(n)) return '-'
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`
  if (n >= 1e4) return `${Math.round(n / 1e3)}k`
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`
  return n.toFixed(0)
}
const ratio = (r) => (Number.isFinite(r) ? `${r.toFixed(2)}x` : '-')
const kib = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(1)} KiB` : '-')
/** Spread between rounds, as ±% of the mean, when there is more than one round. */
const spread = (cell) => {
  if (!cell.rounds || cell.rounds.length < 2) return ''
  const m = mean(cell.rounds)
  const half = (Math.max(...cell.rounds) - Math.min(...cell.rounds)) / 2
  return m ? ` ±${Math.round((100 * half) / m)}%` : ''
}

const SCENARIO_TITLE = {
  chat: (c) => `Chat broadcast: ${c.chat.clients} clients x ${c.chat.perBatch} messages per batch, every message to every client (deliveries/s)`,
  echo: (c) => `Echo: ${c.echo.clients} clients, one round trip in flight each (round trips/s, latency)`,
  room: (c) => `Room broadcast: ${c.room.members} members, one sender, ${c.room.perBatch} messages per batch (deliveries/s)`,
  idle: (c) => `Idle connections: ${c.idle.connections} open, server memory per connection (RSS growth / connections; lower is better)`,
}

/** Rows of one scenario's table: [label, cells...]. */
function rows(run, table, scenario, markdown) {
  const out = []
  for (const runtime of run.runtimes) {
    for (const impl of run.impls) {
      const cell = table[runtime][impl][scenario]
      const label = [runtime, IMPL_LABEL[impl]]
      if (cell.error) {
        out.push([...label, `failed: ${cell.error.slice(0, markdown ? 160 : 100).replace(/\|/g, '/').replace(/\n/g, ' ')}`, '', '', ''])
        continue
      }
      const note = cell.failed ? ` (${cell.failed} round failed)` : ''
      if (scenario === 'idle') {
        out.push([...label, `${kib(cell.value)}${spread(cell)}${note}`, ratio(cell.ratio), `${(cell.openMs / 1000).toFixed(2)} s`, `${(cell.rssBefore / 2 ** 20).toFixed(1)} MiB`])
      } else if (scenario === 'echo') {
        out.push([...label, `${num(cell.value)}${spread(cell)}${note}`, ratio(cell.ratio), `${cell.p50.toFixed(2)} / ${cell.p99.toFixed(2)} ms`, ''])
      } else {
        out.push([...label, `${num(cell.value)}${spread(cell)}${note}`, ratio(cell.ratio), '', ''])
      }
    }
  }
  return out
}

const HEADERS = {
  chat: ['runtime', 'server', 'deliveries/s', 'vs raw', '', ''],
  room: ['runtime', 'server', 'deliveries/s', 'vs raw', '', ''],
  echo: ['runtime', 'server', 'round trips/s', 'vs raw', 'p50 / p99', ''],
  idle: ['runtime', 'server', 'per connection', 'vs raw', 'time to open all', 'RSS before'],
}

function trimColumns(header, body) {
  const keep = header.map((h, i) => h !== '' || body.some((r) => r[i] !== ''))
  return [header.filter((_, i) => keep[i]), body.map((r) => r.filter((_, i) => keep[i]))]
}

export function consoleTables(run, table) {
  const parts = []
  for (const scenario of ['chat', 'echo', 'room', 'idle']) {
    if (!run.scenarios.includes(scenario)) continue
    const [header, body] = trimColumns(HEADERS[scenario], rows(run, table, scenario, false))
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => String(r[i]).length)))
    const line = (r) => r.map((c, i) => (i < 2 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ')
    parts.push(SCENARIO_TITLE[scenario](run.config), line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line), '')
  }
  parts.push(...targets(run, table).map((t) => `${t.met === true ? 'met    ' : t.met === false ? 'NOT MET' : 'n/a    '}  ${t.target}: ${t.measured}`))
  return parts.join('\n')
}

function mdTable(header, body) {
  const align = header.map((_, i) => (i < 2 ? '---' : '---:'))
  return [`| ${header.join(' | ')} |`, `| ${align.join(' | ')} |`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n')
}

// ---- targets (issue 3) ------------------------------------------------------------------

/** "At least level with the best peer": within this much of it (the usual noise here). */
export const LEVEL = 0.97

export function targets(run, table) {
  const out = []
  const cell = (runtime, impl, scenario) => table[runtime]?.[impl]?.[scenario]
  const ok = (c) => c && !c.error && Number.isFinite(c.value)
  for (const runtime of run.runtimes) {
    for (const scenario of ['chat', 'echo']) {
      if (!run.scenarios.includes(scenario)) continue
      const ps = cell(runtime, 'portsocket', scenario)
      if (run.impls.includes('raw') && run.impls.includes('portsocket')) {
        out.push({
          id: `${runtime}-${scenario}-raw`,
          target: `${runtime}: ${scenario} >= 0.95x raw`,
          measured: ok(ps) && ps.ratio !== undefined ? ratio(ps.ratio) : 'no result',
          met: ok(ps) && ps.ratio !== undefined ? ps.ratio >= 0.95 : null,
        })
      }
      const peers = ['hono', 'crossws'].filter((p) => run.impls.includes(p) && ok(cell(runtime, p, scenario)))
      if (peers.length && run.impls.includes('portsocket')) {
        const best = peers.reduce((a, b) => (cell(runtime, a, scenario).value >= cell(runtime, b, scenario).value ? a : b))
        const vs = ok(ps) ? ps.value / cell(runtime, best, scenario).value : NaN
        out.push({
          id: `${runtime}-${scenario}-peer`,
          target: `${runtime}: ${scenario} at least level with the best peer`,
          measured: Number.isFinite(vs) ? `${vs.toFixed(2)}x ${IMPL_LABEL[best]}` : 'no result',
          met: Number.isFinite(vs) ? vs >= LEVEL : null,
        })
      }
    }
  }
  const has = (runtime, scenario) => run.runtimes.includes(runtime) && run.scenarios.includes(scenario) && run.impls.includes('raw') && run.impls.includes('portsocket')
  if (has('node', 'room')) {
    const c = cell('node', 'portsocket', 'room')
    const chat = cell('node', 'portsocket', 'chat')
    out.push({
      id: 'node-broadcast',
      target: 'node: broadcast (room) 1.3x raw `ws` loop',
      measured: ok(c) && c.ratio !== undefined ? `${ratio(c.ratio)}${ok(chat) && chat.ratio !== undefined ? ` (chat ${ratio(chat.ratio)})` : ''}` : 'no result',
      met: ok(c) && c.ratio !== undefined ? c.ratio >= 1.3 : null,
    })
  }
  if (has('bun', 'room')) {
    const c = cell('bun', 'portsocket', 'room')
    const chat = cell('bun', 'portsocket', 'chat')
    out.push({
      id: 'bun-publish',
      target: 'bun: broadcast (room) through native publish >= 0.95x raw `Bun.serve`',
      measured: ok(c) && c.ratio !== undefined ? `${ratio(c.ratio)}${ok(chat) && chat.ratio !== undefined ? ` (chat ${ratio(chat.ratio)})` : ''}` : 'no result',
      met: ok(c) && c.ratio !== undefined ? c.ratio >= 0.95 : null,
    })
  }
  for (const runtime of run.runtimes) {
    if (!has(runtime, 'idle')) continue
    const c = cell(runtime, 'portsocket', 'idle')
    out.push({
      id: `${runtime}-memory`,
      target: `${runtime}: memory per idle connection <= 1.2x raw`,
      measured: ok(c) && c.ratio !== undefined ? `${ratio(c.ratio)} (${kib(c.value)} vs ${kib(cell(runtime, 'raw', 'idle').value)})` : 'no result',
      met: ok(c) && c.ratio !== undefined ? c.ratio <= 1.2 : null,
    })
  }
  return out
}

// ---- BENCHMARKS.md ----------------------------------------------------------------------------

const ANALYSIS_START = '<!-- analysis:start (kept across runs: edit by hand) -->'
const ANALYSIS_END = '<!-- analysis:end -->'

export function markdown(run, table, previous = '') {
  const c = run.config
  const date = run.date.replace('T', ' ').slice(0, 16) + ' UTC'
  const t = targets(run, table)
  const lines = []
  lines.push('# Benchmarks')
  lines.push('')
  lines.push(
    `Written by \`npm run bench\` (bench/run.mjs) from its last full run: ${date}, ${Math.round(run.durationS / 60)} minutes` +
      `${run.quick ? ' (**quick run**: short windows, one round; not for quoting)' : ''}. Every row is a real server process on 127.0.0.1, ` +
      `driven by the same load client in the same run; each ratio compares a row with the **raw** row of the same runtime in this run ` +
      `(higher is better, except latency and memory). Numbers are the mean of ${c.rounds} round${c.rounds > 1 ? 's' : ''}; ` +
      `±% is half the spread between rounds.`,
  )
  lines.push('')

  // Headline: portsocket's ratios per runtime.
  lines.push('## portsocket against the raw runtime')
  lines.push('')
  const headScenarios = ['chat', 'echo', 'room', 'idle'].filter((s) => run.scenarios.includes(s))
  const headHeader = ['runtime', ...headScenarios.map((s) => ({ chat: 'chat', echo: 'echo', room: 'room broadcast', idle: 'memory / idle conn' })[s])]
  const headBody = run.runtimes.map((runtime) => [
    runtime,
    ...headScenarios.map((s) => {
      const cell = table[runtime].portsocket?.[s]
      return cell && !cell.error && cell.ratio !== undefined ? ratio(cell.ratio) : '-'
    }),
  ])
  lines.push(mdTable(headHeader, headBody).replace(/\| --- \| --- \|/, '| --- | ---: |'))
  lines.push('')

  lines.push('## Targets (issue 3)')
  lines.push('')
  lines.push(
    `"At least level with the best peer" counts as met at ${LEVEL}x the best peer or better (rounds here differ by a few percent). ` +
      'The Node broadcast and Bun publish targets are read on the room broadcast (one sender, many members: pure fan-out).',
  )
  lines.push('')
  lines.push('| target | this run | met |')
  lines.push('| --- | ---: | :---: |')
  for (const x of t) lines.push(`| ${x.target} | ${x.measured} | ${x.met === true ? 'met' : x.met === false ? '**not met**' : 'n/a'} |`)
  lines.push('')

  const kept = (() => {
    const from = previous.indexOf(ANALYSIS_START)
    const to = previous.indexOf(ANALYSIS_END)
    return from >= 0 && to > from ? previous.slice(from + ANALYSIS_START.length, to).trim() : ''
  })()
  lines.push('## Where portsocket falls short, and why')
  lines.push('')
  lines.push(ANALYSIS_START)
  lines.push(kept || '_Not written yet: read the targets above and explain each miss here._')
  lines.push(ANALYSIS_END)
  lines.push('')

  lines.push('## Results')
  lines.push('')
  for (const scenario of ['chat', 'echo', 'room', 'idle']) {
    if (!run.scenarios.includes(scenario)) continue
    lines.push(`### ${SCENARIO_TITLE[scenario](c)}`)
    lines.push('')
    const [header, body] = trimColumns(HEADERS[scenario], rows(run, table, scenario, true))
    lines.push(mdTable(header, body))
    lines.push('')
  }

  lines.push('### What each row runs')
  lines.push('')
  lines.push('| runtime | server | how it relays the chat |')
  lines.push('| --- | --- | --- |')
  for (const runtime of run.runtimes) for (const impl of run.impls) lines.push(`| ${runtime} | ${IMPL_LABEL[impl]} | ${HOW[runtime][impl]} |`)
  lines.push('')
  lines.push(
    'Servers are in `bench/servers/<runtime>/<row>.ts`. portsocket runs the same route code everywhere ' +
      '(`bench/servers/shared/portsocket-app.ts`: `websocket()` with `await socket.join(\'chat\')` in `open` and ' +
      "`socket.server.to('chat').send(...)` per message, default route options); Hono and crossws likewise share one app " +
      '(`shared/hono-app.ts`, `shared/crossws-hooks.ts`) across runtimes.',
  )
  lines.push('')

  lines.push('## Load client')
  lines.push('')
  if (run.calibration) {
    const s = run.calibration.summary
    lines.push(
      `Measured in this run: the chat scenario against the raw Bun and raw Node servers with both clients, alternating. ` +
        `Bun's built-in \`WebSocket\`: ${s.bun.cpuUs.toFixed(2)} µs of client CPU per delivery, ${num(s.bun.rate)} deliveries/s on average; ` +
        `\`ws\` ${run.versions.ws} on Node ${run.versions.node}: ${s.node.cpuUs.toFixed(2)} µs, ${num(s.node.rate)} deliveries/s. ` +
        `**The run used ${run.client === 'bun' ? "Bun's built-in WebSocket client" : 'ws on Node'}** (less CPU per delivery), ` +
        'in one process, for every row.',
    )
    lines.push('')
    lines.push('| server | client | deliveries/s | client CPU per delivery |')
    lines.push('| --- | --- | ---: | ---: |')
    for (const r of run.calibration.runs) {
      lines.push(
        r.error
          ? `| raw ${r.server} | ${r.client} | failed: ${r.error.slice(0, 80)} | |`
          : `| raw ${r.server} | ${r.client === 'bun' ? 'Bun WebSocket' : 'ws (Node)'} | ${num(r.value)} | ${r.clientCpuUsPerDelivery.toFixed(2)} µs |`,
      )
    }
  } else {
    lines.push(`The client was chosen on the command line: ${run.client === 'bun' ? "Bun's built-in WebSocket" : 'ws on Node'}.`)
  }
  lines.push('')
  lines.push(
    'On 2 cores the server and the client each get about one core, so for the fastest servers (Bun\'s native publish) ' +
      'the client can be the limit: those rows show the ceiling of this machine rather than of the server, and their ratios ' +
      'understate differences.',
  )
  lines.push('')

  lines.push('## Machine')
  lines.push('')
  lines.push(`- CPU: ${run.machine.cpu}, ${run.machine.cores} cores`)
  lines.push(`- Memory: ${run.machine.memory}`)
  lines.push(`- OS: ${run.machine.os}`)
  lines.push(`- Load average (1 min) at start and end of the run: ${run.loadAverage.map((l) => l.toFixed(2)).join(' / ')}`)
  lines.push(
    run.noisy?.length
      ? `- Rows that started while other work kept the machine busy (after waiting up to 20 s for quiet; busy share of both cores): ${run.noisy.join('; ')}`
      : '- Every row started on a quiet machine (less than 15% CPU busy with other work).',
  )
  lines.push('')
  lines.push('## Versions')
  lines.push('')
  for (const [name, version] of Object.entries(run.versions)) lines.push(`- ${name}: ${version}`)
  lines.push('')

  lines.push('## Method')
  lines.push('')
  lines.push(
    [
      `- **Processes.** One server process at a time, on 127.0.0.1, started by bench/run.mjs and killed (with its process group) after its row; ` +
        'workerd runs under `wrangler dev` (which puts a proxy workerd in front of the one running the Worker and its Durable Object). ' +
        'Each server preloads bench/lifeline.mjs and ends itself if the orchestrator dies. The load client is a separate process (bench/load.mjs).',
      `- **Order.** For each runtime, ${c.rounds} round${c.rounds > 1 ? 's' : ''} of raw, portsocket, Hono helper, crossws (A B C D A B C D), ` +
        'so drift on a noisy machine hits every row alike. In each server process the scenarios run in this order: idle, chat, echo, room.',
      `- **Chat broadcast** (the method of Bun's bench/websocket-server): ${c.chat.clients} clients join /chat?name=NAME; in each batch every client sends ` +
        `${c.chat.perBatch} short text messages; the server relays each one, prefixed with "NAME: ", to every member, the sender included; ` +
        `the next batch starts when all ${c.chat.clients} x ${c.chat.perBatch} x ${c.chat.clients} deliveries have arrived. Deliveries are counted per ` +
        `${c.windowMs / 1000}-second window for ${c.windows} windows; the first is dropped and the median of the rest reported.`,
      `- **Echo:** ${c.echo.clients} clients, each with one ${c.echo.payloadBytes}-byte text message in flight to /echo; ${c.echo.warmupMs / 1000} s warm-up, ` +
        `then round trips counted for ${c.echo.measureMs / 1000} s; p50/p99 over every round trip of that period.`,
      `- **Room broadcast:** ${c.room.members} members of /chat, one of them sending batches of ${c.room.perBatch} messages; the next batch starts when all ` +
        `${c.room.members} x ${c.room.perBatch} deliveries arrived; ${c.room.windows} one-second windows, the first dropped, the median of the rest reported.`,
      `- **Idle connections:** after 8 warm-up connections (opened and closed) and 1 s of quiet, the server's VmRSS (/proc/<pid>/status; for wrangler, ` +
        `the workerd process that runs the Worker) is read; ${c.idle.connections} /chat members are opened (${c.idle.parallel} handshakes in flight), ` +
        '1.5 s later VmRSS is read again; the growth divided by the connection count is reported, with the time opening took.',
      '- Compression is never offered by the client. Servers keep their defaults otherwise (portsocket: 30 s heartbeat, 1 MiB limit, 4 MiB send-buffer cap; ' +
        'crossws: its 30 s idle sweep; Bun/Deno: their own idle timeouts).',
      "- Hono's Workers helper never calls `onOpen` (workerd reports no open event to the server side), so in that row each member sends `join` first and the " +
        'server registers it on that message; every other row registers members when they open.',
    ].join('\n'),
  )
  lines.push('')

  lines.push('## Reproduce')
  lines.push('')
  lines.push('```sh')
  lines.push('npm ci')
  lines.push('npm run bench                      # the full run that wrote this file (~15 min on 2 cores)')
  lines.push('npm run bench -- --quick           # a quick look: short windows, fewer connections, one round')
  lines.push('npm run bench -- --runtime node --scenario chat,echo   # filter by runtime, scenario, --impl')
  lines.push('npm run bench -- --clients 32 --members 1000 --idle 10000 --rounds 3 --client bun')
  lines.push('```')
  lines.push('')
  lines.push(
    'Only a full, unfiltered run rewrites this file (or any run with `--write`); every run leaves its report in ' +
      '`bench/.build/last-run.md` and its raw numbers in `bench/.build/last-run.json`. Other processes on the machine move the numbers: ' +
      'compare ratios within one run, not absolute numbers across runs.',
  )
  lines.push('')
  return lines.join('\n')
}
