#!/usr/bin/env node
/**
 * `npm run bench`: portsocket against each runtime's raw API and against the peers a
 * user would pick instead (Hono's helper, crossws), same load client, same run. Prints a
 * table and writes BENCHMARKS.md. It measures; it never fails on a number.
 *
 *   npm run bench                        full run (about 12 minutes on 2 cores)
 *   npm run bench -- --quick             short windows, one round
 *   npm run bench -- --runtime node,bun  --scenario chat,echo  --rounds 3
 */
import { execFileSync, spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = (name) => join(root, 'node_modules', '.bin', name)
const args = process.argv.slice(2)
const flag = (name) => args.includes(`--${name}`)
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`)
  return at >= 0 ? args[at + 1] : fallback
}
const quick = flag('quick')
const runtimes = option('runtime', 'node,bun,deno,workerd').split(',')
const scenarios = option('scenario', 'chat,echo,room,idle').split(',')
const rounds = Number(option('rounds', quick ? 1 : 2))
const params = quick
  ? { chatClients: 16, windows: 3, echoClients: 16, echoSeconds: 2, idle: 1000, members: 200 }
  : { chatClients: 16, windows: 6, echoClients: 16, echoSeconds: 5, idle: 5000, members: 1000 }

const impls = {
  node: ['raw', 'portsocket', 'hono', 'crossws'],
  bun: ['raw', 'portsocket', 'hono', 'crossws'],
  deno: ['raw', 'portsocket', 'hono', 'crossws'],
  workerd: ['raw', 'portsocket', 'hono'],
}
const describe = {
  raw: { node: 'ws, send loop', bun: 'Bun.serve, native publish', deno: 'Deno.upgradeWebSocket, send loop', workerd: 'Durable Object, send loop' },
  portsocket: { node: 'rooms, frame once', bun: 'rooms, native publish', deno: 'rooms, send loop', workerd: 'rooms in a Durable Object (hibernation API)' },
  hono: { node: '@hono/node-server helper, send loop', bun: 'hono/bun helper, send loop', deno: 'hono/deno helper, send loop', workerd: 'hono/cloudflare-workers helper in a Durable Object, send loop' },
  crossws: { node: 'crossws node adapter, its pub/sub', bun: 'crossws bun adapter, its pub/sub (native)', deno: 'crossws deno adapter, its pub/sub' },
}

async function freePort() {
  const server = createServer()
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address()
  await new Promise((r) => server.close(r))
  return port
}

async function startServer(runtime, impl) {
  const port = await freePort()
  const file = join(root, 'bench', 'servers', `${impl}-${runtime === 'workerd' ? 'worker' : runtime}.mjs`)
  const [command, argv] = {
    node: [process.execPath, [file]],
    bun: [bin('bun'), [file]],
    deno: [bin('deno'), ['run', '-A', file]],
    workerd: [
      bin('wrangler'),
      ['dev', '--config', join(root, 'bench', 'servers', `wrangler-${impl}.toml`), '--ip', '127.0.0.1', '--port', String(port),
        '--inspector-port', String(await freePort()), '--show-interactive-dev-session=false', '--log-level', 'error'],
    ],
  }[runtime]
  const child = spawn(command, argv, {
    cwd: root,
    detached: true,
    stdio: ['pipe', 'ignore', 'pipe'],
    env: { ...process.env, PORT: String(port), NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', WRANGLER_SEND_METRICS: 'false' },
  })
  let errors = ''
  child.stderr.on('data', (d) => (errors = (errors + d).slice(-4000)))
  const deadline = Date.now() + (runtime === 'workerd' ? 60_000 : 20_000)
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${runtime}/${impl} exited: ${errors}`)
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) break
    } catch {}
    if (Date.now() > deadline) throw new Error(`${runtime}/${impl} did not start: ${errors}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    port,
    // The process whose memory counts: workerd itself under wrangler.
    pid: () => (runtime === 'workerd' ? workerdPid(child.pid) : child.pid),
    async stop() {
      try { process.kill(-child.pid, 'SIGKILL') } catch {}
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)))
    },
  }
}

function workerdPid(groupLeader) {
  const lines = execFileSync('ps', ['-eo', 'pid=,pgid=,comm=']).toString().trim().split('\n')
  const hit = lines.map((l) => l.trim().split(/\s+/)).find(([, pgid, comm]) => Number(pgid) === groupLeader && comm === 'workerd')
  return hit ? Number(hit[0]) : groupLeader
}

function rssKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1])
}

function client(argv, { onLine } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin('bun'), [join(root, 'bench', 'client.ts'), ...argv.map(String)], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => {
      out += d
      const lines = out.split('\n')
      out = lines.pop()
      for (const line of lines) if (line.trim()) onLine ? onLine(JSON.parse(line), child) : resolve(JSON.parse(line))
    })
    child.stderr.on('data', (d) => (err += d))
    child.on('exit', (code) => code !== 0 && code !== null && reject(new Error(`client failed: ${err}`)))
  })
}

async function measure(runtime, impl) {
  const server = await startServer(runtime, impl)
  const ws = `ws://127.0.0.1:${server.port}`
  const result = {}
  try {
    if (scenarios.includes('idle')) {
      await new Promise((r) => setTimeout(r, 300))
      const before = rssKiB(server.pid())
      client(['idle', ws, params.idle], {
        onLine: (line, child) => {
          setTimeout(() => {
            const after = rssKiB(server.pid())
            child.kill('SIGKILL')
            result.idle = { ...line, bytesPerConnection: Math.round(((after - before) * 1024) / line.connections) }
          }, 1000)
        },
      }).catch((error) => (result.idle = { error: error.message }))
      while (!result.idle) await new Promise((r) => setTimeout(r, 100))
      await new Promise((r) => setTimeout(r, 500))
    }
    if (scenarios.includes('chat')) result.chat = await client(['chat', ws, params.chatClients, params.windows])
    if (scenarios.includes('echo')) result.echo = await client(['echo', ws, params.echoClients, params.echoSeconds])
    if (scenarios.includes('room')) result.room = await client(['room', ws, params.members, params.windows])
  } finally {
    await server.stop()
  }
  return result
}

