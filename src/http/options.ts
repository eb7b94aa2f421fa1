import type { Context, Env } from 'hono'
import type { RateLimit } from '../connection/rate-limit.ts'

/** Chooses a subprotocol from the client's offer; return undefined when none fits. */
export type ProtocolSelector = (offered: string[], c: Context) => string | undefined

/**
 * Options of one WebSocket route; every field has a default. `E` and `P` are the route's
 * Hono env and path, which type the context `data` gets.
 */
export interface SocketOptions<Data = unknown, E extends Env = any, P extends string = any> {
  /**
   * Origins allowed to open a socket (exact `scheme://host[:port]` strings), or a
   * predicate. A request whose `Origin` is not allowed gets 403 before the upgrade.
   * Requests without an `Origin` header (non-browser clients) are allowed. Default:
   * every origin.
   */
  allowedOrigins?: readonly string[] | ((origin: string, c: Context) => boolean)
  /**
   * Subprotocols the server speaks, most preferred first, or a function that picks
   * one from the client's offer. The chosen one is echoed in `Sec-WebSocket-Protocol`;
   * nothing else ever is.
   */
  protocols?: readonly string[] | ProtocolSelector
  /**
   * What to do when the client offers subprotocols and none is acceptable: `false`
   * (default) answers 400; `true` accepts the socket with no protocol.
   */
  acceptWithoutProtocol?: boolean
  /** Largest incoming message in bytes; a larger one closes the socket with 1009. Default 1 MiB. */
  maxMessageSize?: number
  /** Per-connection message rate limit. Default: none. */
  rateLimit?: RateLimit | false
  /**
   * Liveness check: every `interval` ms the server pings (where the runtime can) and
   * a socket that has neither answered nor sent anything since the previous check is
   * dropped, so a dead peer goes within two intervals. Default `{ interval: 30_000 }`.
   * The sockets' pings are spread over the interval, so a server holding many sockets
   * never pings them all at once.
   *
   * With `app: true` each tick also sends `{"type":"portsocket:ping"}`, which a browser
   * client (it cannot see protocol pings) answers with `{"type":"portsocket:pong"}`; the
   * pong counts as liveness and never reaches the hooks. On runtimes that check liveness
   * themselves (Deno, workerd) the app heartbeat is the core's only one. Hibernatable
   * Durable Object sockets run no heartbeat timer (see the README).
   */
  heartbeat?: { interval: number; app?: boolean } | false
  /** Close with 1001 after this many ms without an incoming message. Default 0 (off). */
  idleTimeout?: number
  /**
   * Largest outgoing buffer in bytes before the socket is treated as a slow consumer and
   * closed with 1013. Default 4 MiB; 0 turns the check off.
   */
  maxBufferedAmount?: number
  /** How long a close handshake may take before the connection is dropped. Default 5000 ms. */
  closeTimeout?: number
  /** Builds the connection's `data` from the upgrade request (auth results, params…). */
  data?: (c: Context<E, P>) => Data
  /**
   * Announce joins and leaves: when a socket of this route joins or leaves a room (or
   * closes), the room's other members get `{ "type": "presence", "data": { room,
   * action: "join" | "leave", member: { id, data } } }`. Default false.
   */
  presence?: boolean
  /** Most rooms one socket may be in. Default 64. */
  maxRooms?: number
  /**
   * The bound on messages that arrived but are not handled yet (waiting behind an async
   * hook, or not yet pulled by `for await`). At the limit the runtime's reads are
   * paused where it can (Node) and resumed when the queue is down to half; where it
   * cannot, the next message closes the connection with 1008 `inbound queue full`.
   * Default `{ maxMessages: 1024, maxBytes: 4 MiB }`.
   */
  inboundQueue?: { maxMessages?: number; maxBytes?: number }
  /**
   * What happens when an `events` entry's schema rejects the data: `'reply'` (default)
   * tells the client (`portsocket:invalid`, or the ack's `error`) and reports a
   * `ValidationError` to `error`; `'ignore'` only reports it; `'close'` reports it and
   * closes with 1007. The input is never echoed back.
   */
  invalidEvents?: 'reply' | 'ignore' | 'close'
  /**
   * A stable id for a `websocket()` route with object hooks. On Workers, only routes
   * with an id hibernate: a revived socket finds its hooks again by this id, which stays
   * the same across deploys (unlike the order of definition). Registering the same id
   * again replaces the earlier route.
   */
  id?: string
}

