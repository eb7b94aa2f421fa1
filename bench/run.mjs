#!/usr/bin/env node
/**
 * `npm run bench`: portsocket against each runtime's raw API and against the peers a
 * user would pick instead (crossws, Hono's own helper), on Node, Bun, Deno and workerd,
 * with one load client, in one run. Prints tables; a full run writes BENCHMARKS.md.
 * It measures and reports; it never fails on a number.
 *
 *   npm run bench                              full run (about 15 minutes on 2 cores)
 *   npm run bench -- --quick                   short windows, fewer connections, one round
 *   npm run bench -- --runtime node,bun --scenario chat,echo --impl raw,portsocket
 *   npm run bench -- --rounds 3 --clients 32 --members 1000 --idle 10000 --client bun
 *
 * Options: --quick, --runtime LIST, --scenario LIST (chat, echo, room, idle), --impl LIST
 * (raw, portsocket, hono, crossws), --rounds N, --windows N, --clients N (chat),
 * --echo-clients N, --members N (room), --idle N (idle connections, at most 10000),
 * --client bun|node|auto (auto measures both and takes the cheaper), --via-proxy (on
 * workerd, load through wrangler's dev proxy instead of straight to the workerd process
 * that runs the Worker; the proxy runs out of file descriptors near 3,300 idle
 * connections here), --write / --no-write
 * (BENCHMARKS.md is written after a full, unfiltered run unless --no-write, and after any
 * run with --write).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { bin, root, sleep, startClient, startServer, steadyRss, waitForQuiet } from './lib/processes.mjs'
import { aggregate, consoleTables, markdown } from './lib/report.mjs'

// ---- options --------------------------------------------------------------------------

const argv = process.argv.slice(2)
const has = (name) => argv.includes(`--${name}`)
const option = (name) => {
  const at = argv.indexOf(`--${name}`)
  if (at < 0) return undefined
  const value = argv[at + 1]
  if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`)
  return value
}
const list = (name, all) => {
  const value = option(name)
  if (!value) return all
  const picked = value.split(',').map((s) => s.trim()).filter(Boolean)
  for (const p of picked) if (!all.includes(p)) throw new Error(`--${name}: unknown "${p}" (expected ${all.join(', ')})`)
  return all.filter((a) => picked.includes(a))
}
const int = (name, fallback, max = Infinity) => {
  const value = option(name)
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`)
  return Math.min(n, max)
}

const known = new Set(['quick', 'runtime', 'scenario', 'impl', 'rounds', 'windows', 'clients', 'echo-clients', 'members', 'idle', 'client', 'write', 'no-write', 'via-proxy', 'help'])
for (const a of argv) if (a.startsWith('--') && !known.has(a.slice(2))) throw new Error(`unknown option ${a} (see the top of bench/run.mjs)`)
if (has('help')) {
  console.log(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0])
  process.exit(0)
}

const quick = has('quick')
const RUNTIMES = ['node', 'bun', 'deno', 'workerd']
const SCENARIOS = ['idle', 'chat', 'echo', 'room'] // run in this order in each server process
const IMPLS = ['raw', 'portsocket', 'hono', 'crossws']
const runtimes = list('runtime', RUNTIMES)
const scenarios = list('scenario', SCENARIOS)
const impls = list('impl', IMPLS)
if (!impls.includes('raw')) console.log('note: without the raw rows there is nothing to take ratios against')

const config = {
  quick,
  rounds: int('rounds', quick ? 1 : 2),
  windows: int('windows', quick ? 3 : 6),
  windowMs: 1000,
  chat: { clients: int('clients', 16), perBatch: 100 },
  echo: { clients: int('echo-clients', 16), warmupMs: quick ? 500 : 1000, measureMs: quick ? 1500 : 3000, payloadBytes: 32 },
  room: { members: int('members', quick ? 200 : 1000), perBatch: 20, windows: int('windows', quick ? 3 : 5) },
  idle: { connections: int('idle', quick ? 1000 : 5000, 10_000), parallel: 64 },
}
config.viaProxy = has('via-proxy')
const filtered = ['runtime', 'scenario', 'impl'].some((name) => option(name) !== undefined)
const fullRun = !quick && !filtered
const write = has('write') || (fullRun && !has('no-write'))

// Hono's Workers helper has no open hook: its members join with a first message.
const joinByMessage = (runtime, impl) => runtime === 'workerd' && impl === 'hono'

// ---- build ------------------------------------------------------------------------------

function build() {
  // The Node servers run tsc's output; bench/tsconfig.json also compiles the src/ and
  // adapters/ they import, into bench/.build/ (not dist/).
  process.stdout.write('building the Node servers (tsc -p bench/tsconfig.json)... ')
  try {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'bench/tsconfig.json')], {
      cwd: root,
      stdio: 'pipe',
    })
    console.log('ok')
  } catch (error) {
    // tsc still emits on type errors; run what it built and say so.
    console.log('type errors (running what tsc emitted):')
    console.log(String(error.stdout ?? '').trim().split('\n').slice(0, 10).join('\n'))
  }
}

// ---- one scenario ----------------------------------------------------------------------

async function runScenario(server, scenario, client) {
  const base = { url: server.url, join: joinByMessage(server.runtime, server.impl) }
  const windows = { windows: config.windows, windowMs: config.windowMs }
  const spec = {
    chat: { scenario, ...base, ...windows, ...config.chat },
    room: { scenario, ...base, ...windows, ...config.room },
    echo: { scenario, ...base, ...config.echo },
    idle: { scenario, ...base, ...config.idle },
  }[scenario]
  const load = startClient(client, spec)
  try {
    if (scenario !== 'idle') {
      const seconds = scenario === 'echo' ? (spec.warmupMs + spec.measureMs) / 1000 : spec.windows * spec.windowMs / 1000
      const message = await load.next((seconds + 90) * 1000)
      if (message.event !== 'result') return { error: message.message ?? 'no result' }
      return message
    }
    // Idle: server memory before and after opening the connections, the client waiting.
    const warm = await load.next(60_000)
    if (warm.event !== 'warm') return { error: warm.message ?? 'no warm-up' }
    await sleep(1000)
    const before = await steadyRss(server.memoryPid)
    load.send('go')
    const opened = await load.next(180_000)
    if (opened.event !== 'opened') return { error: opened.message ?? 'could not open the connections' }
    await sleep(1500)
    const after = await steadyRss(server.memoryPid)
    // The server process ends next: no need to close the connections one by one.
    return {
      openMs: opened.openMs,
      connections: opened.connections,
      value: (after - before) / opened.connections,
      rssBefore: before,
      rssAfter: after,
    }
  } finally {
    await load.stop()
  }
}

/**
 * One row: the idle scenario in a fresh server process of its own (killed right after
 * its memory is read, so closing thousands of sockets costs nothing and disturbs
 * nothing), then chat, echo and room in order in a second process.
 */
