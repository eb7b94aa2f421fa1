// Raw Deno: Deno.serve + Deno.upgradeWebSocket, chat relayed with a send loop over a Set.
import { hostname, port, ready } from '../shared/env.ts'
import { wireRaw } from './raw-handlers.ts'

declare const Deno: any

Deno.serve({ port, hostname, onListen: () => ready('raw deno') }, (req: Request) => {
  const url = new URL(req.url)
  if (url.pathname === '/health') return new Response('ok')
  if (req.headers.get('upgrade')?.toLowerCase() !== 'websocket') return new Response('not found', { status: 404 })
  const { socket, response } = Deno.upgradeWebSocket(req)
  wireRaw(socket, url.pathname === '/echo' ? null : (url.searchParams.get('name') ?? 'anonymous'))
  return response
})
