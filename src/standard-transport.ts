import type { ServerSocket } from './socket.ts'
import type { Transport } from './transport.ts'

/**
 * A transport over a server-side socket with the WHATWG `WebSocket` interface, as Deno's
 * `upgradeWebSocket` and workerd's `WebSocketPair` give. Such a socket shows the server
 * neither pings nor pongs, so liveness is left to the runtime.
 */
export class StandardTransport implements Transport {
  readonly checksLiveness = true
  constructor(readonly ws: WebSocket) {}
  send(data: string | Uint8Array): void {
    this.ws.send(data as string | Uint8Array<ArrayBuffer>)
  }
  close(code: number, reason: string): void {
    this.ws.close(code, reason)
  }
  terminate(): void {
    // The standard interface has no abortive close; a close frame is the hardest available.
    this.ws.close(1001, 'terminated')
  }
  get bufferedAmount(): number {
    // workerd does not report its send queue.
    return this.ws.bufferedAmount ?? 0
  }
  get extensions(): string {
    return this.ws.extensions ?? ''
  }
}

/** Reports a standard socket's messages and close to the core. */
export function listenStandard(ws: WebSocket, socket: ServerSocket<any>): void {
  ws.binaryType = 'arraybuffer'
  ws.addEventListener('message', (event) =>
    socket.received(typeof event.data === 'string' ? event.data : new Uint8Array(event.data as ArrayBuffer)),
  )
  // Deno reports code 0 for a connection that ended without a close frame.
  ws.addEventListener('close', (event) => socket.detached(event.code || 1006, event.reason))
}
