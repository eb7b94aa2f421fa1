import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { Context, Env } from 'hono'
import type { AnyEvents, EventContract, EventMap, Loose } from './contract.ts'
import type { CloseSummary } from './events.ts'
import type { Message } from './message.ts'
import type { ServerSocket } from './socket.ts'

/** A handler of one envelope type in `events`: `data` is the envelope's payload. */
export type EventHandler<Data = unknown, T = any, Out extends EventMap = AnyEvents> = (
  socket: ServerSocket<Data, Out>,
  data: T,
  message: Message,
) => unknown

/**
 * An `events` entry whose `data` is checked by a Standard Schema v1 (zod, valibot,
 * arktype…) before the handler runs; the handler gets the schema's output type `T`.
 * What happens to invalid data is the route's `invalidEvents` option.
 */
export interface ValidatedEvent<Data = unknown, T = any, Out extends EventMap = AnyEvents> {
  schema: StandardSchemaV1<unknown, T>
  handler(socket: ServerSocket<Data, Out>, data: T, message: Message): unknown
}

/** One `events` entry: a handler, or a schema and its handler. */
export type EventEntry<Data = unknown, T = any, Out extends EventMap = AnyEvents> =
  | EventHandler<Data, Loose<T>, Out>
  | ValidatedEvent<Data, T, Out>

/**
 * The `events` hook: one entry per envelope type of `In`. With a `contract`, `In` is the
 * contract's; without one, `In` is read from the entries themselves: an inline
 * `{ schema, handler }` types its `data` by the schema's output, a plain function gets
 * `any` (or what its parameter is annotated with).
 */
export type EventHandlers<Data = unknown, In extends EventMap = AnyEvents, Out extends EventMap = AnyEvents> = {
  [K in keyof In]?: EventEntry<Data, In[K], Out>
}

/**
 * An `events` entry with a schema, its handler's `data` typed from the schema's output
 * (also where the hooks' types are given explicitly, e.g. `websocket<MyData>(…)`).
 *
 * @example
 * events: { say: event(z.object({ text: z.string() }), (socket, { text }) => …) }
 */
export function event<Schema extends StandardSchemaV1, Data = any, Out extends EventMap = AnyEvents>(
  schema: Schema,
  handler: (socket: ServerSocket<Data, Out>, data: StandardSchemaV1.InferOutput<Schema>, message: Message) => unknown,
): ValidatedEvent<Data, StandardSchemaV1.InferOutput<Schema>, Out> {
  return { schema, handler }
}

/**
 * The moments of a connection. Any hook may be async; one that throws or rejects
 * closes its own connection with 1011 (1007 for a {@link MessageFormatError}) and is
 * reported to `error`. Other connections are never affected.
 *
 * Order: `open` settles before any message is handled; messages are handled one at a
 * time, in order; `close` runs once, after the last hook that had started has settled,
 * and no message hook or listener starts after it.
 *
 * Type parameters (all inferred by `websocket()`): `Data` from `data`, `In` and `Out`
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
  /** The socket is open; messages sent here go out first, and incoming ones wait until it settles. */
  open?(socket: ServerSocket<Data, Out>): unknown
  /** A message arrived (within size and rate limits). */
  message?(socket: ServerSocket<Data, Out>, message: Message): unknown
  /**
   * Handlers for JSON envelopes `{ "type": event, "data": data }` (what `emit` sends),
   * by type: a function, or `{ schema, handler }` to validate `data` first. A message that
   * is not an envelope, or whose type has no handler, goes to `message` if there is one;
   * otherwise a non-envelope closes with 1007 and an unknown type reports an
   * `UnknownEventError` to `error` and the socket stays open. An envelope carrying
   * `"ack": n` is answered with `{ "type": "portsocket:ack", "ack": n, "data": result }`
   * once its handler settles. Types starting with `portsocket:` are reserved.
   */
  events?: EventHandlers<Data, In, Out>
  /**
   * After the connection ended and left its rooms: the close code and reason, how long
   * it lasted, how many messages went each way and how many were dropped unhandled.
   */
  close?(socket: ServerSocket<Data, Out>, info: CloseSummary): unknown
  /**
   * A hook threw, a message was rate limited with `onExceeded: "drop"`, an event's data
   * failed its schema, or the transport failed (a protocol error, a message over the
   * transport's ceiling).
   */
  error?(socket: ServerSocket<Data, Out>, error: unknown): void
}
