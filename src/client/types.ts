import type { BackoffOptions } from './backoff.ts'
import type { LifecycleOptions } from './lifecycle.ts'
import type { BufferOptions } from './send-buffer.ts'

/** Event name → the type of its `data`. */
export type EventMap = Record<string, unknown>

/**
 * The client's view of a route's events, written as a type:
 *
 * @example
 * type Chat = {
 *   clientToServer: { say: { text: string } }
 *   serverToClient: { said: { from: string; text: string } }
 *   replies: { say: { at: number } }
 * }
 * const client = connect<Chat>('wss://example.com/ws/chat')
 */
export interface ClientContract {
  /** What the client emits (the route's `events` handlers): event → data. */
  clientToServer?: EventMap
  /** What the server emits to the client (`socket.emit`, `sockets(c).to(room).emit`): event → data. */
  serverToClient?: EventMap
  /** What the server's handler answers to `client.request(event)`: event → reply. */
  replies?: EventMap
}

/**
 * The server's contract as `defineEvents<In, Out>()` from `portsocket` makes it (matched
 * by shape, so the client imports nothing from the server): `In` is what clients send,
 * `Out` what the server sends. Pass it as `connect(url, { contract })` or
 * `connect<typeof contract>(url)`, and one declaration types both ends.
 */
export interface ServerContractLike<In = any, Out = any> {
  readonly '~in'?: In
  readonly '~out'?: Out
}

/** Either form of contract. */
export type EventContract = ClientContract | ServerContractLike

type Loose = Record<string, any>
type Defined<T> = unknown extends T ? Loose : Exclude<T, undefined> extends EventMap ? Exclude<T, undefined> : Loose
/** @internal */
export type Outgoing<C> = '~in' extends keyof C
  ? Defined<C['~in' & keyof C]>
  : C extends { clientToServer: infer M } ? Defined<M> : Loose
/** @internal */
export type Incoming<C> = '~out' extends keyof C
  ? Defined<C['~out' & keyof C]>
  : C extends { serverToClient: infer M } ? Defined<M> : Loose
/** @internal */
export type Reply<C, K extends PropertyKey> = C extends { replies: infer R }
  ? K extends keyof R
    ? R[K]
    : unknown
  : any

/** Where the client is. */
export type ClientState =
  /** The first connection is being made (the `ready` callback included). */
  | 'connecting'
  /** Connected and ready: sends go straight out. */
  | 'open'
  /** The connection dropped; waiting for the next attempt, or making it (`ready` included). */
  | 'reconnecting'
  /** Stopped for good: `close()`, a stop code, or `maxRetries` used up. `reconnect()` starts again. */
  | 'closed'

/** How the last connection ended. */
export interface CloseDetails {
  code: number
  reason: string
}

/**
 * What the client uses of a WebSocket: the standard one's shape (browsers, Node 22+,
 * Bun, Deno, Workers, `ws`). Declared here so the types need no DOM library.
 */
export interface WebSocketLike {
  readonly readyState: number
  binaryType: string
  onopen: ((event: any) => void) | null
  onmessage: ((event: any) => void) | null
  onclose: ((event: any) => void) | null
  onerror: ((event: any) => void) | null
  send(data: any): void
  close(code?: number, reason?: string): void
}

/** The standard WebSocket constructor's shape. */
export interface WebSocketConstructor {
  new (url: string, protocols?: string | string[]): WebSocketLike
}

