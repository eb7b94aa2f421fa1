// Raw Node, like for like with portsocket's Node fast path: `ws` on node:http, and per
// chat message the frame is built once (ws's Sender.frame) and the same bytes are written
// to every member through its sender (sendFrame), falling back to send() while ws has
// work of its own queued. Everything else as in raw.ts.
import { createServer } from 'node:http'
import * as wsModule from 'ws'
import { WebSocketServer, type WebSocket } from 'ws'
import { hostname, port, ready } from '../shared/env.ts'

interface WsSender {
  _state: number
  sendFrame(frames: Buffer[]): void
}
const Sender = (wsModule as unknown as { Sender: { frame(data: Buffer, options: object): Buffer[] } }).Sender
const FRAME = { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: true }

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
    const frames = Sender.frame(Buffer.from(out), FRAME)
    for (const member of room) {
      if (member.readyState !== 1) continue
      const sender = (member as unknown as { _sender: WsSender })._sender
      if (sender._state === 0) sender.sendFrame(frames)
      else member.send(out)
    }
  })
  ws.on('close', () => room.delete(ws))
  ws.on('error', () => room.delete(ws))
})

server.listen(port, hostname, () => ready('raw-prepared node'))
