import type { Runtime } from '../runtime/runtime.ts'
import { sweepOf, type Sweep, type Swept } from '../runtime/sweep.ts'
import type { Transport } from '../runtime/transport.ts'
import { CloseCode } from './close-codes.ts'
import { EPOCH, sinceEpoch } from './epoch.ts'
import { dispatchMessage } from './dispatch.ts'
import type { CloseInfo, CloseSummary } from './events.ts'
import type { SocketHooks } from './hooks.ts'
import { InboundQueue } from './inbound-queue.ts'
import { Inbox } from './inbox.ts'
import { ReadyState, rules, transition, type Transition } from './lifecycle.ts'
import { fitsIn, Message, MessageFormatError } from './message.ts'
import { clip, payloadSize, wireBound, type Payload } from './payload.ts'
import { RateLimitError, TokenBucket } from './rate-limit.ts'
import { controlType, PING, PING_TEXT, PONG_TEXT } from './control.ts'
import { ServerSocket, type ConnectionInit } from './socket.ts'
import type { OutTally } from './tally.ts'

export type { ConnectionInit }

type Listener = (event: any) => unknown

/** Reported to the error hook when the transport failed (a protocol error, a message over its ceiling). */
export class TransportError extends Error {
  override readonly name = 'TransportError'
  constructor(
    message: string,
    /** The close code the client saw. */
    readonly code: number,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** Saved counters of a revived connection. */
export interface Counters {
  messagesIn: number
  messagesOut: number
  lastMessageAt?: number
}

/**
 * State many connections never use (a close in progress, listeners, an iterator, sends
 * queued while connecting, drain waiters, a rate limit's bucket, messages waiting behind
 * an async hook), kept out of the per-socket record until needed.
 */
interface Rare {
  outbox?: Payload[]
  pendingClose?: CloseInfo
  listeners?: Map<string, Listener[]>
  inbox?: Inbox
  closed?: { promise: Promise<CloseInfo>; resolve(info: CloseInfo): void }
  closeInfo?: CloseInfo
  /** The close hook, waiting for the running hook to settle. */
  closeJob?: () => void
  closeDeadline?: number
  closeReason?: string
  drainWaiters?: { threshold: number; resolve(): void }[]
  /** The token bucket, on routes with a rate limit. */
  bucket?: TokenBucket
  /** Messages waiting behind an async hook or an iterator that has not pulled them. */
  queue?: InboundQueue
}

/**
 * One connection's core: the lifecycle, the bounded inbound queue, dispatch to hooks,
 * listeners and the iterator, and the policy checks the runtime's sweep runs. Every
 * {@link ServerSocket} is one of these: one object per connection, whose public face is
 * `ServerSocket`'s API; runtimes and hubs reach the rest through `connectionOf(socket)`.
 *
 * Ordering: the open hook, each message's handling and the close hook run one after
 * the other, never overlapping. A message waits while a hook that returned a promise
 * has not settled; the close hook waits for the hook that is running, and every
 * message still queued when the connection leaves OPEN is dropped (and counted).
 */
export class Connection<Data = any> extends ServerSocket<Data, any> implements Swept {
  state: ReadyState = ReadyState.CONNECTING
  transport: Transport | undefined
  runtime: Runtime<any> | undefined
  /** The rooms the socket is in: one room as a plain string, a Set from the second on. */
  roomSet: string | Set<string> | undefined
  declare messagesIn: number
  declare messagesDropped: number
  /** Messages sent and counted here; a {@link tally} may hold more (see `outCount`). */
  sent = 0
  /** Counts the native room publishes that reached this socket, when a hub set one. */
  tally: OutTally | undefined
  readonly route: string | undefined
  readonly hooks: SocketHooks<Data> | undefined

  #rare: Rare | undefined
  /** BUSY, ALIVE and BEATING, as bits. */
  #flags = ALIVE
  // Times are kept as milliseconds since EPOCH, small integers that V8 stores in the
  // object itself (an epoch-based time is a double, boxed in an object of its own).
  #lastMessage = 0
  /** When the next heartbeat is due, if BEATING. */
  #nextBeat = 0
  /**
   * An upper bound of the transport's send buffer: what it held when last read, plus
   * what was written since. The buffer is read only once the bound passes the cap.
   */
  #bufferBound = 0

  constructor(init: ConnectionInit<Data>) {
    super(init)
    this.hooks = init.hooks
    this.route = init.route
    if (init.options.rateLimit) this.#more.bucket = new TokenBucket(init.options.rateLimit)
  }

  /** A hook (open or message) returned a promise that has not settled. */
  get #busy(): boolean {
    return (this.#flags & BUSY) !== 0
  }

  set #busy(on: boolean) {
    this.#flags = on ? this.#flags | BUSY : this.#flags & ~BUSY
  }

  /** The peer showed a sign of life since the last heartbeat. */
  get #alive(): boolean {
    return (this.#flags & ALIVE) !== 0
  }

  set #alive(on: boolean) {
    this.#flags = on ? this.#flags | ALIVE : this.#flags & ~ALIVE
  }

