// Raw Bun: Bun.serve, chat relayed with Bun's native topic publish (no JavaScript loop).
import { hostname, port, ready } from '../shared/env.ts'

declare const Bun: any
type Data = { name: string | null }

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
  websocket: {
    perMessageDeflate: false,
    open(ws: any) {
      if ((ws.data as Data).name !== null) ws.subscribe('chat')
    },
    message(ws: any, message: string | Uint8Array) {
      const name = (ws.data as Data).name
      if (name === null) ws.send(message)
      else server.publish('chat', `${name}: ${message}`)
    },
  },
})
ready('raw bun')
