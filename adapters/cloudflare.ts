import { Runtime, type FetchApp } from '../src/index.ts'
import { isSendableCloseCode as isSendable } from '../src/close-codes.ts'
import type { ServerSocket } from '../src/socket.ts'
import type { Transport } from '../src/transport.ts'

// workerd's additions to the web platform, declared so the package builds without
// @cloudflare/workers-types (whose globals clash with the DOM's).
interface WorkerdWebSocket extends WebSocket {
  accept(): void
}
declare const WebSocketPair: new () => { 0: WorkerdWebSocket; 1: WorkerdWebSocket }

class WorkerdTransport implements Transport {
  // workerd answers pings itself and shows the worker neither pings nor pongs, so a
  // silent peer cannot be told from a dead one here: liveness is left to the platform
  // (and to `idleTimeout`, which counts messages).
  readonly checksLiveness = true
  constructor(readonly ws: WorkerdWebSocket) {}
  send(data: string | Uint8Array): void {
    this.ws.send(data as string | Uint8Array<ArrayBuffer>)
  }
  close(code: number, reason: string): void {
    this.ws.close(code, reason)
  }
  terminate(): void {
    // workerd has no abortive close; the close frame is the hardest available.
    this.ws.close(1001, 'terminated')
  }
  get bufferedAmount(): number {
    // workerd does not report its outgoing queue.
    return 0
  }
  get extensions(): string {
    return this.ws.extensions ?? ''
  }
}

class WorkerdRuntime extends Runtime<unknown> {
  readonly name = 'workerd'

  protected accept(_request: Request, socket: ServerSocket<any>, headers: Headers) {
    const pair = new WebSocketPair()
    const client = pair[0]
    const server = pair[1]
    server.accept()
    server.addEventListener('message', (event) =>
      socket.received(typeof event.data === 'string' ? event.data : new Uint8Array(event.data as ArrayBuffer)),
    )
    server.addEventListener('close', (event) => {
      // Without the auto-reply compatibility flag workerd leaves answering the peer's
      // close frame to us; until then the connection stays half open.
      if (socket.readyState === 1) {
        try {
          server.close(isSendable(event.code) ? event.code : 1000, event.reason)
        } catch {}
      }
      socket.detached(event.code, event.reason)
    })
    this.open(socket, new WorkerdTransport(server))
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
