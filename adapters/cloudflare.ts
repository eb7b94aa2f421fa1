import { PING_TEXT, PONG_TEXT } from '../src/connection/control.ts'
import { Runtime, type Clock, type FetchApp, type Hub, type RevivedSocket, type ServerSocket } from '../src/index.ts'
import { answerDeflateOffer } from '../src/http/extensions.ts'
import { answerPeerClose, listenStandard, StandardTransport } from '../src/runtime/standard-transport.ts'

// workerd's additions to the web platform, declared so the package builds without
// @cloudflare/workers-types (whose globals clash with the DOM's).
interface WorkerdWebSocket extends WebSocket {
  accept(): void
  serializeAttachment(value: unknown): void
  deserializeAttachment(): any
}
declare const WebSocketPair: new () => { 0: WorkerdWebSocket; 1: WorkerdWebSocket }

declare const WebSocketRequestResponsePair: (new (request: string, response: string) => unknown) | undefined

/** The parts of a Durable Object's state this adapter uses. */
export interface DurableObjectState {
  acceptWebSocket(ws: WebSocket, tags?: string[]): void
  getWebSockets(tag?: string): WebSocket[]
  setWebSocketAutoResponse?(pair?: unknown): void
  storage?: {
    setAlarm(at: number): Promise<void>
    deleteAlarm(): Promise<void>
  }
}
interface DurableObjectNamespace {
  idFromName(name: string): unknown
  get(id: unknown): { fetch(request: Request): Promise<Response> }
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

  override remoteAddress(request: Request): string {
    return request.headers.get('cf-connecting-ip') ?? ''
  }

  protected accept(request: Request, socket: ServerSocket<any>, headers: Headers) {
    const extensions = negotiateExtensions(request, headers)
    const { 0: client, 1: server } = new WebSocketPair()
    server.accept()
    listenStandard(server, this, socket, true)
    this.open(socket, new WorkerdTransport(server, extensions))
    return new Response(null, { status: 101, headers, webSocket: client } as ResponseInit)
  }
}

/** A hibernatable socket's transport: the core runs no heartbeat timer for it. */
class HibernatingTransport extends WorkerdTransport {
  readonly hibernates = true
}

/** What a hibernatable socket carries in its attachment (at most 2 KiB). */
interface Snapshot {
  v: 2
  route: string
  id: string
  url: string
  protocol: string
  ip: string
  data: unknown
  rooms: string[]
  connectedAt: number
  in: number
  out: number
  seen: number
  /** The negotiated extensions: the request they came from is gone after a nap. */
  ext: string
}

/**
 * The policy sweep's clock inside a Durable Object: an alarm, which wakes the object
 * when due but never keeps it from being evicted (a timer would).
 */
function alarmClock(state: DurableObjectState): Clock | undefined {
  const storage = state.storage
  if (!storage) return undefined
  let at = Infinity
  return {
    set(next) {
      at = next
      storage.setAlarm(next).catch(() => {})
    },
    clear() {
      if (at === Infinity) return
      at = Infinity
      storage.deleteAlarm().catch(() => {})
    },
  }
}

/**
 * The runtime inside a Durable Object. Sockets of `websocket()` routes with object
 * hooks and an `id` are accepted with the Hibernation API: each carries a snapshot (id,
 * data, rooms, counters) in its attachment, saved whenever one of those changes, and
 * when the object wakes up the constructor revives them all, rooms included, before the
 * event that woke it is handled. Policy timers run on the object's alarm; heartbeats
 * are left to the platform and to `setWebSocketAutoResponse` (a client's
 * `portsocket:ping` is answered with `portsocket:pong` without waking the object).
 */
class DurableRuntime extends WorkerdRuntime {
  readonly #byWebSocket = new WeakMap<WebSocket, ServerSocket<any>>()
  readonly #webSockets = new WeakMap<ServerSocket<any>, WorkerdWebSocket>()

  constructor(
    readonly state: DurableObjectState,
    hub: Hub | undefined,
  ) {
    super({ hub, clock: alarmClock(state) })
    try {
      if (typeof WebSocketRequestResponsePair === 'function') {
        state.setWebSocketAutoResponse?.(new WebSocketRequestResponsePair(PING_TEXT, PONG_TEXT))
      }
    } catch {}
    for (const ws of state.getWebSockets()) this.#revive(ws as WorkerdWebSocket)
  }

