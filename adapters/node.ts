import { createServer, ServerResponse, type IncomingMessage } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { createAdaptorServer, upgradeWebSocket } from '@hono/node-server'
import { Hono } from 'hono'
import { WebSocketServer, type WebSocket } from 'ws'
import * as wsModule from 'ws'
import { ReadyState, Runtime, TransportError, type FetchApp, type Hub, type Payload, type Server, type ServeOptions, type ServerSocket, type Transport } from '../src/index.ts'

type NodeEnv = { incoming: IncomingMessage; outgoing?: unknown }

const chosenProtocol = Symbol('portsocket.protocol')
const socketFor = Symbol('portsocket.socket')
type UpgradeRequest = IncomingMessage & { [chosenProtocol]?: string; [socketFor]?: ServerSocket<any> }

/** A payload framed once for a whole fan-out. */
interface Framed {
  frames: Buffer[]
  payload: Payload
}

interface WsSender {
  _state: number
  sendFrame(frames: Buffer[]): void
}

// ws's frame encoder (its typings leave it out).
const Sender = (wsModule as unknown as { Sender: { frame(data: Buffer, options: object): Buffer[] } }).Sender

// Each recipient's TCP socket is corked the first time it is written to in a tick and
// all are uncorked together on one process.nextTick: the frames one member gets from a
// batch of incoming messages leave in one write (syscall) instead of one per frame.
// Measured on 16-member chat: about a tenth of the CPU per delivery of a write per frame.
// Order is kept (corking only buffers, in order); a corked socket's bytes count in its
// writableLength, so ws's bufferedAmount and the slow-consumer cap still see them; close
// frames written in the tick leave with the rest on uncork; a destroyed socket ignores it.
const corked = new Set<Socket>()
function uncorkAll(): void {
  for (const socket of corked) socket.uncork()
  corked.clear()
}
function corkForTick(ws: WebSocket): void {
  const socket = (ws as unknown as { _socket?: Socket })._socket
  if (!socket || corked.has(socket)) return
  socket.cork()
  corked.add(socket)
  if (corked.size === 1) process.nextTick(uncorkAll)
}

class NodeTransport implements Transport {
  constructor(readonly ws: WebSocket) {}
  sendPrepared(prepared: unknown): void {
    const { frames, payload } = prepared as Framed
    corkForTick(this.ws)
    // The same frame bytes go to every recipient (the approach engine.io takes): no
    // per-socket encoding. Fall back to send() while ws has queued work of its own.
    const sender = (this.ws as unknown as { _sender?: WsSender })._sender
    if (sender && sender._state === 0 && this.ws.readyState === 1) sender.sendFrame(frames)
    else this.ws.send(payload)
  }
  send(data: string | Uint8Array): void {
    corkForTick(this.ws)
    this.ws.send(data)
  }
  close(code: number, reason: string): void {
    this.ws.close(code, reason)
  }
  terminate(): void {
    this.ws.terminate()
  }
  ping(): void {
    this.ws.ping()
  }
  pause(): void {
    this.ws.pause()
  }
  resume(): void {
    this.ws.resume()
  }
  get bufferedAmount(): number {
    return this.ws.bufferedAmount
  }
  get extensions(): string {
    return this.ws.extensions
  }
}

