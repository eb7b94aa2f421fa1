// Raw workerd: a Durable Object holding the sockets, with a send loop for the chat relay.
export class Sockets {
  constructor(state) {
    this.chat = new Set()
  }
  fetch(req) {
    const url = new URL(req.url)
    if (url.pathname === '/health') return new Response('ok')
    const { 0: client, 1: server } = new WebSocketPair()
    server.accept()
    if (url.pathname === '/echo') {
      server.addEventListener('message', (e) => server.send(e.data))
    } else {
      const name = url.searchParams.get('name')
      this.chat.add(server)
      server.addEventListener('message', (e) => {
        const text = `${name}: ${e.data}`
        for (const peer of this.chat) peer.send(text)
      })
      server.addEventListener('close', () => this.chat.delete(server))
    }
    return new Response(null, { status: 101, webSocket: client })
  }
}
export default {
  fetch(req, env) {
    return env.SOCKETS.get(env.SOCKETS.idFromName('bench')).fetch(req)
  },
}
