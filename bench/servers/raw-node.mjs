// Raw Node: ws, with a JavaScript send loop for the chat relay.
import { createServer } from 'node:http'
import { WebSocketServer } from 'ws'
import { exitWithParent, port } from './lifetime.mjs'

const server = createServer((req, res) => res.end('ok'))
const wss = new WebSocketServer({ server, perMessageDeflate: false })
const chat = new Set()
wss.on('connection', (ws, req) => {
  const url = new URL(req.url, 'http://x')
  if (url.pathname === '/echo') return ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
  const name = url.searchParams.get('name')
  chat.add(ws)
  ws.on('message', (data) => {
    const text = `${name}: ${data}`
    for (const peer of chat) peer.send(text)
  })
  ws.on('close', () => chat.delete(ws))
})
server.listen(port, '127.0.0.1')
exitWithParent()
