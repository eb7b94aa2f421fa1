/**
 * The heartbeat check's server (`npm run bench:heartbeat`): a route whose sockets only
 * hold, with the heartbeat at HEARTBEAT_MS, and a watch on the event loop that prints,
 * once a second, the longest the loop was late in that second ("stall N", in ms), and
 * how many connections have ended. A
 * heartbeat that pinged every socket in one tick showed as a stall of that whole tick.
 */
import { Hono } from 'hono'
import { websocket } from '../../../src/index.ts'
import { read } from './env.ts'

export const app = new Hono()
app.get('/health', (c) => c.text('ok'))
/** Connections that ended: a client that did not answer the pings would be dropped. */
let closed = 0
// /chat, where the idle scenario's load client opens its members: here they only hold.
app.get('/chat', websocket({ close: () => void closed++ }, { heartbeat: { interval: Number(read('HEARTBEAT_MS') ?? 5000) } }))

/** Prints "stall N closed M" every second: the most a 10 ms timer was late in that second, in ms, and the connections ended so far. */
export function watchStalls(): void {
  const every = 10
  let expected = Date.now() + every
  let worst = 0
  let reported = Date.now()
  setInterval(() => {
    const now = Date.now()
    worst = Math.max(worst, now - expected)
    expected = now + every
    if (now - reported >= 1000) {
      console.log(`stall ${worst} closed ${closed}`)
      worst = 0
      reported = now
    }
  }, every)
}
