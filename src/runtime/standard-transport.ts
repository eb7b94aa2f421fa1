import { isSendableCloseCode } from '../connection/close-codes.ts'
import { TransportError } from '../connection/connection.ts'
import type { ServerSocket } from '../connection/socket.ts'
import type { Runtime } from './runtime.ts'
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

const owner = Symbol('portsocket.owner')
const failure = Symbol('portsocket.failure')
interface Owned extends WebSocket {
  [owner]: { runtime: Runtime<any>; socket: ServerSocket<any>; answerClose: boolean }
  [failure]?: unknown
}

/** The runtime and socket a standard socket serves, as {@link listenStandard} recorded them. */
export function ownerOf(ws: WebSocket): { runtime: Runtime<any>; socket: ServerSocket<any> } {
  return (ws as Owned)[owner]
}

// Shared by every socket (the socket is found on the WebSocket itself): no closures per connection.
function onMessage(this: Owned, event: MessageEvent): void {
  const { runtime, socket } = this[owner]
  runtime.received(socket, typeof event.data === 'string' ? event.data : new Uint8Array(event.data as ArrayBuffer))
}
function onError(this: Owned, event: Event): void {
  this[failure] = (event as ErrorEvent).error ?? new Error((event as ErrorEvent).message || 'WebSocket error')
}
function onClose(this: Owned, event: CloseEvent): void {
  const { runtime, socket, answerClose } = this[owner]
  if (answerClose) answerPeerClose(this, socket, event.code, event.reason, event.wasClean)
  // Deno reports code 0 for a connection that ended without a close frame.
  const code = event.code || 1006
  const failed = this[failure]
  const error = failed === undefined ? undefined : new TransportError((failed as Error)?.message ?? String(failed), code, { cause: failed })
  runtime.detached(socket, code, event.reason, error)
}

/**
 * Answers the peer's close frame while the socket is still open, for runtimes that
 * leave that to the application (workerd without its auto-reply compatibility flag).
 * workerd passes on codes no peer may send (999, 1004, 1006, 1015, 5000…) as they came,
 * so those get the RFC 6455 answer, 1002, as on the other runtimes; 1005 stands for a
 * close frame without a code, answered with 1000.
 */
export function answerPeerClose(ws: WebSocket, socket: ServerSocket<any> | undefined, code: number, reason: string, wasClean = true): void {
  if (socket?.readyState !== 1) return
  const invalid = code !== 1005 && wasClean && !isSendableCloseCode(code)
  try {
    if (invalid) ws.close(1002, 'invalid close code')
    else ws.close(isSendableCloseCode(code) ? code : 1000, reason)
  } catch {}
}

/**
 * Reports a standard socket's messages, errors and close to the core; with
 * `answerClose`, also answers the peer's close frame (workerd). `onOpen`, shared by
 * every socket (no closure per socket), listens for 'open' and finds its runtime and
 * socket with {@link ownerOf}.
 */
export function listenStandard(
  ws: WebSocket,
  runtime: Runtime<any>,
  socket: ServerSocket<any>,
  answerClose = false,
  onOpen?: (this: WebSocket) => void,
): void {
  ws.binaryType = 'arraybuffer'
  ;(ws as Owned)[owner] = { runtime, socket, answerClose }
  if (onOpen) ws.addEventListener('open', onOpen)
  ws.addEventListener('message', onMessage as (event: MessageEvent) => void)
  ws.addEventListener('error', onError as (event: Event) => void)
  ws.addEventListener('close', onClose as (event: CloseEvent) => void)
}
