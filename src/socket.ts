import { CloseCode, isSendableCloseCode } from './close-codes.ts'
import type { AnyEvents, EmitArgs, EventMap } from './contract.ts'
import type { CloseInfo, SocketEventMap } from './events.ts'
import type { SocketHooks } from './hooks.ts'
import { fitsIn, Message, MessageFormatError, UnknownEventError, utf8Length } from './message.ts'
import type { ResolvedOptions } from './options.ts'
import { RateLimitError, TokenBucket } from './rate-limit.ts'
import type { Transport } from './transport.ts'
import type { Runtime } from './runtime.ts'
import { envelope, type Delivered } from './hub.ts'
import { socketsOf, type Sockets, type Target } from './sockets.ts'

/** The WHATWG ready states. */
export const ReadyState = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const
export type ReadyState = (typeof ReadyState)[keyof typeof ReadyState]

/** What `send` accepts: text, or binary in any of the usual shapes. */
export type SendData = string | ArrayBuffer | ArrayBufferView

type Listener = (event: any) => unknown
/** @internal a message as adapters send it: a string for text, bytes for binary. */
export type Payload = string | Uint8Array

/** @internal what the core knows about a socket when the upgrade is accepted. */
export interface SocketInit<Data> {
  /** Given when a connection is restored (a Durable Object waking up). */
  id?: string
  connectedAt?: number
  url: string
  protocol: string
  data: Data
  options: ResolvedOptions
  hooks: SocketHooks<Data, any, any> | undefined
  /** The `websocket()` route, when its hooks can be found again by index. */
  route?: number
}

/** @internal what a runtime saves of a socket to revive it later (see `ServerSocket.restore`). */
export interface SocketSnapshot {
  v: 1
  route: number
  id: string
  url: string
  protocol: string
  data: unknown
  rooms: string[]
  connectedAt: number
  in: number
  out: number
}

/**
 * The server side of one WebSocket connection, the same on every runtime. It has the
 * shape of the WHATWG `WebSocket` (send, close, readyState, protocol, bufferedAmount,
 * addEventListener) plus what a server needs: an `id`, per-connection `data`,
 * `for await` over incoming messages, and `drained()` for backpressure.
 *
 * `Data` is the type of `data` (inferred from the route's `data` option), `Out` the
 * events `emit` may send (from the route's `contract`; any event by default).
 */
export class ServerSocket<Data = unknown, Out extends EventMap = AnyEvents> {
  /** A unique id for this connection. */
  readonly id: string
  /** The URL the client connected to. */
  readonly url: string
  /** The subprotocol the server chose, or `""`. */
  readonly protocol: string
  /** When the upgrade was accepted (ms since the epoch). */
  readonly connectedAt: number
  /** @internal the route index, for sockets that can be revived. */
  readonly route: number | undefined
  /** Per-connection application data, set from the `data` option and free to change. */
  data: Data
  /** How binary messages appear as `event.data` to `message` listeners. */
  binaryType: 'arraybuffer' | 'blob' = 'arraybuffer'

  #state: ReadyState = ReadyState.CONNECTING
  #transport: Transport | undefined
  #runtime: Runtime<any> | undefined
  #rooms: Set<string> | undefined
  readonly #options: ResolvedOptions
  readonly #hooks: SocketHooks<Data, any, any> | undefined
  #outbox: Payload[] | undefined
  #pendingClose: CloseInfo | undefined
  #listeners: Map<string, Listener[]> | undefined
  #inbox: Inbox | undefined
  #closed: Deferred<CloseInfo> | undefined
  #bucket: TokenBucket | undefined
  #alive = true
  #lastMessageAt = 0
  // Timer handles differ per runtime (objects on Node and Bun, numbers elsewhere).
  #timers: any[] | undefined
  #messagesIn = 0
  #messagesOut = 0
  #backlog: Message[] | undefined
  #crashed = false

  /** @internal sockets are made by `upgrade()` and `websocket()`. */
  constructor(init: SocketInit<Data>) {
    this.id = init.id ?? crypto.randomUUID()
    this.route = init.route
    this.connectedAt = init.connectedAt ?? Date.now()
    this.url = init.url
    this.protocol = init.protocol
    this.data = init.data
    this.#options = init.options
    this.#hooks = init.hooks
    if (init.options.rateLimit) this.#bucket = new TokenBucket(init.options.rateLimit)
  }

  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  get readyState(): ReadyState {
    return this.#state
  }

