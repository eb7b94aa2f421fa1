import { backoffDelay, resolveBackoff, type ResolvedBackoff } from './backoff.ts'
import { InvalidEventError, RequestError } from './errors.ts'
import { watchLifecycle } from './lifecycle.ts'
import { Listeners } from './listeners.ts'
import { ACK, encodeEnvelope, INVALID, parseEnvelope, PING, PONG, RESERVED_PREFIX, type Envelope, type Issue } from './protocol.ts'
import { Requests } from './requests.ts'
import { byteSize, SendBuffer, type Queued } from './send-buffer.ts'
import type {
  ClientEventMap,
  ClientOptions,
  ClientState,
  Clock,
  CloseDetails,
  EventContract,
  Incoming,
  Outgoing,
  ReadyContext,
  Reply,
  RequestOptions,
  WebSocketConstructor,
  WebSocketLike,
} from './types.ts'

type Frame = string | ArrayBufferLike | ArrayBufferView

const OPEN = 1
const CONNECTING = 0
const defaultStop = (code: number) => code === 1008 || (code >= 4000 && code <= 4099)
const PING_TEXT = JSON.stringify({ type: PING })
const PONG_TEXT = JSON.stringify({ type: PONG })

/**
 * A WebSocket that reconnects by itself, buffers while it is down, and speaks
 * portsocket's JSON envelopes (`emit`, `on`, `request`). Make one with {@link connect}.
 *
 * There is never more than one underlying socket: a new attempt starts only after the
 * previous socket was let go.
 */
export class PortsocketClient<C extends EventContract = EventContract> {
  /** The URL (or the function giving it per attempt). */
  readonly url: string | URL | (() => string | URL | Promise<string | URL>)
  private readonly options: ClientOptions<C>
  private readonly WebSocketImpl: WebSocketConstructor
  private readonly clock: Clock
  private readonly random: () => number
  private readonly backoff: ResolvedBackoff | undefined
  private readonly buffer: SendBuffer | undefined
  private readonly lifecycle: () => void
  private readonly lifecycleEvents = new Listeners<ClientEventMap>()
  private readonly eventHandlers = new Listeners<Record<string, unknown>>()
  private readonly requests: Requests<WebSocketLike>

  private ws: WebSocketLike | undefined
  /** Bumped for every attempt and every stop: async work of an older one sees it is stale. */
  private generation = 0
  private ready = false
  private current: ClientState = 'connecting'
  private attempts = 0
  private everOpened = false
  private last: CloseDetails | undefined
  private retryTimer: unknown
  private connectTimer: unknown
  private stableTimer: unknown
  private heartbeatTimer: unknown
  private probeTimer: unknown
  private stopLifecycle: (() => void) | undefined

  constructor(url: PortsocketClient['url'], options: ClientOptions<C> = {}) {
    this.url = url
    this.options = options
    const impl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
    if (!impl) throw new TypeError('no WebSocket in this runtime: pass one as the WebSocket option (on Node 20: WebSocket from the "ws" package)')
    this.WebSocketImpl = impl
    this.clock = options.clock ?? {
      setTimeout: (callback, ms) => setTimeout(callback, ms),
      clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    }
    this.random = options.random ?? Math.random
    this.requests = new Requests(this.clock)
    this.backoff = options.reconnect === false ? undefined : resolveBackoff(options.reconnect)
    this.buffer = options.buffer === false ? undefined : new SendBuffer(options.buffer)
    this.lifecycle = () => this.wake()
    this.stopLifecycle = watchLifecycle(options.lifecycle, this.lifecycle)
    void this.open()
  }

  /** `connecting`, `open`, `reconnecting` or `closed`. */
  get state(): ClientState {
    return this.current
  }

  /** Failed attempts since the last stable connection (0 while a connection is stable). */
  get attempt(): number {
    return this.attempts
  }

  /** How the last connection ended (code and reason), or undefined before any ended. */
  get lastClose(): CloseDetails | undefined {
    return this.last
  }

  /** Messages waiting in the send buffer. */
  get buffered(): number {
    return this.buffer?.length ?? 0
  }

  /** Bytes waiting in the send buffer. */
  get bufferedBytes(): number {
    return this.buffer?.bytes ?? 0
  }

