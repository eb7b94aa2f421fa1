/**
 * portsocket's benchmark app: the same route code on every runtime (only the entry file
 * differs). Chat: every member joins the room "chat" when it opens; each message goes to
 * the whole room, the sender included, prefixed with the sender's name. Echo: each
 * message goes back to its sender. Default route options (heartbeat, limits) are kept,
 * as a user would.
 */
import { Hono } from 'hono'
import { websocket } from '../../../src/index.ts'

export const app = new Hono()

app.get('/health', (c) => c.text('ok'))

app.get(
  '/chat',
  websocket<{ name: string }>(
    {
      async open(socket) {
        await socket.join('chat')
      },
      message(socket, msg) {
        socket.server.to('chat').send(`${socket.data.name}: ${msg.text()}`)
      },
    },
    // The id lets the route's sockets hibernate in a Durable Object (workerd).
    { id: 'bench-chat', data: (c) => ({ name: c.req.query('name') ?? 'anonymous' }) },
  ),
)

app.get(
  '/echo',
  websocket(
    {
      message(socket, msg) {
        socket.send(msg.isBinary ? msg.bytes() : msg.text())
      },
    },
    { id: 'bench-echo' },
  ),
)