async function runServer(runtime, impl, client) {
  const out = {}
  const groups = [scenarios.filter((s) => s === 'idle'), scenarios.filter((s) => s !== 'idle')].filter((g) => g.length)
  for (const group of groups) {
    let server
    try {
      server = await startServer(runtime, impl, { viaProxy: config.viaProxy })
    } catch (error) {
      for (const scenario of group) out[scenario] = { error: error.message, seconds: 0 }
      continue
    }
    try {
      for (const scenario of group) {
        const t0 = Date.now()
        out[scenario] = await runScenario(server, scenario, client)
        out[scenario].seconds = (Date.now() - t0) / 1000
        if (out[scenario].error) {
          const tail = server.output().trim().split('\n').slice(-3).join(' | ')
          if (tail) out[scenario].error += ` (server: ${tail.slice(0, 300)})`
        }
        if (scenario !== group.at(-1)) await sleep(300)
      }
    } finally {
      await server.stop()
    }
  }
  return out
}

const fmt = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0))

// ---- the load client: Bun's WebSocket or ws on Node ---------------------------------------

/**
 * Runs the chat scenario against the raw Bun and raw Node servers with both clients,
 * alternating, and picks the one that spends less CPU per delivery.
 */
async function calibrate() {
  const runs = []
  const rounds = 1
  for (const runtime of ['bun', 'node']) {
    await waitForQuiet(quick ? 5000 : 20_000)
    let server
    try {
      server = await startServer(runtime, 'raw')
    } catch (error) {
      console.log(`  calibration: raw ${runtime} did not start: ${error.message}`)
      continue
    }
    try {
      for (let round = 0; round < rounds; round++) {
        for (const client of ['bun', 'node']) {
          const result = await runScenario(server, 'chat', client)
          runs.push({ server: runtime, client, ...result })
          const line = result.error
            ? `error: ${result.error}`
            : `${fmt(result.value)} deliveries/s, client ${result.clientCpuUsPerDelivery.toFixed(2)} µs CPU per delivery`
          console.log(`  chat on raw ${runtime}, ${client} client: ${line}`)
          await sleep(300)
        }
      }
    } finally {
      await server.stop()
    }
  }
  const cost = (client) => {
    const ok = runs.filter((r) => r.client === client && !r.error)
    return ok.length ? ok.reduce((s, r) => s + r.clientCpuUsPerDelivery, 0) / ok.length : Infinity
  }
  const rate = (client) => {
    const ok = runs.filter((r) => r.client === client && !r.error)
    return ok.length ? ok.reduce((s, r) => s + r.value, 0) / ok.length : 0
  }
  const chosen = cost('bun') <= cost('node') ? 'bun' : 'node'
  return {
    chosen,
    runs,
    summary: { bun: { cpuUs: cost('bun'), rate: rate('bun') }, node: { cpuUs: cost('node'), rate: rate('node') } },
  }
}

