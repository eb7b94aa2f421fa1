import { envelope, MemoryHub, type ConnectionInfo, type Delivered, type FanOut, type Hub, type Recipients, type SendData, type ServerSocket } from '../index.ts'
import { commandConnection, subscriberConnection, type Connection, type RedisClient } from './client.ts'
import { HubUnavailableError } from './errors.ts'
import { keys, type Keys } from './keys.ts'
import { leaseTiming, Probe, type LeaseTiming } from './lease.ts'
import { idList, presenceOf, toPayload, type Payload } from './local.ts'
import { dataOf, metaOf, parseEntries } from './registry.ts'
import { connectionInfo } from '../delivery/hub.ts'
import { checkCloseArguments } from '../connection/close-codes.ts'
import { SendBatch } from './batch.ts'
import { Scripts, type ScriptName } from './scripts.ts'
import { Subscriptions } from './subscriptions.ts'
import { decode, encode, payloadText, senderMark, type Header } from './wire.ts'

/** Options of {@link RedisHub}. */
export interface RedisHubOptions {
  /**
   * Your Redis client: an ioredis `Redis` or a node-redis `createClient()` client. RedisHub
   * sends its commands on it and opens one subscriber connection with `duplicate()`. It
   * adds an `error` listener, so a Redis outage never crashes the process, and connects a
   * node-redis client that is not open yet. It never closes your client.
   */
  client: RedisClient
  /** Prefix of every key and channel. Default `"portsocket"`. Instances that share one see each other. */
  prefix?: string
  /**
   * How long (ms) an instance's connections stay visible after it stopped renewing its
   * lease (a crash, kill -9, a network cut). Default 15 000; at least 1000.
   */
  leaseTtl?: number
  /** How often (ms) the lease is renewed, dead instances reaped and the subscriber probed. Default `leaseTtl / 3`. */
  renewInterval?: number
  /** How long (ms) a call waits for Redis before failing with {@link HubUnavailableError}. Default 2000. */
  commandTimeout?: number
  /** This instance's id. Default: a random UUID. */
  instanceId?: string
  /**
   * Receives Redis errors (connection refused, timeouts, a replaced subscriber). Default:
   * `console.error`, once per outage.
   */
  onError?: (error: unknown) => void
}

/**
 * A hub that spans instances through Redis: every instance of an app (on Node, Bun or
 * Deno, mixed freely) that uses the same Redis and prefix shares rooms, delivery, the
 * connection registry and presence. Pass it to `serve(app, { hub })`.
 *
 * Local sockets stay in a {@link MemoryHub} (so each runtime's fast fan-out still serves
 * the local part of a delivery); Redis holds the registry and carries deliveries to the
 * other instances. See the README, "Across instances (Redis)", for keys, TTLs and guarantees.
 *
 * @example
 * import Redis from 'ioredis'
 * import { RedisHub } from 'portsocket/redis'
 * await serve(app, { hub: new RedisHub({ client: new Redis(process.env.REDIS_URL) }) })
 */
export class RedisHub implements Hub {
  readonly instanceId: string
  readonly #local = new MemoryHub()
  /** Local members per room, to subscribe on the first and unsubscribe after the last. */
  readonly #roomCounts = new Map<string, number>()
  readonly #redis: Connection
  readonly #subs: Subscriptions
  readonly #scripts: Scripts
  readonly #batch: SendBatch
  readonly #keys: Keys
  /** How this instance's own messages start (wire.ts). */
  readonly #own: string
  readonly #lease: LeaseTiming
  readonly #timeout: number
  readonly #onError: (error: unknown) => void
  readonly #probe = new Probe()
  readonly #pending = new Set<Promise<unknown>>()
  #timer: ReturnType<typeof setInterval> | undefined
  #beating: Promise<void> | undefined
  /** The registry may not match the local state: register everything again on the next renewal. */
  #dirty = true
  #closed = false
  #quiet = false
  readonly #started: Promise<void>
  #markStarted!: () => void

