// Raw Deno: Deno.upgradeWebSocket, with a send loop for the chat relay.
import { exitWithParent, port } from './lifetime.mjs'
const chat = new Set()
Deno.serve({ port, hostname: '127.0.0.1', onListen() {} }, (req) => {
  const url = new URL(req.url)
  if (url.pathname === '/health') return new Response('ok')
  const { socket, response } = Deno.upgradeWebSocket(req)
  if (url.pathname === '/echo') {
    socket.onmessage = (e) => socket.send(e.data)
    return response
  }
  const name = url.searchParams.get('name')
  socket.onopen = () => chat.add(socket)
  socket.onclose = () => chat.delete(socket)
  socket.onmessage = (e) => {
    const text = `${name}: ${e.data}`
    for (const peer of chat) peer.send(text)
  }
  return response
})
exitWithParent()
