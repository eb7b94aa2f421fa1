/**
 * The load client: its share of one scenario against one server, driven line by line by
 * the runner (see lib/protocol.mjs for the protocol). Runs under Bun (its built-in
 * WebSocket client) or Node (the `ws` package). The runner reads every CPU figure from
 * /proc; this process only counts what it receives.
 *
 *   bun bench/load.mjs '<json spec>'      node bench/load.mjs '<json spec>'
 *
 * spec: { protocol, scenario, url, index, procs, ... } where `index` of `procs` says which
 * share of the connections this process holds (connection i belongs to process i % procs).
 * Compression is never offered, so no server compresses.
 *
 * cross: the chat spread over `spec.urls` (several instances of one app on one Redis); with
 * `spec.socketio`, against socket.io servers through socket.io-client (lib/cross.mjs).
 *
 * Server contract: /chat?name=NAME relays every text message, prefixed with "NAME: ", to
 * every member, the sender included; /echo sends each message back. A server marked `join`
 * (Hono's Workers helper, which has no open hook) learns of a member from its first
 * message: each member sends "join" and waits for "joined".
 */
import process from 'node:process'
import { owned, PROTOCOL } from './lib/protocol.mjs'

const isBun = typeof globalThis.Bun !== 'undefined'
const WS = isBun ? globalThis.WebSocket : (await import('ws')).WebSocket
const spec = JSON.parse(process.argv[2] ?? '{}')

const now = () => performance.now()
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const emit = (object) => process.stdout.write(JSON.stringify(object) + '\n')

// ---- commands from the runner -------------------------------------------------------------

const handlers = new Map()
const pending = []
{
  let buffer = ''
  process.stdin.setEncoding('utf8')
  process.stdin.on('data', (chunk) => {
    buffer += chunk
    let at
    while ((at = buffer.indexOf('\n')) >= 0) {
      const [command, arg] = buffer.slice(0, at).trim().split(' ')
      buffer = buffer.slice(at + 1)
      const handler = handlers.get(command)
      if (handler) handler(arg)
      else pending.push([command, arg])
    }
  })
}
/** Handles `command` from now on (and any that came before the handler was set). */
function on(command, handler) {
  handlers.set(command, handler)
  for (let i = 0; i < pending.length; ) {
    if (pending[i][0] === command) handler(pending.splice(i, 1)[0][1])
    else i++
  }
}
const once = (command) => new Promise((resolve) => on(command, (arg) => (handlers.delete(command), resolve(arg))))

// ---- the client library, Bun's or ws ----------------------------------------------------