  /** The socket as application code sees it (the same object). */
  get socket(): ServerSocket<Data> {
    return this
  }

  get #more(): Rare {
    return (this.#rare ??= {})
  }

  // ---- rooms -------------------------------------------------------------------------

  /** Whether the socket is in a room. */
  inRoom(room: string): boolean {
    const rooms = this.roomSet
    return rooms === room || (typeof rooms === 'object' && rooms.has(room))
  }

  /** How many rooms the socket is in. */
  get roomCount(): number {
    const rooms = this.roomSet
    return rooms === undefined ? 0 : typeof rooms === 'string' ? 1 : rooms.size
  }

  /** Records a room the socket joined (the hub checks it was not in it). */
  addRoom(room: string): void {
    const rooms = this.roomSet
    if (rooms === undefined) this.roomSet = room
    else if (typeof rooms === 'string') this.roomSet = new Set([rooms, room])
    else rooms.add(room)
  }

  /** Forgets a room the socket left. */
  removeRoom(room: string): void {
    const rooms = this.roomSet
    if (rooms === room) this.roomSet = undefined
    else if (typeof rooms === 'object') rooms.delete(room)
  }

  /** Messages sent to the client: those counted here and those the tally holds. */
  outCount(): number {
    const tally = this.tally
    return tally && this.state === ReadyState.OPEN ? this.sent + tally.pending(this) : this.sent
  }

