import type { Context, Handler } from 'hono'
import type { CloseSummary } from './events.ts'
import type { Message } from './message.ts'
import { resolveOptions, type SocketOptions } from './options.ts'
import type { ServerSocket } from './socket.ts'
import { registerRoute } from './routes.ts'
import { createUpgrade } from './upgrade.ts'

/**
 * The four moments of a connection. Any hook may be async; one that throws or rejects
 * closes its own connection with 1011 (1007 for a {@link MessageFormatError}) and is
 * reported to `error`. Other connections are never affected.
 */
export interface SocketHooks<Data = unknown> {
  /** The socket is open; messages sent here go out first. */
  open?(socket: ServerSocket<Data>): unknown
  /** A message arrived (within size and rate limits). */
  message?(socket: ServerSocket<Data>, message: Message): unknown
  /**
   * Handlers for JSON envelopes `{ "type": event, "data": data }` (what `emit` sends),
   * by type. A message that is not an envelope, or whose type has no handler, goes to
   * `message` if there is one; otherwise a non-envelope closes with 1007 and an unknown
   * type reports an `UnknownEventError` to `error` and the socket stays open.
   */
  events?: Record<string, (socket: ServerSocket<Data>, data: any, message: Message) => unknown>
  /**
   * After the connection ended and left its rooms: the close code and reason, how long
   * it lasted and how many messages went each way.
   */
  close?(socket: ServerSocket<Data>, info: CloseSummary): unknown
  /** A hook threw, a message was rate limited with `onExceeded: "drop"`, or the transport failed. */
  error?(socket: ServerSocket<Data>, error: unknown): void
}

/**
 * A Hono handler that upgrades the request and runs `hooks` on the socket. Put auth
 * and other middleware before it: they run before the upgrade, and a response they
 * return is sent instead of the 101.
 *
 * @example
 * app.get('/ws/:room', auth, websocket({
 *   message(socket, msg) { socket.send(msg.text()) },
 * }))
 */
export function websocket<Data = Record<string, unknown>>(
  hooks: SocketHooks<Data> | ((c: Context) => SocketHooks<Data> | Promise<SocketHooks<Data>>),
  options: SocketOptions<Data> = {},
): Handler {
  resolveOptions(options) // fail at startup, not at the first connection
  if (typeof hooks !== 'function') {
    const route = registerRoute(hooks, options)
    return (c) => createUpgrade(c, options, hooks, route).response
  }
  return async (c) => createUpgrade(c, options, await hooks(c), undefined).response
}