  /** The current underlying socket, if any (for inspection; do not close it yourself). */
  get socket(): WebSocketLike | undefined {
    return this.ws
  }

  /**
   * Sends a raw frame: at once when open, else into the send buffer. Returns false when
   * the frame was refused (no buffer, buffer full, or the client is closed).
   */
  send(data: Frame): boolean {
    return this.deliver({ data, bytes: 0 })
  }

  /** Emits the envelope `{ type: event, data }`. Returns false when it was refused (see `send`). */
  emit<K extends keyof Outgoing<C> & string>(event: K, data: Outgoing<C>[K]): boolean {
    return this.deliver({ data: encodeEnvelope(event, data), bytes: 0 })
  }

  /**
   * Emits `{ type: event, data, ack }` and resolves with the server's reply. Rejects with
   * {@link RequestError}: `timeout` (default 10 s from the call, buffer time included),
   * `invalid` (with the server's issues), `error`, `disconnected` (the connection dropped
   * after it went out), `overflow` or `closed`.
   */
  request<K extends keyof Outgoing<C> & string>(event: K, data: Outgoing<C>[K], options: RequestOptions = {}): Promise<Reply<C, K>> {
    return this.makeRequest(event, data, options, false) as Promise<Reply<C, K>>
  }

  /** Calls `handler` with the data of every `event` the server emits. Returns the function that removes it. */
  on<K extends keyof Incoming<C> & string>(event: K, handler: (data: Incoming<C>[K]) => void): () => void {
    if (event.startsWith(RESERVED_PREFIX)) throw new RangeError(`"${event}" is a reserved event type`)
    return this.eventHandlers.add(event, handler as (value: unknown) => void)
  }

  /** Removes a handler added with `on`. */
  off<K extends keyof Incoming<C> & string>(event: K, handler: (data: Incoming<C>[K]) => void): void {
    this.eventHandlers.remove(event, handler as (value: unknown) => void)
  }

  /** Resolves with the data of the next `event` the server emits. */
  once<K extends keyof Incoming<C> & string>(event: K): Promise<Incoming<C>[K]> {
    return new Promise((resolve) => {
      const off = this.on(event, (data) => {
        off()
        resolve(data)
      })
    })
  }

  /** Listens to lifecycle events: `state`, `open`, `close`, `message`, `error`, `drop`. Returns the remover. */
  addEventListener<K extends keyof ClientEventMap>(type: K, listener: (event: ClientEventMap[K]) => void): () => void {
    return this.lifecycleEvents.add(type, listener)
  }

  removeEventListener<K extends keyof ClientEventMap>(type: K, listener: (event: ClientEventMap[K]) => void): void {
    this.lifecycleEvents.remove(type, listener)
  }

  /**
   * Closes for good: no more reconnecting, the buffer is dropped (`drop` events with
   * reason `closed`) and pending requests reject with `closed`. `reconnect()` starts again.
   */
  close(code = 1000, reason = ''): void {
    if (code !== 1000 && !(code >= 3000 && code <= 4999)) throw new RangeError(`close code must be 1000 or within 3000-4999 (got ${code})`)
    if (this.current === 'closed') return
    const had = this.ws !== undefined
    this.stop({ code, reason }, true)
    if (had) this.lifecycleEvents.emit('close', { code, reason, wasClean: true, retryIn: undefined }, this.listenerFailed)
  }

  /**
   * Connects again now: after `close()`, a stop code or `maxRetries`, or to replace a
   * connection that looks stuck. Resets the attempt count.
   */
  reconnect(): void {
    if (!this.stopLifecycle) this.stopLifecycle = watchLifecycle(this.options.lifecycle, this.lifecycle)
    this.clearTimer('retryTimer')
    this.attempts = 0
    if (this.ws) this.discard({ code: 1000, reason: 'reconnect' })
    this.setState(this.everOpened ? 'reconnecting' : 'connecting')
    void this.open()
  }

  // ---- connection lifecycle ----

