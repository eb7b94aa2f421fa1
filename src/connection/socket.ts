import { envelope } from '../delivery/envelope.ts'
import type { Delivered } from '../delivery/hub.ts'
import { socketsOf, type Sockets, type Target } from '../delivery/sockets.ts'
import type { ResolvedOptions } from '../http/options.ts'
import type { AnyEvents, EmitArgs, EventMap } from './contract.ts'
import { CloseCode, isSendableCloseCode } from './close-codes.ts'
import { Connection, type ConnectionInit } from './connection.ts'
import type { CloseInfo, SocketEventMap } from './events.ts'
import { ReadyState } from './lifecycle.ts'
import { utf8Length, type Message } from './message.ts'
import { toPayload, type SendData } from './payload.ts'

export { ReadyState }
export type { SendData }

const NO_ROOMS: ReadonlySet<string> = new Set()

let coreOf: (socket: ServerSocket<any>) => Connection

/** The core behind a socket, for runtimes and hubs; not part of the public API. */
export function connectionOf<Data>(socket: ServerSocket<Data>): Connection<Data> {
  return coreOf(socket)
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
  static {
    coreOf = (socket) => socket.#core
  }

  /** A unique id for this connection. */
  readonly id: string
  /** The URL the client connected to, with a `ws:` or `wss:` scheme. */
  readonly url: string
  /** The subprotocol the server chose, or `""`. */
  readonly protocol: string
  /** The client's IP address as the runtime saw it, or `""` when the runtime does not tell. */
  readonly remoteAddress: string
  /** When the upgrade was accepted (ms since the epoch). */
  readonly connectedAt: number
  /** How binary messages appear as `event.data` to `message` listeners. */
  binaryType: 'arraybuffer' | 'blob' = 'arraybuffer'

  #data: Data
  readonly #core: Connection<Data>

  /** Sockets are made by `upgrade()` and `websocket()` (and revived by runtimes). */
  constructor(init: ConnectionInit<Data>) {
    this.id = init.id ?? crypto.randomUUID()
    this.connectedAt = init.connectedAt ?? Date.now()
    this.url = init.url
    this.protocol = init.protocol
    this.remoteAddress = init.remoteAddress ?? ''
    this.#data = init.data
    this.#core = new Connection(this, init)
  }

  /** Per-connection application data, set from the `data` option and free to change. */
  get data(): Data {
    return this.#data
  }

  set data(value: Data) {
    this.#data = value
    const core = this.#core
    if (core.state === ReadyState.OPEN || core.state === ReadyState.CLOSING) core.runtime?.persist?.(this)
  }

  /**
   * The route's options with every default filled in (read-only): what a hub or an
   * adapter reads to honour `presence`, `maxRooms` and the limits.
   */
  get options(): ResolvedOptions {
    return this.#core.options
  }

  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  get readyState(): ReadyState {
    return this.#core.state
  }

  /** The negotiated extensions (portsocket negotiates none by default). */
  get extensions(): string {
    return this.#core.transport?.extensions ?? ''
  }

  /** Bytes queued for this socket but not yet written to the network. */
  get bufferedAmount(): number {
    return this.#core.bufferedAmount
  }

  /** Messages received from the client. */
  get messagesIn(): number {
    return this.#core.messagesIn
  }

  /** Messages sent to the client. */
  get messagesOut(): number {
    return this.#core.messagesOut
  }

  /** Messages that arrived but were dropped unhandled because the connection was closing. */
  get messagesDropped(): number {
    return this.#core.messagesDropped
  }

  /** Settles when the connection has ended, with its close code and reason. */
  get closed(): Promise<CloseInfo> {
    return this.#core.closed
  }

  /**
   * Sends a message: a string as text, anything else as binary. Messages sent while
   * the upgrade completes are queued. Returns false (and sends nothing) once the
   * socket is closing or closed; it never throws for that.
   */
  send(data: SendData): boolean {
    return this.#core.send(toPayload(data))
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
    return this.#core.rooms ?? NO_ROOMS
  }

  /**
   * Joins a room (joining twice is a no-op). Rejects with a `RoomError` for an empty
   * name, a name over 128 characters, or more than `maxRooms` rooms.
   */
  async join(room: string): Promise<void> {
    await this.#hub().join(this, room)
    this.#core.runtime?.persist?.(this)
  }

  /** Leaves a room. */
  async leave(room: string): Promise<void> {
    await this.#hub().leave(this, room)
    this.#core.runtime?.persist?.(this)
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
    const runtime = this.#core.runtime
    if (!runtime) throw new Error('portsocket: this socket is not open yet; use rooms from the open hook on')
    return runtime.hub
  }

  /**
   * Starts the close handshake. `code` must be 1000 or 3000–4999 (or one of the
   * RFC 6455 codes a server may send); `reason` at most 123 bytes of UTF-8.
   * Closing twice is a no-op.
   */
  close(code: number = CloseCode.Normal, reason = ''): void {
    if (!isSendableCloseCode(code)) throw new RangeError(`close code ${code} cannot be sent`)
    if (utf8Length(reason) > 123) throw new RangeError('close reason is longer than 123 bytes')
    this.#core.beginClose(code, reason)
  }

  /** Resolves once the outgoing buffer is at or below `threshold` bytes, or the socket has closed. */
  drained(threshold = 0): Promise<void> {
    return this.#core.drained(threshold)
  }

  /** Listens for `open`, `message`, `close` or `error`. */
  addEventListener<K extends keyof SocketEventMap<this>>(type: K, listener: (event: SocketEventMap<this>[K]) => unknown): void {
    this.#core.addListener(type, listener)
  }

  /** Stops a listener added with {@link addEventListener}. */
  removeEventListener<K extends keyof SocketEventMap<this>>(type: K, listener: (event: SocketEventMap<this>[K]) => unknown): void {
    this.#core.removeListener(type, listener)
  }

  /** Iterates incoming messages until the socket closes. */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return this.#core.iterator()
  }
}

