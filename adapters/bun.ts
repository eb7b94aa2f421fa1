import { Runtime, TransportError, type FetchApp, type RuntimeOptions, type Payload, type Server, type ServeOptions, type ServerSocket, type Transport } from '../src/index.ts'

// The few parts of Bun's API this adapter uses, declared here so the package builds
// without Bun's type definitions.
interface BunWebSocket {
  data: ServerSocket<any>
  send(data: string | Uint8Array): number
  subscribe(topic: string): void
  unsubscribe(topic: string): void
  publish(topic: string, data: string | Uint8Array): number
  close(code?: number, reason?: string): void
  terminate(): void
  ping(): void
  getBufferedAmount(): number
}
interface BunServer {
  readonly port: number
  readonly hostname: string
  upgrade(request: Request, options: { headers?: HeadersInit; data: ServerSocket<any> }): boolean
  requestIP(request: Request): { address: string } | null
  publish(topic: string, data: string | Uint8Array): number
  stop(closeActiveConnections?: boolean): Promise<void> | void
}
declare const Bun: { serve(options: object): BunServer; env: Record<string, string | undefined> }

/**
 * What Bun (uWebSockets, shared compressor) answers every permessage-deflate offer with.
 * Bun does not tell the server socket, so the adapter reports it from the offer.
 */
const BUN_DEFLATE = 'permessage-deflate; client_no_context_takeover; server_no_context_takeover'

class BunTransport implements Transport {
  constructor(
    readonly ws: BunWebSocket,
    readonly negotiated: string,
  ) {}
  send(data: string | Uint8Array): boolean {
    // Bun answers with the bytes written, -1 under backpressure, 0 when dropped.
    return this.ws.send(data) > 0
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
  subscribe(topic: string): void {
    this.ws.subscribe(topic)
  }
  unsubscribe(topic: string): void {
    this.ws.unsubscribe(topic)
  }
  get bufferedAmount(): number {
    return this.ws.getBufferedAmount()
  }
  get extensions(): string {
    return this.negotiated
  }
}

class BunRuntime extends Runtime<BunServer> {
  readonly name = 'bun'
  server: BunServer | undefined
  readonly #extensions = new WeakMap<ServerSocket<any>, string>()
  #lastAddress = ''

  constructor(
    options: RuntimeOptions,
    readonly perMessageDeflate: boolean,
  ) {
    super(options)
  }

  /**
   * Room and broadcast sends go through Bun's native pub/sub: one call, and Bun writes
   * to every subscriber without a JavaScript loop. `ws.publish` leaves out the sender.
   */
  override publish(topic: string, payload: Payload, except: ServerSocket<any> | undefined): boolean | 'buffering' {
    let status: number
    let transport: Transport | undefined
    if (!except) status = this.server!.publish(topic, payload)
    else if (except.readyState === 1 && (transport = this.transportOf(except)) instanceof BunTransport) status = transport.ws.publish(topic, payload)
    else return false // a closed sender cannot publish; the core loops instead
    // Bun reports the worst outcome over the subscribers (checked on Bun 1.4.5, whichever
    // subscriber is slow): bytes written when none is buffering, -1 when one is, 0 when
    // dropped or nobody is subscribed. Only a buffering socket can pass the cap.
    return status > 0 ? true : 'buffering'
  }

  override remoteAddress(request: Request, server: BunServer): string {
    // Bun makes a new string per request; behind a proxy, or from one client, consecutive
    // upgrades share an address, so sockets hold the previous one and the new one is garbage.
    const address = server.requestIP(request)?.address ?? ''
    return address === this.#lastAddress ? this.#lastAddress : (this.#lastAddress = address)
  }

  protected accept(request: Request, socket: ServerSocket<any>, headers: Headers, server: BunServer) {
    // Bun echoes the client's first offered protocol when the server names none
    // (oven-sh/bun#18243); it reads the offer from the request, so take it away.
    if (!socket.protocol) {
      try {
        request.headers.delete('sec-websocket-protocol')
      } catch {
        headers.set('sec-websocket-protocol', '') // Bun then sends no header at all
      }
    }
    // Read only when compression is on: each header read is a call into Bun.
    if (this.perMessageDeflate && /(?:^|,)\s*permessage-deflate\s*(?:;|,|$)/i.test(request.headers.get('sec-websocket-extensions') ?? '')) {
      this.#extensions.set(socket, BUN_DEFLATE)
    }
    if (server.upgrade(request, { headers, data: socket })) return undefined
    // Bun refused the handshake: the socket will never open, so it settles now.
    this.detached(socket, 1006, 'upgrade failed')
    return new Response('WebSocket upgrade failed', { status: 400 })
  }

  /** Bun's `websocket` handlers: one set per server, the socket rides on `ws.data`. */
  handlers(maxPayloadLength: number) {
    return {
      maxPayloadLength,
      // The core runs heartbeats, idle timeouts and the slow-consumer cap the same way
      // on every runtime, so Bun's own versions are off.
      idleTimeout: 0,
      sendPings: false,
      backpressureLimit: 2 ** 31 - 1,
      closeOnBackpressureLimit: false,
      perMessageDeflate: this.perMessageDeflate,
      open: (ws: BunWebSocket) => {
        this.open(ws.data, new BunTransport(ws, this.#extensions.get(ws.data) ?? ''))
      },
      message: (ws: BunWebSocket, message: string | Uint8Array) => this.received(ws.data, message),
      pong: (ws: BunWebSocket) => this.ponged(ws.data),
      close: (ws: BunWebSocket, code: number, reason: string) => {
        // Bun reports its own protocol errors (a message over maxPayloadLength, invalid
        // UTF-8) as 1006 with the reason it sent the client, whose close frame carried
        // the real code. A peer can never send 1006, so a reason means such an error.
        const failed = code === 1006 && reason ? bunErrorCode(reason) : undefined
        if (failed === undefined) return this.detached(ws.data, code, reason)
        this.detached(ws.data, failed, reason, new TransportError(reason, failed))
      },
    }
  }
}

/** The close code Bun sent the client for one of its protocol errors, by the reason it gave. */
function bunErrorCode(reason: string): number {
  if (/too big/i.test(reason)) return 1009
  if (/utf-?8/i.test(reason)) return 1007
  return 1002
}

/**
 * Serves a Hono app, WebSocket routes included, with `Bun.serve`.
 *
 * @example
 * import { serve } from 'portsocket/bun'
 * await serve(app, { port: 3000 })
 */
export async function serve(app: FetchApp, options: ServeOptions = {}): Promise<Server> {
  const runtime = new BunRuntime({ hub: options.hub }, options.perMessageDeflate ?? false)
  const hostname = options.hostname ?? '0.0.0.0'
  const server = Bun.serve({
    port: options.port ?? (Number(Bun.env.PORT) || 3000),
    hostname,
    fetch: (request: Request, server: BunServer) => runtime.fetch(app, request, server),
    websocket: runtime.handlers(options.maxMessageSize ?? 1024 * 1024),
  })
  runtime.server = server
  return {
    runtime: 'bun',
    port: server.port,
    hostname,
    sockets: runtime.sockets,
    async close(shutdown) {
      await runtime.shutdown(shutdown)
      await server.stop(true)
    },
  }
}
