/**
 * npm run bench:heartbeat [-- options]: how long the event loop stalls when the core's
 * heartbeat pings thousands of held sockets. A portsocket server (Node, Bun) holds N idle
 * connections with the heartbeat at a short interval and reports, each second, the most
 * its event loop was late (bench/servers/shared/heartbeat-app.ts); this prints those
 * figures over several intervals. Every other message on the server waits out a stall.
 */
import { parseArgs } from 'node:util'
import { buildNodeServers } from './lib/build.mjs'
import { sleep, startClient, startServer } from './lib/processes.mjs'
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

const stalls = (output) => [...output.matchAll(/^stall (\d+) closed \d+$/gm)].map((m) => Number(m[1]))
const closedSoFar = (output) => Number([...output.matchAll(/^stall \d+ closed (\d+)$/gm)].at(-1)?.[1] ?? 0)

if (runtimes.includes('node')) buildNodeServers()
console.log(`${connections} connections held, heartbeat every ${interval} ms, watched for ${intervals} intervals\n`)
console.log('| runtime | longest stall, ms | median of each second\'s longest, ms | seconds with a stall over 50 ms | connections dropped |')
console.log('| --- | ---: | ---: | ---: | ---: |')
for (const runtime of runtimes) {
  const server = await startServer(runtime, 'portsocket-heartbeat', { env: { HEARTBEAT_MS: String(interval) } })
  // The idle scenario's load client (bench/load.mjs, Bun's WebSocket, which answers pings)
  // holds the connections in a process of its own.
  const client = startClient('bun', { scenario: 'idle', url: server.url, index: 0, procs: 1, parallel: 64 })
  try {
    await client.next('hello', 30_000)
    await client.next('ready', 60_000)
    client.send(`open ${connections}`)
    await client.next('opened', 300_000)
    // A second for the burst of opens to settle (its garbage, its compiles), then watch.
    await sleep(1000)
    const from = stalls(server.output()).length
    const closedBefore = closedSoFar(server.output()) // the load client's warm-up connections
    await sleep(intervals * interval + 1000)
    const seen = stalls(server.output()).slice(from)
    const s = spread(seen)
    console.log(`| ${runtime} | ${s?.max ?? '-'} | ${s?.median ?? '-'} | ${seen.filter((v) => v > 50).length} of ${seen.length} | ${closedSoFar(server.output()) - closedBefore} |`)
  } finally {
    await client.stop()
    await server.stop()
  }
}
process.exit(0)
