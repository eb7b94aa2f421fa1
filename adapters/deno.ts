import { Runtime, type FetchApp, type Server, type ServeOptions } from '../src/index.ts'
import type { ServerSocket } from '../src/socket.ts'
import type { Transport } from '../src/transport.ts'

// The parts of Deno's API this adapter uses, declared so the package builds without Deno's types.
interface DenoServer {
  readonly addr: { port: number; hostname: string }
  shutdown(): Promise<void>
}
declare const Deno: {
  serve(
    options: { port?: number; hostname?: string; onListen?: (addr: { port: number; hostname: string }) => void },
    handler: (request: Request, info: unknown) => Response | Promise<Response>,
  ): DenoServer
  upgradeWebSocket(request: Request, options?: { protocol?: string; idleTimeout?: number }): { socket: WebSocket; response: Response }
  env: { get(name: string): string | undefined }
}

class DenoTransport implements Transport {
  // Deno pings and drops dead peers itself (the `idleTimeout` of upgradeWebSocket),
  // and does not expose pongs, so the core leaves liveness to it.
  readonly checksLiveness = true
  constructor(readonly ws: WebSocket) {}
  send(data: string | Uint8Array): void {
    this.ws.send(data as string | Uint8Array<ArrayBuffer>)
  }
  close(code: number, reason: string): void {
    this.ws.close(code, reason)
  }
  terminate(): void {
    // Deno has no abortive close; a close frame and its timeout is the hardest available.
    this.ws.close(1001, 'terminated')
  }
  get bufferedAmount(): number {
    return this.ws.bufferedAmount
  }
  get extensions(): string {
    return this.ws.extensions
  }
}

class DenoRuntime extends Runtime<unknown> {
  readonly name = 'deno'

  protected accept(request: Request, socket: ServerSocket<any>, headers: Headers) {
    const interval = socket.settings.heartbeatInterval
    // The protocol goes in with the other headers: Deno's own `protocol` option
    // misreads offers not separated by ", " (such as the `ws` client's "a,b").
    const { socket: ws, response } = Deno.upgradeWebSocket(request, {
      idleTimeout: interval ? Math.max(1, Math.ceil(interval / 1000)) : 0,
    })
    ws.binaryType = 'arraybuffer'
    ws.onopen = () => this.open(socket, new DenoTransport(ws))
    ws.onmessage = (event) => socket.received(typeof event.data === 'string' ? event.data : new Uint8Array(event.data))
    // Deno reports code 0 for a connection that ended without a close frame.
    ws.onclose = (event) => socket.detached(event.code || 1006, event.reason)
    headers.forEach((value, key) => response.headers.append(key, value))
    return response
  }
}

/**
 * Serves a Hono app, WebSocket routes included, with `Deno.serve`.
 *
 * @example
 * import { serve } from 'portsocket/deno'
 * await serve(app, { port: 3000 })
 */
export async function serve(app: FetchApp, options: ServeOptions = {}): Promise<Server> {
  const runtime = new DenoRuntime()
  let listening!: (addr: { port: number; hostname: string }) => void
  const ready = new Promise<{ port: number; hostname: string }>((resolve) => (listening = resolve))
  const server = Deno.serve(
    { port: options.port ?? (Number(Deno.env.get('PORT')) || 3000), hostname: options.hostname, onListen: listening },
    async (request, info) => (await runtime.fetch(app, request, info))!,
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
