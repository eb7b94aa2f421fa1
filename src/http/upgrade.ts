import type { Context, Env } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { SocketHooks } from '../connection/hooks.ts'
import { Connection } from '../connection/connection.ts'
import { connectionOf, type ServerSocket } from '../connection/socket.ts'
import { runtimeOf } from '../runtime/served.ts'
import { checkHandshake, checkOrigin, isUpgradeRequest, selectProtocol } from './handshake.ts'
import { resolveOptions, type ResolvedOptions, type SocketOptions } from './options.ts'

/** What {@link upgrade} gives a handler: the socket to wire, and the response to return. */
export interface Upgrade<Data> {
  socket: ServerSocket<Data>
  response: Response
}

// The handler's response travels back through the rest of the middleware chain, which
// may add headers to it or replace it; the upgrade is kept with the request until the
// runtime sees the final response. A property of the request, not a WeakMap entry: a set
// and a delete per upgrade in V8's ephemeron table took about a third of createUpgrade's
// own time in a CPU profile of Node opens.
const pendingUpgrade = Symbol('portsocket.upgrade')
type Pending = Request & { [pendingUpgrade]?: Upgrade<any> | undefined }

/**
 * Upgrades the request inside a Hono handler, in the shape of Deno's and Workers'
 * upgrade: wire the socket, then return the response.
 *
 * Answers (by throwing Hono's `HTTPException`) 426 when the request is not a WebSocket
 * upgrade, 403 for a disallowed origin and 400 when no offered subprotocol fits.
 *
 * `socket.data` is typed by what the `data` option returns; its context is `c`, with the
 * route's env and path params.
 *
 * @example
 * app.get('/echo', (c) => {
 *   const { socket, response } = upgrade(c)
 *   socket.addEventListener('message', (e) => socket.send(e.data))
 *   return response
 * })
 */
export function upgrade<Data = Record<string, any>, E extends Env = any, P extends string = any>(
  c: Context<E, P, any>,
  options: SocketOptions<Data, E, P> = {},
): Upgrade<Data> {
  return createUpgrade(c, resolveOptions(options), undefined, undefined)
}

/**
 * Makes the socket and the placeholder response. `resolved` are the route's options,
 * resolved once per route; `route` is the id of a `websocket()` route whose hooks can be
 * looked up again.
 */
export function createUpgrade<Data>(
  c: Context<any, any, any>,
  resolved: ResolvedOptions,
  hooks: SocketHooks<Data, any, any, any, any> | undefined,
  route: string | undefined,
): Upgrade<Data> {
  const request = c.req.raw
  if (!isUpgradeRequest(request)) {
    const res = new Response('expected a WebSocket upgrade request', {
      status: 426,
      headers: { upgrade: 'websocket', connection: 'Upgrade' },
    })
    throw new HTTPException(426, { res })
  }
  const runtime = runtimeOf(request)
  if (!runtime) {
    throw new Error(
      'portsocket: this request did not come through a portsocket adapter; serve the app with serve() from ' +
        'portsocket/node, portsocket/bun or portsocket/deno, or toWorker() from portsocket/cloudflare',
    )
  }
  checkHandshake(request)
  checkOrigin(c, resolved)
  const protocol = selectProtocol(c, resolved) ?? ''
  const data = resolved.data ? (resolved.data(c) as Data) : ({} as Data)
  const socket: ServerSocket<Data> = new Connection<Data>({
    url: request.url,
    protocol,
    remoteAddress: runtime.remoteAddress?.(request, c.env) ?? '',
    data,
    options: resolved,
    hooks,
    route,
  })
  // No header of our own: materializing one costs a Headers conversion per upgrade (on
  // Node, a dozen of undici's functions compiled hot), and a marker would be copied onto
  // any response a middleware sets afterwards.
  const made: Upgrade<Data> = { socket, response: c.body(null, 200) }
  ;(request as Pending)[pendingUpgrade] = made
  return made
}

/**
 * Called by the runtime once the app has answered: the socket to accept, or undefined
 * when the final response is not this upgrade (no upgrade was made, or middleware
 * replaced the response).
 *
 * The final response is the upgrade's when it is the placeholder itself (middleware may
 * have added headers to it) or, built from it, still a 200 without a body: Hono rebuilds
 * the handler's response when middleware read `c.res` before `next()` (its cors does).
 * Any other response (`c.res = new Response(...)` after `next()`) replaces the upgrade.
 */
export function takeUpgrade(request: Request, response: Response): ServerSocket<any> | undefined {
  const made = (request as Pending)[pendingUpgrade]
  if (!made) return undefined
  ;(request as Pending)[pendingUpgrade] = undefined
  const socket = made.socket
  if (response !== made.response && (response.status !== 200 || response.body !== null)) {
    connectionOf(socket).detached(1006, 'upgrade not completed')
    return undefined
  }
  return socket
}

/**
 * The headers for the 101 from the response that accepted the upgrade: its own, less
 * the body's, with the chosen subprotocol. The response is discarded for the 101, so its
 * headers are used in place: no copy, which on Deno and Bun is a call into the runtime
 * per header. Headers a response may not change (a fetched one) are copied instead.
 */
export function handshakeHeaders(response: Response, protocol: string): Headers {
  let headers = response.headers
  try {
    headers.delete('content-type')
  } catch {
    headers = copyHeaders(headers)
    headers.delete('content-type')
  }
  headers.delete('content-length')
  if (protocol) headers.set('sec-websocket-protocol', protocol)
  return headers
}

/** A mutable copy of immutable headers. */
function copyHeaders(from: Headers): Headers {
  const headers = new Headers()
  from.forEach((value, key) => headers.append(key, value))
  return headers
}
