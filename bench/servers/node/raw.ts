// Raw Node: `ws` on node:http, chat relayed with a send loop over a Set.
import { createServer } from 'node:http'
import { WebSocketServer } from 'ws'
import { hostname, port, ready } from '../shared/env.ts'
import { wireRaw } from './raw-handlers.ts'

const server = createServer((req, res) => {
  res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'text/plain' }).end('ok')
})
const wss = new WebSocketServer({ server, clientTracking: false, perMessageDeflate: false })

wss.on('connection', (ws, req) => {
  const url = new URL(req.url ?? '/', 'http://localhost')
  wireRaw(ws, url.pathname === '/echo' ? null : (url.searchParams.get('name') ?? 'anonymous'))
})

server.listen(port, hostname, () => ready('raw node'))