class NodeRuntime extends Runtime<NodeEnv> {
  readonly name = 'node'
  readonly wss: WebSocketServer
  // @hono/node-server completes the handshake once its helper has claimed the request.
  // The helper runs as the middleware of an app of its own, which hands it a real Context
  // through Hono's public API on every hono 4.x (the Context class is a value export of
  // 'hono' only from 4.12). The helper then wires listeners of its own that hold the
  // request's Context for the connection's life and run on every message; the core has
  // its own, so they go.
  readonly #upgrader = new Hono().use(
    upgradeWebSocket(() => ({
      onOpen: (_event, ctx) => queueMicrotask(() => dropForeignListeners(ctx.raw as WebSocket)),
    })),
  )

  constructor(maxPayload: number, hub: Hub | undefined, perMessageDeflate: boolean) {
    super({ hub })
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate,
      maxPayload,
      // ws would echo the client's first offer; only the core's choice may go back.
      handleProtocols: (_offered, request: UpgradeRequest) => request[chosenProtocol] ?? false,
    })
    // Runs synchronously inside the handshake, before any frame can be read.
    this.wss.on('connection', (ws, request: UpgradeRequest) => {
      const socket = request[socketFor]
      if (socket) this.#wire(socket, ws)
    })
  }

  /** Frames a fan-out payload once: unmasked, final, text or binary. */
  override prepare(payload: Payload): Framed {
    const text = typeof payload === 'string'
    const data = text ? Buffer.from(payload) : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
    const frames = Sender.frame(data, { fin: true, rsv1: false, opcode: text ? 1 : 2, mask: false, readOnly: true })
    return { frames, payload }
  }

  override remoteAddress(_request: Request, env: NodeEnv): string {
    return env.incoming.socket.remoteAddress ?? ''
  }

  protected async accept(request: Request, socket: ServerSocket<any>, headers: Headers, env: NodeEnv) {
    const incoming = env.incoming as UpgradeRequest
    incoming[chosenProtocol] = socket.protocol || undefined
    incoming[socketFor] = socket
    // ws may still refuse the handshake, or the client may hang up while the app was
    // answering, and ws then never emits 'connection': the ServerSocket settles when the
    // network socket closes, or at once if it already has.
    const raw = incoming.socket as RawSocket
    if (raw.destroyed) {
      this.detached(socket, 1006, 'upgrade failed')
      return new Response(null, { status: 400 })
    }
    pendingOn.set(raw, { runtime: this, socket })
    raw.once('close', onRawClose)
    await this.#upgrader.fetch(request, env)
    return new Response(null, { headers })
  }

  #wire(socket: ServerSocket<any>, ws: WebSocket): void {
    const raw = (ws as unknown as { _socket?: RawSocket })._socket
    if (raw) {
      raw.off('close', onRawClose)
      pendingOn.delete(raw)
    }
    const own = ws as OwnedWebSocket
    own[wiredTo] = { runtime: this, socket }
    for (const [event, listener] of OWN_LISTENERS) ws.on(event, listener)
    this.open(socket, new NodeTransport(ws))
  }

  /** Answers an upgrade the app refused with its full response, body included. */
  async reject(incoming: IncomingMessage, response: Response): Promise<void> {
    const socket = incoming.socket
    if (socket.destroyed) return
    const body = Buffer.from(await response.arrayBuffer())
    const res = new ServerResponse(incoming)
    res.assignSocket(socket)
    res.shouldKeepAlive = false
    const head: Record<string, string | string[]> = {}
    response.headers.forEach((value, key) => {
      if (key !== 'set-cookie') head[key] = value
    })
    const cookies = response.headers.getSetCookie()
    if (cookies.length) head['set-cookie'] = cookies
    head['content-length'] = String(body.byteLength)
    res.writeHead(response.status, response.statusText || undefined, head)
    res.end(body, () => socket.end())
  }
}

/**
 * Serves a Hono app, WebSocket routes included, on Node.js through `@hono/node-server`
 * and `ws`. Resolves once the server is listening.
 *
 * @example
 * import { serve } from 'portsocket/node'
 * await serve(app, { port: 3000 })
 */
export async function serve(app: FetchApp, options: ServeOptions = {}): Promise<Server> {
  const runtime = new NodeRuntime(options.maxMessageSize ?? 1024 * 1024, options.hub, options.perMessageDeflate ?? false)
  const fetch = async (request: Request, env: any): Promise<Response> => {
    // An upgrade request comes without an outgoing response to write to.
    if (env.outgoing || request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return (await runtime.fetch(app, request, env)) ?? new Response(null, { status: 500 })
    }
    let response: Response | undefined
    try {
      response = await runtime.fetch(app, request, env)
    } catch (error) {
      console.error('portsocket: the app threw while handling an upgrade:', error)
    }
    if (!response || !isAccepted(env.incoming)) {
      await runtime.reject(env.incoming, response ?? new Response('internal error', { status: 500 }))
    }
    return response ?? new Response(null, { status: 500 })
  }
  const server = createAdaptorServer({ fetch, createServer, websocket: { server: runtime.wss } })
  // With a second listener @hono/node-server leaves refusals to us, so they keep their body;
  // this one also drops upgrades to protocols other than WebSocket.
  server.on('upgrade', (request: IncomingMessage, socket) => {
    if (request.headers.upgrade?.toLowerCase() !== 'websocket') socket.destroy()
  })
  const port = options.port ?? (Number(process.env.PORT) || 3000)
  const hostname = options.hostname ?? '0.0.0.0'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, hostname, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  return {
    runtime: 'node',
    port: address.port,
    hostname,
    sockets: runtime.sockets,
    async close(shutdown) {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
      await runtime.shutdown(shutdown)
      if ('closeAllConnections' in server) server.closeAllConnections()
      await stopped
    },
  }
}

