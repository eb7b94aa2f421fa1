import type { SocketHooks } from './hooks.ts'
import type { SocketOptions } from './options.ts'

/**
 * The `websocket()` routes whose hooks are a plain object, in the order they were
 * defined. Defining routes at module scope gives each the same index in every process,
 * which lets a socket be revived with its route's hooks after its server object was
 * gone (a Durable Object waking from hibernation).
 */
const routes: { hooks: SocketHooks<any>; options: SocketOptions<any> }[] = []

/** @internal */
export function registerRoute(hooks: SocketHooks<any>, options: SocketOptions<any>): number {
  return routes.push({ hooks, options }) - 1
}

/** @internal */
export function routeAt(index: number): { hooks: SocketHooks<any>; options: SocketOptions<any> } | undefined {
  return routes[index]
}
