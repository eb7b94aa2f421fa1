// Raw Deno behind Hono's router: the raw server's sockets and send loop, with each upgrade
// routed through a Hono app (Context, routing, query parsing) as portsocket's are. It
// measures what routing through Hono costs by itself, apart from any WebSocket layer.
import { Hono } from 'hono'
import { hostname, port, ready } from '../shared/env.ts'

declare const Deno: any
const room = new Set<WebSocket>()

const app = new Hono()
app.get('/health', (c) => c.text('ok'))
app.get('/echo', (c) => {
  const { socket, response } = Deno.upgradeWebSocket(c.req.raw)
  socket.onmessage = (event: MessageEvent) => socket.send(event.data)
  return response
})
app.get('/chat', (c) => {
  const name = c.req.query('name') ?? 'anonymous'
  const { socket, response } = Deno.upgradeWebSocket(c.req.raw)
  socket.onopen = () => room.add(socket)
  socket.onmessage = (event: MessageEvent) => {
    const out = `${name}: ${event.data}`
    for (const member of room) if (member.readyState === 1) member.send(out)
  }
  socket.onclose = () => room.delete(socket)
  socket.onerror = () => room.delete(socket)
  return response
})

Deno.serve({ port, hostname, onListen: () => ready('raw-hono deno') }, app.fetch)
