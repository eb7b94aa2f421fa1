/**
 * The load client, run with Bun (its built-in WebSocket client costs far less CPU per
 * message than `ws` on Node, so it stays off the critical path). One scenario per run;
 * prints one JSON line with the result.
 *
 *   bun bench/client.ts chat  <ws-base> <clients> <windows>
 *   bun bench/client.ts room  <ws-base> <members> <windows>
 *   bun bench/client.ts echo  <ws-base> <clients> <seconds>
 *   bun bench/client.ts idle  <ws-base> <connections>
 */
const [scenario, base, a = '16', b = '6'] = process.argv.slice(2)

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.binaryType = 'arraybuffer'
    ws.onopen = () => resolve(ws)
    ws.onerror = () => reject(new Error(`could not connect to ${url}`))
  })
}

async function openMany(count: number, url: (i: number) => string, parallel = 100): Promise<WebSocket[]> {
  const sockets: WebSocket[] = []
  for (let i = 0; i < count; i += parallel) {
    const batch = await Promise.all(Array.from({ length: Math.min(parallel, count - i) }, (_, j) => open(url(i + j))))
    sockets.push(...batch)
  }
  return sockets
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!

/** Counts deliveries per one-second window; drops the first window, reports the median. */
async function windows(count: number, tick: () => number): Promise<{ median: number; windows: number[] }> {
  const seen: number[] = []
  let last = tick()
  for (let i = 0; i < count; i++) {
    await Bun.sleep(1000)
    const now = tick()
    seen.push(now - last)
    last = now
  }
  return { median: median(seen.slice(1)), windows: seen }
}

/** Every sender sends `perBatch` messages; the next batch starts when every delivery has arrived. */
async function fanOut(receivers: WebSocket[], senders: WebSocket[], perBatch: number, windowCount: number) {
  let received = 0
  let expected = 0
  let release: () => void = () => {}
  for (const ws of receivers) {
    ws.onmessage = () => {
      if (++received === expected) release()
    }
  }
  let running = true
  const loop = (async () => {
    while (running) {
      const done = new Promise<void>((r) => (release = r))
      expected = received + receivers.length * senders.length * perBatch
      for (const ws of senders) for (let i = 0; i < perBatch; i++) ws.send('hello world')
      await done
    }
  })()
  const result = await windows(windowCount, () => received)
  running = false
  await Promise.race([loop, Bun.sleep(2000)])
  return result
}

async function main() {
  if (scenario === 'chat') {
    const clients = await openMany(Number(a), (i) => `${base}/chat?name=client${i}`)
    const result = await fanOut(clients, clients, 100, Number(b))
    return { scenario, clients: clients.length, deliveriesPerSecond: result.median, windows: result.windows }
  }
  if (scenario === 'room') {
    const members = await openMany(Number(a), (i) => `${base}/chat?name=member${i}`)
    const result = await fanOut(members, [members[0]!], 100, Number(b))
    return { scenario, members: members.length, deliveriesPerSecond: result.median, windows: result.windows }
  }
  if (scenario === 'echo') {
    const clients = await openMany(Number(a), () => `${base}/echo`)
    const latencies: number[] = []
    let trips = 0
    let running = true
    const deadline = performance.now() + Number(b) * 1000
    await Promise.all(
      clients.map(async (ws) => {
        while (running && performance.now() < deadline) {
          const sent = performance.now()
          await new Promise<void>((r) => {
            ws.onmessage = () => r()
            ws.send('ping')
          })
          latencies.push(performance.now() - sent)
          trips++
        }
      }),
    )
    running = false
    latencies.sort((x, y) => x - y)
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!
    return { scenario, clients: clients.length, roundTripsPerSecond: Math.round(trips / Number(b)), p50: at(0.5), p99: at(0.99) }
  }
  if (scenario === 'idle') {
    const started = performance.now()
    const sockets = await openMany(Number(a), () => `${base}/echo`, 200)
    const ms = Math.round(performance.now() - started)
    console.log(JSON.stringify({ scenario, connections: sockets.length, openMs: ms, holding: true }))
    await Bun.sleep(60_000) // the orchestrator samples the server's memory, then ends this process
    return undefined
  }
  throw new Error(`unknown scenario ${scenario}`)
}

const result = await main()
if (result) console.log(JSON.stringify(result))
process.exit(0)
