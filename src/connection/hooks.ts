import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { CloseSummary } from './events.ts'
import type { Message } from './message.ts'
import type { ServerSocket } from './socket.ts'

/** A handler of one envelope type in `events`. */
export type EventHandler<Data = unknown> = (socket: ServerSocket<Data>, data: any, message: Message) => unknown

/**
 * An `events` entry whose `data` is checked by a Standard Schema v1 (zod, valibot,
 * arktype…) before the handler runs; the handler gets the schema's output. What
 * happens to invalid data is the route's `invalidEvents` option.
 */
export interface ValidatedEvent<Data = unknown, Schema extends StandardSchemaV1 = StandardSchemaV1> {
  schema: Schema
  handler(socket: ServerSocket<Data>, data: StandardSchemaV1.InferOutput<Schema>, message: Message): unknown
}

/**
 * One `events` entry: a handler, or a schema and its handler. `Schema` is inferred per
 * entry from an inline `{ schema, handler }`, so `data` is the schema's output type; where
 * it cannot be inferred (an explicit `websocket<Data>(…)`), `data` is `any`.
 */
export type EventEntry<Data = unknown, Schema = unknown> =
  | EventHandler<Data>
  | {
      schema: Schema
      handler(
        socket: ServerSocket<Data>,
        data: Schema extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<Schema> : any,
        message: Message,
      ): unknown
    }

/**
 * An `events` entry with a schema, its handler's `data` typed from the schema's output
 * (also where the hooks' type is given explicitly).
 *
 * @example
 * events: { say: event(z.object({ text: z.string() }), (socket, { text }) => …) }
 */
export function event<Schema extends StandardSchemaV1, Data = any>(
  schema: Schema,
  handler: (socket: ServerSocket<Data>, data: StandardSchemaV1.InferOutput<Schema>, message: Message) => unknown,
): ValidatedEvent<Data, Schema> {
  return { schema, handler }
}

/**
 * The four moments of a connection. Any hook may be async; one that throws or rejects
 * closes its own connection with 1011 (1007 for a {@link MessageFormatError}) and is
 * reported to `error`. Other connections are never affected.
 *
 * Order: `open` settles before any message is handled; messages are handled one at a
 * time, in order; `close` runs once, after the last hook that had started has settled,
 * and no message hook or listener starts after it.
 */
export interface SocketHooks<Data = unknown, Events = Record<string, unknown>> {
  /** The socket is open; messages sent here go out first, and incoming ones wait until it settles. */
  open?(socket: ServerSocket<Data>): unknown
  /** A message arrived (within size and rate limits). */
  message?(socket: ServerSocket<Data>, message: Message): unknown
  /**
   * Handlers for JSON envelopes `{ "type": event, "data": data }` (what `emit` sends),
   * by type: a function, or `{ schema, handler }` to validate `data` first. A message that
   * is not an envelope, or whose type has no handler, goes to `message` if there is one;
   * otherwise a non-envelope closes with 1007 and an unknown type reports an
   * `UnknownEventError` to `error` and the socket stays open. An envelope carrying
   * `"ack": n` is answered with `{ "type": "portsocket:ack", "ack": n, "data": result }`
   * once its handler settles. Types starting with `portsocket:` are reserved.
   */
  events?: { [Type in keyof Events]: EventEntry<Data, Events[Type]> }
  /**
   * After the connection ended and left its rooms: the close code and reason, how long
   * it lasted, how many messages went each way and how many were dropped unhandled.
   */
  close?(socket: ServerSocket<Data>, info: CloseSummary): unknown
  /**
   * A hook threw, a message was rate limited with `onExceeded: "drop"`, an event's data
   * failed its schema, or the transport failed (a protocol error, a message over the
   * transport's ceiling).
   */
  error?(socket: ServerSocket<Data>, error: unknown): void
}
