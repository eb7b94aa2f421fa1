// Raw Node, a better algorithm than either loop: as raw-prepared.ts (the frame built once
// per message, the same bytes to every member), and each member's TCP socket corked the
// first time it gets a frame in this tick and uncorked once on process.nextTick, so every
// frame a member gets from one batch of incoming messages leaves in one write. Not a
// baseline of any target: it shows what the fan-out could cost, apart from portsocket.
import { createServer } from 'node:http'
import type { Socket } from 'node:net'
import * as wsModule from 'ws'
import { WebSocketServer, type WebSocket } from 'ws'
import { hostname, port, ready } from '../shared/env.ts'

interface WsInternals {
  _socket: Socket
  _sender: { _state: number; sendFrame(frames: Buffer[]): void }
}
const Sender = (wsModule as unknown as { Sender: { frame(data: Buffer, options: object): Buffer[] } }).Sender
const FRAME = { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: true }

const corked = new Set<Socket>()
function uncorkAll(): void {
  for (const socket of corked) socket.uncork()
  corked.clear()
}

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
      const { _socket: socket, _sender: sender } = member as unknown as WsInternals
      if (!corked.has(socket)) {
        socket.cork()
        corked.add(socket)
        if (corked.size === 1) process.nextTick(uncorkAll)
      }
      if (sender._state === 0) sender.sendFrame(frames)
      else member.send(out)
    }
  })
  ws.on('close', () => room.delete(ws))
  ws.on('error', () => room.delete(ws))
})

server.listen(port, hostname, () => ready('raw-corked node'))
