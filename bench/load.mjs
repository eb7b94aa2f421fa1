/**
 * The load client: one scenario against one server, then one JSON line on stdout.
 * Runs under Bun (its built-in WebSocket client) or Node (the `ws` package); run.mjs
 * measures which of the two costs less CPU per message and uses that one.
 *
 *   bun bench/load.mjs '<json spec>'      node bench/load.mjs '<json spec>'
 *
 * spec: { scenario: 'chat' | 'room' | 'echo' | 'idle', url: 'ws://127.0.0.1:PORT', ... }
 * (see the scenario functions below for the fields each one reads). Compression is
 * never offered, so no server compresses.
 *
 * Protocol with the servers: /chat?name=NAME relays every text message, prefixed with
 * "NAME: ", to every member (sender included); /echo sends each message back. A server
 * marked `join` (Hono's Workers helper, which has no open hook) learns of a member from
 * its first message: each client sends "join" and waits for "joined" before the run.
 *
 * The idle scenario talks with run.mjs over stdin/stdout, so that the server's memory
 * can be read between steps: it prints {"event":"warm"} after a few warm-up
 * connections, waits for "go", opens the connections, prints {"event":"opened"} and
 * waits to be ended (run.mjs ends it and the server once it has read the memory).
 */
import process from 'node:process'

const isBun = typeof globalThis.Bun !== 'undefined'
const WS = isBun ? globalThis.WebSocket : (await import('ws')).WebSocket
const spec = JSON.parse(process.argv[2] ?? '{}')

const now = () => performance.now()
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const emit = (object) => process.stdout.write(JSON.stringify(object) + '\n')

// ---- the client library, Bun's or ws ----------------------------------------------------

function connectOnce(url) {
  return new Promise((resolve, reject) => {
    let ws
    try {
      ws = isBun ? new WS(url, { perMessageDeflate: false }) : new WS(url, { perMessageDeflate: false })
    } catch (error) {
      reject(error)
      return
    }
    const timer = setTimeout(() => {
      fail(new Error('timed out'))
      try {
        ws.close()
      } catch {}
    }, 15_000)
    const fail = (error) => {
      clearTimeout(timer)
      reject(new Error(`could not connect to ${url}: ${error?.message ?? 'error'}`))
    }
    if (isBun) {
      ws.onopen = () => {
        clearTimeout(timer)
        ws.onerror = null
        resolve(ws)
      }
      ws.onerror = fail
    } else {
      ws.once('open', () => {
        clearTimeout(timer)
        ws.removeAllListeners('error')
        ws.on('error', () => {})
        resolve(ws)
      })
      ws.once('error', fail)
    }
  })
}

async function connect(url) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectOnce(url)
    } catch (error) {
      if (attempt >= 3) throw error
      await sleep(100 * attempt)
    }
  }
}

/** Opens `count` connections, at most `parallel` handshakes in flight. */
async function connectMany(count, urlOf, parallel = 64) {
  const sockets = new Array(count)
  let next = 0
  const worker = async () => {
    while (next < count) {
      const i = next++
      sockets[i] = await connect(urlOf(i))
    }
  }
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker))
  return sockets
}

/** Sets the one message handler; it gets the raw message (an event on Bun, the data on ws). */
function onMessage(ws, handler) {
  if (isBun) ws.onmessage = handler
  else {
    ws.removeAllListeners('message')
    ws.on('message', handler)
  }
}
const textOf = (raw) => (isBun ? raw.data : raw.toString())

function closeAll(sockets, timeoutMs = 15_000) {
  return new Promise((resolve) => {
    let open = 0
    const done = () => {
      if (--open === 0) resolve()
    }
    for (const ws of sockets) {
      if (!ws || ws.readyState >= 2) continue
      open++
      if (isBun) ws.onclose = done
      else ws.once('close', done)
      try {
        ws.close()
      } catch {
        done()
      }
    }
    if (open === 0) resolve()
    setTimeout(resolve, timeoutMs)
  })
}

