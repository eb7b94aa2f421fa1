/**
 * npm run bench:heartbeat [-- options]: how long the event loop stalls when the core's
 * heartbeat pings thousands of held sockets. A portsocket server (Node, Bun) holds N idle
 * connections with the heartbeat at a short interval and reports, each second, the most
 * its event loop was late (bench/servers/shared/heartbeat-app.ts); this prints those
 * figures over several intervals. Every other message on the server waits out a stall.
 */
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { buildNodeServers } from './lib/build.mjs'
import { root, sleep, startServer } from './lib/processes.mjs'
import { spread } from './lib/stats.mjs'

const { values } = parseArgs({
  options: {
    runtime: { type: 'string', default: 'node,bun' },
    connections: { type: 'string', default: '10000' },
    interval: { type: 'string', default: '5000' },
    intervals: { type: 'string', default: '3' },
    help: { type: 'boolean', default: false },
  },
})
if (values.help) {
  console.log(`npm run bench:heartbeat [-- options]   (node bench/heartbeat.mjs [options])

Holds idle connections on a portsocket server whose heartbeat runs at a short interval,
and reports how long its event loop stalled, second by second, over several intervals.

  --runtime LIST      node,bun (default both; Deno and workerd leave liveness to the runtime)
  --connections N     connections held (default 10000)
  --interval MS       the route's heartbeat interval (default 5000)
  --intervals N       heartbeat intervals watched once all are open (default 3)
  --help              print this and exit`)
  process.exit(0)
}
const runtimes = values.runtime.split(',')
const connections = Number(values.connections)
const interval = Number(values.interval)
const intervals = Number(values.intervals)
for (const r of runtimes) if (!['node', 'bun'].includes(r)) throw new Error(`--runtime: node or bun, not ${r}`)

const WebSocket = createRequire(join(root, 'package.json'))('ws')

/** Opens `n` idle connections, 64 handshakes in flight. */
async function openMany(url, n) {
  const sockets = []
  let next = 0
  const one = () =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url)
      ws.once('open', () => resolve(ws))
      ws.once('error', reject)
    })
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < n) {
        next++
        sockets.push(await one())
      }
    }),
  )
  return sockets
}

const stalls = (output) => [...output.matchAll(/^stall (\d+)$/gm)].map((m) => Number(m[1]))

if (runtimes.includes('node')) buildNodeServers()
console.log(`${connections} connections held, heartbeat every ${interval} ms, watched for ${intervals} intervals\n`)
console.log('| runtime | longest stall, ms | median of each second\'s longest, ms | seconds with a stall over 50 ms |')
console.log('| --- | ---: | ---: | ---: |')
for (const runtime of runtimes) {
  const server = await startServer(runtime, 'portsocket-heartbeat', { env: { HEARTBEAT_MS: String(interval) } })
  let sockets = []
  try {
    sockets = await openMany(`${server.url}/held`, connections)
    // A second for the burst of opens to settle (its garbage, its compiles), then watch.
    await sleep(1000)
    const from = stalls(server.output()).length
    await sleep(intervals * interval + 1000)
    const seen = stalls(server.output()).slice(from)
    const s = spread(seen)
    console.log(`| ${runtime} | ${s?.max ?? '-'} | ${s?.median ?? '-'} | ${seen.filter((v) => v > 50).length} of ${seen.length} |`)
  } finally {
    for (const ws of sockets) ws.terminate()
    await server.stop()
  }
}
process.exit(0)