  constructor(options: RedisHubOptions) {
    if (!options || !options.client) throw new TypeError('RedisHub: the `client` option (an ioredis or node-redis client) is required')
    this.instanceId = options.instanceId ?? crypto.randomUUID()
    this.#own = senderMark(this.instanceId)
    this.#lease = leaseTiming(options.leaseTtl, options.renewInterval)
    this.#timeout = options.commandTimeout ?? 2000
    const prefix = options.prefix ?? 'portsocket'
    if (!prefix) throw new RangeError('RedisHub: prefix must not be empty')
    this.#keys = keys(prefix)
    this.#scripts = new Scripts(prefix)
    this.#batch = new SendBatch(this.instanceId, (args) => this.#sendBatch(args), unavailable)
    this.#onError = options.onError ?? ((error) => this.#logOnce(error))
    this.#started = new Promise((resolve) => (this.#markStarted = resolve))
    const report = (error: unknown) => this.#report(error)
    this.#redis = commandConnection(options.client, report)
    this.#subs = new Subscriptions(
      () => subscriberConnection(options.client, (channel, message) => this.#received(channel, message), report),
      this.#timeout,
      report,
    )
    void this.#subs.ensure(this.#keys.all)
    void this.#subs.ensure(this.#keys.instance(this.instanceId))
    // Back from an outage: renew, re-register and resubscribe at once rather than at the next tick.
    this.#redis.onReady(() => void this.#beat())
    this.#timer = setInterval(() => void this.#beat(), this.#lease.renew)
    ;(this.#timer as { unref?: () => void }).unref?.()
    void this.#beat()
  }

  /** @internal a runtime hands over its fan-out fast path (each runtime that uses the hub, before its sockets). */
  bind(fanOut: FanOut): void {
    // Through the local hub's own bind, so a second runtime (one hub shared by two
    // servers) keeps the first one's sockets in their rooms.
    this.#local.bind(fanOut)
  }

  /**
   * Resolves once this instance holds its lease and has registered its connections
   * (useful before sending traffic in tests and health checks).
   */
  ready(): Promise<void> {
    return this.#started
  }

  /** Whether Redis is reachable now (commands can be sent). */
  get available(): boolean {
    return this.#redis.ready && !this.#closed
  }

  // ---- local sockets ------------------------------------------------------------------

  attach(socket: ServerSocket<any>): void {
    this.#local.attach(socket)
    this.#write('add', [this.instanceId, socket.id, metaOf(socket), dataOf(socket.data)])
  }

  detach(socket: ServerSocket<any>): void {
    const rooms = [...socket.rooms]
    if (!this.#local.detach(socket)) return
    const args = [this.instanceId, socket.id, '']
    const emptied: string[] = []
    for (const room of rooms) {
      const last = this.#count(room, -1) === 0
      if (last) emptied.push(room)
      args.push(room, last ? '1' : '0', this.#presence(socket, room, 'leave'))
    }
    this.#write('remove', args)
    for (const room of emptied) this.#subs.release(this.#keys.room(room))
  }

  restore(socket: ServerSocket<any>, rooms: readonly string[]): void {
    this.#local.restore(socket, rooms)
    const args = [this.instanceId, socket.id, metaOf(socket), dataOf(socket.data)]
    for (const room of socket.rooms) {
      if (this.#count(room, 1) === 1) void this.#subs.ensure(this.#keys.room(room))
      args.push(room, '')
    }
    this.#write('add', args)
  }

  async join(socket: ServerSocket<any>, room: string): Promise<void> {
    const had = socket.rooms.has(room)
    await this.#local.join(socket, room)
    if (had || !socket.rooms.has(room)) return
    // Subscribed before registered: whoever sees the member in the registry reaches it.
    if (this.#count(room, 1) === 1) await this.#subs.ensure(this.#keys.room(room))
    // It may have left or closed meanwhile; the write that did that has gone out already.
    if (this.#local.sockets.get(socket.id) !== socket || !socket.rooms.has(room)) return
    await this.#write('add', [this.instanceId, socket.id, metaOf(socket), dataOf(socket.data), room, this.#presence(socket, room, 'join')])
  }

  async leave(socket: ServerSocket<any>, room: string): Promise<void> {
    const had = socket.rooms.has(room)
    await this.#local.leave(socket, room)
    if (!had || socket.rooms.has(room) || this.#local.sockets.get(socket.id) !== socket) return
    const last = this.#count(room, -1) === 0
    const written = this.#write('remove', [this.instanceId, socket.id, metaOf(socket), room, last ? '1' : '0', this.#presence(socket, room, 'leave')])
    if (last) this.#subs.release(this.#keys.room(room))
    await written
  }

  // ---- delivery -----------------------------------------------------------------------

  /**
   * Delivers to local recipients through the local hub, then to the other instances
   * through Redis. `delivered` counts local sockets written to plus the recipients the
   * registry holds on other live instances (see the README). Rejects with
   * {@link HubUnavailableError} when Redis cannot be reached; local sockets got it by then.
   *
   * Deliveries to a room or to everyone made in one turn of the event loop go to Redis
   * together, as one call, right after that turn's I/O; each resolves once that call
   * answered, with its own count.
   */
  send(to: Recipients, data: SendData): Promise<Delivered> {
    try {
      return this.#send(to, data)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  #send(to: Recipients, data: SendData): Promise<Delivered> {
    const payload = toPayload(data)
    if ('ids' in to) return this.#sendToIds(idList(to.ids), payload)
    // Not async, and no promise beyond the one returned: under load this runs for every
    // message, and what it allocates lives until the batch's reply.
    const except = to.except === undefined ? NO_IDS : [...idList(to.except)]
    const room = 'room' in to ? to.room : undefined
    // The remote part is queued first: Redis gets the sends in the order they were made.
    const usable = !this.#closed && this.#redis.ready
    const text = usable ? (typeof payload === 'string' ? payload : payloadText(payload).text) : ''
    const here = this.#local.sendNow(except.length ? { ...to, except: this.#localOnly(except) } : to, payload)
    if (!usable) {
      this.#check(here)
      return Promise.resolve(here)
    }
    return this.#batch.add(room === undefined ? 'a' : 'r', room ?? '', text, typeof payload === 'string' ? 0 : 1, except, here)
  }

  async #sendToIds(ids: readonly string[], payload: Payload): Promise<Delivered> {
    const local: string[] = []
    const remote: string[] = []
    for (const id of new Set(ids)) (this.#isLocal(id) ? local : remote).push(id)
    // The remote part is handed over first, before any await (see send).
    const far = remote.length ? attempt(() => this.#sendIds(remote, payload)) : undefined
    const here = local.length ? await this.#local.send({ ids: local }, payload) : { delivered: 0, missing: [] }
    if (!far) return here
    const reply = (await finish(far, here)) as [unknown, unknown]
    const missing = Array.isArray(reply?.[1]) ? (reply[1] as unknown[]).map(String) : remote
    return { delivered: here.delivered + Number(reply?.[0] ?? 0), missing }
  }

  // ---- registry -----------------------------------------------------------------------

  async connections(): Promise<ConnectionInfo[]> {
    const remote = parseEntries(await this.#call('list', []), this.instanceId)
    return [...this.#localInfos(this.#local.sockets.values()), ...remote]
  }

  async connection(id: string): Promise<ConnectionInfo | undefined> {
    const socket = this.#local.sockets.get(id)
    if (socket) return connectionInfo(socket, this.instanceId)
    return parseEntries(await this.#call('get', [id]), this.instanceId)[0]
  }

  async rooms(): Promise<string[]> {
    const reply = await this.#call('rooms', [])
    const rooms = new Set(Array.isArray(reply) ? reply.map(String) : [])
    for (const room of this.#roomCounts.keys()) rooms.add(room)
    return [...rooms]
  }

  async members(room: string): Promise<ConnectionInfo[]> {
    const remote = parseEntries(await this.#call('members', [room]), this.instanceId)
    const local = [...this.#local.sockets.values()].filter((socket) => socket.rooms.has(room))
    return [...this.#localInfos(local), ...remote]
  }

  async update(id: string, data: unknown): Promise<boolean> {
    const socket = this.#local.sockets.get(id)
    if (socket) {
      socket.data = data
      this.#write('setData', [this.instanceId, id, dataOf(data)])
      return true
    }
    const json = JSON.stringify(data) ?? 'null'
    return Number(await this.#call('update', [this.instanceId, id, json])) === 1
  }

  async disconnect(id: string, code = 1000, reason = ''): Promise<boolean> {
    if (this.#isLocal(id)) return this.#local.disconnect(id, code, reason)
    checkCloseArguments(code, reason)
    return Number(await this.#call('disconnect', [this.instanceId, id, String(code), reason])) === 1
  }

  /**
   * Graceful shutdown (called by `server.close()` after the sockets closed): waits for
   * pending writes, removes everything this instance wrote, ends its lease and closes
   * the subscriber connection. Your client stays open.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    clearInterval(this.#timer)
    this.#batch.flush()
    await this.#settle()
    this.#closed = true
    if (this.#redis.ready) {
      await this.#withTimeout(this.#run('clear', [this.instanceId, ''])).catch((error) => this.#report(error))
    }
    this.#subs.close()
  }

  // ---- internals ----------------------------------------------------------------------

  /** The ids of `except` held here: the local hub keeps its native publish when none or one is left. */
  #localOnly(except: readonly string[] | undefined): string[] {
    return except ? except.filter((id) => this.#isLocal(id)) : []
  }

  /** Whether the connection with this id is held here. */
  #isLocal(id: string): boolean {
    return this.#local.sockets.get(id) !== undefined
  }

  #localInfos(sockets: Iterable<ServerSocket<any>>): ConnectionInfo[] {
    return [...sockets].map((socket) => connectionInfo(socket, this.instanceId))
  }

  #count(room: string, delta: number): number {
    const count = (this.#roomCounts.get(room) ?? 0) + delta
    if (count > 0) this.#roomCounts.set(room, count)
    else this.#roomCounts.delete(room)
    return count
  }

  /** The presence message for the other instances ('' when the route does not announce). */
  #presence(socket: ServerSocket<any>, room: string, action: 'join' | 'leave'): string {
    if (!presenceOf(socket)) return ''
    const payload = envelope('presence', { room, action, member: { id: socket.id, data: socket.data } })
    return encode({ f: this.instanceId, k: 'r', room, x: [socket.id] }, payload)
  }

  /** Fails fast with HubUnavailableError while Redis is out of reach. */
  #check(delivered?: Delivered): void {
    if (this.#closed) throw new HubUnavailableError('RedisHub is closed', { delivered })
    if (!this.#redis.ready) throw new HubUnavailableError('Redis is not connected', { delivered })
  }

  /** A call the caller waits on: fails fast with HubUnavailableError while Redis is out of reach. */
  async #call(name: ScriptName, args: string[], delivered?: Delivered): Promise<unknown> {
    this.#check(delivered)
    try {
      return await this.#withTimeout(this.#run(name, args))
    } catch (error) {
      this.#report(error)
      throw unavailable(error, delivered)
    }
  }

  /**
   * Every script call goes through here: the queued deliveries go first, so calls reach
   * Redis in the order they were made (see Scripts.run).
   */
  #run(name: ScriptName, args: string[]): Promise<unknown> {
    this.#batch.flush()
    return this.#scripts.run(this.#redis, name, args)
  }

  /** A delivery to ids on other instances: not batched (its reply names the missing ids). */
  async #sendIds(ids: string[], payload: Payload): Promise<unknown> {
    this.#check()
    const { text, binary } = payloadText(payload)
    try {
      return await this.#withTimeout(this.#run('sendIds', [this.instanceId, String(binary), text, ...ids]))
    } catch (error) {
      this.#report(error)
      throw error
    }
  }

  /** One batch of deliveries (batch.ts); the hub waits for it on close. */
  #sendBatch(args: string[]): Promise<unknown> {
    // Checked again: Redis may have gone, or the hub closed, since the sends were queued.
    try {
      this.#check()
    } catch (error) {
      return Promise.reject(error)
    }
    const sent = this.#withTimeout(this.#scripts.run(this.#redis, 'sendBatch', [this.instanceId, ...args]))
    const done = sent.catch((error) => this.#report(error))
    this.#pending.add(done)
    void done.finally(() => this.#pending.delete(done))
    return sent
  }

  /**
   * A registry write for local state. It never fails: while Redis is out of reach the
   * instance is marked for re-registration, which the next renewal does.
   */
  #write(name: ScriptName, args: string[]): Promise<void> {
    if (this.#closed) return Promise.resolve()
    if (!this.#redis.ready) {
      this.#dirty = true
      return Promise.resolve()
    }
    const done = this.#withTimeout(this.#run(name, args)).then(
      (result) => {
        // 0: the lease is gone (reaped, or Redis restarted): register again now.
        if (Number(result) === 0 && name !== 'setData') this.#lost()
      },
      (error) => {
        this.#dirty = true
        this.#report(error)
      },
    )
    this.#pending.add(done)
    void done.finally(() => this.#pending.delete(done))
    return done
  }

  #lost(): void {
    this.#dirty = true
    queueMicrotask(() => void this.#beat())
  }

  /** One renewal: lease, reaper, probe; then re-registration when needed. Never overlaps itself. */
  #beat(): Promise<void> {
    if (this.#closed || !this.#redis.ready) return Promise.resolve()
    return (this.#beating ??= this.#renew().finally(() => (this.#beating = undefined)))
  }

  async #renew(): Promise<void> {
    const n = this.#probe.next()
    const probe = encode({ f: this.instanceId, k: 'p', n }, '')
    try {
      const reply = (await this.#withTimeout(
        this.#run('heartbeat', [this.instanceId, String(this.#lease.ttl), probe]),
      )) as unknown[]
      const lost = Number(reply?.[0]) === 1
      if (lost || this.#dirty) await this.#register()
      if (this.#probe.check(Number(reply?.[1])) && this.#subs.ready) {
        this.#report(new Error('RedisHub: the subscriber stopped receiving its own probes; reconnecting it'))
        this.#subs.replace()
      }
      this.#quiet = false
      this.#markStarted()
    } catch (error) {
      this.#dirty = true
      this.#report(error)
    }
  }

  /** Replaces this instance's registry entries with its local state, in one ordered burst. */
  async #register(): Promise<void> {
    this.#dirty = false
    const id = this.instanceId
    // Issued back to back without awaiting in between, so any later write goes after them.
    const calls = [this.#run('clear', [id, String(this.#lease.ttl)])]
    for (const socket of this.#local.sockets.values()) {
      const args = [id, socket.id, metaOf(socket), dataOf(socket.data)]
      for (const room of socket.rooms) args.push(room, '')
      calls.push(this.#run('add', args))
    }
    try {
      const results = await this.#withTimeout(Promise.all(calls))
      if (results.some((r) => Number(r) !== 1)) this.#dirty = true
    } catch (error) {
      this.#dirty = true
      throw error
    }
  }

  /** A message from another instance (or this instance's own probe). */
  #received(_channel: string, message: string): void {
    // Its own deliveries come back on the channels it publishes to: dropped undecoded
    // (with n instances in a room, one n-th of what each hears). Its probes are kept.
    if (message.startsWith(this.#own) && message[this.#own.length] !== 'p') return
    const decoded = decode(message)
    if (!decoded) return
    const { header, parts } = decoded
    if (header.k === 'p') {
      if (header.f === this.instanceId && typeof header.n === 'number') this.#probe.heard(header.n)
      return
    }
    if (header.f === this.instanceId) return
    if (header.k === 'r' || header.k === 'a') {
      // The hot path (every delivery to a room or to all): straight to the local hub, a
      // batch's parts together and in order, each as if it came alone (see sendRun).
      if (header.k === 'r' && typeof header.room !== 'string') return
      for (const part of parts) if (part.except.length) part.except = this.#localOnly(part.except)
      try {
        this.#local.sendRun(header.k === 'r' ? { room: header.room! } : { all: true }, parts)
      } catch (error) {
        this.#report(error)
      }
      return
    }
    for (const { payload } of parts) this.#apply(header, payload).catch((error) => this.#report(error))
  }

  /** A message of any other kind (to ids, update, disconnect). */
  async #apply(header: Header, payload: Payload): Promise<void> {
    switch (header.k) {
      case 'i':
        if (Array.isArray(header.ids)) await this.#local.send({ ids: header.ids.filter((id) => this.#isLocal(id)) }, payload)
        return
      case 'u': {
        const socket = header.id === undefined ? undefined : this.#local.sockets.get(header.id)
        if (!socket || typeof payload !== 'string') return
        socket.data = JSON.parse(payload)
        // A local write (a join) may have stored the old data after the sender stored the new.
        this.#write('setData', [this.instanceId, socket.id, payload])
        return
      }
      case 'd':
        if (header.id !== undefined && this.#isLocal(header.id)) await this.#local.disconnect(header.id, header.c ?? 1000, header.r ?? '')
        return
    }
  }

  #withTimeout<T>(promise: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout>
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new HubUnavailableError(`Redis did not answer within ${this.#timeout} ms`)), this.#timeout)
    })
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
  }

  async #settle(): Promise<void> {
    const deadline = Date.now() + this.#timeout
    while (this.#pending.size && Date.now() < deadline) await Promise.race([Promise.allSettled([...this.#pending]), sleep(50)])
  }

  #report(error: unknown): void {
    try {
      this.#onError(error)
    } catch {}
  }

  #logOnce(error: unknown): void {
    if (this.#quiet) return
    this.#quiet = true
    console.error('portsocket: RedisHub:', (error as Error)?.message ?? error, '(more errors are silent until Redis answers again)')
  }
}

type Attempt<T> = { ok: true; value: T } | { ok: false; error: unknown }

/** Starts a call now, holding its failure until {@link finish} (so none goes unhandled meanwhile). */
function attempt<T>(run: () => Promise<T>): Promise<Attempt<T>> {
  try {
    return run().then(
      (value) => ({ ok: true, value }),
      (error) => ({ ok: false, error }),
    )
  } catch (error) {
    return Promise.resolve({ ok: false, error })
  }
}

/** The call's result, or its failure as HubUnavailableError carrying what was delivered locally. */
async function finish<T>(started: Promise<Attempt<T>>, delivered: Delivered): Promise<T> {
  const result = await started
  if (result.ok) return result.value
  throw unavailable(result.error, delivered)
}

/** The error a failed Redis call rejects with, carrying what was delivered locally. */
function unavailable(error: unknown, delivered: Delivered | undefined): HubUnavailableError {
  if (error instanceof HubUnavailableError) return new HubUnavailableError(error.message, { delivered })
  return new HubUnavailableError(`Redis failed: ${(error as Error)?.message ?? error}`, { cause: error, delivered })
}

const NO_IDS: readonly string[] = []

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