function connectOnce(url) {
  return new Promise((resolve, reject) => {
    let ws
    try {
      ws = new WS(url, { perMessageDeflate: false })
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

/** Opens a connection for each index, at most `parallel` handshakes in flight. */
async function connectMany(indices, urlOf, parallel = 64) {
  const sockets = new Array(indices.length)
  let next = 0
  const worker = async () => {
    while (next < indices.length) {
      const i = next++
      sockets[i] = await connect(urlOf(indices[i]))
    }
  }
  await Promise.all(Array.from({ length: Math.min(parallel, indices.length) }, worker))
  return sockets
}

/** Sets the one message handler; it gets the raw message (an event on Bun, the data on ws). */
function onMessage(ws, handler) {
  if (ws.sio) {
    ws.sio.off('message')
    ws.sio.on('message', handler)
  } else if (isBun) ws.onmessage = handler
  else {
    ws.removeAllListeners('message')
    ws.on('message', handler)
  }
}
const textOf = (raw) => (isBun ? raw.data : raw.toString())

function closeAll(sockets, timeoutMs = 5000) {
  return new Promise((resolve) => {
    let open = 0
    const done = () => {
      if (--open === 0) resolve()
    }
    for (const ws of sockets) {
      if (ws?.sio) {
        ws.sio.disconnect()
        continue
      }
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

// ---- shared steps -----------------------------------------------------------------------

const NAMES = ['Alice', 'Bob', 'Carol', 'Dave', 'Erin', 'Frank', 'Grace', 'Heidi', 'Ivan', 'Judy', 'Mallory', 'Niaj', 'Olivia']
const nameOf = (i) => `${NAMES[i % NAMES.length]}${Math.floor(i / NAMES.length)}`
const TEXTS = [
  'Hello World!', 'hello again', 'how are you?', 'fine, thanks', 'lunch at noon?', 'sure', 'zoo', 'kangaroo',
  'erlang', 'elixir', 'bun', 'deno', 'node', 'workerd', 'typescript', 'javascript', 'where is the bathroom?',
  'What is the meaning of life?', '42', 'see you later',
]

/**
 * socket.io members (`spec.socketio`): socket.io-client, the client that server's users
 * run, WebSocket transport only; a chat text is a "message" event. Resolves once the
 * server has connected it to the namespace (its `connection` handler has run).
 */
async function socketioMember(url, name) {
  const { io } = await import('socket.io-client')
  return new Promise((resolve, reject) => {
    const sio = io(url.replace(/^ws/, 'http'), { transports: ['websocket'], query: { name }, forceNew: true, reconnection: false, timeout: 15_000 })
    sio.once('connect', () => resolve({ sio, send: (text) => sio.emit('message', text) }))
    sio.once('connect_error', (error) => reject(new Error(`could not connect to ${url}: ${error?.message ?? 'error'}`)))
  })
}

/**
 * This process's /chat members; with `join`, each first sends "join" and waits for "joined".
 * With `spec.urls` (several instances of one app), member i connects to instance i % n.
 */
async function chatMembers(indices) {
  const urls = spec.urls ?? [spec.url]
  const urlOf = (i) => urls[i % urls.length]
  if (spec.socketio) return Promise.all(indices.map((i) => socketioMember(urlOf(i), nameOf(i))))
  const sockets = await connectMany(indices, (i) => `${urlOf(i)}/chat?name=${nameOf(i)}`)
  if (spec.join) {
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

// ---- scenarios ----------------------------------------------------------------------------

/**
 * Bun's bench/websocket-server method: every sender sends `perBatch` messages; the next
 * batch starts once every receiver has every message. With several load processes each
 * reports its share of a batch and the runner says `next` once all have it.
 * chat: every member sends and receives. room: member 0 alone sends, all receive.
 */
async function fanOut() {
  const chat = spec.scenario === 'chat' || spec.scenario === 'cross'
  const total = chat ? spec.clients : spec.members
  const mine = owned(total, spec.index, spec.procs)
  const sockets = await chatMembers(mine)
  const senders = chat ? sockets : sockets.filter((_, k) => mine[k] === 0)
  const totalSenders = chat ? total : 1
  const perBatch = spec.perBatch
  const expected = sockets.length * totalSenders * perBatch
  // Across instances a join reaches the other instances through Redis: give it time.
  await settle(sockets, spec.urls?.length > 1 ? 1000 : 300)
  let received = 0
  let remaining = expected
  let batch = 0
  let running = true
  const texts = Array.from({ length: perBatch }, (_, i) => TEXTS[i % TEXTS.length])
  const sendBatch = () => {
    if (!running) return
    for (const ws of senders) for (let j = 0; j < perBatch; j++) ws.send(texts[j])
  }
  const count = () => {
    received++
    if (--remaining === 0) {
      remaining = expected
      batch++
      if (spec.procs === 1) setImmediate(sendBatch)
      else emit({ event: 'batch', batch })
    }
  }
  for (const ws of sockets) onMessage(ws, count)
  on('mark', () => emit({ event: 'mark', count: received }))
  on('next', sendBatch)
  emit({ event: 'ready', sockets: sockets.length })
  await once('start')
  sendBatch()
  await once('stop')
  running = false
  await closeAll(sockets, 2000)
  return {}
}

/** Each client keeps one round trip in flight; latencies are kept from the first mark on. */
async function echo() {
  const sockets = await connectMany(owned(spec.clients, spec.index, spec.procs), () => `${spec.url}/echo`)
  const payload = 'x'.repeat(spec.payloadBytes ?? 32)
  let measuring = false
  let running = true
  let count = 0
  const latencies = []
  for (const ws of sockets) {
    let sentAt = 0
    onMessage(ws, () => {
      const at = now()
      count++
      if (measuring) latencies.push(at - sentAt)
      if (!running) return
      sentAt = at
      ws.send(payload)
    })
    ws.start = () => {
      sentAt = now()
      ws.send(payload)
    }
  }
  on('mark', () => {
    measuring = true
    emit({ event: 'mark', count })
  })
  emit({ event: 'ready', sockets: sockets.length })
  await once('start')
  for (const ws of sockets) ws.start()
  await once('stop')
  running = false
  measuring = false
  latencies.sort((a, b) => a - b)
  const pick = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? null
  await closeAll(sockets, 2000)
  return { p50: pick(0.5), p99: pick(0.99) }
}

/** Holds idle /chat members: `open N` brings this process's share up to N connections. */
async function idle() {
  const warm = await connectMany([0, 1, 2, 3, 4, 5, 6, 7], (i) => `${spec.url}/chat?name=warm${i}`)
  await closeAll(warm, 3000)
  const sockets = []
  let busy = Promise.resolve()
  on('open', (arg) => {
    busy = busy.then(async () => {
      const want = Number(arg)
      const from = sockets.length
      const more = await connectMany(
        Array.from({ length: Math.max(0, want - from) }, (_, k) => from + k),
        (i) => `${spec.url}/chat?name=${nameOf(i * spec.procs + spec.index)}`,
        spec.parallel ?? 64,
      )
      sockets.push(...more)
      emit({ event: 'opened', connections: sockets.length })
    }).catch((error) => fail(error))
  })
  emit({ event: 'ready', sockets: 0 })
  // The runner ends the server right after reading its memory: nothing to close.
  await once('stop')
  return {}
}

function fail(error) {
  emit({ event: 'error', message: error?.message ?? String(error) })
  process.exit(1)
}

const scenarios = { chat: fanOut, room: fanOut, cross: fanOut, echo, idle }

try {
  emit({ event: 'hello', protocol: PROTOCOL, client: isBun ? `bun ${globalThis.Bun.version}` : `node ${process.version} + ws` })
  if (spec.protocol !== PROTOCOL) throw new Error(`protocol mismatch: runner speaks ${spec.protocol}, load client ${PROTOCOL}`)
  const run = scenarios[spec.scenario]
  if (!run) throw new Error(`unknown scenario ${spec.scenario}`)
  emit({ event: 'done', ...(await run()) })
  process.exit(0)
} catch (error) {
  fail(error)
}
