/**
 * Turns a run into its report: the console's tables and BENCHMARKS.md. Every figure is
 * min / median / max over the rounds; every ratio is paired round by round with the
 * baseline row of the same runtime in the same run (lib/stats.mjs).
 */
import { failure, pairedRatios, series, spread } from './stats.mjs'
import { evaluate } from './targets.mjs'

export const LABEL = { raw: 'raw', 'raw-prepared': 'raw, frame prepared once', 'raw-corked': 'raw, prepared + corked per tick', 'raw-hono': 'raw, routed by Hono', portsocket: 'portsocket', hono: 'Hono helper', crossws: 'crossws' }

export const HOW = {
  node: {
    raw: '`ws` on node:http; naive loop: `ws.send(text)` per member (the frame is encoded for each)',
    'raw-prepared': "`ws` on node:http; `Sender.frame` once per message, then each member's `sendFrame` (portsocket's framing, without its corking)",
    'raw-corked': 'as raw-prepared, and each member\'s TCP socket corked once per tick (uncorked on `process.nextTick`): one write per member per batch of incoming messages (portsocket\'s Node technique)',
    'raw-hono': 'as raw, each upgrade routed through a Hono app first, on the lightweight request portsocket\'s adapter builds (what Hono\'s routing and Context cost alone)',
    portsocket: '`serve()` from portsocket/node; rooms (frame encoded once, `sendFrame` per member, each socket corked once per tick)',
    hono: '@hono/node-server v2 `upgradeWebSocket` + `ws` server; send loop over a Set',
    crossws: 'crossws/adapters/node on node:http; `peer.send` + `peer.publish`',
  },
  bun: {
    raw: '`Bun.serve`; native `server.publish` (frame built once, in native code)',
    'raw-hono': 'as raw, each upgrade routed through a Hono app first (what Hono\'s routing and Context cost alone)',
    portsocket: '`serve()` from portsocket/bun; rooms (native publish)',
    hono: 'hono/bun `upgradeWebSocket` + `websocket`; send loop over a Set',
    crossws: 'crossws/adapters/bun; `peer.send` + `peer.publish` (native publish)',
  },
  deno: {
    raw: '`Deno.serve` + `Deno.upgradeWebSocket`; send loop over a Set (Deno has no prepared-frame API)',
    'raw-hono': 'as raw, each upgrade routed through a Hono app first (what Hono\'s routing and Context cost alone)',
    portsocket: '`serve()` from portsocket/deno; rooms (send loop)',
    hono: 'hono/deno `upgradeWebSocket`; send loop over a Set',
    crossws: 'crossws/adapters/deno; `peer.send` + `peer.publish` (send loop)',
  },
  workerd: {
    raw: 'Durable Object, hibernation API; send loop over a Set',
    portsocket: '`createSocketObject` + `toWorker({ durableObject })`; rooms (send loop, hibernation API)',
    hono: 'hono/cloudflare-workers `upgradeWebSocket` in a Durable Object (`accept()`, no hibernation); members join with a first message (no onOpen)',
    crossws: 'crossws/adapters/cloudflare with its Durable Object (hibernation API); `peer.send` + `peer.publish`',
  },
}

// ---- formatting ---------------------------------------------------------------------------