/** A route's options with every default filled in: what `socket.options` shows. */
export interface ResolvedOptions {
  readonly id: string | undefined
  readonly allowedOrigins: SocketOptions['allowedOrigins']
  readonly protocols: SocketOptions['protocols']
  readonly acceptWithoutProtocol: boolean
  readonly maxMessageSize: number
  readonly rateLimit: RateLimit | undefined
  /** 0 when off. */
  readonly heartbeatInterval: number
  readonly heartbeatApp: boolean
  /** 0 when off. */
  readonly idleTimeout: number
  readonly maxBufferedAmount: number
  readonly closeTimeout: number
  readonly data: ((c: Context) => unknown) | undefined
  readonly presence: boolean
  readonly maxRooms: number
  readonly inboundQueue: { readonly maxMessages: number; readonly maxBytes: number }
  readonly invalidEvents: 'reply' | 'ignore' | 'close'
}

const MiB = 1024 * 1024
const resolvedCache = new WeakMap<object, ResolvedOptions>()

/** Fills in defaults once per options object, so each upgrade costs a lookup. */
export function resolveOptions(options: SocketOptions<any> = {}): ResolvedOptions {
  let resolved = resolvedCache.get(options)
  if (resolved) return resolved
  const rate = options.rateLimit || undefined
  if (rate && !(rate.burst >= 1 && rate.perSecond > 0)) {
    throw new RangeError('rateLimit needs burst >= 1 and perSecond > 0')
  }
  const invalid = options.invalidEvents ?? 'reply'
  if (invalid !== 'reply' && invalid !== 'ignore' && invalid !== 'close') {
    throw new RangeError(`invalidEvents must be 'reply', 'ignore' or 'close', got ${String(invalid)}`)
  }
  if (options.id !== undefined && (typeof options.id !== 'string' || options.id === '')) {
    throw new TypeError('a route id must be a non-empty string')
  }
  resolved = Object.freeze({
    id: options.id,
    allowedOrigins: options.allowedOrigins,
    protocols: options.protocols,
    acceptWithoutProtocol: options.acceptWithoutProtocol ?? false,
    maxMessageSize: positive(options.maxMessageSize, MiB, 'maxMessageSize'),
    rateLimit: rate,
    heartbeatInterval: options.heartbeat === false ? 0 : positive(options.heartbeat?.interval, 30_000, 'heartbeat.interval'),
    heartbeatApp: options.heartbeat ? options.heartbeat.app === true : false,
    idleTimeout: options.idleTimeout ?? 0,
    maxBufferedAmount: options.maxBufferedAmount ?? 4 * MiB,
    closeTimeout: positive(options.closeTimeout, 5000, 'closeTimeout'),
    data: options.data,
    presence: options.presence ?? false,
    maxRooms: positive(options.maxRooms, 64, 'maxRooms'),
    inboundQueue: Object.freeze({
      maxMessages: positive(options.inboundQueue?.maxMessages, 1024, 'inboundQueue.maxMessages'),
      maxBytes: positive(options.inboundQueue?.maxBytes, 4 * MiB, 'inboundQueue.maxBytes'),
    }),
    invalidEvents: invalid,
  })
  resolvedCache.set(options, resolved)
  return resolved
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!(value > 0)) throw new RangeError(`${name} must be a positive number, got ${value}`)
  return value
}
