import { isSendableCloseCode } from '../src/close-codes.ts'
import { answerDeflateOffer } from '../src/extensions.ts'
import { Runtime, type FetchApp } from '../src/index.ts'
import { resolveOptions } from '../src/options.ts'
import { routeAt } from '../src/routes.ts'
import { ServerSocket, type SocketSnapshot } from '../src/socket.ts'
import { listenStandard, StandardTransport } from '../src/standard-transport.ts'

// workerd's additions to the web platform, declared so the package builds without
// @cloudflare/workers-types (whose globals clash with the DOM's).
interface WorkerdWebSocket extends WebSocket {
  accept(): void
  serializeAttachment(value: unknown): void
  deserializeAttachment(): any
}
declare const WebSocketPair: new () => { 0: WorkerdWebSocket; 1: WorkerdWebSocket }

/** The parts of a Durable Object's state this adapter uses. */
export interface DurableObjectState {
  acceptWebSocket(ws: WebSocket, tags?: string[]): void
  getWebSockets(tag?: string): WebSocket[]
}
interface DurableObjectNamespace {
  idFromName(name: string): unknown
  get(id: unknown): { fetch(request: Request): Promise<Response> }
}

/**
 * Answers the peer's close frame: without the auto-reply compatibility flag workerd leaves
 * that to us. workerd passes on codes no peer may send (999, 1004, 1006, 1015, 5000…)
 * as they came, so those get the RFC 6455 answer, 1002, as on the other runtimes; 1005
 * stands for a close frame without a code, answered with 1000.
 */
function answerClose(ws: WebSocket, socket: ServerSocket<any> | undefined, code: number, reason: string, wasClean: boolean): void {
  if (socket?.readyState !== 1) return
  const invalid = code !== 1005 && wasClean && !isSendableCloseCode(code)
  try {
    if (invalid) ws.close(1002, 'invalid close code')
    else ws.close(isSendableCloseCode(code) ? code : 1000, reason)
  } catch {}
}

/**
 * workerd compresses with permessage-deflate when the client offers it, but its server-side
 * socket reports no extensions. The adapter answers the offer itself (workerd follows the
 * Worker's `Sec-WebSocket-Extensions`), so the socket reports what the client was told.
 */
function negotiateExtensions(request: Request, headers: Headers): string {
  const answer = answerDeflateOffer(request.headers.get('sec-websocket-extensions'))
  if (answer) headers.set('sec-websocket-extensions', answer)
  return answer ?? ''
}

/** A workerd socket's transport, reporting the extensions the adapter negotiated. */
class WorkerdTransport extends StandardTransport {
  constructor(
    ws: WebSocket,
    readonly negotiated: string,
  ) {
    super(ws)
  }
  override get extensions(): string {
    return this.negotiated
  }
}

class WorkerdRuntime extends Runtime<unknown> {
  readonly name = 'workerd'

  protected accept(request: Request, socket: ServerSocket<any>, headers: Headers) {
    const extensions = negotiateExtensions(request, headers)
    const { 0: client, 1: server } = new WebSocketPair()
    server.accept()
    // Registered before the core's listener, which marks the socket closed.
    server.addEventListener('close', (event) => answerClose(server, socket, event.code, event.reason, event.wasClean))
    listenStandard(server, socket)
    this.open(socket, new WorkerdTransport(server, extensions))
    return new Response(null, { status: 101, headers, webSocket: client } as ResponseInit)
  }
}

/** A hibernatable socket's transport: room changes are saved with the socket. */
class HibernatingTransport extends WorkerdTransport {
  constructor(
    override readonly ws: WorkerdWebSocket,
    readonly runtime: DurableRuntime,
    readonly socket: ServerSocket<any>,
    negotiated: string,
  ) {
    super(ws, negotiated)
  }
  subscribe(): void {
    this.runtime.save(this.ws, this.socket)
  }
  unsubscribe(): void {
    this.runtime.save(this.ws, this.socket)
  }
}

/**
 * The runtime inside a Durable Object. Sockets of `websocket()` routes with object
 * hooks are accepted with the Hibernation API: each carries a snapshot (id, data,
 * rooms, counters) in its attachment, and when the object wakes up the constructor
 * revives them all, rooms included, before the event that woke it is handled.
 */
class DurableRuntime extends WorkerdRuntime {
  readonly #byWebSocket = new WeakMap<WebSocket, ServerSocket<any>>()

  constructor(readonly state: DurableObjectState) {
    super()
    for (const ws of state.getWebSockets()) this.#revive(ws as WorkerdWebSocket)
  }

  protected override accept(request: Request, socket: ServerSocket<any>, headers: Headers) {
    // Sockets whose hooks live in a closure (upgrade(), or hooks made per request)
    // cannot be revived, so they stay in memory and keep the object awake.
    if (socket.route === undefined) return super.accept(request, socket, headers)
    const extensions = negotiateExtensions(request, headers)
    const { 0: client, 1: server } = new WebSocketPair()
    this.state.acceptWebSocket(server)
    this.#byWebSocket.set(server, socket)
    this.open(socket, new HibernatingTransport(server, this, socket, extensions))
    this.save(server, socket)
    return new Response(null, { status: 101, headers, webSocket: client } as ResponseInit)
  }

