/**
 * The cross-instance scenario (`--scenario cross`, issue 10): the chat load spread over
 * three instances of one app that share one Redis, against the same load on one instance,
 * and against socket.io with its Redis adapter. Every row runs Node instances, whatever
 * --runtime says, but one: the three instances on Node, Bun and Deno (no target).
 *
 * Every row here is a "cluster": one or more server processes started with startServer,
 * measured together (the CPU of every instance's process tree, summed) by the same
 * windowed chat as the other scenarios (lib/scenario.mjs, scenario `cross`). Redis's own
 * CPU is read beside it, apart (the shared redis-server also serves other work).
 * Each row gets a fresh key prefix; its keys are deleted afterwards (SCAN + DEL).
 */
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { processTree } from './proc.mjs'
import { join } from 'node:path'
import { root, sleep, startServer } from './processes.mjs'
import { runScenario } from './scenario.mjs'
import { pairedRatios, series, spread } from './stats.mjs'

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** The rows, in the order they alternate within a round. */
export const CROSS_ROWS = [
  { row: 'portsocket-1', server: 'portsocket', instances: 1, label: 'portsocket, 1 instance (no Redis)' },
  { row: 'portsocket-redis-1', server: 'portsocket-redis', instances: 1, label: 'portsocket + RedisHub, 1 instance' },
  { row: 'portsocket-redis-3', server: 'portsocket-redis', instances: 3, label: 'portsocket + RedisHub, 3 instances' },
  // Informational (no target): the instances on three runtimes, as the issue's tests run them.
  { row: 'portsocket-redis-mixed', server: 'portsocket-redis', instances: 3, runtimes: ['node', 'bun', 'deno'], label: 'portsocket + RedisHub, 3 instances: Node, Bun, Deno' },
  { row: 'socketio-1', server: 'socketio-redis', instances: 1, env: { BENCH_SOCKETIO_ADAPTER: 'none' }, socketio: true, label: 'socket.io, 1 instance (no adapter)' },
  { row: 'socketio-redis-3', server: 'socketio-redis', instances: 3, socketio: true, label: 'socket.io + Redis adapter, 3 instances' },
]

/** The targets, each a paired ratio of two rows' server CPU per delivery; met only if every round clears it. */
export const CROSS_TARGETS = [
  { what: 'cross-instance delivery (3 instances on Redis) <= 2x the server CPU per delivery of one instance', row: 'portsocket-redis-3', base: 'portsocket-1', limit: 2 },
  { what: 'beats socket.io + Redis adapter (3 instances each): ratio < 1', row: 'portsocket-redis-3', base: 'socketio-redis-3', limit: 1, strict: true },
]

/** The redis-server process(es) listening on the Redis port, for its CPU (empty if not on this machine). */
export function redisPids(url = REDIS_URL) {
  const { hostname, port } = new URL(url)
  if (!['127.0.0.1', 'localhost'].includes(hostname)) return []
  const out = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ')
      if (cmd.startsWith('redis-server') && cmd.includes(`:${port || 6379}`)) out.push(Number(entry))
    } catch {}
  }
  return out
}

/**
 * Deletes every key under `prefix` — `<prefix>:…`, the only keys RedisHub writes (SCAN +
 * DEL, never FLUSH: the Redis is shared). Returns how many.
 */
export async function dropPrefix(prefix, url = REDIS_URL) {
  const { Redis } = await import('ioredis')
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 })
  await redis.connect()
  let deleted = 0
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
      cursor = next
      if (keys.length) deleted += await redis.del(...keys)
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
  return deleted
}

/** Throws a clear error, before anything runs, when Redis does not answer a PING within 2 s. */
export async function requireRedis(url = REDIS_URL) {
  const { Redis } = await import('ioredis')
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null })
  redis.on('error', () => {})
  try {
    await redis.connect()
    await redis.ping()
  } catch (error) {
    throw new Error(`--scenario cross needs Redis at ${url} (REDIS_URL): ${error?.message ?? error}`)
  } finally {
    redis.disconnect()
  }
}

