import type { Context, Env, MiddlewareHandler } from 'hono'
import type { AnyEvents, EventMap } from '../connection/contract.ts'
import type { SocketHooks } from '../connection/hooks.ts'
import { resolveOptions, type SocketOptions } from './options.ts'
import { registerRoute } from './routes.ts'
import { createUpgrade } from './upgrade.ts'

/**
 * A Hono handler that upgrades the request and runs `hooks` on the socket. Put auth
 * and other middleware before it: they run before the upgrade, and a response they
 * return is sent instead of the 101. Give the route an `id` (options) to let its
 * sockets hibernate on Workers.
 *
 * Types flow without annotations: `socket.data` is what `data` returns, `events`
 * payloads and `emit` follow `contract` (or, without one, each `{ schema, handler }`
 * entry's schema). The result is a handler of the route with `outputFormat: 'ws'`, as
 * Hono's own `upgradeWebSocket`, so `hc` offers `$ws()` for it.
 *
 * @example
 * app.get('/ws/:room', auth, websocket({
 *   data: (c) => ({ room: c.req.param('room') }),
 *   message(socket, msg) { socket.to(socket.data.room).send(msg.text()) },
 * }, { id: 'room' }))
 */
export function websocket<
  Data = Record<string, any>,
  In extends EventMap = AnyEvents,
  Out extends EventMap = AnyEvents,
  E extends Env = any,
  P extends string = any,
>(
  hooks:
    | SocketHooks<Data, In, Out, E, P>
    | ((c: Context<E, P>) => SocketHooks<Data, In, Out, E, P> | Promise<SocketHooks<Data, In, Out, E, P>>),
  options: SocketOptions<Data, E, P> = {},
): MiddlewareHandler<E, P, { outputFormat: 'ws' }> {
  const resolved = resolveOptions(options) // fail at startup, not at the first connection
  if (typeof hooks !== 'function') {
    const plain = hooks as SocketHooks<Data, any, any, any, any>
    const opts = withData(options, plain)
    const route = resolved.id === undefined ? undefined : registerRoute(resolved.id, plain, opts).id
    const final = resolveOptions(opts) // once per route, not a lookup per upgrade
    // Not async: Hono answers a handler's plain Response (and catches its throw) without
    // the promises an async handler costs per upgrade.
    return ((c: Context<E, P>) => createUpgrade(c, final, plain, route).response) as unknown as MiddlewareHandler<E, P, { outputFormat: 'ws' }>
  }
  return async (c) => {
    const made = (await hooks(c)) as SocketHooks<Data, any, any, any, any>
    return createUpgrade(c, resolveOptions(withData(options, made)), made, undefined).response
  }
}

/** The `data` hook as the `data` option, unless the option is set (one object per route). */
function withData<Data>(options: SocketOptions<Data, any, any>, hooks: SocketHooks<Data, any, any, any, any>): SocketOptions<Data, any, any> {
  return hooks.data && !options.data ? { ...options, data: hooks.data } : options
}

/** {@link websocket} with the app's Hono env fixed: what {@link websocketFor} returns. */
export type WebSocketHelper<E extends Env> = <
  Data = Record<string, any>,
  In extends EventMap = AnyEvents,
  Out extends EventMap = AnyEvents,
  P extends string = any,
>(
  hooks:
    | SocketHooks<Data, In, Out, E, P>
    | ((c: Context<E, P>) => SocketHooks<Data, In, Out, E, P> | Promise<SocketHooks<Data, In, Out, E, P>>),
  options?: SocketOptions<Data, E, P>,
) => MiddlewareHandler<E, P, { outputFormat: 'ws' }>

/**
 * {@link websocket} typed by the app's Hono env, stated once (as Hono's `createFactory<Env>()`).
 * TypeScript cannot carry a route's env into a handler made by a function call, so in
 * `websocket()`'s `data` `c.get()` and `c.env` are `any`; through this helper they are typed,
 * and the rest (data, events, path params after a middleware) is still inferred.
 *
 * @example
 * const ws = websocketFor<{ Variables: { user: User }; Bindings: { KV: KVNamespace } }>()
 * app.get('/ws/:room', auth, ws({
 *   data: (c) => ({ room: c.req.param('room'), user: c.get('user') }),
 *   open(socket) { socket.send(`hello ${socket.data.user.name}`) },
 * }))
 */
export function websocketFor<E extends Env>(): WebSocketHelper<E> {
  return websocket
}