  /** Saves what the socket needs to survive hibernation (attachments hold 2 KiB at most). */
  save(ws: WorkerdWebSocket, socket: ServerSocket<any>): void {
    try {
      // The negotiated extensions ride along: the request they came from is gone after a nap.
      ws.serializeAttachment({ ...socket.snapshot(), extensions: socket.extensions })
    } catch (error) {
      console.warn(`portsocket: connection ${socket.id} could not be saved for hibernation:`, (error as Error).message)
    }
  }

  #revive(ws: WorkerdWebSocket): void {
    const saved = ws.deserializeAttachment() as (SocketSnapshot & { extensions?: string }) | null
    const route = saved?.v === 1 ? routeAt(saved.route) : undefined
    if (!saved || !route) {
      try {
        ws.close(1011, 'connection state lost')
      } catch {}
      return
    }
    const socket = new ServerSocket({
      id: saved.id,
      connectedAt: saved.connectedAt,
      url: saved.url,
      protocol: saved.protocol,
      data: saved.data,
      options: resolveOptions(route.options),
      hooks: route.hooks,
      route: saved.route,
    })
    this.#byWebSocket.set(ws, socket)
    socket.restore(new HibernatingTransport(ws, this, socket, saved.extensions ?? ''), this, saved)
  }

  message(ws: WebSocket, data: string | ArrayBuffer): void {
    const socket = this.#byWebSocket.get(ws)
    if (!socket) return
    socket.received(typeof data === 'string' ? data : new Uint8Array(data))
    this.save(ws as WorkerdWebSocket, socket) // counters, and data the handler changed
  }

  closed(ws: WebSocket, code: number, reason: string, wasClean = true): void {
    const socket = this.#byWebSocket.get(ws)
    answerClose(ws, socket, code, reason, wasClean)
    socket?.detached(code || 1006, reason)
  }
}

/** A Durable Object class that serves the app; see {@link createSocketObject}. */
export interface SocketObjectClass {
  new (state: DurableObjectState, env: unknown): {
    fetch(request: Request): Promise<Response>
    webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void
    webSocketClose(ws: WebSocket, code: number, reason: string, wasClean: boolean): void
    webSocketError(ws: WebSocket, error: unknown): void
  }
}

/**
 * A Durable Object class that runs the app, so that sockets sharing rooms live in one
 * object. Export it from the Worker and bind it in wrangler.toml, then pass the
 * binding's name to {@link toWorker}.
 *
 * @example
 * export const PortsocketObject = createSocketObject(app)
 * export default toWorker(app, { durableObject: 'SOCKETS' })
 */
export function createSocketObject(app: FetchApp): SocketObjectClass {
  return class PortsocketObject {
    readonly runtime: DurableRuntime
    constructor(
      readonly state: DurableObjectState,
      readonly env: unknown,
    ) {
      this.runtime = new DurableRuntime(state)
    }
    async fetch(request: Request): Promise<Response> {
      return (await this.runtime.fetch(app, request, this.env, this.state))!
    }
    webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
      this.runtime.message(ws, message)
    }
    webSocketClose(ws: WebSocket, code: number, reason: string, wasClean: boolean): void {
      this.runtime.closed(ws, code, reason, wasClean)
    }
    webSocketError(ws: WebSocket): void {
      this.runtime.closed(ws, 1006, '', false)
    }
  }
}

/** Options of {@link toWorker}. */
export interface WorkerOptions {
  /**
   * The binding name of a Durable Object made with {@link createSocketObject}. Every
   * request is then served inside that object, so rooms, broadcast and the registry
   * see all sockets. Without it, each request is served where it lands: fine for
   * sockets that never talk to each other.
   */
  durableObject?: string
  /** Which object serves a request (default: one object named `"portsocket"`). */
  objectName?: (request: Request) => string
}

/** A module Worker: `export default toWorker(app)`. */
export interface WorkerHandler {
  fetch(request: Request, env: Record<string, unknown>, ctx: unknown): Promise<Response>
}

/**
 * Turns a Hono app, WebSocket routes included, into a Cloudflare Worker.
 *
 * @example
 * import { toWorker } from 'portsocket/cloudflare'
 * export default toWorker(app)
 */
export function toWorker(app: FetchApp, options: WorkerOptions = {}): WorkerHandler {
  const runtime = new WorkerdRuntime()
  const binding = options.durableObject
  return {
    async fetch(request, env, ctx) {
      if (!binding) return (await runtime.fetch(app, request, env, ctx))!
      const namespace = env[binding] as DurableObjectNamespace | undefined
      if (!namespace) throw new Error(`portsocket: no Durable Object binding named ${binding}; declare it in wrangler.toml`)
      const name = options.objectName?.(request) ?? 'portsocket'
      return namespace.get(namespace.idFromName(name)).fetch(request)
    },
  }
}
