// Raw Node: `ws` on node:http, chat relayed with a send loop over a Set.
import { createServer } from 'node:http'
import { WebSocketServer, type WebSocket } from 'ws'
import { hostname, port, ready } from '../shared/env.ts'

const room = new Set<WebSocket>()
const server = createServer((req, res) => {
  res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'text/plain' }).end('ok')
})
const wss = new WebSocketServer({ server, clientTracking: false, perMessageDeflate: false })

wss.on('connection', (ws, req) => {
  const url = new URL(req.url ?? '/', 'http://localhost')
  if (url.pathname === '/echo') {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
    return
  }
  const name = url.searchParams.get('name') ?? 'anonymous'
  room.add(ws)
  ws.on('message', (data) => {
    const out = `${name}: ${data}`
    for (const member of room) if (member.readyState === 1) member.send(out)
  })
  ws.on('close', () => room.delete(ws))
  ws.on('error', () => room.delete(ws))
})

server.listen(port, hostname, () => ready('raw node'))