const num = (n) => {
  if (!Number.isFinite(n)) return '-'
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`
  if (n >= 1e4) return `${Math.round(n / 1e3)}k`
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`
  if (n >= 100) return n.toFixed(0)
  if (n >= 10) return n.toFixed(1)
  if (n >= 1) return n.toFixed(2)
  return n.toFixed(3)
}
const kib = (b) => (b / 1024).toFixed(1)
const sec = (ms) => (ms / 1000).toFixed(2)
const x = (r) => `${r.toFixed(2)}x`
/** "median (min–max)", or the one value for one round. */
const range = (s, f = num) => (!s ? '-' : s.n === 1 || s.min === s.max ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`)
const ratioRange = (s) => (!s ? '-' : s.n === 1 ? x(s.median) : `${x(s.median)} (${x(s.min)}–${x(s.max)})`)

// ---- the tables ---------------------------------------------------------------------------

function rowsFor(run, scenario, build, runtimes = run.options.runtimes) {
  const out = []
  for (const runtime of runtimes) {
    for (const impl of Object.keys(run.results[runtime] ?? {})) {
      const error = failure(run, runtime, impl, scenario)
      if (error) out.push([runtime, LABEL[impl], `failed: ${error.slice(0, 160).replace(/\|/g, '/').replace(/\n/g, ' ')}`])
      else out.push([runtime, LABEL[impl], ...build(runtime, impl)])
    }
  }
  return out
}

function tables(run) {
  const o = run.options
  const c = run.config.scenarios
  const fig = (runtime, impl, scenario, pick) => spread(series(run, runtime, impl, scenario, pick))
  const vsRaw = (runtime, impl, scenario, pick) =>
    impl === 'raw'
      ? (fig(runtime, impl, scenario, pick) ? '1.00x' : '-')
      : ratioRange(spread(pairedRatios(run, runtime, impl, 'raw', scenario, pick)))
  const out = []
  for (const scenario of ['chat', 'room']) {
    if (!o.scenarios.includes(scenario)) continue
    out.push({
      title:
        scenario === 'chat'
          ? `Chat: ${c.chat.clients} members, each sends ${c.chat.perBatch} messages per batch, every message to every member`
          : `Room: ${c.room.members} members, one sender, ${c.room.perBatch} messages per batch to all`,
      header: ['runtime', 'server', 'server CPU per delivery, µs', 'vs raw', 'deliveries/s', 'vs raw', 'server cores busy', 'client CPU per delivery, µs', 'others on the machine'],
      rows: rowsFor(run, scenario, (rt, impl) => [
        range(fig(rt, impl, scenario, (r) => r.cpuUs)),
        vsRaw(rt, impl, scenario, (r) => r.cpuUs),
        range(fig(rt, impl, scenario, (r) => r.rate)),
        vsRaw(rt, impl, scenario, (r) => r.rate),
        range(fig(rt, impl, scenario, (r) => r.serverCores), (v) => v.toFixed(2)),
        range(fig(rt, impl, scenario, (r) => r.clientCpuUs)),
        range(fig(rt, impl, scenario, (r) => r.others * 100), (v) => `${v.toFixed(0)}%`),
      ]),
    })
  }
  if (o.scenarios.includes('echo')) {
    out.push({
      title: `Echo: ${c.echo.clients} connections, one ${c.echo.payloadBytes}-byte round trip in flight each`,
      header: ['runtime', 'server', 'server CPU per round trip, µs', 'vs raw', 'round trips/s', 'vs raw', 'p50 / p99 ms (median round)', 'others on the machine'],
      rows: rowsFor(run, 'echo', (rt, impl) => [
        range(fig(rt, impl, 'echo', (r) => r.cpuUs)),
        vsRaw(rt, impl, 'echo', (r) => r.cpuUs),
        range(fig(rt, impl, 'echo', (r) => r.rate)),
        vsRaw(rt, impl, 'echo', (r) => r.rate),
        `${num(fig(rt, impl, 'echo', (r) => r.p50)?.median)} / ${num(fig(rt, impl, 'echo', (r) => r.p99)?.median)}`,
        range(fig(rt, impl, 'echo', (r) => r.others * 100), (v) => `${v.toFixed(0)}%`),
      ]),
    })
  }
  if (o.scenarios.includes('idle')) {
    // Runs saved before the main thread was measured apart have no such column.
    const mainThread = Object.values(run.results).some((rows) => Object.values(rows).some((row) => row.idle?.some((r) => r?.steps?.some((s) => s.openMainUs !== undefined))))
    c.idle.steps.forEach((n, k) => {
      // workerd runs the first step only.
      const runtimes = o.runtimes.filter((r) => k === 0 || r !== 'workerd')
      if (!runtimes.length) return
      const pick = (key) => (r) => r.steps?.[k]?.[key]
      const from = k === 0 ? 0 : c.idle.steps[k - 1]
      out.push({
        title: `Idle: ${n.toLocaleString('en-US')} connections held${k ? ` (opening ${from.toLocaleString('en-US')} to ${n.toLocaleString('en-US')})` : ''}${k && o.runtimes.includes('workerd') ? '; workerd runs the first step only' : ''}`,
        header: [
          'runtime', 'server', 'RSS growth per connection, KiB', 'vs raw', 'open time, s', 'vs raw', 'server CPU per open, µs', 'vs raw',
          ...(mainThread ? ['of it on the main thread, µs', 'vs raw'] : []),
          'RSS before, MiB',
        ],
        rows: rowsFor(run, 'idle', (rt, impl) => [
          range(fig(rt, impl, 'idle', pick('bytesPerConn')), kib),
          vsRaw(rt, impl, 'idle', pick('bytesPerConn')),
          range(fig(rt, impl, 'idle', pick('openMs')), sec),
          vsRaw(rt, impl, 'idle', pick('openMs')),
          range(fig(rt, impl, 'idle', pick('openCpuUs'))),
          vsRaw(rt, impl, 'idle', pick('openCpuUs')),
          ...(mainThread ? [range(fig(rt, impl, 'idle', pick('openMainUs'))), vsRaw(rt, impl, 'idle', pick('openMainUs'))] : []),
          range(fig(rt, impl, 'idle', pick('rssBefore')), (b) => (b / 2 ** 20).toFixed(0)),
        ], runtimes),
      })
    })
  }
  return out
}

function targetRows(run) {
  return evaluate(run).map((t) => {
    const met = t.met === true ? 'met' : t.met === false ? '**not met**' : 'not measured'
    if (t.held !== undefined) {
      const measured = t.held
        ? `held ${range(t.held)} in every round: ${range(t.memory, kib)} KiB per connection, ${range(t.openMs, sec)} s to open all`
        : 'no result'
      return [t.runtime, t.what, measured, '', met]
    }
    const f = t.unit === 'KiB' ? kib : t.unit === 's' ? sec : num
    const values = t.impl && t.baseline ? `${f(t.impl.median)} vs ${f(t.baseline.median)} ${t.unit}` : '-'
    return [t.runtime, t.what, t.ratios ? ratioRange(t.ratios) : 'no result', values, met]
  })
}

// ---- console ------------------------------------------------------------------------------

function textTable(header, rows) {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? '').length)))
  const line = (r) => r.map((cell, i) => String(cell ?? '').padEnd(w[i])).join('  ')
  return [line(header), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n')
}

export function consoleReport(run) {
  const parts = tables(run).map((t) => `${t.title}\n${textTable(t.header, t.rows)}\n`)
  parts.push(`Targets (met only if every round's ratio clears it)\n${textTable(['runtime', 'target', 'ratio, median (min–max)', 'portsocket vs baseline (medians)', ''], targetRows(run).map((r) => [...r.slice(0, 4), r[4].replace(/\*/g, '')]))}`)
  return parts.join('\n')
}

// ---- BENCHMARKS.md ------------------------------------------------------------------------

const ANALYSIS_START = '<!-- analysis:start (kept across runs: edit by hand) -->'
const ANALYSIS_END = '<!-- analysis:end -->'

function mdTable(header, rows) {
  return [`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')
}

export function markdown(run, previous = '') {
  const o = run.options
  const c = run.config
  const date = run.date.replace('T', ' ').slice(0, 16) + ' UTC'
  // The measuring command, without the flags that only say where the results went.
  const command = run.command.replace(/ --json \S+/g, '').replace(/ --(no-)?write/g, '').replace(/ --$/, '')
  const la = (l) => l.map((v) => v.toFixed(2)).join(' / ')
  const busy = Object.values(run.results).flatMap((rt) => Object.values(rt).flatMap((row) => row.busyBefore))
  const busyS = spread(busy.map((b) => b * 100))
  const L = []
  L.push('# Benchmarks', '')
  L.push(
    `Measured by \`${command}\` on ${date} (${Math.round(run.durationS / 60)} minutes)${o.quick ? ' — **a quick run: short windows, one round; not for quoting**' : ''}. ` +
      'Every row is a real server process on 127.0.0.1, driven by the same load client in the same run. ' +
      '**The primary figure is the server\'s CPU time per delivery** (user + system of the server\'s process tree, from /proc/<pid>/stat, over the measured windows, divided by the deliveries counted by the clients; per round trip for echo). ' +
      'Throughput sits beside it. Each figure is the median over rounds with (min–max); each ratio is paired round by round with the baseline row of the same runtime in this run.' +
      (o.semiSpace !== undefined ? ` **Node and Deno servers ran with V8's semi-space capped at ${o.semiSpace} MiB** (\`--semi-space\`), not V8's default.` : ''),
    '',
  )
  L.push(
    `**Load on the machine.** Load average (1 / 5 / 15 min) at the start: ${la(run.loadAverage.start)}; at the end: ${la(run.loadAverage.end)}. ` +
      `Before each row the machine was ${busyS ? `${busyS.median.toFixed(0)}% busy (median; ${busyS.min.toFixed(0)}–${busyS.max.toFixed(0)}%)` : 'not sampled'} with work that was not ours; ` +
      'each table also gives the share of the machine other processes took during the measured windows. ' +
      'Absolute numbers move with that load; CPU per delivery and ratios within one run move much less.' +
      ' The load average counts the benchmark\'s own server and client too (about 2 while it runs).' +
      (!busyS
        ? ''
        : busyS.median > 15
          ? ' **Other work shared the machine during this run: a full run on a quiet machine is still pending.**'
          : busyS.max > 15
            ? ' **Mostly quiet, with bursts of other work in some rounds (see the "others" columns): a run on a dedicated machine is still pending.**'
            : ''),
    '',
  )
  L.push('## Targets', '')
  L.push(`A target is met only when every round's ratio clears it (${o.rounds} round${o.rounds > 1 ? 's' : ''}).`, '')
  const tr = targetRows(run)
  L.push(tr.length ? mdTable(['runtime', 'target', 'ratio, median (min–max)', 'portsocket vs baseline (medians)', 'met'], tr) : '_No target covers the runtimes, scenarios and servers of this run._')
  L.push('')
  const kept = (() => {
    const from = previous.indexOf(ANALYSIS_START)
    const to = previous.indexOf(ANALYSIS_END)
    return from >= 0 && to > from ? previous.slice(from + ANALYSIS_START.length, to).trim() : ''
  })()
  L.push('## The misses, and what would close them', '', ANALYSIS_START, kept || '_Not written yet._', ANALYSIS_END, '')
  L.push('## Results', '')
  for (const t of tables(run)) L.push(`### ${t.title}`, '', mdTable(t.header, t.rows), '')
  L.push('### What each row runs', '', '| runtime | server | how it relays the chat |', '| --- | --- | --- |')
  for (const runtime of o.runtimes) for (const impl of Object.keys(run.results[runtime] ?? {})) L.push(`| ${runtime} | ${LABEL[impl]} | ${HOW[runtime][impl]} |`)
  L.push('')
  L.push(
    'Servers: `bench/servers/<runtime>/<row>.ts` (workerd: `.toml` + `.ts` under `wrangler dev`). portsocket runs the same route code everywhere ' +
      "(`bench/servers/shared/portsocket-app.ts`: `websocket()`, `await socket.join('chat')` in `open`, `socket.server.to('chat').send(...)` per message, default route options); " +
      'the Hono helper and crossws rows share one app each (`shared/hono-app.ts`, `shared/crossws-hooks.ts`).',
    '',
  )
  L.push('## Method', '')
  L.push(
    [
      `- **Processes.** One server at a time on 127.0.0.1, killed with its process group after its row; each preloads bench/lifeline.mjs (ends it if the runner dies; full GC on SIGUSR2). ` +
        `Rows of a runtime alternate (A B C A B C) over ${o.rounds} round${o.rounds > 1 ? 's' : ''}. Idle runs in a fresh server process of its own; chat, echo${o.scenarios.includes('room') ? ', room' : ''} follow in a second one.`,
      `- **Load.** ${run.config.procs} load client process${run.config.procs > 1 ? 'es' : ''} (bench/load.mjs) using ${run.config.client === 'bun' ? "Bun's built-in WebSocket" : '`ws` on Node'}${run.calibration ? ' (chosen by --client auto in this run)' : ''}, connections split between them when there are several. ` +
        (run.machine.cores <= 2
          ? `This machine has ${run.machine.cores} cores: the server needs one and one client process the other, so a second client process would only take CPU from the server it measures. The default is one load process per core beyond the server's (at most 4); on 2 cores that is one. Because the primary figure is the server's own CPU per delivery, it does not depend on the client keeping up.`
          : 'Default: one load process per core beyond the server\'s, at most 4.'),
      `- **Windows.** After the clients connect (and the chat settles), \`start\`; every ${c.windowMs} ms the runner reads the CPU of the server tree, of the clients and of the machine, then asks each client for its count. ` +
        `The first window is warm-up; the next ${c.windows} are measured. CPU per delivery = server CPU over the measured windows / deliveries in them; throughput = median of the per-window rates. ` +
        'CPU is read in clock ticks (10 ms): a chat or echo span holds hundreds of ticks; the cheapest open figures (Bun, about 30 µs x 5,000 opens) rest on 10 to 30 ticks, so one tick is a few percent there. ' +
        'CPU per delivery is not wholly independent of load: a server starved of CPU reads more messages per wake-up and writes more per syscall, so it spends a little less per delivery; the "others on the machine" column shows which rounds ran crowded.',
      `- **Chat** (Bun's bench/websocket-server method): ${c.scenarios.chat.clients} members join /chat?name=NAME; in each batch every member sends ${c.scenarios.chat.perBatch} short texts; the server relays each, prefixed with "NAME: ", to every member, sender included; ` +
        `the next batch starts once all ${c.scenarios.chat.clients} x ${c.scenarios.chat.perBatch} x ${c.scenarios.chat.clients} deliveries have arrived (across load processes, the runner holds the barrier).`,
      `- **Echo:** ${c.scenarios.echo.clients} connections to /echo, each with one ${c.scenarios.echo.payloadBytes}-byte text in flight; CPU per round trip, round trips per second, p50/p99 latency over the measured windows.`,
      ...(o.scenarios.includes('room') ? [`- **Room:** ${c.scenarios.room.members} members, member 0 sends batches of ${c.scenarios.room.perBatch}; the next batch once all have arrived.`] : []),
      `- **Idle:** 8 warm-up connections opened and closed; 1 s of quiet; a full GC (not on workerd); VmRSS of the server (on workerd, of the workerd process that runs the Worker). ` +
        `Then for each step (${c.scenarios.idle.steps.join(', ')} connections held) the clients open /chat members, ${c.scenarios.idle.parallel} handshakes in flight per process; the runner records the wall time and the server's CPU for those opens (and, apart, its main thread's: where JavaScript and the event loop run, without the engine's helper threads that compile hot code and mark and sweep the heap concurrently; not on workerd), waits 1 s, runs a full GC and reads VmRSS again. ` +
        'Memory per connection = RSS growth since before the first step / connections held.',
      '- Compression is never offered. Servers keep their defaults otherwise (portsocket: 30 s heartbeat, 1 MiB limit; crossws and Bun/Deno: their own idle timeouts).',
      ...(!o.runtimes.includes('workerd') ? [] : ['- workerd (under `wrangler dev`): the load goes straight to the workerd process that runs the Worker, not through wrangler\'s dev proxy (which runs out of descriptors near 3,300 connections; `--via-proxy` uses it). Its CPU figure counts the whole tree (wrangler\'s Node process and both workerd processes).']),
    ].join('\n'),
  )
  L.push('')
  L.push('## Machine and versions', '')
  L.push(`- ${run.machine.cpu}, ${run.machine.cores} cores, ${run.machine.memory}, ${run.machine.os}, open files limit ${run.machine.openFiles}`)
  L.push(`- ${Object.entries(run.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`)
  L.push('')
  L.push('## Reproduce', '', '```sh', 'npm install', `${command}   # this run`, 'npm run bench -- --quick   # a short look', 'npm run bench -- --help    # every option', '```', '')
  L.push(
    'Only a full, unfiltered run rewrites this file (or any run with `--write`); every run leaves its report in `bench/.build/last-run.md` and its raw numbers in `bench/.build/last-run.json`.',
    '',
  )
  return L.join('\n')
}
