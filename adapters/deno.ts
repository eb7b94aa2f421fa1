import { Runtime, type FetchApp, type Server, type ServeOptions, type ServerSocket } from '../src/index.ts'
import { listenStandard, ownerOf, StandardTransport } from '../src/runtime/standard-transport.ts'
import { sweepOf, type Swept } from '../src/runtime/sweep.ts'

// The parts of Deno's API this adapter uses, declared so the package builds without Deno's types.
interface DenoServer {
  readonly addr: { port: number; hostname: string }
  shutdown(): Promise<void>
}
declare const Deno: {
  serve(
    options: { port?: number; hostname?: string; onListen?: (addr: { port: number; hostname: string }) => void },
    handler: (request: Request, info: ServeInfo) => Response | Promise<Response>,
  ): DenoServer
  upgradeWebSocket(request: Request, options?: { protocol?: string; idleTimeout?: number }): { socket: WebSocket; response: Response }
  env: { get(name: string): string | undefined }
}

/**
 * How long the peer must have been silent before Deno is asked to send a close frame,
 * and the longest a server-initiated close waits for that silence.
 */
const QUIET_MS = 30
const MAX_QUIET_WAIT_MS = 1000

/**
 * Deno drops the TCP connection as soon as it has sent a close frame; data the peer sent
 * meanwhile is then unread, so the kernel answers with a reset, and a reset makes the
 * peer's kernel discard everything not yet read: the replies sent before the close, and
 * the close frame itself (the client sees 1006). So a server-initiated close first lets
 * Deno read and discard (the core ignores messages once closing) until the peer has been
 * quiet for a moment, or `MAX_QUIET_WAIT_MS` at most, then sends the close frame.
 */
class DenoTransport extends StandardTransport {
  #closing = false

  override close(code: number, reason: string): void {
    if (this.#closing) return
    this.#closing = true
    // Watched only from here on, so open sockets pay nothing per message; a message may
    // be in flight as the close begins, so the quiet clock starts now.
    const ws = this.ws as Watched
    ws[lastIncoming] = Date.now()
    ws.addEventListener('message', noteIncoming as () => void)
    const deadline = Date.now() + MAX_QUIET_WAIT_MS
    const attempt = () => {
      const now = Date.now()
      const quiet = now - ws[lastIncoming]!
      if (quiet >= QUIET_MS || now >= deadline || ws.readyState !== 1) return super.close(code, reason)
      setTimeout(attempt, Math.min(QUIET_MS - quiet, deadline - now))
    }
    setTimeout(attempt, QUIET_MS)
  }

  override terminate(): void {
    super.close(1001, 'terminated')
  }
}

const lastIncoming = Symbol('portsocket.lastIncoming')
type Watched = WebSocket & { [lastIncoming]?: number }
function noteIncoming(this: Watched): void {
  this[lastIncoming] = Date.now()
}

interface ServeInfo {
  remoteAddr?: { hostname?: string }
}

/**
 * Upgrades waiting for Deno's 'open', each with when it gives up: one member of the
 * runtime's sweep instead of a timer per upgrade (a setTimeout and its clearTimeout cost
 * Deno about 2 µs, a sizeable part of what an open costs over raw Deno).
 */
class PendingOpens implements Swept {
  readonly #due = new Map<ServerSocket<any>, number>()

  constructor(readonly runtime: DenoRuntime) {}

  add(socket: ServerSocket<any>, at: number): void {
    this.#due.set(socket, at)
    this.runtime[sweepOf].add(this, at)
  }

  delete(socket: ServerSocket<any>): void {
    if (this.#due.delete(socket) && !this.#due.size) this.runtime[sweepOf].delete(this)
  }

  sweep(now: number): number {
    let next = Infinity
    for (const [socket, at] of this.#due) {
      if (now < at) next = Math.min(next, at)
      else {
        this.#due.delete(socket)
        this.runtime.detached(socket, 1006, 'upgrade failed')
      }
    }
    if (!this.#due.size) this.runtime[sweepOf].delete(this)
    return next
  }
}

class DenoRuntime extends Runtime<ServeInfo> {
  readonly name = 'deno'
  readonly #pending = new PendingOpens(this)

  override remoteAddress(_request: Request, info: ServeInfo): string {
    return info?.remoteAddr?.hostname ?? ''
  }

  protected accept(request: Request, socket: ServerSocket<any>, headers: Headers) {
    const interval = socket.options.heartbeatInterval
    // The protocol goes in with the other headers: Deno's own `protocol` option
    // misreads offers not separated by ", " (such as the `ws` client's "a,b").
    // Deno pings and drops dead peers itself after `idleTimeout` seconds.
    const { socket: ws, response } = Deno.upgradeWebSocket(request, {
      idleTimeout: interval ? Math.max(1, Math.ceil(interval / 1000)) : 0,
    })
    listenStandard(ws, this, socket, false, onOpen)
    // A client that hung up while the app was answering gets no 'open', 'error' or
    // 'close' from Deno (its request signal and `completed` do not tell either), so an
    // upgrade that has not opened within the route's closeTimeout settles as failed (a
    // socket that closed before opening stays listed until then: settling twice is safe).
    this.#pending.add(socket, Date.now() + socket.options.closeTimeout)
    headers.forEach((value, key) => response.headers.append(key, value))
    return response
  }

  opened(ws: WebSocket, socket: ServerSocket<any>): void {
    this.#pending.delete(socket)
    this.open(socket, new DenoTransport(ws))
  }
}

// Shared by every socket: no closure per upgrade.
function onOpen(this: WebSocket): void {
  const { runtime, socket } = ownerOf(this)
  ;(runtime as DenoRuntime).opened(this, socket)
}

/**
 * Serves a Hono app, WebSocket routes included, with `Deno.serve`.
 *
 * @example
 * import { serve } from 'portsocket/deno'
 * await serve(app, { port: 3000 })
 */
export async function serve(app: FetchApp, options: ServeOptions = {}): Promise<Server> {
  const runtime = new DenoRuntime({ hub: options.hub })
  let listening!: (addr: { port: number; hostname: string }) => void
  const ready = new Promise<{ port: number; hostname: string }>((resolve) => (listening = resolve))
  const server = Deno.serve(
    { port: options.port ?? (Number(Deno.env.get('PORT')) || 3000), hostname: options.hostname, onListen: listening },
    // Never undefined on Deno: accept always answers with a response.
    (request, info) => runtime.fetch(app, request, info) as Response | Promise<Response>,
  )
  const addr = await ready
  return {
    runtime: 'deno',
    port: addr.port,
    hostname: addr.hostname,
    sockets: runtime.sockets,
    async close(shutdown) {
      await runtime.shutdown(shutdown)
      await server.shutdown()
    },
  }
}