/** Injectable timers (tests pass a fake clock). */
export interface Clock {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** The reconnection policy. */
export interface ReconnectOptions extends BackoffOptions {
  /** Give up after this many failed attempts in a row (state `closed`). Default: never. */
  maxRetries?: number
  /** A connection that stayed up this long (ms) resets the attempt count and the backoff. Default 5000. */
  stableAfter?: number
  /**
   * Close codes that mean "do not come back": the client goes to `closed` instead of
   * retrying. Default: 1008 (policy violation) and 4000–4099 (the app's own "go away"
   * codes, e.g. auth failures or `disconnect(id, 4001, 'kicked')`). Or a function of the
   * close code and reason that returns true to stop.
   */
  stopCodes?: readonly number[] | ((code: number, reason: string) => boolean)
}

/** What `ready` gets: sends that go out at once, ahead of the buffer. */
export interface ReadyContext<C extends EventContract = EventContract> {
  /** True when this is a reconnection (not the first connection). */
  readonly reconnected: boolean
  /** Sends a raw frame on the new connection now. */
  send(data: string | ArrayBufferLike | ArrayBufferView): void
  /** Emits an event on the new connection now. */
  emit<K extends keyof Outgoing<C> & string>(event: K, data: Outgoing<C>[K]): void
  /** Makes a request on the new connection now. */
  request<K extends keyof Outgoing<C> & string>(event: K, data: Outgoing<C>[K], options?: RequestOptions): Promise<Reply<C, K>>
}

/** Options of {@link connect}. */
export interface ClientOptions<C extends EventContract = EventContract> {
  /**
   * The route's contract as a value (`defineEvents<In, Out>()` from `portsocket`): only
   * its type is used, to type `emit`, `on` and `request`.
   */
  contract?: C
  /** Subprotocols to offer. */
  protocols?: string | string[]
  /**
   * The WebSocket constructor. Default: the global `WebSocket` (browsers, Node 22+, Bun,
   * Deno, Workers). On Node 20 pass `WebSocket` from the `ws` package.
   */
  WebSocket?: WebSocketConstructor
  /** Reconnection policy, or `false` to never reconnect. */
  reconnect?: ReconnectOptions | false
  /**
   * Buffer for messages sent while not connected (or not yet ready), or `false` to
   * refuse them (`send`/`emit` return false). Default: 100 messages, 1 MiB, `"reject"`.
   */
  buffer?: BufferOptions | false
  /**
   * Runs on every new connection before the buffer is flushed and before the state
   * becomes `open`: re-authenticate, rejoin rooms, wait for a welcome. May be async;
   * use `ctx` to send on the new connection ahead of the buffer. If it throws or takes
   * longer than `readyTimeout`, the connection is dropped and retried.
   */
  ready?: (ctx: ReadyContext<C>) => unknown
  /** How long `ready` may take, in ms. Default 10000. */
  readyTimeout?: number
  /** How long an attempt may take to open, in ms, before it is dropped and retried. Default 10000. */
  connectTimeout?: number
  /**
   * Drop and reconnect when nothing at all arrives for `timeout` ms. After `timeout / 2`
   * of silence the client sends `{"type":"portsocket:ping"}`, which every portsocket
   * server answers with a pong (on Workers without waking a hibernating object), so a
   * quiet healthy link stays up. The client also answers the server's own app-level
   * pings (route option `heartbeat: { interval, app: true }`). Default: off.
   */
  heartbeat?: { timeout: number } | false
  /** Default timeout of `request()`, in ms. Default 10000. */
  requestTimeout?: number
  /** Browser events that make a waiting retry happen now; `false` to ignore them. */
  lifecycle?: LifecycleOptions | false
  /** Timers (tests). Default: the global ones. */
  clock?: Clock
  /** Random numbers in [0, 1) for the jitter (tests). Default `Math.random`. */
  random?: () => number
}

/** Options of `request()`. */
export interface RequestOptions {
  /** ms to wait for the reply, counted from the call (time in the buffer included). */
  timeout?: number
}

/** Lifecycle events (`client.addEventListener(type, listener)`). */
export interface ClientEventMap {
  /** The state changed. */
  state: { state: ClientState; previous: ClientState; attempt: number }
  /** A connection is open and ready (after `ready`, before the buffer is flushed). */
  open: { reconnected: boolean }
  /** A connection ended. `retryIn` is the delay before the next attempt, or undefined when the client stops. */
  close: CloseDetails & { wasClean: boolean; retryIn: number | undefined }
  /** A message that is not a `portsocket:` control message (raw frames and envelopes alike). */
  message: { data: string | ArrayBuffer }
  /** Something went wrong that the app may want to know: a listener threw, `ready` failed, the server rejected an event. */
  error: { error: unknown }
  /** A buffered or to-be-buffered message was dropped. */
  drop: { data: string | ArrayBufferLike | ArrayBufferView; reason: 'overflow' | 'closed' }
}
