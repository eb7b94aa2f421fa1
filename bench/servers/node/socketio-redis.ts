/**
 * Cross-instance scenario: the peer users pick instead, socket.io with its Redis adapter
 * (`@socket.io/redis-adapter`, ioredis), as its documentation sets it up. The same chat:
 * every connection joins the room "chat"; each "message" event goes to the whole room,
 * sender included, prefixed with the sender's name. WebSocket transport only (the load
 * client never polls) and compression off, like every other row.
 *
 * BENCH_SOCKETIO_ADAPTER=none runs it as one instance without the adapter.
 */
import { createServer } from 'node:http'
import { createAdapter } from '@socket.io/redis-adapter'
import { Redis } from 'ioredis'
import { Server } from 'socket.io'
import { hostname, port, ready } from '../shared/env.ts'

const http = createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
    return
  }
  if (!req.url?.startsWith('/socket.io/')) res.writeHead(404).end()
})

const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false })
if (process.env.BENCH_SOCKETIO_ADAPTER !== 'none') {
  const pub = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
  const sub = pub.duplicate()
  io.adapter(createAdapter(pub, sub, { key: process.env.BENCH_REDIS_PREFIX ?? 'socket.io-bench' }))
}

io.on('connection', (socket) => {
  const name = String(socket.handshake.query.name ?? 'anonymous')
  socket.join('chat')
  socket.on('message', (text: string) => {
    io.to('chat').emit('message', `${name}: ${text}`)
  })
})

await new Promise<void>((resolve) => http.listen(port, hostname, resolve))
ready(`socket.io node${process.env.BENCH_SOCKETIO_ADAPTER === 'none' ? '' : ' (Redis adapter)'}`)
