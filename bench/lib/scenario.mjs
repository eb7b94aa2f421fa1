/**
 * Runs one scenario against one running server with `procs` load client processes, and
 * measures it from outside: the server process tree's CPU time (user + system from
 * /proc/<pid>/stat) over the measured windows, the load clients' CPU, and what the rest of
 * the machine was doing meanwhile.
 */
import { machineTicks, mainThreadTicks, processTree, steadyRss, TICK_US, ticksOf } from './proc.mjs'
import { startClient } from './processes.mjs'

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** CPU ticks of this runner process (it reads /proc and relays lines: small, but counted). */
const selfTicks = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / TICK_US
}

/** `sidePids`: a service the servers use (cross: Redis), counted apart from the servers. */
function snapshot(serverPids, clientPids, sidePids = []) {
  return { at: performance.now(), server: ticksOf(serverPids), clients: ticksOf(clientPids), side: ticksOf(sidePids), self: selfTicks(), machine: machineTicks() }
}

/** CPU over the span between two snapshots, in ticks, and the others' share of the machine. */
function span(a, b) {
  const server = b.server - a.server
  const clients = b.clients - a.clients
  const side = (b.side ?? 0) - (a.side ?? 0)
  const total = b.machine.total - a.machine.total
  const others = b.machine.busy - a.machine.busy - server - clients - side - (b.self - a.self)
  return { ms: b.at - a.at, server, clients, side, others: total > 0 ? Math.max(0, others) / total : 0 }
}

async function startClients(kind, spec, procs) {
  const clients = Array.from({ length: procs }, (_, index) => startClient(kind, { ...spec, index, procs }))
  try {
    for (const c of clients) await c.next('hello', 30_000)
    await Promise.all(clients.map((c) => c.next('ready', 180_000)))
  } catch (error) {
    await Promise.all(clients.map((c) => c.stop()))
    throw error
  }
  return clients
}

/**
 * chat, room and echo: `start`, then a `mark` every window. The first window is warm-up;
 * the rest are measured. Returns per-round figures.
 */
async function windowed(server, scenario, spec, config) {
  const clients = await startClients(config.client, spec, config.procs)
  try {
    // Several instances (cross): every instance's process tree.
    const serverPids = server.pids ?? processTree(server.pid)
    const sidePids = server.sidePids ?? []
    const clientPids = clients.map((c) => c.pid)
    if (config.procs > 1) {
      // Fan-out barrier across load processes: the next batch once all have this one.
      const seen = new Map()
      for (const c of clients) {
        c.on('batch', ({ batch }) => {
          const n = (seen.get(batch) ?? 0) + 1
          seen.set(batch, n)
          if (n === clients.length) {
            seen.delete(batch)
            for (const x of clients) x.send('next')
          }
        })
      }
    }
    const mark = async () => {
      const snap = snapshot(serverPids, clientPids, sidePids)
      for (const c of clients) c.send('mark')
      const replies = await Promise.all(clients.map((c) => c.next('mark', 30_000)))
      return { snap, count: replies.reduce((s, r) => s + r.count, 0) }
    }
    let previous = { snap: snapshot(serverPids, clientPids, sidePids), count: 0 }
    for (const c of clients) c.send('start')
    const windows = []
    let stalled = 0
    for (let w = 0; w <= config.windows; w++) {
      await sleep(Math.max(0, previous.snap.at + config.windowMs - performance.now()))
      const current = await mark()
      const cpu = span(previous.snap, current.snap)
      const count = current.count - previous.count
      windows.push({ count, rate: (count * 1000) / cpu.ms, ...cpu })
      stalled = count === 0 ? stalled + 1 : 0
      if (stalled >= 3) throw new Error(`stalled: nothing ${scenario === 'echo' ? 'echoed' : 'delivered'} for 3 windows`)
      previous = current
    }
    for (const c of clients) c.send('stop')
    const done = await Promise.all(clients.map((c) => c.next('done', 30_000)))
    const measured = windows.slice(1)
    const sum = (key) => measured.reduce((s, w) => s + w[key], 0)
    const count = sum('count')
    if (count === 0) throw new Error('nothing measured')
    const result = {
      count,
      rate: median(measured.map((w) => w.rate)),
      rates: windows.map((w) => Math.round(w.rate)),
      cpuUs: (sum('server') * TICK_US) / count,
      serverCores: (sum('server') * TICK_US) / 1000 / sum('ms'),
      clientCpuUs: (sum('clients') * TICK_US) / count,
      ...(sidePids.length ? { sideCpuUs: (sum('side') * TICK_US) / count } : {}),
      others: median(measured.map((w) => w.others)),
    }
    if (scenario === 'echo') {
      // Latencies of every process's round trips; the slowest process's p99 is the figure.
      result.p50 = median(done.map((d) => d.p50).filter((x) => x !== null))
      result.p99 = Math.max(...done.map((d) => d.p99).filter((x) => x !== null))
    }
    return result
  } finally {
    await Promise.all(clients.map((c) => c.stop()))
  }
}