  private async open(): Promise<void> {
    if (this.ws || this.current === 'closed') return
    const generation = ++this.generation
    let url: string
    try {
      url = String(typeof this.url === 'function' ? await this.url() : this.url)
    } catch (error) {
      if (generation !== this.generation) return
      this.report(error)
      this.afterDrop({ code: 1006, reason: 'url failed' }, false)
      return
    }
    // close(), reconnect() or a wake-up may have moved on while the URL was resolved.
    if (generation !== this.generation || this.ws || this.state === 'closed') return
    let ws: WebSocketLike
    try {
      ws = new this.WebSocketImpl(url, this.options.protocols)
    } catch (error) {
      // A malformed URL or protocol list cannot succeed on a retry either.
      this.report(error)
      this.stop({ code: 1006, reason: error instanceof Error ? error.message : String(error) }, false)
      return
    }
    this.ws = ws
    this.ready = false
    ws.binaryType = 'arraybuffer'
    ws.onopen = () => void this.opened(ws)
    ws.onmessage = (event) => this.received(ws, event.data as string | ArrayBuffer)
    ws.onclose = (event) => this.closed(ws, { code: event.code, reason: event.reason }, event.wasClean)
    ws.onerror = () => {} // the close event that follows says what happened
    this.connectTimer = this.clock.setTimeout(() => {
      if (this.ws === ws && ws.readyState === CONNECTING) this.lost(ws, 'connect timeout')
    }, this.options.connectTimeout ?? 10_000)
  }

  private async opened(ws: WebSocketLike): Promise<void> {
    if (this.ws !== ws) return
    this.clearTimer('connectTimer')
    this.armHeartbeat(ws)
    const reconnected = this.everOpened
    const ready = this.options.ready
    if (ready) {
      const ctx: ReadyContext<C> = {
        reconnected,
        send: (data) => {
          if (this.ws === ws) ws.send(data as string)
        },
        emit: (event, data) => {
          if (this.ws === ws) ws.send(encodeEnvelope(event, data))
        },
        request: (event, data, options = {}) => this.makeRequest(event, data, options, ws) as Promise<Reply<C, typeof event>>,
      }
      let timer: unknown
      try {
        // Called synchronously in the open event, so listeners it adds (`once('welcome')`)
        // are in place before the first message is dispatched.
        let result: unknown
        try {
          result = ready(ctx)
        } catch (error) {
          result = Promise.reject(error)
        }
        await Promise.race([
          result,
          new Promise((_, reject) => {
            const ms = this.options.readyTimeout ?? 10_000
            timer = this.clock.setTimeout(() => reject(new Error(`ready did not finish within ${ms} ms`)), ms)
          }),
        ])
      } catch (error) {
        if (this.ws !== ws) return
        this.report(error)
        this.lost(ws, 'ready failed')
        return
      } finally {
        this.clock.clearTimeout(timer)
      }
      if (this.ws !== ws) return
    }
    this.ready = true
    this.everOpened = true
    // The buffer goes out before anyone hears of the open, so what a listener sends
    // follows what was written earlier.
    this.flush(ws)
    if (this.ws !== ws) return
    this.setState('open')
    this.lifecycleEvents.emit('open', { reconnected }, this.listenerFailed)
    const stableAfter = (this.options.reconnect || undefined)?.stableAfter ?? 5000
    this.stableTimer = this.clock.setTimeout(() => {
      if (this.ws === ws) this.attempts = 0
    }, stableAfter)
  }

  private received(ws: WebSocketLike, data: string | ArrayBuffer): void {
    if (this.ws !== ws) return
    this.armHeartbeat(ws)
    const envelope = parseEnvelope(data)
    if (envelope?.type.startsWith(RESERVED_PREFIX)) return this.control(ws, envelope)
    this.lifecycleEvents.emit('message', { data }, this.listenerFailed)
    if (envelope) this.eventHandlers.emit(envelope.type, envelope.data, this.listenerFailed)
  }

  private control(ws: WebSocketLike, envelope: Envelope): void {
    switch (envelope.type) {
      case PING:
        ws.send(PONG_TEXT)
        return
      case ACK:
        this.requests.answer(envelope)
        return
      case INVALID: {
        const detail = (envelope.data ?? {}) as { event?: string; issues?: Issue[] }
        this.report(new InvalidEventError(String(detail.event ?? ''), detail.issues ?? []))
        return
      }
    }
  }

