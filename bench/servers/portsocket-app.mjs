// portsocket's benchmark app: the same route code on every runtime.
import { Hono } from 'hono'
import { websocket } from '../../dist/src/index.js'

export const app = new Hono()
app.get('/health', (c) => c.text('ok'))
app.get('/echo', websocket({ message(socket, msg) { socket.send(msg.isBinary ? msg.bytes() : msg.text()) } }))
app.get(
  '/chat',
  websocket(
    {
      async open(socket) {
        await socket.join('chat')
      },
      message(socket, msg) {
        socket.server.to('chat').send(`${socket.data.name}: ${msg.text()}`)
      },
    },
    { data: (c) => ({ name: c.req.query('name') ?? 'anonymous' }) },
  ),
)