  protected override accept(request: Request, socket: ServerSocket<any>, headers: Headers) {
    // Sockets whose hooks cannot be found again by a route id (upgrade(), hooks made per
    // request, routes without an id) stay in memory and keep the object awake.
    const route = this.routeOf(socket)
    if (route === undefined) return super.accept(request, socket, headers)
    const extensions = negotiateExtensions(request, headers)
    const { 0: client, 1: server } = new WebSocketPair()
    this.state.acceptWebSocket(server)
    this.#byWebSocket.set(server, socket)
    this.#webSockets.set(socket, server)
    this.open(socket, new HibernatingTransport(server, extensions))
    this.persist(socket)
    return new Response(null, { status: 101, headers, webSocket: client } as ResponseInit)
  }

  /** Saves what the socket needs to survive hibernation (attachments hold 2 KiB at most). */
  override persist(socket: ServerSocket<any>): void {
    const ws = this.#webSockets.get(socket)
    const route = this.routeOf(socket)
    if (!ws || route === undefined) return
    const snapshot: Snapshot = {
      v: 2,
      route,
      id: socket.id,
      url: socket.url,
      protocol: socket.protocol,
      ip: socket.remoteAddress,
      data: socket.data,
      rooms: [...socket.rooms],
      connectedAt: socket.connectedAt,
      in: socket.messagesIn,
      out: socket.messagesOut,
      seen: this.lastMessageAt(socket),
      ext: socket.extensions,
    }
    try {
      ws.serializeAttachment(snapshot)
    } catch (error) {
      console.warn(`portsocket: connection ${socket.id} could not be saved for hibernation:`, (error as Error).message)
    }
  }

  #revive(ws: WorkerdWebSocket): void {
    const saved = ws.deserializeAttachment() as Snapshot | null
    const revived: RevivedSocket | undefined =
      saved?.v === 2
        ? {
            route: saved.route,
            id: saved.id,
            url: saved.url,
            protocol: saved.protocol,
            remoteAddress: saved.ip,
            data: saved.data,
            rooms: saved.rooms,
            connectedAt: saved.connectedAt,
            messagesIn: saved.in,
            messagesOut: saved.out,
            lastMessageAt: saved.seen,
          }
        : undefined
    const socket = revived && this.revive(revived, () => new HibernatingTransport(ws, saved?.ext ?? ''))
    if (!socket) {
      try {
        ws.close(1011, 'connection state lost')
      } catch {}
      return
    }
    this.#byWebSocket.set(ws, socket)
    this.#webSockets.set(socket, ws)
  }

  message(ws: WebSocket, data: string | ArrayBuffer): void {
    const socket = this.#byWebSocket.get(ws)
    if (!socket) return
    // Saved again once the message's handling settles (the core calls persist).
    this.received(socket, typeof data === 'string' ? data : new Uint8Array(data))
  }

  closed(ws: WebSocket, code: number, reason: string, wasClean = true): void {
    const socket = this.#byWebSocket.get(ws)
    answerPeerClose(ws, socket, code, reason, wasClean)
    if (socket) this.detached(socket, code || 1006, reason)
  }

  failed(ws: WebSocket, error: unknown): void {
    const socket = this.#byWebSocket.get(ws)
    if (socket) this.detached(socket, 1006, '', error)
  }

  /** The alarm: run the policy checks that came due while the object slept. */
  alarm(): void {
    this.sweepNow()
  }
}

/** A Durable Object class that serves the app; see {@link createSocketObject}. */
export interface SocketObjectClass {
  new (state: DurableObjectState, env: unknown): {
    fetch(request: Request): Promise<Response>
    webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void
    webSocketClose(ws: WebSocket, code: number, reason: string, wasClean: boolean): void
    webSocketError(ws: WebSocket, error: unknown): void
    alarm(): void
  }
}

/** Options of {@link createSocketObject}. */
export interface SocketObjectOptions {
  /**
   * The registry and delivery service (default: a `MemoryHub` per object). A function
   * is called once per object instance, which is what a hub holding sockets needs.
   */
  hub?: Hub | (() => Hub)
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
export function createSocketObject(app: FetchApp, options: SocketObjectOptions = {}): SocketObjectClass {
  return class PortsocketObject {
    readonly runtime: DurableRuntime
    constructor(
      readonly state: DurableObjectState,
      readonly env: unknown,
    ) {
      this.runtime = new DurableRuntime(state, typeof options.hub === 'function' ? options.hub() : options.hub)
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
    webSocketError(ws: WebSocket, error: unknown): void {
      this.runtime.failed(ws, error)
    }
    alarm(): void {
      this.runtime.alarm()
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
  /** The registry and delivery service when no Durable Object is used (default: a `MemoryHub`). */
  hub?: Hub
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
  const runtime = new WorkerdRuntime({ hub: options.hub })
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