/** Asks a server (not workerd) for a full GC through the lifeline, and gives it time. */
async function collectGarbage(server) {
  if (server.runtime === 'workerd') return
  try {
    process.kill(server.pid, 'SIGUSR2')
  } catch {}
  await sleep(400)
}

/**
 * idle: warm-up connections opened and closed, then for each step the clients bring the
 * total up to that many idle /chat members. After each step: open time (wall), server CPU
 * for those opens, and RSS growth since before the first step, per connection held.
 */
async function idle(server, spec, config) {
  const clients = await startClients(config.client, spec, config.procs)
  try {
    const serverPids = processTree(server.pid)
    const clientPids = clients.map((c) => c.pid)
    // The JavaScript thread of the server, apart from the engine's helper threads; workerd
    // runs under wrangler, its Worker's thread not told apart here.
    const main = server.runtime !== 'workerd'
    await sleep(1000)
    await collectGarbage(server)
    const before = await steadyRss(server.memoryPid)
    const steps = []
    let held = 0
    for (const step of spec.steps) {
      const a = snapshot(serverPids, clientPids)
      const mainA = main ? mainThreadTicks(server.pid) : 0
      for (const [index, c] of clients.entries()) c.send(`open ${Math.ceil((step - index) / config.procs)}`)
      const opened = await Promise.all(clients.map((c) => c.next('opened', 300_000)))
      // Read inside the span of a and b, so the main thread's span lies within the process's
      // (the kernel rounds a thread's and a process's ticks apart: they can differ by a tick).
      const mainB = main ? mainThreadTicks(server.pid) : 0
      const b = snapshot(serverPids, clientPids)
      const connections = opened.reduce((s, o) => s + o.connections, 0)
      const cpu = span(a, b)
      await sleep(1000)
      await collectGarbage(server)
      const after = await steadyRss(server.memoryPid)
      steps.push({
        connections,
        opened: connections - held,
        openMs: cpu.ms,
        openCpuUs: (cpu.server * TICK_US) / (connections - held),
        ...(main && { openMainUs: ((mainB - mainA) * TICK_US) / (connections - held) }),
        bytesPerConn: (after - before) / connections,
        rssBefore: before,
        rssAfter: after,
        others: cpu.others,
      })
      held = connections
    }
    return { steps }
  } finally {
    // The server is ended right after this: nothing needs closing one by one.
    await Promise.all(clients.map((c) => c.stop()))
  }
}

/** One scenario against a running server: { ...figures } or throws. */
export function runScenario(server, scenario, config) {
  const base = { scenario, url: server.url, join: server.join }
  const sc = config.scenarios
  switch (scenario) {
    case 'chat':
      return windowed(server, scenario, { ...base, clients: sc.chat.clients, perBatch: sc.chat.perBatch }, config)
    case 'cross':
      // The chat load, its members spread over the instances of `server` (lib/cross.mjs).
      return windowed(server, scenario, { ...base, urls: server.urls, socketio: server.socketio, clients: sc.chat.clients, perBatch: sc.chat.perBatch }, config)
    case 'room':
      return windowed(server, scenario, { ...base, members: sc.room.members, perBatch: sc.room.perBatch }, config)
    case 'echo':
      return windowed(server, scenario, { ...base, clients: sc.echo.clients, payloadBytes: sc.echo.payloadBytes }, config)
    case 'idle':
      return idle(server, { ...base, steps: server.runtime === 'workerd' ? sc.idle.steps.slice(0, 1) : sc.idle.steps, parallel: sc.idle.parallel }, config)
  }
  throw new Error(`unknown scenario ${scenario}`)
}
