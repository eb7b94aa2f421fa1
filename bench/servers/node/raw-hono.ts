// Raw Node behind Hono's router: the raw server's `ws` sockets and send loop, with each
// upgrade routed through a Hono app (Context, routing, query parsing) as portsocket's
// are, on the same lightweight request portsocket's Node adapter builds. It measures what
// routing through Hono costs by itself, apart from any WebSocket layer.
import { createServer, STATUS_CODES, type IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { Hono } from 'hono'
import { WebSocketServer } from 'ws'
import { upgradeRequest } from '../../../adapters/node/request.ts'
import { hostname, port, ready } from '../shared/env.ts'
import { wireRaw } from './raw-handlers.ts'

type Env = { Bindings: { incoming: IncomingMessage; socket: Duplex; head: Buffer } }

const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false })
const app = new Hono<Env>()
app.get('/health', (c) => c.text('ok'))
const accept = (c: { env: Env['Bindings'] }, name: string | null) => {
  wss.handleUpgrade(c.env.incoming, c.env.socket, c.env.head, (ws) => wireRaw(ws, name))
  return new Response(null)
}
app.get('/echo', (c) => accept(c, null))
app.get('/chat', (c) => accept(c, c.req.query('name') ?? 'anonymous'))

const server = createServer((req, res) => {
  res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'text/plain' }).end('ok')
})
server.on('upgrade', (incoming: IncomingMessage, socket: Duplex, head: Buffer) => {
  // The routes are synchronous, so Hono answers synchronously: the upgrade is not delayed.
  const response = app.fetch(upgradeRequest(incoming), { incoming, socket, head }) as Response
  if (response.status !== 200) socket.end(`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`)
})
server.listen(port, hostname, () => ready('raw-hono node'))