/** Starts a row's instances, one after another, on a fresh prefix. Returns a server-like object for runScenario. */
async function startCluster(spec, prefix) {
  const servers = []
  try {
    for (let i = 0; i < spec.instances; i++) {
      servers.push(await startServer(spec.runtimes?.[i] ?? 'node', spec.server, { env: { ...spec.env, BENCH_REDIS_PREFIX: prefix, REDIS_URL } }))
    }
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()))
    throw error
  }
  // RedisHub subscribes to a room's channel when its first local member joins: the load
  // client settles before it starts, and a short pause lets every lease and subscriber settle.
  if (spec.instances > 1) await sleep(300)
  return {
    runtime: 'node',
    impl: spec.row,
    url: servers[0].url,
    urls: servers.map((s) => s.url),
    socketio: Boolean(spec.socketio),
    pid: servers[0].pid,
    pids: servers.flatMap((s) => processTree(s.pid)),
    sidePids: redisPids(),
    memoryPid: servers[0].memoryPid,
    output: () => servers.map((s, i) => `[instance ${i + 1}] ${s.output().trim().split('\n').slice(-3).join(' | ')}`).join('\n'),
    stop: () => Promise.all(servers.map((s) => s.stop())),
  }
}

/** One round of one row: the cross scenario on a fresh cluster, then its keys deleted. */
export async function runCrossRow(spec, config, runId) {
  const prefix = `${runId}:${spec.row}:${randomBytes(3).toString('hex')}`
  let cluster
  try {
    cluster = await startCluster(spec, prefix)
    return { ...(await runScenario(cluster, 'cross', config)), instances: spec.instances, prefix }
  } catch (error) {
    const tail = cluster?.output() ?? ''
    return { error: `${error.message}${tail ? ` (servers: ${tail.slice(0, 400)})` : ''}` }
  } finally {
    await cluster?.stop()
    try {
      const deleted = await dropPrefix(prefix)
      const left = await dropPrefix(prefix)
      if (left) console.log(`\n  warning: ${left} keys under ${prefix} reappeared after deletion`)
      void deleted
    } catch (error) {
      console.log(`\n  warning: could not delete the keys under ${prefix}: ${error.message}`)
    }
  }
}

/** The versions the cross rows ran (the peers, the Redis client and the Redis server). */
export async function crossVersions() {
  const pkg = (name) => {
    try {
      return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version
    } catch {
      return '?'
    }
  }
  let server = '?'
  try {
    const { Redis } = await import('ioredis')
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 })
    await redis.connect()
    server = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?'
    redis.disconnect()
  } catch {}
  return {
    'redis-server': server,
    ioredis: pkg('ioredis'),
    'socket.io': pkg('socket.io'),
    '@socket.io/redis-adapter': pkg('@socket.io/redis-adapter'),
    'socket.io-client': pkg('socket.io-client'),
  }
}

/** A unique prefix root for one run on the shared Redis. */
export const crossRunId = () => `portsocket-bench-cross-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`

// ---- report -----------------------------------------------------------------------------

const f = (v, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '–')
const fmt = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0))
const cell = (s, d = 2, unit = (x) => f(x, d)) => (s ? `${unit(s.median)} (${unit(s.min)}–${unit(s.max)})` : '–')

/** run.cross = { rows: { [row]: [round results] }, busyBefore: {...} } in the shape stats.mjs reads. */
const asRun = (run) => ({ results: { node: Object.fromEntries(Object.entries(run.cross.rows).map(([row, rounds]) => [row, { cross: rounds }])) } })