const cpu = () => {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000 // ms
}

// ---- shared steps -----------------------------------------------------------------------

const NAMES = ['Alice', 'Bob', 'Carol', 'Dave', 'Erin', 'Frank', 'Grace', 'Heidi', 'Ivan', 'Judy', 'Mallory', 'Niaj', 'Olivia']
const nameOf = (i) => `${NAMES[i % NAMES.length]}${Math.floor(i / NAMES.length)}`
const TEXTS = [
  'Hello World!', 'hello again', 'how are you?', 'fine, thanks', 'lunch at noon?', 'sure', 'zoo', 'kangaroo',
  'erlang', 'elixir', 'bun', 'deno', 'node', 'workerd', 'typescript', 'javascript', 'where is the bathroom?',
  'What is the meaning of life?', '42', 'see you later',
]
const textFor = (i) => TEXTS[i % TEXTS.length]

/** Members of /chat; with `join`, each first sends "join" and waits for "joined". */
async function chatMembers(count, join, parallel) {
  const sockets = await connectMany(count, (i) => `${spec.url}/chat?name=${nameOf(i)}`, parallel)
  if (join) {
    await Promise.all(
      sockets.map(
        (ws) =>
          new Promise((resolve) => {
            onMessage(ws, (raw) => {
              if (textOf(raw) === 'joined') resolve()
            })
            ws.send('join')
          }),
      ),
    )
  }
  return sockets
}

/** Waits until no message has arrived for `quietMs` (at most `maxMs`). */
async function settle(sockets, quietMs = 300, maxMs = 5000) {
  let last = now()
  for (const ws of sockets) onMessage(ws, () => (last = now()))
  const start = now()
  while (now() - last < quietMs && now() - start < maxMs) await sleep(50)
}

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/**
 * Bun's bench/websocket-server method: every sender sends `perBatch` messages; the next
 * batch starts once every receiver has every message. Deliveries are counted per window;
 * the first window is dropped and the median of the rest reported (per second).
 */
async function fanOutRun(receivers, senders, perBatch, windows, windowMs) {
  const perRound = receivers.length * senders.length * perBatch
  let received = 0
  let remaining = perRound
  let batches = 0
  let running = true
  const texts = Array.from({ length: perBatch }, (_, i) => textFor(i))
  const sendBatch = () => {
    if (!running) return
    for (const ws of senders) for (let j = 0; j < perBatch; j++) ws.send(texts[j])
  }
  const count = () => {
    received++
    if (--remaining === 0) {
      remaining = perRound
      batches++
      setImmediate(sendBatch)
    }
  }
  for (const ws of receivers) onMessage(ws, count)

  const rates = []
  let cpuFrom = 0
  let deliveriesFrom = 0
  let stalled = 0
  sendBatch()
  let last = received
  let lastAt = now()
  for (let w = 0; w < windows; w++) {
    await sleep(Math.max(0, lastAt + windowMs - now()))
    const at = now()
    const r = received
    rates.push(((r - last) * 1000) / (at - lastAt))
    if (r === last) stalled++
    else stalled = 0
    if (w === 0) {
      cpuFrom = cpu()
      deliveriesFrom = r
    }
    last = r
    lastAt = at
    if (stalled >= 3) {
      running = false
      throw new Error(`stalled: no delivery for 3 windows (${received} delivered, ${remaining} of a batch of ${perRound} missing)`)
    }
  }
  running = false
  const cpuMs = cpu() - cpuFrom
  const measured = rates.slice(1)
  if (received === 0) throw new Error(`stalled: nothing delivered (a batch is ${perRound} deliveries)`)
  return {
    value: median(measured),
    windows: rates.map(Math.round),
    batches,
    clientCpuUsPerDelivery: (cpuMs * 1000) / Math.max(1, received - deliveriesFrom),
  }
}

// ---- scenarios ----------------------------------------------------------------------------