const median = (xs) => {
  const s = xs.filter((x) => x !== undefined).sort((a, b) => a - b)
  if (!s.length) return undefined
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

const metrics = {
  chat: (r) => r.chat?.deliveriesPerSecond,
  echo: (r) => r.echo?.roundTripsPerSecond,
  echoP50: (r) => r.echo?.p50,
  echoP99: (r) => r.echo?.p99,
  room: (r) => r.room?.deliveriesPerSecond,
  idleBytes: (r) => r.idle?.bytesPerConnection,
  idleOpenMs: (r) => r.idle?.openMs,
}

const runs = {}
const started = Date.now()
for (const runtime of runtimes) {
  for (let round = 0; round < rounds; round++) {
    // A B A B: every row of a runtime once per round, so drift hits them alike.
    for (const impl of impls[runtime]) {
      process.stderr.write(`${runtime}/${impl} round ${round + 1}/${rounds}... `)
      try {
        const result = await measure(runtime, impl)
        ;(runs[`${runtime}/${impl}`] ??= []).push(result)
        process.stderr.write(`chat ${result.chat?.deliveriesPerSecond ?? '-'} echo ${result.echo?.roundTripsPerSecond ?? '-'} room ${result.room?.deliveriesPerSecond ?? '-'} idle ${result.idle?.bytesPerConnection ?? '-'} B\n`)
      } catch (error) {
        process.stderr.write(`failed: ${error.message.split('\n')[0]}\n`)
        ;(runs[`${runtime}/${impl}`] ??= []).push({ error: error.message.split('\n')[0] })
      }
    }
  }
}

const rows = []
for (const runtime of runtimes) {
  const raw = runs[`${runtime}/raw`] ?? []
  const base = Object.fromEntries(Object.entries(metrics).map(([k, f]) => [k, median(raw.map(f))]))
  for (const impl of impls[runtime]) {
    const list = runs[`${runtime}/${impl}`] ?? []
    const m = Object.fromEntries(Object.entries(metrics).map(([k, f]) => [k, median(list.map(f))]))
    const ratio = (k) => (m[k] !== undefined && base[k] ? m[k] / base[k] : undefined)
    rows.push({ runtime, impl, how: describe[impl][runtime], m, ratio, error: list.find((r) => r.error)?.error })
  }
}

const fmt = (n) => (n === undefined ? '-' : n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${Math.round(n / 1e3)}k` : String(Math.round(n)))
const fx = (r) => (r === undefined ? '-' : `${r.toFixed(2)}x`)
const ms = (n) => (n === undefined ? '-' : n.toFixed(2))
const header = '| runtime | server | chat deliveries/s | vs raw | echo round trips/s | vs raw | echo p50 / p99 ms | room (1 to N) deliveries/s | vs raw | idle bytes/conn | vs raw | open N ms |'
const table = [header, '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |']
for (const r of rows) {
  table.push(
    `| ${r.runtime} | ${r.impl}${r.error ? ` (failed: ${r.error})` : ''} | ${fmt(r.m.chat)} | ${fx(r.ratio('chat'))} | ${fmt(r.m.echo)} | ${fx(r.ratio('echo'))} | ${ms(r.m.echoP50)} / ${ms(r.m.echoP99)} | ${fmt(r.m.room)} | ${fx(r.ratio('room'))} | ${fmt(r.m.idleBytes)} | ${fx(r.ratio('idleBytes'))} | ${fmt(r.m.idleOpenMs)} |`,
  )
}
console.log(table.join('\n'))

// Targets from the benchmark issue, judged on this run.
const get = (runtime, impl) => rows.find((r) => r.runtime === runtime && r.impl === impl)
const targets = []
for (const runtime of runtimes) {
  const ps = get(runtime, 'portsocket')
  if (!ps) continue
  const peers = rows.filter((r) => r.runtime === runtime && (r.impl === 'hono' || r.impl === 'crossws'))
  for (const k of ['chat', 'echo']) {
    if (ps.ratio(k) !== undefined) targets.push([`${runtime}: ${k} >= 0.95x raw`, fx(ps.ratio(k)), ps.ratio(k) >= 0.95])
    const best = Math.max(...peers.map((p) => p.m[k] ?? 0))
    if (ps.m[k] !== undefined && best > 0) targets.push([`${runtime}: ${k} at least level with the best peer`, `${fx(ps.m[k] / best)} of best peer`, ps.m[k] >= best * 0.98])
  }
  if (ps.ratio('idleBytes') !== undefined) targets.push([`${runtime}: idle memory <= 1.2x raw`, fx(ps.ratio('idleBytes')), ps.ratio('idleBytes') <= 1.2])
}
if (get('node', 'portsocket')?.ratio('room') !== undefined) targets.push(['node: broadcast (room) 1.3x raw ws', fx(get('node', 'portsocket').ratio('room')), get('node', 'portsocket').ratio('room') >= 1.3])
if (get('bun', 'portsocket')?.ratio('chat') !== undefined) targets.push(['bun: native publish >= 0.95x raw Bun.serve (chat)', fx(get('bun', 'portsocket').ratio('chat')), get('bun', 'portsocket').ratio('chat') >= 0.95])
const targetTable = ['| target | this run | met |', '| --- | ---: | :---: |', ...targets.map(([t, v, ok]) => `| ${t} | ${v} | ${ok ? 'yes' : '**no**'} |`)]
console.log('\n' + targetTable.join('\n'))

if (!flag('no-write')) {
  const version = (cmd, a) => {
    try {
      return execFileSync(cmd, a).toString().trim().split('\n')[0]
    } catch {
      return '?'
    }
  }
  const pkg = (name) => JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model
  const doc = `# Benchmarks

The numbers of the last \`npm run bench\`${quick ? ' -- --quick' : ''} run (${new Date(started).toISOString().slice(0, 16)} UTC, ${Math.round((Date.now() - started) / 60000)} minutes).
Ratios compare each row with the raw runtime row of the same run. Higher is better, except latency and memory.

${table.join('\n')}

## Targets

${targetTable.join('\n')}

## Machine and versions

- ${os.cpus().length} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}
- node ${process.version}, bun ${version(bin('bun'), ['--version'])}, ${version(bin('deno'), ['--version'])}, wrangler ${pkg('wrangler')} (workerd ${pkg('workerd')})
- hono ${pkg('hono')}, @hono/node-server ${pkg('@hono/node-server')}, ws ${pkg('ws')}, crossws ${pkg('crossws')}

## Method

Every server is a real process on 127.0.0.1, started alone, one at a time; workerd runs under \`wrangler dev\`, with the sockets in a Durable Object (rooms need one place). The servers are in [bench/servers](bench/servers): each offers \`/chat?name=\` (every message relayed, prefixed with the sender's name, to every chat connection, the sender included) and \`/echo\`. portsocket's is the same route code on all four runtimes ([portsocket-app.mjs](bench/servers/portsocket-app.mjs)): \`socket.join('chat')\` and \`socket.server.to('chat').send(...)\`.

The load client is [bench/client.ts](bench/client.ts), run with Bun: Bun's built-in WebSocket client spends far less CPU per message than the \`ws\` package on Node, so on 2 cores it leaves more of the machine to the server.

- **chat** (Bun's \`bench/websocket-server\` method): ${params.chatClients} clients; in each batch every client sends 100 messages; the next batch starts when all ${params.chatClients}×100×${params.chatClients} deliveries have arrived. Deliveries are counted per 1-second window for ${params.windows} windows; the first is dropped and the median reported.
- **echo**: ${params.echoClients} clients, each sending a message and waiting for its echo, for ${params.echoSeconds} s: round trips per second and p50/p99 latency.
- **room**: ${params.members} connections in the room, one sender sending batches of 100; deliveries per second as for chat.
- **idle**: ${params.idle} idle connections opened (200 at a time); the server's resident memory (VmRSS, for workerd the workerd process) after minus before, per connection, and how long opening took.

Rows of one runtime alternate A B A B over ${rounds} round(s) so that drift on a noisy machine hits them alike; each figure is the median over rounds. A row that failed says so. Reproduce with \`npm install && npm run bench\` (\`--quick\`, \`--runtime node,bun\`, \`--scenario chat,echo\`, \`--rounds N\` narrow it).
`
  writeFileSync(join(root, 'BENCHMARKS.md'), doc)
  console.error('wrote BENCHMARKS.md')
}
process.exit(0)
