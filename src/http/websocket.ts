import type { Context, Handler } from 'hono'
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
 * @example
 * app.get('/ws/:room', auth, websocket({
 *   message(socket, msg) { socket.send(msg.text()) },
 * }, { id: 'room' }))
 */
export function websocket<Data = Record<string, unknown>, Events = Record<string, unknown>>(
  hooks: SocketHooks<Data, Events> | ((c: Context) => SocketHooks<Data, Events> | Promise<SocketHooks<Data, Events>>),
  options: SocketOptions<Data> = {},
): Handler {
  const resolved = resolveOptions(options) // fail at startup, not at the first connection
  if (typeof hooks !== 'function') {
    const plain = hooks as SocketHooks<Data>
    const route = resolved.id === undefined ? undefined : registerRoute(resolved.id, plain, options).id
    return (c) => createUpgrade(c, options, plain, route).response
  }
  return async (c) => createUpgrade(c, options, (await hooks(c)) as SocketHooks<Data>, undefined).response
}