  /** Leaving OPEN: take over what the tally holds, since it stops counting for this socket. */
  #settleOut(): void {
    if (this.state === ReadyState.OPEN && this.tally) this.sent += this.tally.settle(this)
  }

  #move(event: Transition): boolean {
    const next = transition(this.state, event)
    if (next === undefined) return false
    this.state = next
    return true
  }

  get #sweep(): Sweep | undefined {
    return this.runtime?.[sweepOf]
  }

  // ---- outgoing ----------------------------------------------------------------------

  /** Bytes queued (while connecting) or buffered by the transport. */
  buffered(): number {
    const outbox = this.#rare?.outbox
    const queued = outbox ? outbox.reduce((n, p) => n + payloadSize(p), 0) : 0
    return queued + (this.transport?.bufferedAmount ?? 0)
  }

  /** Sends one payload: written, held while connecting, or refused (false) once closing. */
  write(payload: Payload): boolean {
    switch (rules(this.state).send) {
      case 'write': {
        const flushed = this.transport!.send(payload)
        this.sent++
        // true: all written (no buffer); false: the runtime is buffering, so read it now.
        if (flushed === false) this.#readBuffer()
        else if (flushed !== true) this.#checkBuffer(payload)
        return true
      }
      case 'hold':
        ;(this.#more.outbox ??= []).push(payload)
        return true
      case 'refuse':
        return false
    }
  }

  /** One delivery of a fan-out: like send, but never throws. */
  deliver(payload: Payload, prepared: unknown): boolean {
    if (rules(this.state).send !== 'write') return false
    const transport = this.transport!
    let flushed: boolean | void = undefined
    try {
      if (prepared !== undefined && transport.sendPrepared) transport.sendPrepared(prepared)
      else flushed = transport.send(payload)
    } catch {
      return false
    }
    this.sent++
    if (flushed === false) this.#readBuffer()
    else if (flushed !== true) this.#checkBuffer(payload)
    return true
  }

  /**
   * Several deliveries of a fan-out encoded as one unit (`FanOut.prepareMany`): as
   * {@link deliver} for each payload in turn, in one send; returns how many were handed
   * over. `bound` is the payloads' largest possible size on the wire ({@link wireBound}).
   * When they could take the send buffer past the slow-consumer cap they go one by one,
   * so the cap closes the socket after the very message it would have alone.
   */
  deliverMany(payloads: readonly Payload[], prepared: unknown, bound: number): number {
    if (rules(this.state).send !== 'write') return 0
    const transport = this.transport!
    const limit = this.options.maxBufferedAmount
    if (!transport.sendPrepared || (limit && this.#bufferBound + bound > limit)) {
      let count = 0
      for (const payload of payloads) if (this.deliver(payload, undefined)) count++
      return count
    }
    try {
      transport.sendPrepared(prepared)
    } catch {
      return 0
    }
    this.sent += payloads.length
    if (limit) this.#bufferBound += bound
    return payloads.length
  }

  /**
   * Accounts for a message the runtime delivered natively (a topic publish); `check`
   * false when the runtime reported that no recipient is buffering.
   */
  countDelivered(check = true): boolean {
    if (rules(this.state).send !== 'write') return false
    this.sent++
    if (check) this.#readBuffer()
    return true
  }

  /**
   * The slow-consumer cap after a write. Reading a runtime's send buffer can cost a call
   * into native code per message (Deno), so it is read only when the buffer could have
   * passed the cap: the bound grows by each payload's largest possible size on the wire.
   */
  #checkBuffer(payload: Payload): void {
    const limit = this.options.maxBufferedAmount
    if (!limit) return
    this.#bufferBound += wireBound(payload)
    if (this.#bufferBound > limit) this.#readBuffer()
  }

  /** Reads the send buffer and closes with 1013 when it is over the cap. */
  #readBuffer(): void {
    const limit = this.options.maxBufferedAmount
    if (!limit) return
    const buffered = this.transport!.bufferedAmount
    this.#bufferBound = buffered
    if (buffered > limit) this.beginClose(CloseCode.TryAgainLater, 'slow consumer: send buffer full')
  }

  drainedTo(threshold: number): Promise<void> {
    if (this.#isDrained(threshold)) return Promise.resolve()
    return new Promise((resolve) => {
      ;(this.#more.drainWaiters ??= []).push({ threshold, resolve })
      this.#sweep?.schedule(Date.now() + DRAIN_POLL)
    })
  }

  #isDrained(threshold: number): boolean {
    return this.state >= ReadyState.CLOSING || this.buffered() <= threshold
  }

  // ---- lifecycle ---------------------------------------------------------------------

  whenClosed(): Promise<CloseInfo> {
    const rare = this.#more
    if (rare.closeInfo) return Promise.resolve(rare.closeInfo)
    return (rare.closed ??= deferred<CloseInfo>()).promise
  }

  /** The runtime accepted the upgrade and the socket is open on `transport`. */
  attach(transport: Transport, runtime: Runtime<any>, revived?: Counters): void {
    if (this.state === ReadyState.CLOSED) return transport.close(CloseCode.GoingAway, '')
    this.transport = transport
    this.runtime = runtime
    runtime.sockets.add(this)
    runtime.hub.attach(this)
    const rare = this.#rare
    const pendingClose = rare?.pendingClose
    // The transport exists now: a close asked for while connecting is carried out below.
    this.state = ReadyState.OPEN
    const now = Date.now()
    if (revived) {
      this.messagesIn = revived.messagesIn
      this.sent = revived.messagesOut
    }
    this.#lastMessage = sinceEpoch(revived?.lastMessageAt ?? now)
    const outbox = rare?.outbox
    if (outbox) {
      rare.outbox = undefined
      for (const payload of outbox) this.write(payload)
    }
    if (pendingClose) {
      rare.pendingClose = undefined
      runtime[sweepOf].add(this, Infinity)
      return this.beginClose(pendingClose.code, pendingClose.reason)
    }
    if (this.#heartbeatOn()) {
      this.#flags |= BEATING
      this.#nextBeat = sinceEpoch(firstBeat(now, this.options.heartbeatInterval))
    }
    runtime[sweepOf].add(this, this.#nextDeadline(now))
    if (revived) return // a revived socket was opened long ago: no open hook, no open event
    const open = this.hooks?.open
    if (open) this.#waitFor(this.#call(open))
    // Checked here so that an open without listeners (the usual one) makes no event object.
    if (this.#rare?.listeners?.get('open')?.length) this.#dispatchEvent('open', { type: 'open', target: this })
  }

  /** Starts the close handshake; a no-op once closing. */
  beginClose(code: number, reason: string): void {
    this.#settleOut()
    const from = this.state
    if (!this.#move('close')) return
    if (from === ReadyState.CONNECTING) {
      this.#more.pendingClose = { code, reason }
      return
    }
    this.#dropQueued()
    const rare = this.#more
    rare.closeReason = reason
    this.transport!.close(code, reason)
    // Some runtimes (Bun) report the close synchronously; then there is nothing to wait for.
    if (this.state !== ReadyState.CLOSING) return
    // A dead or stuck peer never answers the handshake; the sweep cuts it after closeTimeout.
    rare.closeDeadline = Date.now() + this.options.closeTimeout
    this.#sweep?.schedule(rare.closeDeadline)
  }

  /** Drops the connection now and reports it closed, whatever the transport says later. */
  drop(code: number, reason: string): void {
    if (this.state === ReadyState.CLOSED) return
    try {
      this.transport?.terminate()
    } finally {
      this.detached(code, reason)
    }
  }

  /**
   * The connection has ended; safe to call more than once. `error` is what the
   * transport reported (a protocol error, a message over its ceiling), if anything.
   */
  detached(code: number, reason: string, error?: unknown): void {
    this.#settleOut()
    if (!this.#move('end')) return
    this.#dropQueued()
    const runtime = this.runtime
    if (runtime) {
      runtime.sockets.delete(this)
      runtime[sweepOf].delete(this)
      try {
        runtime.hub.detach(this)
      } catch (hubError) {
        this.report(hubError)
      }
    }
    const rare = this.#more
    rare.outbox = undefined
    const waiters = rare.drainWaiters
    if (waiters) for (const waiter of waiters.splice(0)) waiter.resolve()
    const info = { code, reason }
    rare.closeInfo = info
    rare.inbox?.end()
    rare.closed?.resolve(info)
    // A socket whose upgrade never completed was never opened: no close to report.
    if (!this.transport) return
    if (error !== undefined) this.report(error)
    // Only for a route with a close hook, and taken now: the counts and duration as the
    // connection ended, even when the hook runs later. Spelled out: a spread followed by more
    // properties takes V8's slow path, which was most of the core's own time per close in a
    // CPU profile of Node.
    const summary: CloseSummary | undefined = this.hooks?.close && {
      code,
      reason,
      duration: Date.now() - this.connectedAt,
      messagesIn: this.messagesIn,
      messagesOut: this.sent,
      messagesDropped: this.messagesDropped,
    }
    if (this.#busy) rare.closeJob = () => this.#reportClose(code, reason, summary)
    else this.#reportClose(code, reason, summary)
  }

  /**
   * Runs the close hook and the close listeners. The event is made only when a listener
   * is there to take it, as the open event is (a close without either allocates nothing).
   */
  #reportClose(code: number, reason: string, summary: CloseSummary | undefined): void {
    const hook = this.hooks?.close
    if (hook && summary) this.#run(() => hook(this, summary))
    if (this.#rare?.listeners?.get('close')?.length) {
      this.#dispatchEvent('close', { type: 'close', code, reason, wasClean: code !== CloseCode.Abnormal, target: this })
    }
  }

  /** Drops every message still waiting for the hooks (the connection left OPEN). */
  #dropQueued(): void {
    const queue = this.#rare?.queue
    if (!queue) return
    for (const message of queue.drain()) {
      queue.release(message.size)
      this.messagesDropped++
    }
  }

  // ---- incoming ----------------------------------------------------------------------

  /** One message arrived: a string for text, bytes for binary. */
  received(data: string | Uint8Array): void {
    if (!rules(this.state).receive) {
      if (this.transport) this.messagesDropped++
      return
    }
    this.#alive = true
    const options = this.options
    // Only the idle timeout reads when the last message came: a clock read per message
    // (30 to 40 ns on Bun and Node) was the largest single cost of the core's message path.
    if (options.idleTimeout) this.#lastMessage = sinceEpoch(Date.now())
    if (!fitsIn(data, options.maxMessageSize)) {
      return this.beginClose(CloseCode.MessageTooBig, 'message too big')
    }
    const control = controlType(data)
    if (control !== undefined) {
      // Consumed by the core: a pong's liveness is counted above; a client's ping is answered.
      if (control === PING) this.write(PONG_TEXT)
      return
    }
    const bucket = this.#rare?.bucket
    if (bucket && !bucket.take()) {
      if (bucket.limit.onExceeded === 'drop') {
        return this.report(new RateLimitError('message dropped: rate limit exceeded'))
      }
      return this.beginClose(CloseCode.PolicyViolation, 'rate limit exceeded')
    }
    this.messagesIn++
    const message = new Message(data)
    if (!this.#busy && !this.#rare?.queue?.length) return this.#handle(message)
    if (!this.#hold(message)) return
    this.#rare!.queue!.push(message)
  }

  /** The peer answered a ping. */
  ponged(): void {
    this.#alive = true
  }

  /**
   * Accounts for a message the application has not taken yet. False when the queue
   * overflowed and the connection is closing.
   */
  #hold(message: Message): boolean {
    const queue = (this.#more.queue ??= new InboundQueue(this.options.inboundQueue))
    const transport = this.transport!
    const admitted = queue.admit(message.size, transport.pause !== undefined)
    if (admitted === 'overflow') {
      this.messagesDropped++
      this.beginClose(CloseCode.PolicyViolation, 'inbound queue full')
      return false
    }
    if (admitted === 'pause') transport.pause!()
    return true
  }

  #release(message: Message): void {
    if (this.#rare?.queue?.release(message.size) && this.state === ReadyState.OPEN) this.transport!.resume?.()
  }

  /** Hands one message to the application: listeners, the iterator, then the hooks. */
  #handle(message: Message): void {
    if (!rules(this.state).dispatch) {
      this.messagesDropped++
      return
    }
    const rare = this.#rare
    if (rare?.listeners?.get('message')?.length) {
      const raw = message.raw
      const eventData =
        typeof raw === 'string'
          ? raw
          : this.binaryType === 'blob'
            ? new Blob([message.bytes() as Uint8Array<ArrayBuffer>])
            : message.data
      this.#dispatchEvent('message', { type: 'message', data: eventData, message, target: this })
    }
    const inbox = rare?.inbox
    if (inbox && this.#hold(message) && !inbox.push(message)) this.#release(message)
    const hooks = this.hooks
    if (!hooks?.events && !hooks?.message) return this.#settled()
    this.#waitFor(this.#dispatch(hooks, message), true)
  }

  /**
   * What a hook returned: when a promise, the connection is busy until it settles (a
   * rejection closes this socket), then goes on with the queue. One `then` per promise.
   */
  #waitFor(result: unknown, afterMessage = false): void {
    if (isThenable(result)) return this.#waitAsync(result, afterMessage)
    if (afterMessage) this.#settled()
  }

  /**
   * {@link #waitFor} for a promise. Apart from it because of its closures: a function
   * whose variables closures capture allocates their scope on every call, and the usual
   * hook returns nothing.
   */
  #waitAsync(result: PromiseLike<unknown>, afterMessage: boolean): void {
    this.#busy = true
    const done = () => {
      this.#busy = false
      if (afterMessage) this.#settled()
      this.#pump()
    }
    result.then(done, (error: unknown) => {
      this.crash(error)
      done()
    })
  }

  /** A message's handling has settled: a runtime that persists sockets saves it now. */
  #settled(): void {
    if (this.state !== ReadyState.CLOSED) this.runtime?.persist?.(this)
  }

  #pump(): void {
    while (!this.#busy) {
      const next = this.#rare?.queue?.shift()
      if (!next) break
      this.#release(next)
      this.#handle(next)
    }
    const job = this.#busy ? undefined : this.#rare?.closeJob
    if (job) {
      this.#rare!.closeJob = undefined
      job()
    }
  }

  // ---- policy (run by the runtime's sweep) -------------------------------------------

  #heartbeatOn(): boolean {
    const { heartbeatInterval, heartbeatApp } = this.options
    const transport = this.transport!
    return heartbeatInterval > 0 && !transport.hibernates && (heartbeatApp || !transport.checksLiveness)
  }

  #nextDeadline(now: number): number {
    let next = Infinity
    const rare = this.#rare
    if (this.state === ReadyState.CLOSING && rare?.closeDeadline) next = rare.closeDeadline
    if (this.state === ReadyState.OPEN) {
      if (this.#flags & BEATING) next = Math.min(next, EPOCH + this.#nextBeat)
      if (this.options.idleTimeout) next = Math.min(next, EPOCH + this.#lastMessage + this.options.idleTimeout)
    }
    if (rare?.drainWaiters?.length) next = Math.min(next, now + DRAIN_POLL)
    return next
  }

  sweep(now: number): number {
    const rare = this.#rare
    if (this.state === ReadyState.CLOSING && rare?.closeDeadline && now >= rare.closeDeadline) {
      this.drop(CloseCode.Abnormal, rare.closeReason || 'close timeout')
      return Infinity
    }
    if (rules(this.state).policing) {
      if (this.#flags & BEATING && now >= EPOCH + this.#nextBeat) {
        if (!this.#alive) {
          this.drop(CloseCode.Abnormal, 'heartbeat timeout')
          return Infinity
        }
        this.#alive = false
        this.transport!.ping?.()
        if (this.options.heartbeatApp) this.write(PING_TEXT)
        this.#nextBeat = sinceEpoch(beatAfter(EPOCH + this.#nextBeat, now, this.options.heartbeatInterval))
      }
      const idle = this.options.idleTimeout
      if (idle && now >= EPOCH + this.#lastMessage + idle) this.beginClose(CloseCode.GoingAway, 'idle timeout')
    }
    const waiters = rare?.drainWaiters
    if (waiters?.length) {
      rare!.drainWaiters = waiters.filter((w) => !(this.#isDrained(w.threshold) && (w.resolve(), true)))
    }
    return this.#nextDeadline(now)
  }

  /**
   * When the last message arrived (ms since the epoch), for runtimes that persist it. Kept
   * for the idle timeout only: on a route without one, it stays at when the socket opened.
   */
  get lastMessageAt(): number {
    return EPOCH + this.#lastMessage
  }

  // ---- application code and events ---------------------------------------------------

  /**
   * Runs application code; a throw or rejection closes this socket (never another).
   * Returns a promise when the code is async, settled once it has finished.
   */
  #run(fn: () => unknown): Promise<void> | undefined {
    try {
      return this.#awaited(fn())
    } catch (error) {
      this.crash(error)
    }
    return undefined
  }

  /** Runs the open hook: what it returned, or undefined when it threw (this socket is then closing). */
  #call(hook: (socket: ServerSocket<Data>) => unknown): unknown {
    try {
      return hook(this)
    } catch (error) {
      this.crash(error)
    }
    return undefined
  }

  /** Runs the hooks of one message, as {@link #call}: what they returned, without a closure per message. */
  #dispatch(hooks: SocketHooks<Data>, message: Message): unknown {
    try {
      return dispatchMessage(this, hooks, message)
    } catch (error) {
      this.crash(error)
    }
    return undefined
  }

  /** What application code returned: a promise to wait for (a rejection closes this socket), or nothing. */
  #awaited(result: any): Promise<void> | undefined {
    if (result && typeof result.then === 'function') return result.then(noop, (error: unknown) => this.crash(error))
    return undefined
  }

  /** Application code failed: report it and close with 1011 (1007 for a format error). */
  crash(error: unknown): void {
    this.report(error)
    if (error instanceof MessageFormatError) this.beginClose(CloseCode.InvalidPayload, clip(error.message))
    else this.beginClose(CloseCode.InternalError, 'internal error')
  }

  report(error: unknown): void {
    const onError = this.hooks?.error
    const listeners = this.#rare?.listeners?.get('error')
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
      this.#dispatchEvent('error', { type: 'error', error, message, target: this })
    }
  }

  addListener(type: string, listener: Listener): void {
    const listeners = (this.#more.listeners ??= new Map())
    const list = listeners.get(type)
    if (!list) listeners.set(type, [listener])
    else if (!list.includes(listener)) list.push(listener)
  }

  removeListener(type: string, listener: Listener): void {
    const list = this.#rare?.listeners?.get(type)
    const at = list ? list.indexOf(listener) : -1
    if (at >= 0) list!.splice(at, 1)
  }

  #dispatchEvent(type: string, event: object): void {
    const list = this.#rare?.listeners?.get(type)
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

  iterator(): AsyncIterator<Message> {
    const inbox = (this.#more.inbox ??= new Inbox((message) => this.#release(message)))
    if (this.state === ReadyState.CLOSED) inbox.end()
    return inbox
  }
}

const BUSY = 1
const ALIVE = 2
const BEATING = 4

/** How often `drained()` looks at the buffer while someone waits. */
const DRAIN_POLL = 10

/**
 * Heartbeats are spread over the interval in this many slots, sockets dealt to them in
 * turn: each of the sweep's heartbeat ticks pings about 1/32 of the sockets. With every
 * socket on one grid point, 10,000 sockets on Node stalled the event loop for 150 to 260
 * ms every interval (the pings, then the pongs); the sweep now wakes for them at most 32
 * times per interval, and each wake looks at every socket (cheap next to a ping).
 */
const BEAT_SLOTS = 32
let nextSlot = 0

/** When a socket opened at `now` first beats: its slot's next time, within one interval. */
function firstBeat(now: number, interval: number): number {
  // Whole milliseconds: the beat is stored as a small integer (see epoch.ts).
  const phase = nextSlot * Math.floor(interval / BEAT_SLOTS)
  nextSlot = (nextSlot + 1) % BEAT_SLOTS
  return beatAfter(phase, now, interval)
}

/** The first beat after `now` on `previous`'s slot (a multiple of `interval` away): a late tick keeps the socket in its slot. */
function beatAfter(previous: number, now: number, interval: number): number {
  return previous + (Math.floor((now - previous) / interval) + 1) * interval
}

function noop(): void {}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function'
}

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