  private closed(ws: WebSocketLike, close: CloseDetails, wasClean: boolean): void {
    if (this.ws !== ws) return
    this.release(ws)
    this.afterDrop(close, wasClean)
  }

  /** Gives up on a socket that the client itself judged dead, without waiting for its close handshake. */
  private lost(ws: WebSocketLike, reason: string): void {
    this.release(ws)
    try {
      ws.close(1000, reason)
    } catch {}
    this.afterDrop({ code: 1006, reason }, false)
  }

  /** Lets go of the current socket: its events are ignored from now on. */
  private release(ws: WebSocketLike): void {
    ws.onopen = null
    ws.onmessage = null
    ws.onclose = null
    // `ws` (Node) throws an 'error' event that has no listener: keep one.
    ws.onerror = () => {}
    if (this.ws === ws) this.ws = undefined
    this.ready = false
    this.clearTimer('connectTimer')
    this.clearTimer('stableTimer')
    this.clearTimer('heartbeatTimer')
    this.clearTimer('probeTimer')
    this.requests.failSentOn(ws)
  }

  private afterDrop(close: CloseDetails, wasClean: boolean): void {
    this.last = close
    const stopCodes = this.options.reconnect ? this.options.reconnect.stopCodes : undefined
    const stopping =
      !this.backoff ||
      (typeof stopCodes === 'function' ? stopCodes(close.code, close.reason) : stopCodes ? stopCodes.includes(close.code) : defaultStop(close.code)) ||
      this.attempts >= ((this.options.reconnect || undefined)?.maxRetries ?? Infinity)
    if (stopping) {
      this.lifecycleEvents.emit('close', { ...close, wasClean, retryIn: undefined }, this.listenerFailed)
      this.stop(close, false)
      return
    }
    this.attempts++
    const delay = backoffDelay(this.attempts, this.backoff!, this.random)
    this.lifecycleEvents.emit('close', { ...close, wasClean, retryIn: delay }, this.listenerFailed)
    if (this.current === 'closed') return // a close listener called close()
    this.setState(this.everOpened ? 'reconnecting' : 'connecting')
    this.clearTimer('retryTimer')
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined
      void this.open()
    }, delay)
  }

  /** A browser hint that the network or the page is back: a waiting retry happens now. */
  private wake(): void {
    if (this.retryTimer === undefined || this.ws || this.current === 'closed') return
    this.clearTimer('retryTimer')
    void this.open()
  }

  /** Lets go of the current socket and closes it. */
  private discard(close: CloseDetails): void {
    const ws = this.ws
    if (!ws) return
    this.release(ws)
    try {
      // Closing a socket that never opened makes browsers log an error; it is still right.
      ws.close(close.code, close.reason)
    } catch {
      try {
        ws.close()
      } catch {}
    }
  }

  private stop(close: CloseDetails, byUser: boolean): void {
    this.generation++
    this.clearTimer('retryTimer')
    if (this.ws) this.discard(close)
    if (byUser) this.last = close
    this.stopLifecycle?.()
    this.stopLifecycle = undefined
    for (const item of this.buffer?.clear() ?? []) {
      if (item.ack === undefined) this.lifecycleEvents.emit('drop', { data: item.data, reason: 'closed' }, this.listenerFailed)
    }
    this.requests.failAll()
    this.setState('closed')
  }

  // ---- sending ----

  private deliver(item: Queued, direct?: WebSocketLike): boolean {
    const ws = direct ?? (this.ready ? this.ws : undefined)
    if (ws && ws.readyState === OPEN) {
      ws.send(item.data as string)
      return true
    }
    if (this.current === 'closed' || !this.buffer || direct) {
      if (item.ack === undefined) this.lifecycleEvents.emit('drop', { data: item.data, reason: this.current === 'closed' ? 'closed' : 'overflow' }, this.listenerFailed)
      return false
    }
    item.bytes = byteSize(item.data)
    const { accepted, dropped } = this.buffer.push(item)
    for (const old of dropped) this.dropped(old)
    if (!accepted) this.dropped(item)
    return accepted
  }

  private dropped(item: Queued): void {
    if (item.ack !== undefined) this.requests.fail(item.ack, 'overflow', 'the send buffer is full: the request was not sent')
    this.lifecycleEvents.emit('drop', { data: item.data, reason: 'overflow' }, this.listenerFailed)
  }

  private flush(ws: WebSocketLike): void {
    if (!this.buffer) return
    while (this.ws === ws && this.ready && ws.readyState === OPEN) {
      const item = this.buffer.shift()
      if (!item) return
      if (item.ack !== undefined && !this.requests.sent(item.ack, ws)) continue
      ws.send(item.data as string)
    }
  }

  private makeRequest(event: string, data: unknown, options: RequestOptions, direct: WebSocketLike | false): Promise<unknown> {
    if (this.current === 'closed') return Promise.reject(new RequestError('closed', event, `the client is closed: "${event}" was not sent`))
    const timeout = options.timeout ?? this.options.requestTimeout ?? 10_000
    return new Promise((resolve, reject) => {
      // socket.io #4318: a request that timed out must not go out later.
      const ack = this.requests.add(event, timeout, resolve, reject, (ack) => this.buffer?.removeAck(ack))
      const ws = direct || (this.ready ? this.ws : undefined)
      if (ws && ws.readyState === OPEN) this.requests.sent(ack, ws)
      const accepted = this.deliver({ data: encodeEnvelope(event, data, ack), bytes: 0, ack }, direct || undefined)
      if (!accepted && this.requests.has(ack)) {
        const reason = this.current === 'closed' ? 'closed' : direct ? 'disconnected' : 'overflow'
        this.requests.fail(ack, reason, `"${event}" could not be sent or buffered (${reason})`)
      }
    })
  }

  // ---- small helpers ----

  private armHeartbeat(ws: WebSocketLike): void {
    const heartbeat = this.options.heartbeat
    if (!heartbeat) return
    this.clearTimer('heartbeatTimer')
    this.clearTimer('probeTimer')
    // Halfway through a silence, ask: every portsocket server answers a ping with a pong
    // (a hibernating Durable Object too, without waking), so a quiet but healthy link
    // never times out, whether or not the route pings on its own.
    this.probeTimer = this.clock.setTimeout(() => {
      if (this.ws === ws) ws.send(PING_TEXT)
    }, heartbeat.timeout / 2)
    this.heartbeatTimer = this.clock.setTimeout(() => {
      if (this.ws === ws) this.lost(ws, 'heartbeat timeout')
    }, heartbeat.timeout)
  }

  private setState(state: ClientState): void {
    const previous = this.current
    if (previous === state) return
    this.current = state
    this.lifecycleEvents.emit('state', { state, previous, attempt: this.attempts }, this.listenerFailed)
  }

  /**
   * Reports an error to `error` listeners. An error thrown by an app listener with no
   * `error` listener to take it is rethrown asynchronously, the way EventTarget reports a
   * throwing listener, so a bug never vanishes; the client's own errors (a failed
   * `ready`, a rejected event) are only reported when someone listens.
   */
  private readonly report = (error: unknown): void => {
    if (this.lifecycleEvents.has('error')) this.lifecycleEvents.emit('error', { error }, rethrow)
  }

  private readonly listenerFailed = (error: unknown): void => {
    if (this.lifecycleEvents.has('error')) this.lifecycleEvents.emit('error', { error }, rethrow)
    else rethrow(error)
  }

  private clearTimer(name: 'retryTimer' | 'connectTimer' | 'stableTimer' | 'heartbeatTimer' | 'probeTimer'): void {
    if (this[name] !== undefined) this.clock.clearTimeout(this[name])
    this[name] = undefined
  }
}

/**
 * Opens a reconnecting client to `url` (ws:// or wss://; or a function giving the URL
 * per attempt, e.g. with a fresh token).
 *
 * @example
 * const client = connect<Chat>('wss://example.com/ws/chat?room=lobby', {
 *   ready: async () => { await client.once('welcome') },
 * })
 * client.on('said', ({ from, text }) => console.log(from, text))
 * client.emit('say', { text: 'hi' })
 */
export function connect<C extends EventContract = EventContract>(url: PortsocketClient['url'], options: ClientOptions<C> = {}): PortsocketClient<C> {
  return new PortsocketClient<C>(url, options)
}

function rethrow(error: unknown): void {
  queueMicrotask(() => {
    throw error
  })
}