function isAccepted(incoming: UpgradeRequest): boolean {
  return incoming[socketFor] !== undefined
}

type Wiring = { runtime: NodeRuntime; socket: ServerSocket<any> }
const wiredTo = Symbol('portsocket.wired')
const failure = Symbol('portsocket.failure')
// Beside the TCP socket, not on it: deleting a property from a net.Socket turns it into
// a dictionary-mode object, measured at about 1.6 KiB more heap per open connection.
const pendingOn = new WeakMap<RawSocket, Wiring>()
type OwnedWebSocket = WebSocket & { [wiredTo]?: Wiring; [failure]?: Error }
type RawSocket = IncomingMessage['socket']

// One set of listeners shared by every socket (ws calls them with the WebSocket as
// `this`, which carries its ServerSocket): no closures per connection.
function onMessage(this: OwnedWebSocket, data: Buffer, isBinary: boolean): void {
  const { runtime, socket } = this[wiredTo]!
  runtime.received(socket, isBinary ? data : data.toString())
}
function onPong(this: OwnedWebSocket): void {
  const { runtime, socket } = this[wiredTo]!
  runtime.ponged(socket)
}
function onError(this: OwnedWebSocket, error: Error): void {
  // A protocol error or a message over maxPayload: ws sends the client a close frame
  // with the error's status code, then reports 1006 locally. Keep the error for 'close'.
  this[failure] = error
}
function onClose(this: OwnedWebSocket, code: number, reason: Buffer): void {
  const { runtime, socket } = this[wiredTo]!
  const error = this[failure]
  if (error) {
    // A write error (EPIPE) carries no status: the client saw no close frame, so 1006 stands.
    const status = statusCodeOf(error) ?? code
    runtime.detached(socket, status, status === code ? reason.toString() : '', new TransportError(error.message, status, { cause: error }))
  } else runtime.detached(socket, code, reason.toString())
}
function onRawClose(this: RawSocket): void {
  const pending = pendingOn.get(this)
  pendingOn.delete(this)
  if (pending && pending.socket.readyState === ReadyState.CONNECTING) pending.runtime.detached(pending.socket, 1006, 'upgrade failed')
}
const OWN_LISTENERS: [string, (...args: any[]) => void][] = [
  ['message', onMessage],
  ['pong', onPong],
  ['error', onError],
  ['close', onClose],
]

/** The close code ws sent for an error (its `kStatusCode`, a symbol it does not export), if any. */
function statusCodeOf(error: Error): number | undefined {
  for (const key of Object.getOwnPropertySymbols(error)) {
    if (key.description === 'status-code') {
      const code = (error as unknown as Record<symbol, unknown>)[key]
      if (typeof code === 'number') return code
    }
  }
  const wsCode = (error as { code?: string }).code ?? ''
  if (wsCode === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return 1009
  if (wsCode === 'WS_ERR_INVALID_UTF8') return 1007
  return wsCode.startsWith('WS_ERR_') ? 1002 : undefined
}

/** Removes every message, close and error listener that is not the core's. */
function dropForeignListeners(ws: OwnedWebSocket): void {
  if (!ws[wiredTo]) return
  for (const event of ['message', 'close', 'error']) {
    const keep = OWN_LISTENERS.filter(([e]) => e === event).map(([, l]) => l)
    for (const listener of ws.listeners(event)) if (!keep.includes(listener as never)) ws.off(event, listener as never)
  }
}
