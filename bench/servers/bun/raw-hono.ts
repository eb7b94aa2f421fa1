// Raw Bun behind Hono's router: the raw server's sockets and native publish, with each
// upgrade routed through a Hono app (Context, routing, query parsing) as portsocket's are.
// It measures what routing through Hono costs by itself, apart from any WebSocket layer.
import { Hono } from 'hono'
import { hostname, port, ready } from '../shared/env.ts'
import { rawHandlers, type Data } from './raw-handlers.ts'

declare const Bun: any

const app = new Hono<{ Bindings: any }>()
app.get('/health', (c) => c.text('ok'))
const upgrade = (name: string | null) => (c: any) =>
  c.env.upgrade(c.req.raw, { data: { name } satisfies Data }) ? new Response(null) : c.text('upgrade failed', 400)
app.get('/chat', (c) => upgrade(c.req.query('name') ?? 'anonymous')(c))
app.get('/echo', (c) => upgrade(null)(c))

const server = Bun.serve({
  port,
  hostname,
  fetch(req: Request, server: any) {
    // The routes are synchronous, so Hono answers synchronously: the upgrade is not delayed.
    const response = app.fetch(req, server) as Response
    // Bun takes over the connection once upgraded: nothing is written back.
    return response.status === 200 && req.headers.get('upgrade') ? undefined : response
  },
  websocket: rawHandlers((topic, text) => server.publish(topic, text)),
})
ready('raw-hono bun')
