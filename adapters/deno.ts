import { Runtime, type FetchApp, type Server, type ServeOptions } from '../src/index.ts'
import type { ServerSocket } from '../src/socket.ts'
import { listenStandard, StandardTransport } from '../src/standard-transport.ts'

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

class DenoRuntime extends Runtime<unknown> {
  readonly name = 'deno'

  protected accept(request: Request, socket: ServerSocket<any>, headers: Headers) {
    const interval = socket.settings.heartbeatInterval
    // The protocol goes in with the other headers: Deno's own `protocol` option
    // misreads offers not separated by ", " (such as the `ws` client's "a,b").
    // Deno pings and drops dead peers itself after `idleTimeout` seconds.
    const { socket: ws, response } = Deno.upgradeWebSocket(request, {
      idleTimeout: interval ? Math.max(1, Math.ceil(interval / 1000)) : 0,
    })
    listenStandard(ws, socket)
    ws.addEventListener('open', () => this.open(socket, new StandardTransport(ws)))
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
  const runtime = new DenoRuntime(options.hub)
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
      await runtime.hub.close?.()
    },
  }
}
