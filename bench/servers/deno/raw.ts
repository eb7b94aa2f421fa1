// Raw Deno: Deno.serve + Deno.upgradeWebSocket, chat relayed with a send loop over a Set.
import { hostname, port, ready } from '../shared/env.ts'

declare const Deno: any
const room = new Set<WebSocket>()

Deno.serve({ port, hostname, onListen: () => ready('raw deno') }, (req: Request) => {
  const url = new URL(req.url)
  if (url.pathname === '/health') return new Response('ok')
  if (req.headers.get('upgrade')?.toLowerCase() !== 'websocket') return new Response('not found', { status: 404 })
  const { socket, response } = Deno.upgradeWebSocket(req)
  if (url.pathname === '/echo') {
    socket.onmessage = (event: MessageEvent) => socket.send(event.data)
    return response
  }
  const name = url.searchParams.get('name') ?? 'anonymous'
  socket.onopen = () => room.add(socket)
  socket.onmessage = (event: MessageEvent) => {
    const out = `${name}: ${event.data}`
    for (const member of room) if (member.readyState === 1) member.send(out)
  }
  socket.onclose = () => room.delete(socket)
  socket.onerror = () => room.delete(socket)
  return response
})
