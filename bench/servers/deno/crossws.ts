// crossws's Deno adapter.
import crossws from 'crossws/adapters/deno'
import { hooks } from '../shared/crossws-hooks.ts'
import { hostname, port, ready } from '../shared/env.ts'

declare const Deno: any
const ws = crossws({ hooks })
Deno.serve({ port, hostname, onListen: () => ready('crossws deno') }, (req: Request, info: unknown) => {
  if (req.headers.get('upgrade')?.toLowerCase() === 'websocket') return ws.handleUpgrade(req, info as any)
  return new URL(req.url).pathname === '/health' ? new Response('ok') : new Response('not found', { status: 404 })
})
