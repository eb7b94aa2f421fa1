import { isSendableCloseCode } from '../src/close-codes.ts'
import { Runtime, type FetchApp } from '../src/index.ts'
import type { ServerSocket } from '../src/socket.ts'
import { listenStandard, StandardTransport } from '../src/standard-transport.ts'

// workerd's additions to the web platform, declared so the package builds without
// @cloudflare/workers-types (whose globals clash with the DOM's).
interface WorkerdWebSocket extends WebSocket {
  accept(): void
}
declare const WebSocketPair: new () => { 0: WorkerdWebSocket; 1: WorkerdWebSocket }

class WorkerdRuntime extends Runtime<unknown> {
  readonly name = 'workerd'

  protected accept(_request: Request, socket: ServerSocket<any>, headers: Headers) {
    const { 0: client, 1: server } = new WebSocketPair()
    server.accept()
    // Registered before the core's listener, which marks the socket closed.
    server.addEventListener('close', (event) => {
      // Without the auto-reply compatibility flag workerd leaves answering the peer's
      // close frame to us; until then the connection stays half open.
      if (socket.readyState === 1) {
        try {
          server.close(isSendableCloseCode(event.code) ? event.code : 1000, event.reason)
        } catch {}
      }
    })
    listenStandard(server, socket)
    this.open(socket, new StandardTransport(server))
    return new Response(null, { status: 101, headers, webSocket: client } as ResponseInit)
  }
}

/** A module Worker: `export default toWorker(app)`. */
export interface WorkerHandler {
  fetch(request: Request, env: unknown, ctx: unknown): Promise<Response>
}

/**
 * Turns a Hono app, WebSocket routes included, into a Cloudflare Worker.
 *
 * @example
 * import { toWorker } from 'portsocket/cloudflare'
 * export default toWorker(app)
 */
export function toWorker(app: FetchApp): WorkerHandler {
  const runtime = new WorkerdRuntime()
  return {
    fetch: async (request, env, ctx) => (await runtime.fetch(app, request, env, ctx))!,
  }
}