// ---- machine and versions -------------------------------------------------------------------

function machine() {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : ''
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown'
  return {
    cores: os.cpus().length,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    cpu: model.trim(),
    os: `${os.type()} ${os.release()} (${os.arch()})`,
  }
}

function versions() {
  const pkg = (name) => {
    try {
      return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version
    } catch {
      return '?'
    }
  }
  const run = (file, args) => {
    try {
      return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n')[0]
    } catch {
      return '?'
    }
  }
  return {
    node: process.version,
    bun: run(bin('bun'), ['--version']),
    deno: run(bin('deno'), ['--version']).replace(/^deno /, ''),
    wrangler: pkg('wrangler'),
    workerd: `${pkg('workerd')} (${run(join(root, 'node_modules/workerd/bin/workerd'), ['--version'])})`,
    hono: pkg('hono'),
    '@hono/node-server': pkg('@hono/node-server'),
    ws: pkg('ws'),
    crossws: pkg('crossws'),
  }
}

// ---- main -------------------------------------------------------------------------------------

async function main() {
  const started = new Date()
  const startedAt = Date.now()
  const load = [os.loadavg()[0]]
  console.log(`portsocket benchmark: ${runtimes.join(', ')} | ${scenarios.join(', ')} | ${impls.join(', ')} | ${config.rounds} round(s)${quick ? ' | quick' : ''}`)
  if (runtimes.includes('node')) build()

  let client = option('client') ?? 'auto'
  if (!['auto', 'bun', 'node'].includes(client)) throw new Error('--client must be bun, node or auto')
  let calibration
  if (client === 'auto') {
    console.log('\nload client: Bun WebSocket vs ws on Node (chat, 16 clients, raw servers)')
    calibration = await calibrate()
    client = calibration.chosen
    console.log(`  -> using the ${client === 'bun' ? "Bun's built-in WebSocket" : 'ws on Node'} client (less CPU per delivery)`)
  }

  const results = {}
  const noisy = []
  for (const runtime of runtimes) {
    results[runtime] = {}
    for (const impl of impls) results[runtime][impl] = Object.fromEntries(scenarios.map((s) => [s, []]))
    for (let round = 1; round <= config.rounds; round++) {
      for (const impl of impls) {
        const quiet = await waitForQuiet(quick ? 5000 : 20_000)
        const busy = Math.round(quiet.busy * 100)
        if (quiet.busy > 0.15) noisy.push(`${runtime} ${impl} round ${round} (${busy}%)`)
        const t0 = Date.now()
        process.stdout.write(`\n${runtime} ${impl} (round ${round}/${config.rounds})${quiet.busy > 0.15 ? ` (machine ${busy}% busy with other work at start)` : ''} `)
        const out = await runServer(runtime, impl, client)
        const parts = []
        for (const scenario of scenarios) {
          const r = out[scenario]
          results[runtime][impl][scenario].push(r)
          if (r.error) parts.push(`${scenario}: ERROR ${r.error}`)
          else if (scenario === 'idle') parts.push(`idle ${(r.value / 1024).toFixed(1)} KiB/conn, open ${(r.openMs / 1000).toFixed(1)} s`)
          else if (scenario === 'echo') parts.push(`echo ${fmt(r.value)}/s p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms`)
          else parts.push(`${scenario} ${fmt(r.value)}/s`)
        }
        const times = scenarios.map((s) => `${s} ${Math.round(out[s].seconds ?? 0)}`).join(', ')
        process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(0)} s: ${times}]\n  ${parts.join('\n  ')}`)
      }
    }
  }
  load.push(os.loadavg()[0])
  console.log('\n')

  const run = {
    date: started.toISOString(),
    durationS: Math.round((Date.now() - startedAt) / 1000),
    loadAverage: load,
    quick,
    fullRun,
    config,
    runtimes,
    scenarios,
    impls,
    client,
    calibration,
    noisy,
    machine: machine(),
    versions: versions(),
    results,
  }
  const table = aggregate(run)
  console.log(consoleTables(run, table))

  const outDir = join(root, 'bench', '.build')
  mkdirSync(outDir, { recursive: true })
  writeFileSync(join(outDir, 'last-run.json'), JSON.stringify(run, null, 2))
  const md = markdown(run, table, existsSync(join(root, 'BENCHMARKS.md')) ? readFileSync(join(root, 'BENCHMARKS.md'), 'utf8') : '')
  writeFileSync(join(outDir, 'last-run.md'), md)
  if (write) {
    writeFileSync(join(root, 'BENCHMARKS.md'), md)
    console.log(`wrote BENCHMARKS.md (${run.durationS} s run)`)
  } else {
    console.log(`not a full run: BENCHMARKS.md left alone; this run's report is in bench/.build/last-run.md (${run.durationS} s run)`)
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  },
)
