/**
 * Raw workerd: a Durable Object with the WebSocket Hibernation API, chat relayed with a
 * send loop over the members it keeps in memory (rebuilt from the attachments if the
 * object is evicted and woken up again). Every request goes to one object.
 */
interface Env {
  RAW: { idFromName(name: string): unknown; get(id: unknown): { fetch(request: Request): Promise<Response> } }
}
interface State {
  acceptWebSocket(ws: WebSocket): void
  getWebSockets(): WebSocket[]
}
type Attached = { name: string | null }
declare const WebSocketPair: new () => { 0: WebSocket; 1: WebSocket & { serializeAttachment(v: unknown): void } }

export class RawObject {
  // name for chat members, null for echo sockets
  readonly sockets = new Map<WebSocket, string | null>()
  readonly members = new Set<WebSocket>()

  constructor(readonly state: State) {
    for (const ws of state.getWebSockets()) {
      const attached = (ws as any).deserializeAttachment() as Attached | null
      this.sockets.set(ws, attached?.name ?? null)
      if (attached?.name != null) this.members.add(ws)
    }
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url)
    if (url.pathname === '/health') return new Response('ok')
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return new Response('not found', { status: 404 })
    const { 0: client, 1: server } = new WebSocketPair()
    this.state.acceptWebSocket(server)
    const name = url.pathname === '/chat' ? (url.searchParams.get('name') ?? 'anonymous') : null
    server.serializeAttachment({ name } satisfies Attached)
    this.sockets.set(server, name)
    if (name !== null) this.members.add(server)
    return new Response(null, { status: 101, webSocket: client } as ResponseInit)
  }

  webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    const name = this.sockets.get(ws)
    if (name == null) {
      ws.send(message)
      return
    }
    const out = `${name}: ${message}`
    for (const member of this.members) {
      try {
        member.send(out)
      } catch {}
    }
  }

  webSocketClose(ws: WebSocket, code: number, reason: string): void {
    this.sockets.delete(ws)
    this.members.delete(ws)
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason)
    } catch {}
  }

  webSocketError(ws: WebSocket): void {
    this.sockets.delete(ws)
    this.members.delete(ws)
  }
}

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    return env.RAW.get(env.RAW.idFromName('bench')).fetch(request)
  },
}
