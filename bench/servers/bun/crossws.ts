// crossws's Bun adapter (its pub/sub is Bun's native publish).
import crossws from 'crossws/adapters/bun'
import { hooks } from '../shared/crossws-hooks.ts'
import { hostname, port, ready } from '../shared/env.ts'

declare const Bun: any
const ws = crossws({ hooks })
Bun.serve({
  port,
  hostname,
  websocket: ws.websocket,
  fetch(req: Request, server: any) {
    if (req.headers.get('upgrade')?.toLowerCase() === 'websocket') return ws.handleUpgrade(req, server)
    return new URL(req.url).pathname === '/health' ? new Response('ok') : new Response('not found', { status: 404 })
  },
})
ready('crossws bun')
