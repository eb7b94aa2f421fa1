/**
 * `portsocket/client`: a reconnecting WebSocket client for portsocket servers (or any
 * server speaking its JSON envelopes). Standard `WebSocket` only; runs in browsers,
 * Node 22+ (Node 20 with `ws` passed as `WebSocket`), Bun, Deno and Workers.
 */
export { connect, PortsocketClient } from './client.ts'
export { backoffDelay, type BackoffOptions } from './backoff.ts'
export { InvalidEventError, RequestError, type RequestFailure } from './errors.ts'
export type { EventSourceLike, LifecycleOptions } from './lifecycle.ts'
export { ACK, INVALID, PING, PONG, RESERVED_PREFIX, type Issue } from './protocol.ts'
export type { BufferOptions } from './send-buffer.ts'
export type {
  ClientEventMap,
  ClientOptions,
  ClientState,
  Clock,
  CloseDetails,
  ClientContract,
  EventContract,
  EventMap,
  ReadyContext,
  ReconnectOptions,
  ServerContractLike,
  RequestOptions,
  WebSocketConstructor,
  WebSocketLike,
} from './types.ts'
