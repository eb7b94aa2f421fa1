import { createServer, ServerResponse, type IncomingMessage } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { createAdaptorServer } from '@hono/node-server'
import { WebSocket, WebSocketServer } from 'ws'
import * as wsModule from 'ws'
import { upgradeRequest } from './node/request.ts'
import { carriesNoHeaders } from './node/response.ts'
import { ReadyState, Runtime, TransportError, type FetchApp, type Hub, type Payload, type Server, type ServeOptions, type ServerSocket, type Transport } from '../src/index.ts'

type NodeEnv = { incoming: IncomingMessage; outgoing?: unknown }

const chosenProtocol = Symbol('portsocket.protocol')
const socketFor = Symbol('portsocket.socket')
const headersFor = Symbol('portsocket.headers')
type UpgradeRequest = IncomingMessage & { [chosenProtocol]?: string; [socketFor]?: ServerSocket<any>; [headersFor]?: Headers }

/** A payload, or several back to back (`payloads`), framed once for a whole fan-out. */
interface Framed {
  frames: Buffer[]
  payload: Payload
  payloads?: readonly Payload[]
}

interface WsSender {
  _state: number
  sendFrame(frames: Buffer[]): void
}

// ws's frame encoder (its typings leave it out).
const Sender = (wsModule as unknown as { Sender: { frame(data: Buffer, options: object): Buffer[] } }).Sender

/** One payload as a server frame (unmasked, final, text or binary), by ws's encoder. */
function frameOf(payload: Payload): Buffer[] {
  const text = typeof payload === 'string'
  const data = text ? Buffer.from(payload) : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
  return Sender.frame(data, { fin: true, rsv1: false, opcode: text ? 1 : 2, mask: false, readOnly: true })
}

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

class NodeRuntime extends Runtime<NodeEnv> {
  readonly name = 'node'
  readonly wss: WebSocketServer

