import type { Context, Env, MiddlewareHandler } from 'hono'
import type { AnyEvents, EventContract, EventMap, Loose, StandardSchemaLike } from './contract.ts'
import type { CloseSummary } from './events.ts'
import type { Message } from './message.ts'
import { resolveOptions, type SocketOptions } from './options.ts'
import type { ServerSocket } from './socket.ts'
import { registerRoute } from './routes.ts'
import { createUpgrade } from './upgrade.ts'

/** A handler of one envelope type in `events`: `data` is the envelope's payload. */
export type EventHandler<Data = unknown, T = any, Out extends EventMap = AnyEvents> = (
  socket: ServerSocket<Data, Out>,
  data: T,
  message: Message,
) => unknown

/**
 * An `events` entry whose `data` is checked by a Standard Schema (zod, valibot, arktype…)
 * first; the handler gets the schema's output type.
 */
export interface ValidatedEvent<Data = unknown, T = any, Out extends EventMap = AnyEvents> {
  schema: StandardSchemaLike<T>
  handler(socket: ServerSocket<Data, Out>, data: T, message: Message): unknown
}

/**
 * The `events` hook: one entry per envelope type of `In`. Without a contract, `In` is
 * read from the entries themselves: a schema entry types its payload, a plain function
 * gets `any` (or what its parameter is annotated with).
 */
export type EventHandlers<Data = unknown, In extends EventMap = AnyEvents, Out extends EventMap = AnyEvents> = {
  [K in keyof In]?: EventHandler<Data, Loose<In[K]>, Out> | ValidatedEvent<Data, In[K], Out>
}

/**
 * The moments of a connection. Any hook may be async; one that throws or rejects
 * closes its own connection with 1011 (1007 for a {@link MessageFormatError}) and is
 * reported to `error`. Other connections are never affected.
 *
 * Type parameters (all inferred by {@link websocket}): `Data` from `data`, `In` and `Out`
 * from `contract` (or `In` from the `events` entries), `E` and `P` the route's Hono env
 * and path where TypeScript can see them.
 */
export interface SocketHooks<
  Data = unknown,
  In extends EventMap = AnyEvents,
  Out extends EventMap = AnyEvents,
  E extends Env = any,
  P extends string = any,
> {
  /**
   * The route's events, both directions, from `defineEvents<In, Out>()`: types the
   * `events` handlers' payloads and what `emit` may send. Types only.
   */
  contract?: EventContract<In, Out>
  /**
   * Builds the connection's `data` from the upgrade request (path params, auth results…).
   * Written here, before the other hooks, its return type becomes `socket.data`'s type.
   * The same as the `data` option (which wins when both are given).
   */
  data?: (c: Context<E, P>) => Data
  /** The socket is open; messages sent here go out first. */
  open?(socket: ServerSocket<Data, Out>): unknown
  /** A message arrived (within size and rate limits). */
  message?(socket: ServerSocket<Data, Out>, message: Message): unknown
  /**
   * Handlers for JSON envelopes `{ "type": event, "data": data }` (what `emit` sends),
   * by type. A message that is not an envelope, or whose type has no handler, goes to
   * `message` if there is one; otherwise a non-envelope closes with 1007 and an unknown
   * type reports an `UnknownEventError` to `error` and the socket stays open.
   */
  events?: EventHandlers<Data, In, Out>
  /**
   * After the connection ended and left its rooms: the close code and reason, how long
   * it lasted and how many messages went each way.
   */
  close?(socket: ServerSocket<Data, Out>, info: CloseSummary): unknown
  /** A hook threw, a message was rate limited with `onExceeded: "drop"`, or the transport failed. */
  error?(socket: ServerSocket<Data, Out>, error: unknown): void
}

/**
 * A Hono handler that upgrades the request and runs `hooks` on the socket. Put auth
 * and other middleware before it: they run before the upgrade, and a response they
 * return is sent instead of the 101.
 *
 * Types flow without annotations: `socket.data` is what `data` returns, `events`
 * payloads and `emit` follow `contract`. The result is a handler of the route with
 * `outputFormat: 'ws'`, as Hono's own `upgradeWebSocket`, so `hc` offers `$ws()` for it.
 *
 * @example
 * app.get('/ws/:room', auth, websocket({
 *   data: (c) => ({ room: c.req.param('room') }),
 *   message(socket, msg) { socket.to(socket.data.room).send(msg.text()) },
 * }))
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
  resolveOptions(options) // fail at startup, not at the first connection
  if (typeof hooks !== 'function') {
    const opts = withData(options, hooks)
    const route = registerRoute(hooks, opts)
    return async (c) => createUpgrade(c, opts, hooks, route).response
  }
  return async (c) => {
    const made = await hooks(c)
    return createUpgrade(c, withData(options, made), made, undefined).response
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
