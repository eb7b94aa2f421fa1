import { envelope } from '../delivery/envelope.ts'
import type { Delivered } from '../delivery/hub.ts'
import { socketsOf, type Sockets, type Target } from '../delivery/sockets.ts'
import type { ResolvedOptions } from '../http/options.ts'
import type { SocketHooks } from './hooks.ts'
import type { AnyEvents, EmitArgs, EventMap } from './contract.ts'
import { checkCloseArguments, CloseCode } from './close-codes.ts'
import { EPOCH, sinceEpoch } from './epoch.ts'
import { newId } from './id.ts'
import type { Runtime } from '../runtime/runtime.ts'
import type { Connection } from './connection.ts'
import type { CloseInfo, SocketEventMap } from './events.ts'
import { ReadyState } from './lifecycle.ts'
import type { Message } from './message.ts'
import { toPayload, type SendData } from './payload.ts'

export { ReadyState }
export type { SendData }

const NO_ROOMS: ReadonlySet<string> = new Set()

/** What the core knows about a socket when the upgrade is accepted. */
export interface ConnectionInit<Data> {
  /** Given when a connection is revived (a Durable Object waking up). */
  id?: string
  connectedAt?: number
  /** The URL the client connected to; an `http:`/`https:` scheme reads as `ws:`/`wss:`. */
  url: string
  protocol: string
  remoteAddress?: string
  data: Data
  options: ResolvedOptions
  hooks: SocketHooks<Data> | undefined
  /** The id of the `websocket()` route whose hooks can be found again (hibernation). */
  route?: string
}

/**
 * The core of a socket, for runtimes and hubs; not part of the public API. Every socket
 * is a `Connection` (one object per connection: the public face and its core), so this
 * is a cast.
 */
export function connectionOf<Data>(socket: ServerSocket<Data>): Connection<Data> {
  return socket as unknown as Connection<Data>
}

/**
 * The server side of one WebSocket connection, the same on every runtime. It has the
 * shape of the WHATWG `WebSocket` (send, close, readyState, protocol, bufferedAmount,
 * addEventListener) plus what a server needs: an `id`, per-connection `data`,
 * `for await` over incoming messages, and `drained()` for backpressure.
 *
 * `Data` is the type of `data` (inferred from the route's `data`), `Out` the events
 * `emit` may send (from the route's `contract`; any event by default).
 */
export class ServerSocket<Data = unknown, Out extends EventMap = AnyEvents> {
  /** A unique id for this connection. */
  readonly id: string
  /** The subprotocol the server chose, or `""`. */
  readonly protocol: string
  /** The client's IP address as the runtime saw it, or `""` when the runtime does not tell. */
  readonly remoteAddress: string
  /** How binary messages appear as `event.data` to `message` listeners. */
  binaryType: 'arraybuffer' | 'blob' = 'arraybuffer'

  /**
   * The route's options with every default filled in (read-only): what a hub or an
   * adapter reads to honour `presence`, `maxRooms` and the limits.
   */
  readonly options: ResolvedOptions
  /** Messages received from the client. */
  readonly messagesIn: number = 0
  /** Messages that arrived but were dropped unhandled because the connection was closing. */
  readonly messagesDropped: number = 0

  #data: Data
  // The request's URL as it came: the `ws:` form is made when read, so a socket keeps one
  // flat string instead of a concatenation that holds a slice of the original.
  readonly #url: string
  /** When the upgrade was accepted, in ms since EPOCH (a small integer, see epoch.ts). */
  readonly #connectedAt: number

  /** Sockets are made by `upgrade()` and `websocket()` (and revived by runtimes). */
  protected constructor(init: ConnectionInit<Data>) {
    this.id = init.id ?? newId()
    this.#connectedAt = sinceEpoch(init.connectedAt ?? Date.now())
    this.#url = init.url
    this.protocol = init.protocol
    this.remoteAddress = init.remoteAddress ?? ''
    this.options = init.options
    this.#data = init.data
  }

  /** When the upgrade was accepted (ms since the epoch). */
  get connectedAt(): number {
    return EPOCH + this.#connectedAt
  }

