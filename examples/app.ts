/**
 * The example app: the same routes on every runtime. `npm start` serves it on Node.
 */
import { Hono } from 'hono'
import { websocket, type ServerSocket } from '../src/index.ts'

export const app = new Hono()

app.get('/', (c) =>
  c.html(`<!doctype html><meta charset="utf-8"><title>portsocket echo</title>
<h1>portsocket</h1><p>Type a line; the server echoes it.</p>
<input id="line" autofocus><pre id="out"></pre>
<script>
  const out = document.getElementById('out')
  const ws = new WebSocket(location.origin.replace(/^http/, 'ws') + '/ws/echo')
  ws.onmessage = (e) => { out.textContent += e.data + '\\n' }
  document.getElementById('line').onkeydown = (e) => {
    if (e.key === 'Enter') { ws.send(e.target.value); e.target.value = '' }
  }
</script>`),
)

// Echo: text back as text, binary back as binary.
app.get(
  '/ws/echo',
  websocket({
    message(socket, msg) {
      socket.send(msg.isBinary ? msg.bytes() : msg.text())
    },
  }),
)

// A minimal chat: everyone on the same path hears everyone (rooms arrive in portsocket's rooms API).
const listeners = new Map<string, Set<ServerSocket<{ name: string }>>>()
app.get(
  '/ws/chat/:room',
  websocket<{ name: string; room: string }>(
    {
      open(socket) {
        const room = listeners.get(socket.data.room) ?? new Set()
        listeners.set(socket.data.room, room.add(socket))
      },
      message(socket, msg) {
        for (const peer of listeners.get(socket.data.room) ?? []) peer.send(`${socket.data.name}: ${msg.text()}`)
      },
      close(socket) {
        const room = listeners.get(socket.data.room)
        room?.delete(socket)
        if (room?.size === 0) listeners.delete(socket.data.room)
      },
    },
    { data: (c) => ({ name: c.req.query('name') ?? 'anonymous', room: c.req.param('room') ?? 'lobby' }) },
  ),
)
