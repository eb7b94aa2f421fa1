// Raw Bun: Bun.serve, chat relayed with Bun's native topic publish (no JavaScript loop).
import { hostname, port, ready } from '../shared/env.ts'
import { rawHandlers, type Data } from './raw-handlers.ts'

declare const Bun: any

const server = Bun.serve({
  port,
  hostname,
  fetch(req: Request, server: any) {
    const url = new URL(req.url)
    if (url.pathname === '/health') return new Response('ok')
    const data: Data = { name: url.pathname === '/chat' ? (url.searchParams.get('name') ?? 'anonymous') : null }
    if (server.upgrade(req, { data })) return undefined
    return new Response('not found', { status: 404 })
  },
  websocket: rawHandlers((topic, text) => server.publish(topic, text)),
})
ready('raw bun')