  /** The URL the client connected to, with a `ws:` or `wss:` scheme. */
  get url(): string {
    return toWebSocketUrl(this.#url)
  }

  /** Per-connection application data, set from the `data` option and free to change. */
  get data(): Data {
    return this.#data
  }

  set data(value: Data) {
    this.#data = value
    const core = connectionOf(this)
    if (core.state === ReadyState.OPEN || core.state === ReadyState.CLOSING) core.runtime?.persist?.(this)
  }

  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  get readyState(): ReadyState {
    return connectionOf(this).state
  }

  /** The negotiated extensions (portsocket negotiates none by default). */
  get extensions(): string {
    return connectionOf(this).transport?.extensions ?? ''
  }

  /** Bytes queued for this socket but not yet written to the network. */
  get bufferedAmount(): number {
    return connectionOf(this).buffered()
  }

  /** Messages sent to the client. */
  get messagesOut(): number {
    return connectionOf(this).outCount()
  }

  /** Settles when the connection has ended, with its close code and reason. */
  get closed(): Promise<CloseInfo> {
    return connectionOf(this).whenClosed()
  }

  /**
   * Sends a message: a string as text, anything else as binary. Messages sent while
   * the upgrade completes are queued. Returns false (and sends nothing) once the
   * socket is closing or closed; it never throws for that.
   */
  send(data: SendData): boolean {
    return connectionOf(this).write(toPayload(data))
  }

  /** Sends a value as one JSON text message. */
  sendJson(value: unknown): boolean {
    return this.send(JSON.stringify(value))
  }

  /**
   * Sends the JSON envelope `{ "type": event, "data": data }` to this socket. Throws a
   * `TypeError` for a type starting with `portsocket:` (reserved for the core).
   */
  emit(...[event, data]: EmitArgs<Out>): boolean {
    return this.send(envelope(event, data))
  }

  /** The rooms this socket is in. */
  get rooms(): ReadonlySet<string> {
    return roomsView(connectionOf(this).roomSet)
  }

  /**
   * Joins a room (joining twice is a no-op). Rejects with a `RoomError` for an empty
   * name, a name over 128 characters, or more than `maxRooms` rooms.
   */
  join(room: string): Promise<void> {
    return this.#changeRooms('join', room)
  }

  /** Leaves a room. */
  leave(room: string): Promise<void> {
    return this.#changeRooms('leave', room)
  }

  /**
   * Asks the hub to join or leave, and saves the socket afterwards where the runtime keeps
   * sockets across restarts. Not async: elsewhere the hub's own promise is handed back,
   * which spares every open hook that joins a room a promise and an async function's
   * machinery; a throw becomes a rejection, as from an async function.
   */
  #changeRooms(change: 'join' | 'leave', room: string): Promise<void> {
    let done: Promise<void>
    try {
      done = this.#hub()[change](this, room)
    } catch (error) {
      return Promise.reject(error)
    }
    const runtime = connectionOf(this).runtime
    return runtime?.persist ? savedAfter(done, runtime, this) : done
  }

  /** Everyone else in a room (this socket excluded): `socket.to(room).send(…)`. */
  to(room: string): Target<Out> {
    return this.server.to(room).except(this.id)
  }

  /** Sends to every other connection of the server. */
  broadcast(data: SendData): Promise<Delivered> {
    return this.server.all.except(this.id).send(data)
  }

  /**
   * The server's connections: rooms, registry, delivery, admin. Typed by this socket's
   * `Data` and `Out` (the registry also holds other routes' sockets: a hub shared by routes
   * of different data types should be read through `sockets<T>(c)`).
   */
  get server(): Sockets<Data, Out> {
    return socketsOf<Data, Out>(this.#hub())
  }


  #hub() {
    const runtime = connectionOf(this).runtime
    if (!runtime) throw new Error('portsocket: this socket is not open yet; use rooms from the open hook on')
    return runtime.hub
  }

  /**
   * Starts the close handshake. `code` must be 1000 or 3000–4999 (or one of the
   * RFC 6455 codes a server may send); `reason` at most 123 bytes of UTF-8.
   * Closing twice is a no-op.
   */
  close(code: number = CloseCode.Normal, reason = ''): void {
    checkCloseArguments(code, reason)
    connectionOf(this).beginClose(code, reason)
  }

  /** Resolves once the outgoing buffer is at or below `threshold` bytes, or the socket has closed. */
  drained(threshold = 0): Promise<void> {
    return connectionOf(this).drainedTo(threshold)
  }

  /** Listens for `open`, `message`, `close` or `error`. */
  addEventListener<K extends keyof SocketEventMap<this>>(type: K, listener: (event: SocketEventMap<this>[K]) => unknown): void {
    connectionOf(this).addListener(type, listener)
  }

  /** Stops a listener added with {@link addEventListener}. */
  removeEventListener<K extends keyof SocketEventMap<this>>(type: K, listener: (event: SocketEventMap<this>[K]) => unknown): void {
    connectionOf(this).removeListener(type, listener)
  }

  /** Iterates incoming messages until the socket closes. */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return connectionOf(this).iterator()
  }
}


/** A socket's rooms as a set: the core keeps a single room as a plain string. */
function roomsView(rooms: string | Set<string> | undefined): ReadonlySet<string> {
  if (rooms === undefined) return NO_ROOMS
  return typeof rooms === 'string' ? new Set([rooms]) : rooms
}

/** A URL with its scheme mapped from `http:` / `https:` to `ws:` / `wss:`. */
export function toWebSocketUrl(url: string): string {
  if (url.startsWith('https:')) return `wss:${url.slice(6)}`
  if (url.startsWith('http:')) return `ws:${url.slice(5)}`
  return url
}

/**
 * `done`, then a save of the socket by its runtime. A function of its own so that the
 * closure's scope is allocated only where a runtime persists.
 */
function savedAfter(done: Promise<void>, runtime: Runtime<any>, socket: ServerSocket<any, any>): Promise<void> {
  return done.then(() => runtime.persist!(socket))
}