export function crossTable(run) {
  const r = asRun(run)
  const s = (row, pick) => spread(series(r, 'node', row, 'cross', pick))
  const header = ['row', 'server CPU per delivery, µs', 'Redis CPU per delivery, µs', 'deliveries/s', 'server cores', 'others on the machine', 'ratio to its 1 instance (paired)']
  const rows = CROSS_ROWS.filter((x) => run.cross.rows[x.row]).map((x) => {
    const rounds = run.cross.rows[x.row]
    const failed = rounds.every((q) => !q || q.error)
    if (failed) return [x.label, `ERROR: ${rounds.find((q) => q?.error)?.error?.slice(0, 200) ?? 'no result'}`, '', '', '', '', '']
    const base = x.socketio ? 'socketio-1' : 'portsocket-1'
    // The mixed row's ratio is to the Node instance: for information only.
    const ratio = x.row === base ? null : spread(pairedRatios(r, 'node', x.row, base, 'cross', (q) => q.cpuUs))
    return [
      x.label,
      cell(s(x.row, (q) => q.cpuUs)),
      cell(s(x.row, (q) => q.sideCpuUs)),
      cell(s(x.row, (q) => q.rate), 0, fmt),
      cell(s(x.row, (q) => q.serverCores)),
      cell(s(x.row, (q) => q.others * 100), 0, (v) => `${f(v, 0)}%`),
      ratio ? `${cell(ratio)}${x.socketio ? ' (to socket.io, 1 instance)' : x.runtimes ? ' (to a Node instance: information)' : ''}` : 'baseline',
    ]
  })
  return { header, rows }
}

export function crossVerdicts(run) {
  const r = asRun(run)
  return CROSS_TARGETS.map((t) => {
    const server = spread(pairedRatios(r, 'node', t.row, t.base, 'cross', (q) => q.cpuUs))
    const withRedis = spread(pairedRatios(r, 'node', t.row, t.base, 'cross', (q) => q.cpuUs + (q.sideCpuUs ?? 0)))
    const met = server ? (t.strict ? server.max < t.limit : server.max <= t.limit) : null
    return { ...t, server, withRedis, met }
  })
}

export function crossConsole(run) {
  const { header, rows } = crossTable(run)
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((x) => String(x[i]).length)))
  const line = (cols) => cols.map((c, i) => String(c).padEnd(width[i])).join('  ')
  const out = ['Cross-instance chat (Node; min–max over rounds)', line(header), ...rows.map(line), '']
  for (const v of crossVerdicts(run)) {
    out.push(`${v.met === null ? 'not measured' : v.met ? 'MET ' : 'MISSED'}  ${v.what}: ratio ${cell(v.server)}; counting Redis's CPU too: ${cell(v.withRedis)}`)
  }
  return out.join('\n')
}

export const CROSS_START = '<!-- cross:start (written by `npm run bench -- --scenario cross --write`) -->'
export const CROSS_END = '<!-- cross:end -->'
const NOTES_START = '<!-- cross-notes:start (kept across runs: edit by hand) -->'
const NOTES_END = '<!-- cross-notes:end -->'

const between = (text, a, b) => {
  const from = text.indexOf(a)
  const to = text.indexOf(b, from)
  return from >= 0 && to > from ? text.slice(from + a.length, to).trim() : null
}

