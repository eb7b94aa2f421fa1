// Raw Deno behind Hono's router: the raw server's sockets and send loop, with each upgrade
// routed through a Hono app (Context, routing, query parsing) as portsocket's are. It
// measures what routing through Hono costs by itself, apart from any WebSocket layer.
import { Hono } from 'hono'
import { hostname, port, ready } from '../shared/env.ts'
import { wireRaw } from './raw-handlers.ts'

declare const Deno: any

const app = new Hono()
app.get('/health', (c) => c.text('ok'))
app.get('/echo', (c) => {
  const { socket, response } = Deno.upgradeWebSocket(c.req.raw)
  wireRaw(socket, null)
  return response
})
app.get('/chat', (c) => {
  const { socket, response } = Deno.upgradeWebSocket(c.req.raw)
  wireRaw(socket, c.req.query('name') ?? 'anonymous')
  return response
})

Deno.serve({ port, hostname, onListen: () => ready('raw-hono deno') }, app.fetch)
