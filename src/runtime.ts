import type { Hub } from './hub.ts'
import { MemoryHub, type FanOut } from './memory-hub.ts'
import type { Payload, ServerSocket } from './socket.ts'
import type { Transport } from './transport.ts'
import { takeUpgrade } from './upgrade.ts'

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

const served = new WeakMap<Request, Runtime<any>>()

/** @internal The runtime that is serving a request, if any. */
export function runtimeOf(request: Request): Runtime<any> | undefined {
  return served.get(request)
}

/**
 * The core half of a runtime adapter. An adapter subclasses it with one method,
 * `accept`, that turns an upgrade the app agreed to into the runtime's own socket,
 * and reports that socket's events to the core through {@link ServerSocket}.
 */
export abstract class Runtime<Env = unknown> implements FanOut {
  /** The runtime's name: `node`, `bun`, `deno` or `workerd`. */
  abstract readonly name: string
  /** The open sockets served through this runtime instance. */
  readonly sockets = new Set<ServerSocket<any>>()
  /** The registry and delivery service for this server's sockets. */
  readonly hub: Hub

  constructor(hub?: Hub) {
    this.hub = hub ?? new MemoryHub(this)
  }

  /** Native topic publish, where the runtime has one (see {@link FanOut}). */
  publish?(topic: string, payload: Payload, except: ServerSocket<any> | undefined): boolean
  /** One encoding of a payload for many sends, where the runtime can (see {@link FanOut}). */
  prepare?(payload: Payload): unknown

  /**
   * Performs the runtime's upgrade for a socket the app accepted. `headers` are the
   * app's response headers for the 101 (subprotocol included).
   */
  protected abstract accept(
    request: Request,
    socket: ServerSocket<any>,
    headers: Headers,
    env: Env,
  ): Response | undefined | Promise<Response | undefined>

  /** Runs the app for one request and completes any WebSocket upgrade it made. */
  async fetch(app: FetchApp, request: Request, env: Env, executionCtx?: unknown): Promise<Response | undefined> {
    served.set(request, this)
    const response = await app.fetch(request, env, executionCtx)
    const upgrade = takeUpgrade(request, response)
    if (!upgrade) return response
    return this.accept(request, upgrade.socket, upgrade.headers, env)
  }

  /** Marks a socket open on `transport`; adapters call it when the runtime's socket opens. */
  protected open(socket: ServerSocket<any>, transport: Transport): void {
    socket.attach(transport, this)
  }

  /**
   * Closes every open socket (1001 by default) and resolves when all have ended; a
   * socket that does not finish its close handshake is dropped after its `closeTimeout`.
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    const { code = 1001, reason = 'server shutting down' } = options
    const sockets = [...this.sockets]
    for (const socket of sockets) socket.close(code, reason)
    await Promise.all(sockets.map((socket) => socket.closed))
  }
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
  /** Closes every socket with 1001, waits for them, then stops listening. */
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
}
