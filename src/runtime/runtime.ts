import type { Payload } from '../connection/payload.ts'
import { Connection } from '../connection/connection.ts'
import { connectionOf, type ServerSocket } from '../connection/socket.ts'
import type { FanOut, Hub } from '../delivery/hub.ts'
import { MemoryHub } from '../delivery/memory-hub.ts'
import { LocalSockets } from '../delivery/local-sockets.ts'
import { resolveOptions } from '../http/options.ts'
import { routeById } from '../http/routes.ts'
import { handshakeHeaders, takeUpgrade } from '../http/upgrade.ts'
import { markServed } from './served.ts'
import { Sweep, sweepOf, type Clock, type Swept } from './sweep.ts'
import type { Transport } from './transport.ts'

/** Anything with Hono's `fetch` signature (a Hono app, or a wrapper of one). */
export interface FetchApp {
  fetch(request: Request, env?: any, executionCtx?: any): Response | Promise<Response>
}

/** How {@link Runtime.shutdown} closes the sockets. */
export interface ShutdownOptions {
  /** Close code sent to every socket. Default 1001 (going away). */
  code?: number
  /** Close reason sent to every socket. Default `"server shutting down"`. */
  reason?: string
}

/** What a runtime saved of a socket to revive it later on a transport that stayed connected. */
export interface RevivedSocket {
  /** The id of the `websocket()` route the socket belongs to. */
  route: string
  id: string
  url: string
  protocol: string
  remoteAddress?: string
  data: unknown
  rooms: readonly string[]
  connectedAt: number
  messagesIn: number
  messagesOut: number
  /** When the last message arrived (ms since the epoch), for the idle timeout. */
  lastMessageAt?: number
}

/** Options of a {@link Runtime}. */
export interface RuntimeOptions {
  /** The registry and delivery service (default: a {@link MemoryHub}). */
  hub?: Hub
  /** Where the policy sweep sets its one wake-up (default: an unref'd timer). */
  clock?: Clock
}

/**
 * The core half of a runtime adapter. The adapter contract is small:
 *
 * - the adapter implements **`accept`**: turn an upgrade the app agreed to into the
 *   runtime's own socket, and call {@link open} once that socket is open;
 * - it reports that socket's events with **`received`** (one message), **`ponged`** (a
 *   pong) and **`detached`** (the connection ended, with the code the client saw and
 *   the transport's error if there was one; also for an upgrade that failed after
 *   `accept`, with 1006);
 * - optionally it implements **`remoteAddress`** (the client's IP, read during the
 *   request) and **`persist`** (save a socket whose data, metadata or rooms changed).
 *
 * Everything else (limits, ordering, heartbeats, idle and close timeouts, events,
 * iteration, errors) is the core's, the same on every runtime.
 */
export abstract class Runtime<Env = unknown> implements FanOut {
  /** The runtime's name: `node`, `bun`, `deno` or `workerd`. */
  abstract readonly name: string
  /** The open sockets served through this runtime instance; its hub looks them up here (`FanOut.sockets`). */
  readonly sockets = new LocalSockets()
  /** The registry and delivery service for this server's sockets. */
  readonly hub: Hub
  /** The one sweep that runs every socket's policy timers. */
  readonly [sweepOf]: Sweep

  constructor(options: RuntimeOptions | Hub = {}) {
    const { hub, clock } = isHub(options) ? { hub: options, clock: undefined } : options
    // The sweep looks at the open sockets in place: no set of its own with an entry per socket.
    this[sweepOf] = new Sweep(clock, this.sockets as ReadonlySet<ServerSocket<any>> as unknown as ReadonlySet<Swept>)
    this.hub = hub ?? new MemoryHub()
    // Before any socket attaches: the hub may use the runtime's fast path.
    this.hub.bind?.(this)
  }

