/**
 * The example app: the same routes on every runtime. `npm start` serves it on Node.
 */
import { Hono } from 'hono'
import { sockets, websocket } from 'portsocket'

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

// A chat: one room per path, join and leave announced to the room.
app.get(
  '/ws/chat/:room',
  websocket(
    {
      data: (c) => ({ name: c.req.query('name') ?? 'anonymous', room: c.req.param('room') ?? 'lobby' }),
      async open(socket) {
        await socket.join(socket.data.room)
      },
      message(socket, msg) {
        return socket.server.to(socket.data.room).send(`${socket.data.name}: ${msg.text()}`)
      },
    },
    { id: 'chat', presence: true },
  ),
)

// Who is in a room, and a message to it from plain HTTP.
app.get('/api/rooms/:room', async (c) => c.json(await sockets(c).members(c.req.param('room'))))
app.post('/api/rooms/:room', async (c) => c.json(await sockets(c).to(c.req.param('room')).send(await c.req.text())))