  constructor(maxPayload: number, hub: Hub | undefined, perMessageDeflate: boolean) {
    super({ hub })
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate,
      maxPayload,
      WebSocket: OwnedWebSocket,
      // ws would echo the client's first offer; only the core's choice may go back.
      handleProtocols: (_offered, request: UpgradeRequest) => request[chosenProtocol] ?? false,
    })
    // Headers the app's middleware set on the accepting response go on the 101, as with
    // @hono/node-server; ws writes its own handshake headers. One listener for every
    // handshake ('headers' fires synchronously inside it), no closure per upgrade.
    this.wss.on('headers', addAcceptedHeaders)
  }

  /** Frames a fan-out payload once: unmasked, final, text or binary. */
  override prepare(payload: Payload): Framed {
    return { frames: frameOf(payload), payload }
  }

  /**
   * Frames several payloads once, back to back in one buffer: each recipient gets them
   * in one write, where a frame each would cost a write each.
   */
  override prepareMany(payloads: readonly Payload[]): Framed {
    const pieces: Buffer[] = []
    let total = 0
    for (const payload of payloads) {
      for (const piece of frameOf(payload)) {
        pieces.push(piece)
        total += piece.length
      }
    }
    return { frames: [Buffer.concat(pieces, total)], payload: payloads[0]!, payloads }
  }

  override remoteAddress(_request: Request, env: NodeEnv): string {
    const address = env.incoming.socket.remoteAddress ?? ''
    // Node makes a new string per read; clients behind one proxy or NAT share an address,
    // and the socket keeps it for its lifetime, so the last one is reused when equal.
    return address === this.#lastAddress ? this.#lastAddress : (this.#lastAddress = address)
  }

  #lastAddress = ''

  /**
   * ws writes the 101 itself: the subprotocol through `handleProtocols`, body and
   * handshake headers left out by `addAcceptedHeaders`. So the app's response headers are
   * only read, and a placeholder that carries none is not asked for them (building an
   * empty `Headers` per upgrade showed in profiles).
   */
  protected override handshakeHeaders(response: Response): Headers {
    return carriesNoHeaders(response) ? NO_HEADERS : response.headers
  }

  protected accept(request: Request, socket: ServerSocket<any>, headers: Headers, env: NodeEnv): Response | undefined {
    const incoming = env.incoming as UpgradeRequest
    incoming[chosenProtocol] = socket.protocol || undefined
    incoming[socketFor] = socket
    incoming[headersFor] = headers
    // Accepted: upgrade() completes the handshake (ws writes the 101), so no Response is made.
    return undefined
  }

  /**
   * Runs an upgrade request through the app and completes the handshake with ws directly.
   * (Through @hono/node-server's helper, each upgrade built a second Context and wired
   * listeners that the adapter then removed: measured at about twice raw ws's server CPU
   * per open, and the removals left every WebSocket's listener table in dictionary mode.)
   * Synchronous when the app answers synchronously (no promise per upgrade). Never
   * throws nor rejects: whatever fails ends this one connection.
   */
  upgrade(app: FetchApp, incoming: IncomingMessage, socket: Duplex, head: Buffer): void {
    let request: Request
    try {
      request = upgradeRequest(incoming)
    } catch {
      // A request target or host it cannot read.
      socket.on('error', ignoreError)
      return void this.reject(incoming, new Response('bad request', { status: 400 })).catch(dropOnFailure(socket))
    }
    let answer: Response | undefined | Promise<Response | undefined>
    try {
      answer = this.fetch(app, request, { incoming })
    } catch (error) {
      answer = Promise.reject(error)
    }
    if (answer instanceof Promise) {
      // Errors are emitted on a later tick: only a socket that waits for the app needs this.
      // A reset while the app answers must not crash the process; ws listens once it takes over.
      socket.on('error', ignoreError)
      answer.then(
        (response) => this.#answered(incoming, socket, head, response),
        (error) => {
          console.error('portsocket: the app threw while handling an upgrade:', error)
          this.#answered(incoming, socket, head, undefined)
        },
      )
    } else this.#answered(incoming, socket, head, answer)
  }

  /** The app answered an upgrade: completes it if the app accepted, or sends the app's response. */
  #answered(incoming: IncomingMessage, socket: Duplex, head: Buffer, response: Response | undefined): void {
    try {
      const accepted = (incoming as UpgradeRequest)[socketFor]
      if (!accepted) {
        socket.on('error', ignoreError)
        return void this.reject(incoming, response ?? new Response('internal error', { status: 500 })).catch(dropOnFailure(socket))
      }
      // The client may have hung up while the app answered. Otherwise ws completes the
      // handshake synchronously (no verifyClient) and #upgraded wires the socket, or it
      // refuses it (writes its error and ends the TCP socket): either way the outcome is
      // known when handleUpgrade returns, so no listener waits for it.
      if (!socket.destroyed) this.wss.handleUpgrade(incoming, socket, head, this.#upgraded)
      if (accepted.readyState === ReadyState.CONNECTING) this.detached(accepted, 1006, 'upgrade failed')
    } catch (error) {
      dropOnFailure(socket)(error)
    }
  }

  /** ws completed a handshake: runs synchronously inside it, before any frame can be read. One function for every upgrade. */
  readonly #upgraded = (ws: WebSocket, request: UpgradeRequest): void => {
    request.socket.off('error', ignoreError)
    const socket = request[socketFor]
    if (!socket) return
    const owned = ws as OwnedWebSocket
    owned[runtimeFor] = this
    owned[wiredTo] = socket
    this.open(socket, owned)
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
  // Plain requests go through @hono/node-server; upgrades (no `websocket` option, so it
  // leaves them alone) through the runtime, which answers refusals with their full body.
  const fetch = async (request: Request, env: any): Promise<Response> =>
    (await runtime.fetch(app, request, env)) ?? new Response(null, { status: 500 })
  const server = createAdaptorServer({ fetch, createServer })
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Upgrades to protocols other than WebSocket are dropped.
    if (request.headers.upgrade?.toLowerCase() !== 'websocket') socket.destroy()
    else runtime.upgrade(app, request, socket, head)
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

const wiredTo = Symbol('portsocket.wired')
const runtimeFor = Symbol('portsocket.runtime')
const failure = Symbol('portsocket.failure')