  /** Native topic publish, where the runtime has one (see {@link FanOut}). */
  publish?(topic: string, payload: Payload, except: ServerSocket<any> | undefined): boolean | 'buffering'
  /** One encoding of a payload for many sends, where the runtime can (see {@link FanOut}). */
  prepare?(payload: Payload): unknown
  /** Several payloads encoded once as one unit, where the runtime can (see {@link FanOut}). */
  prepareMany?(payloads: readonly Payload[]): unknown
  /** The client's IP address for an upgrade request, read while the request is served. */
  remoteAddress?(request: Request, env: Env): string
  /**
   * Saves a socket whose `data`, rooms or counters changed (after every message hook
   * settles, a `data` assignment, `update()`, join and leave), for runtimes that keep
   * sockets across restarts (a hibernating Durable Object).
   */
  persist?(socket: ServerSocket<any>): void

  /**
   * Performs the runtime's upgrade for a socket the app accepted. `headers` are the
   * app's response headers for the 101 (subprotocol included). Throwing (or an upgrade
   * the runtime refuses, reported with `detached(socket, 1006, …)`) settles the socket.
   */
  protected abstract accept(
    request: Request,
    socket: ServerSocket<any>,
    headers: Headers,
    env: Env,
  ): Response | undefined | Promise<Response | undefined>

  /**
   * Runs the app for one request and completes any WebSocket upgrade it made. The answer
   * is synchronous when the app's is (Hono's, for a route whose handlers are not async)
   * and the runtime's upgrade is: a runtime then answers the upgrade without a promise.
   */
  fetch(app: FetchApp, request: Request, env: Env, executionCtx?: unknown): Response | undefined | Promise<Response | undefined> {
    markServed(request, this)
    let response: Response | Promise<Response>
    try {
      response = app.fetch(request, env, executionCtx)
    } catch (error) {
      return Promise.reject(error)
    }
    if (typeof (response as Promise<Response>).then === 'function') {
      return (response as Promise<Response>).then((response) => this.#complete(request, response, env))
    }
    return this.#complete(request, response as Response, env)
  }

  /** The app answered: completes the upgrade it made, if the answer is still that upgrade. */
  #complete(request: Request, response: Response, env: Env): Response | undefined | Promise<Response | undefined> {
    const socket = takeUpgrade(request, response)
    if (!socket) return response
    let accepted: Response | undefined | Promise<Response | undefined>
    try {
      accepted = this.accept(request, socket, this.handshakeHeaders(response, socket), env)
    } catch (error) {
      return this.#refused(socket, error)
    }
    if (!(accepted instanceof Promise)) return accepted
    return accepted.catch((error: unknown) => this.#refused(socket, error))
  }

  /**
   * The headers `accept` gets for the 101, from the response the app accepted the upgrade
   * with: its own, less the body's, with the chosen subprotocol. An adapter whose runtime
   * writes the handshake itself may answer more cheaply.
   */
  protected handshakeHeaders(response: Response, socket: ServerSocket<any>): Headers {
    return handshakeHeaders(response, socket.protocol)
  }

  /** The runtime refused the upgrade (a malformed handshake): the socket never opens. */
  #refused(socket: ServerSocket<any>, error: unknown): Response {
    this.detached(socket, 1006, 'upgrade failed', error)
    return new Response('WebSocket upgrade failed', { status: 400 })
  }

  /** The runtime's socket is open on `transport`: the core opens the socket and runs its open hook. */
  open(socket: ServerSocket<any>, transport: Transport): void {
    connectionOf(socket).attach(transport, this)
  }

  /** One message arrived: a string for a text frame, bytes for a binary one. */
  received(socket: ServerSocket<any>, data: string | Uint8Array): void {
    connectionOf(socket).received(data)
  }

  /** The peer answered a protocol ping. */
  ponged(socket: ServerSocket<any>): void {
    connectionOf(socket).ponged()
  }

  /**
   * The connection ended: `code` and `reason` as the client saw them (1006 when the
   * transport dropped), and `error` when the transport failed (a protocol error, a
   * message over its ceiling); the error reaches the `error` hook before `close`. Safe
   * to call more than once, and for a socket whose upgrade failed after `accept`.
   */
  detached(socket: ServerSocket<any>, code: number, reason: string, error?: unknown): void {
    connectionOf(socket).detached(code, reason, error)
  }

