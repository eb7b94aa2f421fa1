// A raw Durable Object with hibernatable WebSockets, no portsocket: GET any path accepts a
// socket (messages are echoed), POST /kick closes every socket with 4001. Run with
// wrangler-raw-do.toml; see README.md, "Protocol edges".
export class Raw {
  constructor(state) {
    this.state = state
  }
  async fetch(request) {
    if (new URL(request.url).pathname === '/kick') {
      for (const ws of this.state.getWebSockets()) ws.close(4001, 'kicked')
      return new Response(null, { status: 204 })
    }
    const { 0: client, 1: server } = new WebSocketPair()
    this.state.acceptWebSocket(server)
    return new Response(null, { status: 101, webSocket: client })
  }
  webSocketMessage(ws, message) {
    ws.send(message)
  }
  webSocketClose() {}
}
export default { fetch: (request, env) => env.RAW.get(env.RAW.idFromName('raw')).fetch(request) }