/** The cross section of BENCHMARKS.md for this run (hand-written notes kept from `previous`). */
export function crossMarkdown(run, previous = '') {
  const c = run.cross
  const date = run.date.replace('T', ' ').slice(0, 16) + ' UTC'
  const busy = spread(Object.values(c.busyBefore).flat().map((b) => b * 100))
  const la = (l) => l.map((v) => v.toFixed(2)).join(' / ')
  const { header, rows } = crossTable(run)
  const L = [CROSS_START, '## Across instances (Redis)', '']
  L.push(
    `Measured by \`${run.command.replace(/ --json \S+/g, '').replace(/ --(no-)?write/g, '')}\` on ${date}, ${c.rounds} round${c.rounds > 1 ? 's' : ''}, rows alternating within each round. ` +
      `The chat load (${run.config.scenarios.chat.clients} members, ${run.config.scenarios.chat.perBatch} messages each per batch, every message to every member) spread over the instances of one app: member i connects to instance i mod n, so most deliveries cross Redis. ` +
      '**Server CPU per delivery** sums the CPU of every instance\'s process tree (from /proc) over the measured windows and divides by the deliveries the clients counted. ' +
      'Redis\'s CPU is read apart, from the shared redis-server (which other work on the machine also used: an upper bound). Node instances (`bench/servers/node/<server>.ts`), except one row with an instance each on Node, Bun and Deno (`bench/servers/<runtime>/portsocket-redis.ts`), shown for information: its ratio sets Bun\'s and Deno\'s cheaper sockets against a Node baseline, so no target reads it.',
    '',
  )
  L.push(
    `**Load.** Load average at the start ${la(run.loadAverage.start)}, at the end ${la(run.loadAverage.end)}; before each row the machine was ${busy ? `${busy.median.toFixed(0)}% busy (median; ${busy.min.toFixed(0)}–${busy.max.toFixed(0)}%)` : 'not sampled'} with other work. ${run.machine.cores} cores, shared.`,
    '',
  )
  L.push('| target | ratio, median (min–max) | counting Redis\'s CPU too | met |', '| --- | ---: | ---: | --- |')
  for (const v of crossVerdicts(run)) L.push(`| ${v.what} | ${cell(v.server)} | ${cell(v.withRedis)} | ${v.met === null ? 'not measured' : v.met ? 'yes' : '**no**'} |`)
  L.push('', 'A target is met only when every round\'s paired ratio clears it.', '')
  L.push(`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i ? '---:' : '---')).join(' | ')} |`, ...rows.map((x) => `| ${x.join(' | ')} |`), '')
  L.push(
    '- **portsocket** rows run `bench/servers/shared/portsocket-app.ts` (the chat of every other scenario: `await socket.join(\'chat\')`, `socket.server.to(\'chat\').send(...)`); with `RedisHub` (ioredis) each message is delivered to the local members at once, and the messages of one event-loop turn go to Redis as one script call, published as one frame per run of a channel, which each other instance relays to its own members.',
    '- **socket.io** rows (`socketio-redis.ts`): socket.io 4 with `@socket.io/redis-adapter` (ioredis), WebSocket transport only, compression off; `io.to(\'chat\').emit(\'message\', ...)`. Its load client is socket.io-client (what its users run), in the same load process as the other rows\' client; socket.io\'s per-delivery figure is its server\'s CPU only, like every other row.',
    ...(c.versions ? [`- Versions: ${Object.entries(c.versions).map(([k, v]) => `${k} ${v}`).join(', ')}; Node ${run.versions?.node ?? process.version}.`] : []),
    `- ${run.config.client === 'bun' ? "Bun's WebSocket" : '`ws` on Node'} drives the portsocket rows; ${run.config.procs} load process${run.config.procs > 1 ? 'es' : ''}. Each row gets its own key prefix under \`portsocket-bench-cross-…\`, deleted after the row with SCAN + DEL.`,
    '',
  )
  L.push(
    '**Run it:** `npm run bench -- --scenario cross --rounds 5 --window-ms 2000 --windows 3` (about 6 minutes on 2 cores; 2 s windows give three processes\' JIT time to settle in the warm-up window; needs Redis at `REDIS_URL` or 127.0.0.1:6379; `--write` rewrites this section only, a run without `cross` keeps it as it is). ' +
      'The targets read Node rows only. The bench smoke test does not run it (six rows of real servers and Redis take about 40 s even at 1 round of short windows); `test/bench/cross.test.ts` checks its report section and its key clean-up.',
    '',
  )
  L.push('### What would close a miss', '', NOTES_START, between(previous, NOTES_START, NOTES_END) || '_Not written yet._', NOTES_END, '', CROSS_END)
  return L.join('\n')
}

/** `text` with its cross section replaced by `section` (appended if it has none). */
export function withCrossSection(text, section) {
  if (!section) return text
  const from = text.indexOf(CROSS_START)
  const to = text.indexOf(CROSS_END, from)
  if (from >= 0 && to > from) return text.slice(0, from) + section + text.slice(to + CROSS_END.length)
  return `${text.trimEnd()}\n\n${section}\n`
}

/** The cross section already in `text`, verbatim (kept when a run without `cross` rewrites the file). */
export function keptCrossSection(text) {
  const from = text.indexOf(CROSS_START)
  const to = text.indexOf(CROSS_END, from)
  return from >= 0 && to > from ? text.slice(from, to + CROSS_END.length) : null
}