  /**
   * Reopens a socket from what was saved of it, on a transport that stayed connected (a
   * Durable Object woke up): no open hook, no presence announcements. Undefined when its
   * route is unknown (no route with that id in this deploy).
   */
  protected revive(saved: RevivedSocket, transport: (socket: ServerSocket<any>) => Transport): ServerSocket<any> | undefined {
    const route = routeById(saved.route)
    if (!route) return undefined
    const socket = new Connection({
      id: saved.id,
      connectedAt: saved.connectedAt,
      url: saved.url,
      protocol: saved.protocol,
      remoteAddress: saved.remoteAddress,
      data: saved.data,
      options: resolveOptions(route.options),
      hooks: route.hooks,
      route: route.id,
    })
    socket.attach(transport(socket), this, saved)
    this.hub.restore?.(socket, saved.rooms)
    return socket
  }

  /** The id of the route a socket can be revived with, or undefined (its hooks cannot be found again). */
  protected routeOf(socket: ServerSocket<any>): string | undefined {
    return connectionOf(socket).route
  }

  /** The transport a socket is open on, if it is: adapters need no map of their own. */
  protected transportOf(socket: ServerSocket<any>): Transport | undefined {
    return connectionOf(socket).transport
  }

  /** When the socket's last message arrived (ms since the epoch); kept only on a route with an idle timeout. */
  protected lastMessageAt(socket: ServerSocket<any>): number {
    return connectionOf(socket).lastMessageAt
  }

  /** Runs the policy checks that are due now (a Durable Object's alarm fired). */
  protected sweepNow(): void {
    this[sweepOf].tick()
  }

  /**
   * Closes every open socket (1001 by default), resolves when all have ended (a socket
   * that does not finish its close handshake is dropped after its `closeTimeout`), then
   * closes the hub.
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    const { code = 1001, reason = 'server shutting down' } = options
    const sockets = [...this.sockets]
    for (const socket of sockets) socket.close(code, reason)
    await Promise.all(sockets.map((socket) => socket.closed))
    await this.hub.close?.()
  }
}

function isHub(value: RuntimeOptions | Hub): value is Hub {
  return typeof (value as Hub).attach === 'function'
}

/** What `serve()` returns (the Node, Bun and Deno adapters). */
export interface Server {
  /** The runtime serving: `node`, `bun` or `deno`. */
  readonly runtime: string
  /** The port listened on (useful with port 0). */
  readonly port: number
  /** The host name listened on. */
  readonly hostname: string
  /** The open WebSocket connections. */
  readonly sockets: ReadonlySet<ServerSocket<any>>
  /** Closes every socket with 1001, waits for them, closes the hub, then stops listening. */
  close(options?: ShutdownOptions): Promise<void>
}

/** Options of `serve()` (the Node, Bun and Deno adapters). */
export interface ServeOptions {
  /** Port to listen on. Default: `PORT` from the environment, else 3000. */
  port?: number
  /** Host name to listen on. Default `0.0.0.0` (Node and Bun) or the runtime's default. */
  hostname?: string
  /**
   * The transport's ceiling for one incoming message, in bytes, where the runtime can
   * enforce it before buffering (Node, Bun). A route's own `maxMessageSize` applies
   * below it. Default 1 MiB.
   */
  maxMessageSize?: number
  /**
   * Negotiate permessage-deflate (RFC 7692) with clients that offer it, using the runtime's
   * own implementation (`ws` on Node, uWebSockets on Bun). Default false. It trades memory
   * and CPU for bandwidth: on Node each compressed connection keeps a zlib deflate and
   * inflate context (about 300 KiB at zlib's defaults), Bun shares one compressor, and
   * every message is deflated and inflated, so turn it on for large, repetitive text over
   * slow links, not for many small messages.
   * `socket.extensions` reports what was agreed. Deno does not negotiate compression;
   * workerd always does when the client offers it.
   */
  perMessageDeflate?: boolean
  /** The registry and delivery service (default: a `MemoryHub`); `close()` closes it last. */
  hub?: Hub
}