/**
 * ws's WebSocket as the core's transport, with the events of a wired socket handed
 * straight to the core: no listeners per connection (four put every WebSocket's listener
 * table in dictionary mode, about 100 bytes more than raw ws's three), no on() calls per
 * open, and no transport object beside it. Events of a socket not wired yet, and all
 * others, go to ws's own emit. ws's close, terminate, ping, pause, resume,
 * bufferedAmount and extensions are already the transport's; send is corked for the tick.
 */
class OwnedWebSocket extends WebSocket implements Transport {
  /** The socket its events go to, once wired. */
  [wiredTo]: ServerSocket<any> | undefined = undefined;
  [runtimeFor]: NodeRuntime | undefined = undefined;
  [failure]: Error | undefined = undefined

  override send(data: string | Uint8Array): void {
    corkForTick(this)
    super.send(data)
  }

  sendPrepared(prepared: unknown): void {
    const { frames, payload, payloads } = prepared as Framed
    corkForTick(this)
    // The same frame bytes go to every recipient (the approach engine.io takes): no
    // per-socket encoding. Fall back to send() while ws has queued work of its own.
    const sender = (this as unknown as { _sender?: WsSender })._sender
    if (sender && sender._state === 0 && this.readyState === 1) sender.sendFrame(frames)
    else if (payloads) for (const each of payloads) super.send(each)
    else super.send(payload)
  }

  override emit(event: string | symbol, a?: any, b?: any): boolean {
    if (this[wiredTo] !== undefined) {
      switch (event) {
        case 'message':
          onMessage.call(this, a, b)
          return true
        case 'pong':
          onPong.call(this)
          return true
        case 'error':
          onError.call(this, a)
          return true
        case 'close':
          onClose.call(this, a, b)
          return true
      }
    }
    // ws passes at most two arguments with any event.
    return arguments.length <= 1 ? super.emit(event) : arguments.length === 2 ? super.emit(event, a) : super.emit(event, a, b)
  }
}

// The handlers of a wired socket's events, shared by every socket (OwnedWebSocket.emit
// calls them with the WebSocket as `this`, which carries its ServerSocket): no closures per connection.
function onMessage(this: OwnedWebSocket, data: Buffer, isBinary: boolean): void {
  this[runtimeFor]!.received(this[wiredTo]!, isBinary ? data : data.toString())
}
function onPong(this: OwnedWebSocket): void {
  this[runtimeFor]!.ponged(this[wiredTo]!)
}
function onError(this: OwnedWebSocket, error: Error): void {
  // A protocol error or a message over maxPayload: ws sends the client a close frame
  // with the error's status code, then reports 1006 locally. Keep the error for 'close'.
  this[failure] = error
}
function onClose(this: OwnedWebSocket, code: number, reason: Buffer): void {
  const runtime = this[runtimeFor]!
  const socket = this[wiredTo]!
  const error = this[failure]
  if (error) {
    // A write error (EPIPE) carries no status: the client saw no close frame, so 1006 stands.
    const status = statusCodeOf(error) ?? code
    runtime.detached(socket, status, status === code ? reason.toString() : '', new TransportError(error.message, status, { cause: error }))
  } else runtime.detached(socket, code, reason.toString())
}

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

function ignoreError(): void {}

/** Ends a connection whose upgrade failed in portsocket or ws, and says why. */
function dropOnFailure(socket: Duplex): (error: unknown) => void {
  return (error) => {
    console.error('portsocket: an upgrade failed:', error)
    socket.destroy()
  }
}

/** What `handshakeHeaders` answers for a response without headers; only ever read. */
const NO_HEADERS = new Headers()

/** ws's 'headers' event: the accepting response's headers (those a 101 may carry) join ws's own. */
function addAcceptedHeaders(lines: string[], request: UpgradeRequest): void {
  const headers = request[headersFor]
  if (headers === undefined || headers === NO_HEADERS) return
  headers.forEach((value, key) => {
    if (!HANDSHAKE_HEADERS.has(key)) lines.push(`${key}: ${value}`)
  })
}

/** Headers of the accepting response that ws writes itself or that a 101 must not carry. */
const HANDSHAKE_HEADERS = new Set([
  'connection', 'content-length', 'content-type', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'sec-websocket-accept', 'sec-websocket-extensions', 'sec-websocket-protocol',
])