/** spec: clients, perBatch, windows, windowMs, join */
async function chat() {
  const sockets = await chatMembers(spec.clients, spec.join, 64)
  await settle(sockets)
  const result = await fanOutRun(sockets, sockets, spec.perBatch, spec.windows, spec.windowMs)
  await closeAll(sockets, 3000)
  return result
}

/** spec: members, perBatch, windows, windowMs, join. Member 0 is the one sender. */
async function room() {
  const sockets = await chatMembers(spec.members, spec.join, 64)
  await settle(sockets)
  const result = await fanOutRun(sockets, [sockets[0]], spec.perBatch, spec.windows, spec.windowMs)
  await closeAll(sockets, 5000)
  return result
}

/** spec: clients, warmupMs, measureMs, payloadBytes. Each client keeps one round trip in flight. */
async function echo() {
  const sockets = await connectMany(spec.clients, () => `${spec.url}/echo`)
  const payload = 'x'.repeat(spec.payloadBytes ?? 32)
  let measuring = false
  let running = true
  let count = 0
  const latencies = []
  for (const ws of sockets) {
    let sentAt = 0
    onMessage(ws, () => {
      const at = now()
      if (measuring) {
        latencies.push(at - sentAt)
        count++
      }
      if (!running) return
      sentAt = at
      ws.send(payload)
    })
    ws.start = () => {
      sentAt = now()
      ws.send(payload)
    }
  }
  for (const ws of sockets) ws.start()
  await sleep(spec.warmupMs)
  const startCount = count
  measuring = true
  const from = now()
  const cpuFrom = cpu()
  const progress = []
  for (let elapsed = 0; elapsed < spec.measureMs; elapsed += 1000) {
    const before = count
    await sleep(Math.min(1000, spec.measureMs - elapsed))
    progress.push(count - before)
  }
  measuring = false
  const seconds = (now() - from) / 1000
  const cpuMs = cpu() - cpuFrom
  running = false
  if (count === startCount) throw new Error('stalled: no echo came back')
  latencies.sort((a, b) => a - b)
  const pick = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]
  await sleep(100)
  await closeAll(sockets, 3000)
  return {
    value: count / seconds,
    p50: pick(0.5),
    p99: pick(0.99),
    windows: progress,
    clientCpuUsPerDelivery: (cpuMs * 1000) / Math.max(1, count),
  }
}

function lines() {
  const waiting = []
  let buffer = ''
  process.stdin.setEncoding('utf8')
  process.stdin.on('data', (chunk) => {
    buffer += chunk
    let at
    while ((at = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, at).trim()
      buffer = buffer.slice(at + 1)
      waiting.shift()?.(line)
    }
  })
  return () => new Promise((resolve) => waiting.push(resolve))
}

/** spec: connections, parallel. Opens idle /chat members; run.mjs reads the server's memory. */
async function idle() {
  const next = lines()
  const warm = await connectMany(8, (i) => `${spec.url}/chat?name=warm${i}`)
  await closeAll(warm, 3000)
  emit({ event: 'warm' })
  if ((await next()) !== 'go') throw new Error('expected "go"')
  const from = now()
  const sockets = await connectMany(spec.connections, (i) => `${spec.url}/chat?name=${nameOf(i)}`, spec.parallel ?? 64)
  const openMs = now() - from
  emit({ event: 'opened', openMs, connections: sockets.length })
  // run.mjs reads the server's memory, then ends this process and the server.
  await new Promise(() => {})
}

const scenarios = { chat, room, echo, idle }

try {
  const run = scenarios[spec.scenario]
  if (!run) throw new Error(`unknown scenario ${spec.scenario}`)
  const result = await run()
  emit({ event: 'result', client: isBun ? `bun ${globalThis.Bun.version}` : `node ${process.version} + ws`, ...result })
  process.exit(0)
} catch (error) {
  emit({ event: 'error', message: error?.message ?? String(error) })
  process.exit(1)
}