  /** The negotiated extensions (portsocket negotiates none by default). */
  get extensions(): string {
    return this.#transport?.extensions ?? ''
  }

  /** Bytes queued for this socket but not yet written to the network. */
  get bufferedAmount(): number {
    const queued = this.#outbox ? this.#outbox.reduce((n, p) => n + payloadSize(p), 0) : 0
    return queued + (this.#transport?.bufferedAmount ?? 0)
  }

  /** Messages received from the client. */
  get messagesIn(): number {
    return this.#messagesIn
  }

  /** Messages sent to the client. */
  get messagesOut(): number {
    return this.#messagesOut
  }

  /** Settles when the connection has ended, with its close code and reason. */
  get closed(): Promise<CloseInfo> {
    return (this.#closed ??= deferred<CloseInfo>()).promise
  }

  /**
   * Sends a message: a string as text, anything else as binary. Messages sent while
   * the upgrade completes are queued. Returns false (and sends nothing) once the
   * socket is closing or closed; it never throws for that.
   */
  send(data: SendData): boolean {
    const payload = toPayload(data)
    if (this.#state === ReadyState.OPEN) {
      const flushed = this.#transport!.send(payload)
      this.#messagesOut++
      if (flushed !== true) this.#checkBuffer()
      return true
    }
    if (this.#state === ReadyState.CONNECTING) {
      ;(this.#outbox ??= []).push(payload)
      return true
    }
    return false
  }

  /** Sends a value as one JSON text message. */
  sendJson(value: unknown): boolean {
    return this.send(JSON.stringify(value))
  }

  /** Sends the JSON envelope `{ "type": event, "data": data }` to this socket. */
  emit(...[event, data]: EmitArgs<Out>): boolean {
    return this.send(envelope(event, data))
  }

  /** The rooms this socket is in. */
  get rooms(): ReadonlySet<string> {
    return this.#rooms ?? NO_ROOMS
  }

  /**
   * Joins a room (joining twice is a no-op). Rejects with a `RoomError` for an empty
   * name, a name over 128 characters, or more than `maxRooms` rooms.
   */
  join(room: string): Promise<void> {
    return this.#hub().join(this, room)
  }

  /** Leaves a room. */
  leave(room: string): Promise<void> {
    return this.#hub().leave(this, room)
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
    if (!this.#runtime) throw new Error('portsocket: this socket is not open yet; use rooms from the open hook on')
    return this.#runtime.hub
  }

  /**
   * Starts the close handshake. `code` must be 1000 or 3000–4999 (or one of the
   * RFC 6455 codes a server may send); `reason` at most 123 bytes of UTF-8.
   * Closing twice is a no-op.
   */
  close(code: number = CloseCode.Normal, reason = ''): void {
    if (!isSendableCloseCode(code)) throw new RangeError(`close code ${code} cannot be sent`)
    if (utf8Length(reason) > 123) throw new RangeError('close reason is longer than 123 bytes')
    this.#beginClose(code, reason)
  }

  /** Resolves once the outgoing buffer is at or below `threshold` bytes, or the socket has closed. */
  drained(threshold = 0): Promise<void> {
    if (this.#state >= ReadyState.CLOSING || this.bufferedAmount <= threshold) return Promise.resolve()
    return new Promise((resolve) => {
      let wait = 1
      const poll = () => {
        if (this.#state >= ReadyState.CLOSING || this.bufferedAmount <= threshold) return resolve()
        wait = Math.min(wait * 2, 50)
        setTimeout(poll, wait)
      }
      setTimeout(poll, wait)
    })
  }

  /** Listens for `open`, `message`, `close` or `error`. */
  addEventListener<K extends keyof SocketEventMap<this>>(type: K, listener: (event: SocketEventMap<this>[K]) => unknown): void {
    const listeners = (this.#listeners ??= new Map())
    const list = listeners.get(type)
    if (!list) listeners.set(type, [listener])
    else if (!list.includes(listener)) list.push(listener)
  }

  /** Stops a listener added with {@link addEventListener}. */
  removeEventListener<K extends keyof SocketEventMap<this>>(type: K, listener: (event: SocketEventMap<this>[K]) => unknown): void {
    const list = this.#listeners?.get(type)
    const at = list ? list.indexOf(listener) : -1
    if (at >= 0) list!.splice(at, 1)
  }

  /** Iterates incoming messages until the socket closes. */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    const inbox = (this.#inbox ??= new Inbox())
    if (this.#state === ReadyState.CLOSED) inbox.end()
    return inbox
  }

  // ---- called by the runtime adapters (via Runtime) --------------------------------

  /** @internal the runtime accepted the upgrade and the socket is open. */
  attach(transport: Transport, runtime: Runtime<any>): void {
    if (this.#state === ReadyState.CLOSED) return transport.close(CloseCode.GoingAway, '')
    this.#transport = transport
    this.#runtime = runtime
    runtime.sockets.add(this)
    runtime.hub.attach(this)
    const pendingClose = this.#pendingClose
    this.#state = ReadyState.OPEN
    const outbox = this.#outbox
    this.#outbox = undefined
    if (outbox) for (const payload of outbox) this.send(payload)
    if (pendingClose) {
      this.#pendingClose = undefined
      this.#beginClose(pendingClose.code, pendingClose.reason)
      return
    }
    this.#startTimers(transport)
    const hooks = this.#hooks
    if (hooks?.open) this.#run(() => hooks.open!(this))
    this.#dispatch('open', { type: 'open', target: this })
  }

  /** @internal what a runtime needs to revive this socket elsewhere. */
  snapshot(): SocketSnapshot | undefined {
    if (this.route === undefined) return undefined
    return {
      v: 1,
      route: this.route,
      id: this.id,
      url: this.url,
      protocol: this.protocol,
      data: this.data,
      rooms: [...this.rooms],
      connectedAt: this.connectedAt,
      in: this.#messagesIn,
      out: this.#messagesOut,
    }
  }

  /**
   * @internal reopens a socket from its snapshot on a transport that stayed connected
   * (a Durable Object woke up): no open hook, no presence announcements.
   */
  restore(transport: Transport, runtime: Runtime<any>, saved: SocketSnapshot): void {
    this.#transport = transport
    this.#runtime = runtime
    this.#state = ReadyState.OPEN
    this.#messagesIn = saved.in
    this.#messagesOut = saved.out
    runtime.sockets.add(this)
    runtime.hub.attach(this)
    runtime.hub.restore?.(this, saved.rooms)
    this.#startTimers(transport)
  }

  /** @internal one message arrived: a string for text, bytes for binary. */
  received(data: string | Uint8Array): void {
    if (this.#state !== ReadyState.OPEN) return
    this.#alive = true
    const options = this.#options
    if (options.idleTimeout) this.#lastMessageAt = Date.now()
    if (!fitsIn(data, options.maxMessageSize)) {
      return this.#beginClose(CloseCode.MessageTooBig, 'message too big')
    }
    if (this.#bucket && !this.#bucket.take()) {
      if (this.#bucket.limit.onExceeded === 'drop') {
        return this.#report(new RateLimitError('message dropped: rate limit exceeded'))
      }
      return this.#beginClose(CloseCode.PolicyViolation, 'rate limit exceeded')
    }
    this.#messagesIn++
    const message = new Message(data)
    if (this.#hooks?.events || this.#hooks?.message) {
      if (this.#backlog) this.#backlog.push(message)
      else this.#handle(message)
    }
    if (this.#listeners?.get('message')?.length) {
      const raw = message.raw
      const eventData =
        typeof raw === 'string' ? raw : this.binaryType === 'blob' ? new Blob([message.bytes() as Uint8Array<ArrayBuffer>]) : message.data
      this.#dispatch('message', { type: 'message', data: eventData, message, target: this })
    }
    this.#inbox?.push(message)
  }

  /** @internal the runtime's socket, for fast paths. */
  get transport(): Transport | undefined {
    return this.#transport
  }

  /** @internal the room set, made on first join. */
  roomSet(): Set<string> {
    return (this.#rooms ??= new Set())
  }

  /** @internal one delivery of a fan-out: like send, but never throws. */
  deliver(payload: Payload, prepared: unknown): boolean {
    if (this.#state !== ReadyState.OPEN) return false
    const transport = this.#transport!
    try {
      if (prepared !== undefined && transport.sendPrepared) transport.sendPrepared(prepared)
      else transport.send(payload)
    } catch {
      return false
    }
    this.#messagesOut++
    this.#checkBuffer()
    return true
  }

  /**
   * @internal accounts for a message the runtime delivered natively (a topic publish):
   * counted, and the slow-consumer cap still applies.
   */
  countDelivered(): boolean {
    if (this.#state !== ReadyState.OPEN) return false
    this.#messagesOut++
    this.#checkBuffer()
    return true
  }

  /** @internal the peer answered a ping. */
  ponged(): void {
    this.#alive = true
  }

  /** @internal the route's resolved options, for adapters that map them onto the runtime. */
  get settings(): ResolvedOptions {
    return this.#options
  }

  /** @internal the connection has ended; safe to call more than once. */
  detached(code: number, reason: string): void {
    if (this.#state === ReadyState.CLOSED) return
    this.#state = ReadyState.CLOSED
    const runtime = this.#runtime
    if (runtime) {
      runtime.sockets.delete(this)
      try {
        runtime.hub.detach(this)
      } catch (error) {
        this.#report(error)
      }
    }
    if (this.#timers) for (const timer of this.#timers) clearTimeout(timer)
    this.#timers = undefined
    this.#outbox = undefined
    const info = { code, reason }
    this.#inbox?.end()
    this.#closed?.resolve(info)
    if (!this.#closed) this.#closed = resolved(info)
    // A socket whose upgrade never completed was never opened: no close to report.
    if (!this.#transport) return
    const hooks = this.#hooks
    if (hooks?.close) {
      const summary = { ...info, duration: Date.now() - this.connectedAt, messagesIn: this.#messagesIn, messagesOut: this.#messagesOut }
      this.#run(() => hooks.close!(this, summary))
    }
    this.#dispatch('close', { type: 'close', code, reason, wasClean: code !== CloseCode.Abnormal, target: this })
  }

  // ---- internals -------------------------------------------------------------------

  #beginClose(code: number, reason: string): void {
    if (this.#state >= ReadyState.CLOSING) return
    if (this.#state === ReadyState.CONNECTING) {
      this.#pendingClose = { code, reason }
      this.#state = ReadyState.CLOSING
      return
    }
    this.#state = ReadyState.CLOSING
    this.#transport!.close(code, reason)
    // Some runtimes (Bun) report the close synchronously; then there is nothing to wait for.
    if (this.#state !== ReadyState.CLOSING) return
    // A dead or stuck peer never answers the handshake; don't wait for it forever.
    this.#timer(() => this.#drop(CloseCode.Abnormal, reason || 'close timeout'), this.#options.closeTimeout)
  }

  /** Drops the connection now and reports it closed, whatever the transport says later. */
  #drop(code: number, reason: string): void {
    if (this.#state === ReadyState.CLOSED) return
    try {
      this.#transport?.terminate()
    } finally {
      this.detached(code, reason)
    }
  }

  /**
   * Runs the message hook. Hooks of one connection see its messages one at a time, in
   * order: while an async hook runs, later messages wait in a backlog (so "join, then
   * say" from one client stays in that order even with a remote hub).
   */
  #handle(message: Message): void {
    const hooks = this.#hooks!
    const pending = this.#run(() => (hooks.events ? this.#route(hooks, message) : hooks.message!(this, message)))
    if (!pending) return
    this.#backlog ??= []
    pending.then(() => {
      const next = this.#backlog?.shift()
      if (next && !this.#crashed) return this.#handle(next)
      this.#backlog = undefined
    })
  }

  /** Routes a JSON envelope `{ type, data }` to its `events` handler. */
  #route(hooks: SocketHooks<Data, any, any>, message: Message): unknown {
    let parsed: { type?: unknown; data?: unknown } | undefined
    if (!message.isBinary) {
      try {
        parsed = message.json()
      } catch {}
    }
    const type = parsed && typeof parsed === 'object' && typeof parsed.type === 'string' ? parsed.type : undefined
    // `{ schema, handler }` entries are validated by the dispatch of the core rework.
    const handler = (type !== undefined && Object.hasOwn(hooks.events!, type) ? hooks.events![type] : undefined) as
      | ((socket: this, data: unknown, message: Message) => unknown)
      | undefined
    if (handler) return handler(this, parsed!.data, message)
    if (hooks.message) return hooks.message(this, message)
    if (type === undefined) throw new MessageFormatError('expected a JSON envelope {"type": string, "data": any}')
    this.#report(new UnknownEventError(type))
  }

  #checkBuffer(): void {
    const limit = this.#options.maxBufferedAmount
    if (limit && this.#transport!.bufferedAmount > limit) {
      this.#beginClose(CloseCode.TryAgainLater, 'slow consumer: send buffer full')
    }
  }

  #startTimers(transport: Transport): void {
    const { heartbeatInterval, idleTimeout } = this.#options
    if (heartbeatInterval && !transport.checksLiveness) {
      ;(this.#timers ??= []).push(setInterval(heartbeat, heartbeatInterval, this))
    }
    if (idleTimeout) {
      this.#lastMessageAt = Date.now()
      this.#timer(() => this.#checkIdle(), idleTimeout)
    }
  }

  /** @internal one heartbeat tick. */
  beat(): void {
    if (this.#state !== ReadyState.OPEN) return
    if (!this.#alive) return this.#drop(CloseCode.Abnormal, 'heartbeat timeout')
    this.#alive = false
    this.#transport!.ping?.()
  }

  #checkIdle(): void {
    if (this.#state !== ReadyState.OPEN) return
    const left = this.#lastMessageAt + this.#options.idleTimeout - Date.now()
    if (left > 0) return void this.#timer(() => this.#checkIdle(), left)
    this.#beginClose(CloseCode.GoingAway, 'idle timeout')
  }

  #timer(fn: () => void, ms: number): void {
    ;(this.#timers ??= []).push(setTimeout(fn, ms))
  }

  /**
   * Runs application code; a throw or rejection closes this socket (never another).
   * Returns a promise when the code is async, settled once it has finished.
   */
  #run(fn: () => unknown): Promise<void> | undefined {
    try {
      const result = fn() as any
      if (result && typeof result.then === 'function') return result.then(noop, (error: unknown) => this.#crash(error))
    } catch (error) {
      this.#crash(error)
    }
    return undefined
  }

  #crash(error: unknown): void {
    this.#crashed = true
    this.#report(error)
    if (error instanceof MessageFormatError) {
      this.#beginClose(CloseCode.InvalidPayload, clip(error.message))
    } else {
      this.#beginClose(CloseCode.InternalError, 'internal error')
    }
  }

  #report(error: unknown): void {
    const onError = this.#hooks?.error
    const listeners = this.#listeners?.get('error')
    if (!onError && !listeners?.length) {
      console.error(`portsocket: error on connection ${this.id}:`, error)
      return
    }
    try {
      onError?.(this, error)
    } catch (inner) {
      console.error('portsocket: the error hook threw:', inner)
    }
    if (listeners?.length) {
      const message = error instanceof Error ? error.message : String(error)
      this.#dispatch('error', { type: 'error', error, message, target: this })
    }
  }

  #dispatch(type: string, event: object): void {
    const list = this.#listeners?.get(type)
    if (!list?.length) return
    for (const listener of [...list]) {
      if (type === 'error') {
        try {
          listener(event)
        } catch (inner) {
          console.error('portsocket: an error listener threw:', inner)
        }
      } else {
        this.#run(() => listener(event))
      }
    }
  }
}

function noop(): void {}

function heartbeat(socket: ServerSocket<any>): void {
  socket.beat()
}

const NO_ROOMS: ReadonlySet<string> = new Set()

/** @internal */
export function toPayload(data: SendData): Payload {
  if (typeof data === 'string' || data instanceof Uint8Array) return data
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  throw new TypeError('send() takes a string, an ArrayBuffer or an ArrayBufferView')
}

function payloadSize(payload: Payload): number {
  return typeof payload === 'string' ? utf8Length(payload) : payload.byteLength
}

/** Clips a close reason to the 123 bytes a close frame can carry. */
function clip(reason: string): string {
  if (utf8Length(reason) <= 123) return reason
  let out = reason.slice(0, 120)
  while (utf8Length(out) > 120) out = out.slice(0, -1)
  return `${out}...`
}

interface Deferred<T> {
  promise: Promise<T>
  resolve(value: T): void
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

function resolved<T>(value: T): Deferred<T> {
  return { promise: Promise.resolve(value), resolve() {} }
}

/** The queue behind `for await (const message of socket)`. */
class Inbox implements AsyncIterator<Message> {
  #items: Message[] = []
  #waiting: ((result: IteratorResult<Message>) => void) | undefined
  #ended = false

  push(message: Message): void {
    const waiting = this.#waiting
    if (waiting) {
      this.#waiting = undefined
      waiting({ value: message, done: false })
    } else this.#items.push(message)
  }

  end(): void {
    this.#ended = true
    const waiting = this.#waiting
    this.#waiting = undefined
    waiting?.({ value: undefined, done: true })
  }

  next(): Promise<IteratorResult<Message>> {
    const item = this.#items.shift()
    if (item) return Promise.resolve({ value: item, done: false })
    if (this.#ended) return Promise.resolve({ value: undefined, done: true })
    return new Promise((resolve) => (this.#waiting = resolve))
  }

  return(): Promise<IteratorResult<Message>> {
    this.#items = []
    this.end()
    return Promise.resolve({ value: undefined, done: true })
  }
}
