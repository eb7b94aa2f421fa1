// Raw Bun: Bun.serve with native publish.
import { exitWithParent, port } from './lifetime.mjs'
Bun.serve({
  port,
  hostname: '127.0.0.1',
  fetch(req, server) {
    const url = new URL(req.url)
    if (url.pathname === '/health') return new Response('ok')
    if (server.upgrade(req, { data: { path: url.pathname, name: url.searchParams.get('name') } })) return
    return new Response('no', { status: 400 })
  },
  websocket: {
    perMessageDeflate: false,
    open(ws) {
      if (ws.data.path === '/chat') ws.subscribe('chat')
    },
    message(ws, message) {
      if (ws.data.path === '/echo') return void ws.send(message)
      const text = `${ws.data.name}: ${message}`
      ws.send(text)
      ws.publish('chat', text)
    },
  },
})
exitWithParent()
